"""How many index entries one check-in fan-out message writes on PostgreSQL, counted from the
schema the migrations build: the check-in inserted ('scheduled') and updated to 'asked', its
invitation's outbox row inserted ('claimed') and updated to 'sent'. `state` changes in both
updates and indexes read it, so neither is heap-only: each new row version gets an entry in every
index whose predicate it meets, as an inserted row does. 24 before 0016_fanout_indexes, 19 after,
17 after 0017_fanout_row_work (`ix_checkins_schedule_id` gone).

The predicates are PostgreSQL's own (`pg_index`), evaluated on the rows as the fan-out writes
them, so an index added later shows up here with its cost per message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from bot.storage.database import Database
from tests.conftest import START
from tests.support.databases import migrated_postgres

pytestmark = pytest.mark.postgres

AT = START - timedelta(minutes=1)


def _entries(conn: Connection, table: str, row_id: int) -> list[str]:
    """The indexes of `table` the row `row_id`, as it is now, has an entry in."""
    found = []
    for name, predicate in conn.execute(text(
            "SELECT indexrelid::regclass::text, pg_get_expr(indpred, indrelid) FROM pg_index"
            " WHERE indrelid = CAST(:table AS regclass) ORDER BY 1"), {"table": table}):
        where = f" AND ({predicate})" if predicate else ""
        if conn.execute(text(f"SELECT count(*) FROM {table} WHERE id = :id{where}"),
                        {"id": row_id}).scalar_one():
            found.append(name)
    return found


def test_a_fanout_message_writes_seventeen_index_entries() -> None:
    with migrated_postgres() as url:
        engine = create_engine(Database(url).sync_url)
        try:
            with engine.begin() as conn:
                member = conn.execute(text(
                    "INSERT INTO members (platform, platform_user_id, name, timezone,"
                    " timezone_overridden, role, admin, platform_admin, working_days, active,"
                    " created_at, updated_at) VALUES ('slack', 'U1', 'Rep', 'UTC', false, 'rep',"
                    " false, false, 'mon-fri', true, :at, :at) RETURNING id"), {"at": AT}).scalar_one()
                checkin = conn.execute(text(
                    "INSERT INTO checkins (key, member_id, schedule_id, occurrence_at, audience,"
                    " state, strategy_version, reminders_sent, closes_at, created_at) VALUES"
                    " ('s1:m1:x', :m, 1, :at, 'rep', 'scheduled', 'v', 0, :closes, :at)"
                    " RETURNING id"), {"m": member, "at": AT, "closes": AT + timedelta(days=1)}
                ).scalar_one()
                materialised = _entries(conn, "checkins", checkin)
                conn.execute(text(  # as _MARK_ASKED, no reminder planned (as the bench's schedule)
                    "UPDATE checkins SET state = 'asked', asked_at = :at, current_question = 0,"
                    " message_ref = '{}', next_reminder_at = NULL WHERE id = :id"),
                    {"at": START, "id": checkin})
                asked = _entries(conn, "checkins", checkin)
                outbox = conn.execute(text(
                    "INSERT INTO outbound_messages (key, member_id, kind, state, attempts,"
                    " claimed_at) VALUES ('s1:m1:x:ask', :m, 'checkin', 'claimed', 1, :at)"
                    " RETURNING id"), {"m": member, "at": START}).scalar_one()
                claimed = _entries(conn, "outbound_messages", outbox)
                conn.execute(text(  # as _RECORD_SENT
                    "UPDATE outbound_messages SET state = 'sent', error = NULL,"
                    " platform_ref = '{}', sent_at = :at WHERE id = :id"), {"at": START, "id": outbox})
                sent = _entries(conn, "outbound_messages", outbox)
        finally:
            engine.dispose()
    assert "ix_checkins_schedule_id" not in materialised + asked
    assert (len(materialised), len(asked), len(claimed), len(sent)) == (5, 5, 4, 3), (
        materialised, asked, claimed, sent)
