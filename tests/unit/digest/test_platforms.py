"""A digest renders natively and whole: in Slack's Block Kit within its limits and without
being shortened (even an organisation's), with the chart left for the port to upload."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from adapters.slack.blocks import fallback_text, message_blocks
from bot.core import BotCore
from bot.events import Image, MemberRef
from tests.support.slack_api import block_problems
from tests.unit.digest.support import build_org


async def test_team_and_organisation_digests_fit_block_kit_uncut(core: BotCore) -> None:
    await build_org(core)
    for who, command in (("sam", "digest"), ("ada", "digest team:all"), ("mia", "digest last 4 weeks")):
        (message,) = await core.command(MemberRef("test", who), command)
        blocks = message_blocks(message)
        assert block_problems(blocks, 50) == [], command
        for block in blocks:
            Block.parse(block).validate_json()  # type: ignore[union-attr]
        assert "(message shortened)" not in str(blocks), (command, len(blocks))
        assert blocks[0]["type"] == "header" and "Alignment digest" in blocks[0]["text"]["text"]
        assert any(isinstance(b, Image) for b in message.blocks)  # uploaded by the port as a file
        assert "Alignment digest" in fallback_text(message)
