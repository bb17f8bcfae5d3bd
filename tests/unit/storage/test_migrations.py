"""The Alembic migrations build exactly the schema the models describe, and go down cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import bot.storage.models  # noqa: F401  (registers the tables)
from bot.storage.database import Database
from tests.conftest import START


def test_migrated_schema_matches_the_models(empty_db_url: str) -> None:
    database = Database(empty_db_url)
    database.migrate_sync()
    engine = create_engine(database.sync_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == [], diff


def test_downgrade_to_the_first_revision_and_back(empty_db_url: str) -> None:
    database = Database(empty_db_url)
    database.migrate_sync()
    config = database.alembic_config()
    command.downgrade(config, "0001")
    engine = create_engine(database.sync_url)
    assert "schedules" not in inspect(engine).get_table_names()
    assert "next_reminder_at" not in {c["name"] for c in inspect(engine).get_columns("checkins")}
    engine.dispose()
    command.upgrade(config, "head")
    engine = create_engine(database.sync_url)
    assert {"schedules", "holidays"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_downgrade_below_the_slack_install_tables(empty_db_url: str) -> None:
    database = Database(empty_db_url)
    database.migrate_sync()
    config = database.alembic_config()
    before = ScriptDirectory.from_config(config).get_revision("0004_slack_install").down_revision
    assert isinstance(before, str)
    command.downgrade(config, before)
    engine = create_engine(database.sync_url)
    tables = set(inspect(engine).get_table_names())
    assert not {"installations", "oauth_states", "member_workspaces"} & tables
    assert "unreachable" not in {c["name"] for c in inspect(engine).get_columns("members")}
    engine.dispose()
    command.upgrade(config, "head")
    engine = create_engine(database.sync_url)
    assert {"installations", "oauth_states", "member_workspaces"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_fanout_row_work_revision_goes_down_and_up_with_rows_kept(empty_db_url: str) -> None:
    """0017 drops `ix_checkins_schedule_id` and keeps the member foreign keys of check-ins and
    sends, the partial indexes and the rows answers refer to; going down brings the index back
    over the same rows."""
    database = Database(empty_db_url)
    database.migrate_sync()
    config = database.alembic_config()
    engine = create_engine(database.sync_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO members (id, platform, platform_user_id, name, timezone,"
            " timezone_overridden, role, admin, platform_admin, working_days, active, created_at,"
            " updated_at) VALUES (1, 'slack', 'U1', 'Ann', 'UTC', false, 'rep', false, false,"
            " 'mon-fri', true, :at, :at)"), {"at": START})
        conn.execute(text(
            "INSERT INTO checkins (id, key, member_id, schedule_id, occurrence_at, audience, state,"
            " strategy_version, reminders_sent, created_at) VALUES (7, 's1:m1:x', 1, 1, :at,"
            " 'rep', 'answered', 'v', 0, :at)"), {"at": START})
        conn.execute(text(
            "INSERT INTO answers (checkin_id, member_id, question, text, edits, created_at,"
            " updated_at) VALUES (7, 1, 'tasks', 'Call Acme', 0, :at, :at)"), {"at": START})
        conn.execute(text(
            "INSERT INTO outbound_messages (key, member_id, kind, state, attempts, claimed_at)"
            " VALUES ('s1:m1:x:ask', 1, 'checkin', 'sent', 1, :at)"), {"at": START})
    engine.dispose()

    def schema() -> tuple[set[str], int, set[str]]:
        engine = create_engine(database.sync_url)
        inspector = inspect(engine)
        checkin_indexes = {i["name"] or "" for i in inspector.get_indexes("checkins")}
        member_keys = sum(1 for table in ("checkins", "outbound_messages")
                          for fk in inspector.get_foreign_keys(table) if fk["referred_table"] == "members")
        partial = {i["name"] or "" for i in inspector.get_indexes("checkins")
                   if i.get("dialect_options", {}).get(f"{engine.dialect.name}_where") is not None}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM checkins JOIN answers ON answers.checkin_id"
                                     " = checkins.id JOIN outbound_messages ON outbound_messages.key"
                                     " = checkins.key || :suffix"), {"suffix": ":ask"}).scalar_one() == 1
        engine.dispose()
        return checkin_indexes, member_keys, partial

    indexes, member_keys, partial = schema()
    assert "ix_checkins_schedule_id" not in indexes and member_keys == 2
    assert {"ix_checkins_due", "ix_checkins_reminder_due", "ix_checkins_closing"} <= partial
    command.downgrade(config, "0016_fanout_indexes")
    indexes, member_keys, partial = schema()
    assert "ix_checkins_schedule_id" in indexes and member_keys == 2
    command.upgrade(config, "head")
    indexes, member_keys, partial = schema()
    assert "ix_checkins_schedule_id" not in indexes and member_keys == 2
    assert {"ix_checkins_due", "ix_checkins_reminder_due", "ix_checkins_closing"} <= partial
