"""What a check-in run must never do, whatever else changes: post to someone the platform said
is gone, or ask anyone twice when the process died between saving the run's rows and moving the
schedule's mark (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.delivery import LEASE
from bot.port import DeliveryError
from bot.storage.models import CheckIn, Member, OutboundMessage, Schedule
from tests.support.talk import say
from tests.unit.core.test_outbox import HeldPort
from tests.unit.schedules.support import TimedPort, add_members, rows, running_core
from tests.unit.schedules.test_fanout import all_rows

SIX_PM = datetime(2026, 3, 2, 18, tzinfo=UTC)  # Monday


async def test_people_marked_unreachable_get_nothing_however_many_runs(
        core: BotCore, clock: ManualClock, port: TimedPort) -> None:
    await add_members(core, ("Dana", "UTC"), ("Lee", "UTC"))
    async with core.ctx.db.session() as session:  # what Slack said last week: account_inactive
        await session.exec(update(Member).where(col(Member.name) == "Dana")
                           .values(unreachable="account_inactive"))
    assert "Scheduled #1" in await say(
        core, "ada", '/align schedule add checkin "daily 18:00" to=reps remind=1h')
    await core.advance(timedelta(days=3))  # Mon, Tue, Wed 18:00 and their reminders

    assert [s.message.key for s, _ in port.asks("dana")] == []
    assert port.texts_to("dana") == []
    assert len(port.asks("lee")) == 3 and len(port.reminders("lee")) == 3
    assert [(c.state, c.note) for c in await rows(core, "Dana")] == [
        ("failed", "could not be reached")] * 3


async def test_a_run_that_died_after_saving_its_rows_and_before_moving_the_mark_asks_once(
        core: BotCore, settings: Settings, clock: ManualClock, port: TimedPort,
        monkeypatch: pytest.MonkeyPatch) -> None:
    await add_members(core, ("Dana", "UTC"), ("Lee", "Europe/Berlin"), ("Sam", "America/New_York"))
    assert "Scheduled #1" in await say(
        core, "ada", '/align schedule add checkin "weekdays 18:00" to=reps remind=off')
    insert_new = core.engine._insert_new

    async def saved_then_killed(*args: Any) -> None:
        await insert_new(*args)  # committed
        raise asyncio.CancelledError  # the process is killed here: the mark never moves

    monkeypatch.setattr(core.engine, "_insert_new", saved_then_killed)
    clock.set(SIX_PM)  # Dana (18:00 UTC) and Lee (17:00 UTC) are due, Sam is not
    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(core.tick())
    assert port.sent == []
    saved = await all_rows(core, CheckIn)
    async with core.ctx.db.session() as session:
        schedule = await session.get(Schedule, 1)
    assert schedule is not None and schedule.processed_until < SIX_PM  # the mark did not move

    async with running_core(settings, clock, port) as restarted:  # the same step again
        await restarted.tick()
        again = await all_rows(restarted, CheckIn)
        clock.set(SIX_PM + timedelta(hours=6))  # Sam's 18:00 in New York is 23:00 UTC
        await restarted.tick()
        final = await all_rows(restarted, CheckIn)

    assert sorted(c.key for c in again) == sorted(c.key for c in saved)  # no second set of rows
    assert Counter(s.to.user_id for s, _ in port.asks()) == {"dana": 1, "lee": 1, "sam": 1}
    assert len(final) == 3 and {c.state for c in final} == {"asked"}


@pytest.mark.parametrize("failure", [DeliveryError("rate limited"),
                                     DeliveryError("channel_not_found", permanent=True)],
                         ids=["transient", "permanent"])
async def test_a_late_failure_of_an_engine_whose_ask_was_taken_over_leaves_it_sent(
        core: BotCore, settings: Settings, clock: ManualClock, port: TimedPort,
        failure: DeliveryError) -> None:
    """Engine A's ask hangs at the platform past its lease; engine B takes it over and Dana gets
    it; then A hears its send failed. The outbox keeps B's "sent" (a "failed" there would tell
    admins a check-in did not arrive when it did; a released claim would be sent again)."""
    await add_members(core, ("Dana", "UTC"))
    assert "Scheduled #1" in await say(
        core, "ada", '/align schedule add checkin "daily 18:00" to=reps remind=off')
    clock.set(SIX_PM)
    stuck = HeldPort(sent=port.sent, _ids=port._ids, fail=failure)
    async with running_core(settings, clock, stuck) as a:
        first = asyncio.create_task(a.tick())
        await stuck.reached.wait()
        clock.advance(LEASE + LEASE / 10)
        await core.tick()  # B: takes the claim over, asks the platform (nothing), sends
        assert [s.to.user_id for s, _ in port.asks()] == ["dana"]
        stuck.release.set()
        await first
        clock.advance(timedelta(minutes=1))
        await core.tick()

    assert [s.to.user_id for s, _ in port.asks()] == ["dana"]
    (sent,) = await all_rows(core, OutboundMessage)
    assert (sent.state, sent.attempts) == ("sent", 2)
    assert [c.state for c in await rows(core, "Dana")] == ["asked"]
