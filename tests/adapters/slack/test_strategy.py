"""Strategy proposals through the real bolt app: the preview (diff, doctor, impact) is an
ephemeral reply within Block Kit's limits, and its Confirm button makes the version current."""

from __future__ import annotations

from pathlib import Path

from bot.core import BotCore
from bot.strategy.store import CURRENT, SUPERSEDED, list_versions
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import team
from tests.adapters.slack.test_forget import buttons, ephemeral_click
from tests.unit.strategy.support import changed_file


async def test_a_proposal_is_confirmed_with_its_button(slack: Slack, core: BotCore,
                                                       tmp_path: Path) -> None:
    api = slack.api
    await team(slack)
    core.ctx.settings = core.ctx.settings.model_copy(
        update={"strategy_file": changed_file(tmp_path)})
    [preview] = await slack.command(ADA, 'strategy reload reason="tighter statement"')
    assert preview.startswith("Proposed: strategy version 2") and "Why: tighter statement" in preview
    body = api.responses[-1][1]
    sections = " ".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    assert "New statement: “Be the audit-readiness" in sections
    confirm = buttons(body)["strategy:confirm"]
    assert confirm["text"]["text"] == "Confirm version 2" and confirm["style"] == "primary"

    await slack.poster.interaction(ephemeral_click(DANA, confirm, api.response_url("rep")))
    await core.ctx.drain()
    [(_, refused)] = [r for r in api.responses if r[0] == "rep"]
    assert "is for admins" in refused["text"]

    await slack.poster.interaction(ephemeral_click(ADA, confirm, api.response_url("click")))
    await core.ctx.drain()
    [(_, done)] = [r for r in api.responses if r[0] == "click"]
    assert done["text"].startswith("Strategy version 2") and "is current now" in done["text"]
    assert [r.status for r in await list_versions(core.ctx.db)] == [SUPERSEDED, CURRENT]
    assert core.ctx.strategy.strategy.statement.startswith("Be the audit-readiness")
