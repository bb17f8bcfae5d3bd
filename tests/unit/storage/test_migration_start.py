"""What every process does on start - migrate - in the situations a deployment meets: several
processes starting at once on one PostgreSQL database (one migrates, the others wait and find
it current), a database a newer version already migrated (refused with a message saying what to
do, nothing changed), and a database that does not answer (a clear message, no traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from bot.cli import app
from bot.config import REPO_ROOT
from bot.storage.database import Database, MigrationError
from tests.support.databases import fresh_postgres

# Imports done, each process says "ready" and waits for the go, so all migrate at the same moment.
MIGRATE = ("import sys; from bot.storage.database import Database; print('ready', flush=True);"
           " sys.stdin.readline(); Database(sys.argv[1]).migrate_sync()")


def test_processes_starting_together_on_postgres_migrate_once_and_all_start() -> None:
    with fresh_postgres() as url:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        starting = [subprocess.Popen([sys.executable, "-c", MIGRATE, url], env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT) for _ in range(3)]
        for process in starting:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        for process in starting:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=120)[0] for process in starting]
        assert [p.returncode for p in starting] == [0] * 3, outputs  # no duplicate-table crash
        database = Database(url)
        head = ScriptDirectory.from_config(database.alembic_config()).get_current_head()
        engine = create_engine(database.sync_url)
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        engine.dispose()
        assert versions == [(head,)]


def _at_future_revision(url: str) -> None:
    database = Database(url)
    database.migrate_sync()
    engine = create_engine(database.sync_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()


def test_a_schema_migrated_by_a_newer_version_is_refused_and_left_alone(empty_db_url: str) -> None:
    _at_future_revision(empty_db_url)
    database = Database(empty_db_url)
    with pytest.raises(MigrationError) as refused:
        database.migrate_sync()
    message = str(refused.value)
    assert "at migration 0099_from_the_future, which this version of the bot does not know" in message
    assert "restore the backup" in message
    engine = create_engine(database.sync_url)
    assert "members" in inspect(engine).get_table_names()  # nothing dropped or changed
    engine.dispose()


def test_alignbot_migrate_says_so_without_a_traceback_or_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    _at_future_revision(url)
    monkeypatch.setenv("ALIGNBOT_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2 and "does not know" in result.output and "Traceback" not in result.output

    monkeypatch.setenv("ALIGNBOT_DATABASE_URL", "postgresql://bot:hunter2@127.0.0.1:1/alignbot")
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "cannot reach the database at postgresql://bot:***@127.0.0.1:1/alignbot" in result.output
    assert "hunter2" not in result.output
