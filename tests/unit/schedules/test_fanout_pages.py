"""A fan-out's page size: large enough that the database work of a page (its due query, claim,
record and two commits) is spread over many sends, small enough to be sent within half the
delivery lease at the platform's rate limit (past that, the rest of a page is given back)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.storage.database import Database
from tests.support.talk import confirmed
from tests.unit.schedules.support import TimedPort
from tests.unit.schedules.test_fanout import add_reps

SLACK_WORKSPACE_PER_MINUTE = 300  # as bench/fanout.py's (b) assumes: "several hundred per minute"


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements the core runs meanwhile."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any,
               _many: bool) -> None:
        seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", before)


def test_the_default_page_is_sendable_within_half_the_lease_at_slacks_workspace_limit() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    seconds = settings.fanout_batch / SLACK_WORKSPACE_PER_MINUTE * 60
    assert seconds <= settings.delivery_lease_seconds / 2


async def test_a_fanout_to_1000_members_is_two_pages(core: BotCore, clock: ManualClock,
                                                      port: TimedPort, settings: Settings) -> None:
    """Pages of 500 by default (they were 100: ten due queries, claims and records)."""
    await add_reps(core, 1000)
    assert "Scheduled #1" in await confirmed(
        core, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC) + timedelta(seconds=1))
    with statements(core.ctx.db) as seen:
        await core.tick()
    asks = {s.to.user_id for s, _ in port.asks()}
    assert len(asks) == len(port.asks()) == 1000
    due_queries = [s for s in seen if "ORDER BY checkins.occurrence_at, checkins.id" in s]
    claims = [s for s in seen if s.startswith("INSERT INTO outbound_messages")]
    assert len(due_queries) == 3, due_queries  # two pages of 500, then none due
    assert len(claims) == 2, claims  # one claim per page
