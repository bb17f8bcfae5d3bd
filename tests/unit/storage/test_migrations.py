"""The Alembic migrations build exactly the schema the models describe, and go down cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

import bot.storage.models  # noqa: F401  (registers the tables)
from bot.storage.database import Database


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
