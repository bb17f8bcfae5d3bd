"""Two engines on one PostgreSQL database never deadlock on the outbox (issue 25).

The interleaving that deadlocked, made to happen on purpose with a real second session:

1. engine A claims the invitation of check-in r (a committed claim row k), and sends it;
2. engine B's page query, whose snapshot is older than A's claim, locks r (FOR UPDATE SKIP
   LOCKED: A's claim transaction has committed, so r is free) and sees no claim for it;
3. A records the send: one transaction writes the outbox row k and the check-in r;
4. B claims k (INSERT ... ON CONFLICT DO NOTHING), which waits for whoever last wrote k.

If A wrote k before r, A waits for B (on r) and B for A (on k): DeadlockDetected. Every
transaction must take the check-in row before its outbox row; then B's insert meets a committed
k, does nothing, and both finish.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url

from bot.clock import ManualClock
from bot.config import Settings
from bot.events import MemberRef, Message, MessageRef
from bot.storage.models import CheckIn, OutboundMessage
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.support.databases import fresh_postgres
from tests.support.talk import say
from tests.unit.schedules.support import TimedPort, running_core
from tests.unit.schedules.test_fanout import ZONES, add_reps, all_rows

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings() -> Iterator[Settings]:
    with fresh_postgres() as url:
        yield Settings(database_url=url, strategy_file=EXAMPLE_STRATEGY, fanout_batch=1,
                       _env_file=None)  # type: ignore[call-arg]


def _conninfo(url: str) -> str:
    parsed = make_url(url)
    return (f"host={parsed.host} port={parsed.port or 5432} user={parsed.username}"
            f" dbname={parsed.database}" + (f" password={parsed.password}" if parsed.password else ""))


@dataclass
class PausingPort(TimedPort):
    """Runs `before_return` (once) after the platform accepted a send, before the bot gets the
    answer: the moment A's claim is committed and its record not yet begun."""

    before_return: Callable[[], Awaitable[None]] | None = None

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        ref = await super().send(to, message, thread=thread)
        hook, self.before_return = self.before_return, None
        if hook is not None:
            await hook()
        return ref


async def _wait_until_blocked(conn: psycopg.AsyncConnection[object], *, attempts: int = 2000) -> None:
    """Until another backend waits on a lock (A's record, on the check-in row B holds)."""
    for _ in range(attempts):
        cursor = await conn.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")
        row = await cursor.fetchone()
        if row is not None and row[0]:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("engine A never waited for the check-in row engine B holds")


async def test_a_claim_racing_the_record_of_the_same_send_does_not_deadlock(
        pg_settings: Settings) -> None:
    clock = ManualClock(START)
    port = PausingPort(clock=clock)
    async with running_core(pg_settings, clock, port) as a:
        await add_reps(a, 1)
        assert "Scheduled #1" in await say(
            a, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
        clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))
        b = await psycopg.AsyncConnection.connect(_conninfo(pg_settings.database_url))
        try:
            locked = asyncio.Event()

            async def engine_b_locks_the_row() -> None:
                """B's page statement: lock the check-in row A just claimed the send of."""
                await b.execute("SELECT id FROM checkins WHERE state = 'scheduled' FOR UPDATE")
                locked.set()

            port.before_return = engine_b_locks_the_row
            tick = asyncio.create_task(a.tick())
            await locked.wait()
            await _wait_until_blocked(b)
            # B claims what its old snapshot showed unclaimed: must not wait for A.
            cursor = await b.execute(
                "INSERT INTO outbound_messages (key, member_id, kind, state, claimed_at, attempts)"
                " SELECT key || ':ask', member_id, 'checkin', 'claimed', now(), 1 FROM checkins"
                " ON CONFLICT (key) DO NOTHING RETURNING key")
            assert await cursor.fetchall() == []  # A holds the claim: B gets nothing
            await b.commit()
            report = await asyncio.wait_for(tick, 30)
        finally:
            await b.close()
        checkins = await all_rows(a, CheckIn)
        outbound = await all_rows(a, OutboundMessage)

    assert report.asked == 1 and report.failed == 0
    assert len(port.sent) == 1
    assert [c.state for c in checkins] == ["asked"]
    assert [(o.state, o.attempts) for o in outbound] == [("sent", 1)]


RUNS = int(os.environ.get("ALIGNBOT_TEST_FANOUT_RUNS", "4"))


@pytest.mark.parametrize("run", range(RUNS))
async def test_two_engines_fan_out_together_again_and_again(pg_settings: Settings, run: int) -> None:
    """The two-engine fan-out, short and repeated (ALIGNBOT_TEST_FANOUT_RUNS, 4 by default; it ran
    30 times clean once the record took the check-in row first): one ask and one reminder per
    member, however the engines' pages and records interleave."""
    clock = ManualClock(START)
    port = TimedPort(clock=clock)
    other = port.twin()
    reps = 12
    async with running_core(pg_settings, clock, port) as first, \
            running_core(pg_settings, clock, other) as second:
        await add_reps(first, reps, ZONES)
        assert "Scheduled #1" in await say(
            first, "ada", '/align schedule add checkin "weekdays 09:00" to=reps remind=1h')
        for _ in range(26):  # a day and two hours, hour by hour: asks in every zone, then their reminders
            clock.advance(timedelta(hours=1))
            await asyncio.gather(first.tick(), second.tick())

    keys = Counter(s.message.key for s in port.sent)
    assert set(keys.values()) == {1}
    assert len(Counter(s.to.user_id for s, _ in port.asks())) == reps
    assert len(port.reminders()) == len(port.asks()) == reps
