"""The fan-out's due-page query walks ix_checkins_due in its own order: the database reads
a page's rows from the cursor on and sorts nothing (no temporary B-tree on SQLite, no Sort node on
PostgreSQL), so a page costs the same at the end of a 100,000-member fan-out as at its start; and
it does not join the outbox for every row (the claim looks each key up anyway).

The plans are the databases' own (EXPLAIN QUERY PLAN / EXPLAIN), of the very statement and
parameters the engine sends, taken on the same connection just before it runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, event, insert, text

from bot.core import BotCore
from bot.storage.database import Database
from bot.storage.models import CheckIn, Member, Schedule
from tests.conftest import START

MEMBERS = 2_000
OCCURRENCES = 5  # earlier days asked already, today's scheduled: the state filter matters


def _populate(url: str) -> None:
    """MEMBERS reps, a daily check-in schedule, and OCCURRENCES days of check-ins per member of
    which only the last day's are still scheduled; then statistics, as autovacuum would have."""
    engine = create_engine(Database(url).sync_url)
    made = START - timedelta(days=OCCURRENCES + 1)
    with engine.begin() as conn:
        conn.execute(insert(Member), [{
            "platform": "slack", "platform_user_id": f"U{i:08d}", "name": f"Rep {i}",
            "timezone": "UTC", "timezone_overridden": False, "role": "rep", "admin": False,
            "platform_admin": False, "working_days": "mon-fri", "active": True,
            "created_at": made, "updated_at": made} for i in range(MEMBERS)])
        schedule = conn.execute(insert(Schedule).returning(Schedule.__table__.c.id), [{  # type: ignore[attr-defined]
            "kind": "checkin", "when_text": "daily 09:00", "anchor_date": made.date(),
            "target": "reps", "timezone": "UTC", "remind_after": None, "reminders": 0,
            "close_after": "8h", "active": True, "processed_until": START,
            "created_at": made, "updated_at": made}]).scalar_one()
        member_ids = [row[0] for row in conn.execute(text("SELECT id FROM members ORDER BY id"))]
        for day in range(OCCURRENCES):
            at = START - timedelta(days=OCCURRENCES - 1 - day, hours=5)
            state = "scheduled" if day == OCCURRENCES - 1 else "asked"
            conn.execute(insert(CheckIn), [{
                "key": f"s{schedule}:m{m}:{at:%Y%m%dT%H%M%SZ}", "member_id": m,
                "schedule_id": schedule, "occurrence_at": at, "audience": "rep", "state": state,
                "strategy_version": "v", "reminders_sent": 0, "closes_at": at + timedelta(hours=8),
                "created_at": at} for m in member_ids])
        conn.execute(text("ANALYZE"))
    engine.dispose()


@contextmanager
def plans_of(database: Database, marker: str) -> Iterator[list[str]]:
    """The plan of every statement containing `marker` run on `database` meanwhile, one string
    per statement (EXPLAIN run on the same cursor with the same parameters, just before it)."""
    plans: list[str] = []
    prefix = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN "

    def before(_conn: Any, cursor: Any, statement: str, parameters: Any, _context: Any,
               _many: bool) -> None:
        if marker in statement and not statement.startswith("EXPLAIN"):
            cursor.execute(prefix + statement, parameters)
            plans.append("\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall()))

    event.listen(database.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield plans
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", before)


async def test_due_pages_walk_the_due_index_and_sort_nothing(core: BotCore) -> None:
    db = core.ctx.db
    _populate(db.url)
    now = START
    engine = core.engine
    with plans_of(db, "FROM checkins JOIN members") as plans:
        async with db.session() as session:
            first = await engine._due_asks(session, now, None)
            last = first[-1]
            following = await engine._due_asks(session, now, (last[2], last[0]))
    assert len(first) == len(following) == core.ctx.settings.fanout_batch
    assert following[0][0] > last[0]  # the cursor moved on: no row read twice
    assert len(plans) == 2, plans
    for plan in plans:
        assert "ix_checkins_due" in plan, plan
        if db.is_sqlite:
            assert "TEMP B-TREE" not in plan, plan
        else:
            assert "Sort" not in plan, plan  # no Sort, no Incremental Sort: the index's order
        # The outbox is not read row by row: the claim's INSERT looks each key up anyway.
        assert "outbound_messages" not in plan, plan
