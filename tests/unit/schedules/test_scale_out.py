"""Several bot processes on one PostgreSQL database (each a core with its own connections): they
share a fan-out page by page, run a schedule's periodic work in one process at a time, and take
over a dead process's claims after the configured lease (SQLite too, for the lease)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.events import MemberRef, Message, MessageRef
from bot.storage.database import Database
from bot.storage.locks import exclusive
from bot.storage.models import CheckIn, Member, OutboundMessage, Schedule
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.support.databases import fresh_postgres
from tests.support.talk import say
from tests.unit.schedules.support import TimedPort, running_core
from tests.unit.schedules.test_fanout import add_reps, all_rows

OCCURRENCE = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.fixture
def pg_settings() -> Iterator[Settings]:
    with fresh_postgres() as url:
        yield Settings(database_url=url, strategy_file=EXAMPLE_STRATEGY, _env_file=None)  # type: ignore[call-arg]


@pytest.mark.postgres
async def test_two_processes_share_one_fanout_page_by_page_and_ask_everyone_once(
        pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(update={"fanout_batch": 10, "fanout_confirm_above": 120})
    clock = ManualClock(START)
    port = TimedPort(clock=clock)
    other = port.twin()
    async with running_core(settings, clock, port) as first, \
            running_core(settings, clock, other) as second:
        await add_reps(first, 120)
        assert "Scheduled #1" in await say(
            first, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
        clock.set(OCCURRENCE)
        reports = await asyncio.gather(first.tick(), second.tick())
        checkins = await all_rows(second, CheckIn)

    assert port.sends >= 20 and other.sends >= 20  # each took several pages of 10
    assert port.sends + other.sends == 120 == sum(r.asked for r in reports)
    assert set(Counter(s.to.user_id for s, _ in port.asks()).values()) == {1}
    assert len(checkins) == 120 and {c.state for c in checkins} == {"asked"}


@dataclass
class SlowJob:
    """A digest job that holds each run until `release` is set, noting which process ran it."""

    core: BotCore
    name: str
    runs: list[tuple[str, str]]
    kind: str = "digest"
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, schedule: Schedule, member: Member, occurrence: datetime, key: str) -> bool:
        self.runs.append((self.name, member.name))
        self.started.set()
        await self.release.wait()
        return await self.core.outbox.deliver(member, key, "digest", Message.plain("digest")) is not None


@pytest.mark.postgres
async def test_a_periodic_job_runs_in_one_process_while_the_other_skips_it(
        pg_settings: Settings) -> None:
    clock = ManualClock(START)
    port = TimedPort(clock=clock)
    runs: list[tuple[str, str]] = []
    async with running_core(pg_settings, clock, port) as first, \
            running_core(pg_settings, clock, port.twin()) as second:
        jobs = [SlowJob(first, "first", runs), SlowJob(second, "second", runs)]
        first.engine.jobs["digest"], second.engine.jobs["digest"] = jobs
        await add_reps(first, 3)
        assert "#1" in await say(first, "ada", '/align schedule add digest "weekdays 15:00" to=reps')
        clock.set(OCCURRENCE)

        holder = asyncio.create_task(first.tick())
        await asyncio.wait_for(jobs[0].started.wait(), 10)  # the first process runs the job...
        await asyncio.wait_for(second.tick(), 10)  # ...the second's tick passes it by meanwhile
        assert runs == [("first", "Rep 000")]
        jobs[0].release.set()
        await asyncio.wait_for(holder, 10)
        jobs[1].release.set()
        await second.tick()  # the period is done: nothing runs again
        async with second.ctx.db.session() as session:
            schedule = await session.get(Schedule, 1)

    assert runs == [("first", "Rep 000"), ("first", "Rep 001"), ("first", "Rep 002")]
    assert len(port.sent) == 3
    assert schedule is not None and schedule.processed_until == OCCURRENCE


@pytest.mark.postgres
async def test_the_lock_is_one_holders_at_a_time_and_waiting_for_it_times_out(
        pg_settings: Settings) -> None:
    one, two = Database(pg_settings.database_url), Database(pg_settings.database_url)
    try:
        async with exclusive(one, 7) as held:
            assert held
            async with exclusive(two, 7) as other:
                assert not other
            async with exclusive(two, 7, wait=0.2) as other:
                assert not other
            async with exclusive(two, 8) as unrelated:
                assert unrelated
        async with exclusive(two, 7, wait=0.2) as after:
            assert after
    finally:
        await one.dispose()
        await two.dispose()


async def test_a_dead_process_claims_are_taken_over_once_the_configured_lease_ends(
        core: BotCore, settings: Settings, clock: ManualClock, port: TimedPort,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def killed(*_: object) -> None:
        """No clean-up: the claims stay with the dead process."""

    short = settings.model_copy(update={"delivery_lease_seconds": 90, "fanout_concurrency": 1})
    core.ctx.settings = short
    monkeypatch.setattr(core.outbox, "_abandon", killed)
    await add_reps(core, 5)
    assert "Scheduled #1" in await say(
        core, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
    clock.set(OCCURRENCE)
    port.stop_after = 2  # dies right after the platform accepted the second send
    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(core.tick())
    port.stop_after = None

    async with running_core(short, clock, port) as survivor:
        clock.advance(timedelta(seconds=80))
        await survivor.tick()  # within the lease: the five claims are the dead process's
        assert len(port.sent) == 2
        assert {c.state for c in await all_rows(survivor, CheckIn)} == {"scheduled"}
        clock.advance(timedelta(seconds=20))
        report = await survivor.tick()  # 100 s: the lease has ended
        outbound = await all_rows(survivor, OutboundMessage)
        checkins = await all_rows(survivor, CheckIn)

    assert report.asked == 5 and len(port.sent) == 5  # the two sent were found, not resent
    assert set(Counter(s.to.user_id for s, _ in port.asks()).values()) == {1}
    assert {c.state for c in checkins} == {"asked"}
    assert {(o.state, o.attempts) for o in outbound} == {("sent", 2)}


@dataclass
class SlowPort(TimedPort):
    """Each send takes `each` of the bot's time (a platform holding us back with rate limits)."""

    each: timedelta = timedelta(0)

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        assert self.clock is not None
        self.clock.advance(self.each)
        return await super().send(to, message, thread=thread)


async def test_a_page_slower_than_half_the_lease_gives_the_rest_back_unsent(
        core: BotCore, settings: Settings, clock: ManualClock) -> None:
    """Never send on a claim that may be about to pass to another process: after half the lease
    the page's remaining claims are given back, and the next tick (any process) sends them."""
    core.ctx.settings = settings.model_copy(update={"fanout_concurrency": 1,
                                                    "delivery_lease_seconds": 300})
    port = SlowPort(clock=clock, each=timedelta(seconds=60))
    core.attach(port)
    await add_reps(core, 6)
    assert "Scheduled #1" in await say(
        core, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
    clock.set(OCCURRENCE)

    first = await core.tick()
    claimed_at = OCCURRENCE
    assert first.asked == 3  # sends started at +0, +60 and +120 s; +180 s is past half the lease
    assert all(t - timedelta(seconds=60) < claimed_at + timedelta(seconds=150) for _, t in port.timed())
    left = await all_rows(core, OutboundMessage)
    assert Counter(o.state for o in left) == {"sent": 3}  # the other three were given back
    second = await core.tick()
    outbound = await all_rows(core, OutboundMessage)

    assert second.asked == 3 and len(port.sent) == 6
    assert set(Counter(s.to.user_id for s, _ in port.asks()).values()) == {1}
    assert {(o.state, o.attempts) for o in outbound} == {("sent", 1)}
