"""When a version becomes current, managers get one message saying what changed, and reps get
the new statement at their next check-in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.core import BotCore
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team
from tests.unit.strategy.test_proposals import STATEMENT, TASK, buttons, click, command, edited


async def test_managers_are_told_once_and_reps_see_the_new_statement_when_next_asked(
        core: BotCore, port: RecordingPort, clock: ManualClock, tmp_path: Path) -> None:
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    await say(core, "dana", STATEMENT)
    await say(core, "dana", "we play in mid-market fintech, not tier-1 banks")
    await say(core, "dana", "mapped the buying committee at Acme Bank")
    edited(core, tmp_path, (TASK, ""), ("Become the audit-readiness", "Be the audit-readiness"))
    [preview] = await command(core, "ada", '/align strategy reload reason="SDRs map committees"')
    port.sent.clear()
    confirm = buttons(preview)["strategy:confirm"]
    assert "is current now" in await click(core, "ada", "strategy:confirm", confirm)
    await click(core, "ada", "strategy:confirm", confirm)  # a second press tells nobody again
    news = [(s.to.user_id, s.message.text) for s in port.sent]
    assert [who for who, _ in news] == ["sam"]  # managers only, once
    text = news[0][1]
    assert text.startswith("The strategy changed: version 2 (Northbeam Compliance FY27) is current now")
    assert text.index("Sales task removed: Map the buying committee") < text.index("New statement")
    assert "Why: SDRs map committees" in text

    port.sent.clear()
    clock.advance(timedelta(days=7))
    await say(core, "ada", "/align ask now dana")
    await say(core, "ada", "/align ask now lee")
    asked = {s.to.user_id: s.message.text for s in port.sent}
    assert asked["dana"].startswith("The strategy changed since your last check-in. It now reads:"
                                    " Be the audit-readiness platform")
    assert "strategy changed" not in asked["lee"]  # first check-in: nothing to compare with
