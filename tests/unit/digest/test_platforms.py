"""A digest renders natively on each platform, first screen short and details one click away:
Slack Block Kit within its limits (details as a message for the thread), Teams an Adaptive
Card 1.5 valid against the schema with the details behind Action.ShowCard, the console behind
`/click details`."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from adapters.console.render import render, render_details
from adapters.slack.blocks import details_message, fallback_text, home_view, message_blocks
from adapters.teams.cards import MAX_CARD_BYTES, card_size, message_card
from bot.core import BotCore
from bot.events import Details, Image, MemberRef
from tests.support.bot_connector import card_problems
from tests.support.slack_api import block_problems
from tests.unit.digest.support import build_org

COMMANDS = (("sam", "digest"), ("ada", "digest team:all"), ("mia", "digest last 4 weeks"))


async def test_slack_first_screen_and_thread_fit_block_kit_uncut(core: BotCore) -> None:
    await build_org(core)
    for who, command in COMMANDS:
        (message,) = await core.command(MemberRef("test", who), command)
        blocks = message_blocks(message)
        thread = details_message(message)
        assert thread is not None
        thread_blocks = message_blocks(thread)
        for shown, limit in ((blocks, 50), (thread_blocks, 50), (home_view(message)["blocks"], 100)):
            assert block_problems(shown, limit) == [], command
            for block in shown:
                Block.parse(block).validate_json()  # type: ignore[union-attr]
            assert "(message shortened)" not in str(shown), (command, len(shown))
        assert len(blocks) <= 12  # the first screen
        assert blocks[0]["type"] == "header" and "Alignment digest" in blocks[0]["text"]["text"]
        assert "Details: in the thread" in str(blocks[-1])
        assert "Participation" in str(thread_blocks) and "Participation" not in str(blocks)
        assert any(isinstance(b, Image) for b in message.blocks)  # uploaded by the port as a file
        assert "Alignment digest" in fallback_text(message)


async def test_teams_card_validates_with_details_behind_show_card(core: BotCore) -> None:
    await build_org(core)
    for who, command in COMMANDS:
        (message,) = await core.command(MemberRef("test", who), command)
        card = message_card(message)
        assert card_problems(card) == [], command
        assert card_size(card) <= MAX_CARD_BYTES
        (show,) = card["actions"]
        assert show["type"] == "Action.ShowCard" and show["title"] == "Details"
        assert "Participation" in str(show["card"]["body"])
        assert "Participation" not in str(card["body"])
        assert "(message shortened)" not in str(card) and "(details shortened)" not in str(card)


async def test_console_shows_details_on_click(core: BotCore) -> None:
    await build_org(core)
    (message,) = await core.command(MemberRef("test", "sam"), "digest")
    index = next(i for i, b in enumerate(message.blocks) if isinstance(b, Details))
    shown = render(message, details={index: "7"})
    assert "[Details: /click details 7]" in shown and "PARTICIPATION" not in shown
    block = message.blocks[index]
    assert isinstance(block, Details)
    assert "PARTICIPATION" in render_details(block)
