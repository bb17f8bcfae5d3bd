"""Exactly one check-in per member and occurrence when a fan-out is interrupted and restarted
(SQLite and PostgreSQL), and when two engines run against one PostgreSQL database at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.delivery import LEASE
from bot.storage.models import CheckIn, Member, OutboundMessage
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.support.databases import fresh_postgres
from tests.support.talk import confirmed, say
from tests.unit.schedules.support import TimedPort, running_core

Row = TypeVar("Row", CheckIn, OutboundMessage)
MEMBERS = 500
REPS = 20
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe")


async def add_reps(core: BotCore, count: int, zones: tuple[str, ...] = ("UTC",)) -> None:
    """Admin Ada by command; `count` reps written straight to the database (fast)."""
    assert "Added Ada" in await say(core, "ada", "/align team add Ada admin")
    now = core.ctx.clock.now()
    async with core.ctx.db.session() as session:
        session.add_all([Member(platform="test", platform_user_id=f"rep{i:03d}", name=f"Rep {i:03d}",
                                role="rep", timezone=zones[i % len(zones)], created_at=now,
                                updated_at=now) for i in range(count)])


async def all_rows(core: BotCore, model: type[Row]) -> list[Row]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(model))).all())


async def test_a_fanout_interrupted_after_a_send_and_restarted_asks_everyone_exactly_once(
        core: BotCore, settings: Settings, clock: ManualClock, port: TimedPort,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def killed(*_: object) -> None:
        """A killed process runs no clean-up: its claims are not handed on (see test_shutdown.py
        for a graceful stop, which does hand them on)."""

    # so the kill lands right after send 250, in the third of five pages (the default page is
    # larger than this fan-out: pages of 100 keep pages recorded before the kill and after it)
    one_at_a_time = settings.model_copy(update={"fanout_concurrency": 1, "fanout_batch": 100})
    core.ctx.settings = one_at_a_time
    batch = one_at_a_time.fanout_batch
    monkeypatch.setattr(core.outbox, "_abandon", killed)
    await add_reps(core, MEMBERS)
    assert "Scheduled #1" in await confirmed(
        core, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
    occurrence = datetime(2026, 3, 2, 15, tzinfo=UTC)
    clock.set(occurrence)

    # The process dies half-way: right after the platform accepted send 250, before it is recorded.
    port.stop_after = MEMBERS // 2
    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(core.tick())
    assert len(port.sent) == MEMBERS // 2
    port.stop_after = None

    async with running_core(one_at_a_time, clock, port) as restarted:  # same database and platform
        # What the dead process left: the pages it finished recorded; its page in progress
        # (sends 201-300) claimed but not recorded, though the platform has sends 201-250.
        done = MEMBERS // 2 // batch * batch
        left = {o.key: o.state for o in await all_rows(restarted, OutboundMessage)}
        assert Counter(left.values()) == {"sent": done, "claimed": batch}
        assert left[str(port.sent[-1].message.key)] == "claimed"
        assert Counter(c.state for c in await all_rows(restarted, CheckIn)) == {
            "asked": done, "scheduled": MEMBERS - done}

        clock.advance(timedelta(seconds=30))
        await restarted.tick()  # the rest go out; the dead process's page is still claimed (lease)
        assert len(port.sent) == MEMBERS - (done + batch - MEMBERS // 2)
        assert Counter(s.to.user_id for s, _ in port.asks()).most_common(1)[0][1] == 1
        await restarted.advance(LEASE + timedelta(minutes=1))  # the lease runs out
        checkins = await all_rows(restarted, CheckIn)
        outbound = await all_rows(restarted, OutboundMessage)

    asks = Counter(s.to.user_id for s, _ in port.asks())
    assert len(asks) == MEMBERS and set(asks.values()) == {1}
    assert all(str(s.message.key).endswith("20260302T150000Z:ask") for s, _ in port.asks())
    assert len(port.sent) == MEMBERS  # the platform's copies of sends 201-250 were found, not resent
    assert len(checkins) == MEMBERS and {c.state for c in checkins} == {"asked"}
    assert {c.occurrence_at for c in checkins} == {occurrence}
    assert {o.state for o in outbound} == {"sent"} and len(outbound) == MEMBERS
    # only the dead process's page was taken over
    assert Counter(o.attempts for o in outbound) == {1: MEMBERS - batch, 2: batch}


@pytest.fixture
def pg_settings() -> Iterator[Settings]:
    """A fresh PostgreSQL database only (this behaviour needs a real concurrent database), with
    pages of one send: with 20 members in one default page of 100, whichever engine locked it
    first sent everything, and whether the other got a share was luck."""
    with fresh_postgres() as url:
        yield Settings(database_url=url, strategy_file=EXAMPLE_STRATEGY, fanout_batch=1,
                       _env_file=None)  # type: ignore[call-arg]


@pytest.mark.postgres
async def test_two_engines_on_one_postgres_database_ask_each_member_once_per_run(
        pg_settings: Settings) -> None:
    clock = ManualClock(START)
    port = TimedPort(clock=clock)
    other = port.twin()
    async with running_core(pg_settings, clock, port) as first, \
            running_core(pg_settings, clock, other) as second:
        await add_reps(first, REPS, ZONES)
        assert "Scheduled #1" in await confirmed(
            first, "ada", '/align schedule add checkin "weekdays 09:00" to=reps remind=2h')
        for _ in range(3 * 24):  # three days, both engines ticking together each hour
            clock.advance(timedelta(hours=1))
            await asyncio.gather(first.tick(), second.tick())
        checkins = await all_rows(second, CheckIn)

    assert port.sends > 0 and other.sends > 0  # both engines really sent a share
    assert port.sends + other.sends == len(port.sent)
    keys = Counter(s.message.key for s, _ in port.timed())
    assert set(keys.values()) == {1}  # no message was ever sent twice
    asked = Counter((s.to.user_id, s.message.key) for s, _ in port.asks())
    per_member = Counter(user for user, _ in asked)
    assert len(per_member) == REPS
    # Mon 14:00 UTC (09:00 in New York, after 09:00 everywhere else) -> Thu 14:00 UTC: Tue, Wed
    # and Thu in every zone (Lord Howe's Thursday 09:00 is Wed 22:00 UTC)
    assert set(per_member.values()) == {3}
    assert len(asked) == sum(per_member.values()) == len(checkins)
    assert {c.state for c in checkins} <= {"asked", "reminded", "expired"}
    reminded = Counter(str(s.message.key).rsplit(":remind:", 1)[0] for s, _ in port.reminders())
    assert set(reminded.values()) == {1}
