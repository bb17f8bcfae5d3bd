"""Admins are reminded 30, 7 and 1 days before the strategy's review date, once each, with the
figures since the version became current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.core import BotCore
from bot.strategy.sell_by import due_threshold
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team
from tests.unit.strategy.test_proposals import STATEMENT


def test_the_due_reminder_is_the_nearest_threshold_not_yet_passed() -> None:
    assert [due_threshold(d) for d in (45, 31, 30, 12, 7, 2, 1, 0, -1)] == [
        None, None, 30, 30, 7, 7, 1, 1, None]


async def test_admins_get_each_reminder_once_with_the_evidence(
        core: BotCore, port: RecordingPort, clock: ManualClock) -> None:
    await setup_team(core)
    for rep, tasks in (("dana", "mapped the buying committee at Acme Bank"),
                       ("lee", "demo for a tier-1 bank, gave them a 20% discount")):
        await say(core, "ada", f"/align ask now {rep}")
        await say(core, rep, STATEMENT if rep == "dana" else "We sell compliance software.")
        await say(core, rep, "we play in mid-market fintech" if rep == "dana"
                  else "a global tier-1 bank in London")
        await say(core, rep, tasks)
    review_by = core.ctx.strategy.strategy.review_by
    day = datetime(review_by.year, review_by.month, review_by.day, 9, tzinfo=UTC)

    def reminders() -> list[tuple[str, str]]:
        return [(s.to.user_id, s.message.text) for s in port.sent if "Sell-by" in s.message.text]

    clock.set(day - timedelta(days=31))
    await core.tick()
    assert reminders() == []
    clock.set(day - timedelta(days=30))
    await core.tick()
    await core.tick()
    [(who, text)] = reminders()
    assert who == "ada"
    assert text.startswith("Sell-by: 'Northbeam Compliance FY27' is due for review in 30 days (2027-06-30)")
    assert "Evidence from the answers since this version became current (2026-03-02)" in text
    assert "1 of 2 people state it with objectives, scope and advantage" in text
    assert 'Critical task "Map the buying committee": reported by 1 of 2 people' in text
    assert "Effort out of scope: 3 of 4 reported activities (75%)" in text  # all Lee's tier-1 work
    clock.set(day - timedelta(days=6))  # the 7-day one was missed while the bot was down
    await core.tick()
    assert len(reminders()) == 2 and "in 6 days" in reminders()[-1][1]
    clock.set(day - timedelta(days=1))
    await core.tick()
    assert len(reminders()) == 3 and "due for review tomorrow" in reminders()[-1][1]
    clock.set(day + timedelta(days=1))
    await core.tick()
    assert len(reminders()) == 3
