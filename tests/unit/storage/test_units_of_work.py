"""`Database.run`: one unit of work on the database's thread - committed when it returns, rolled
back when it raises, and started only once a burst of requests has passed (`make_way`)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select

from bot.storage.database import Database
from bot.storage.models import InboundEvent

NOW = datetime(2026, 3, 2, tzinfo=UTC)
EVENTS = InboundEvent.__table__  # type: ignore[attr-defined]


def record(event_id: str, fail: bool = False) -> object:
    def unit(connection: Connection) -> int:
        connection.execute(insert(EVENTS).values(platform="test", event_id=event_id, received_at=NOW))
        if fail:
            raise ValueError("a bug after the write")
        return int(connection.execute(select(func.count()).select_from(EVENTS)).scalar_one())
    return unit


async def test_a_unit_commits_when_it_returns_and_rolls_back_when_it_raises(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    try:
        assert await db.run(record("Ev1")) == 1  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            await db.run(record("Ev2", fail=True))  # type: ignore[arg-type]
        assert await db.run(record("Ev3")) == 2  # type: ignore[arg-type]  # Ev2 is not there
    finally:
        await db.dispose()


async def test_a_unit_starts_once_the_requests_arriving_have_paused(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    asked: list[float] = []
    waits = [0.002, 0.001, 0.0]  # what the intake says: still arriving, still, quiet now

    def make_way() -> float:
        asked.append(waits[len(asked)])
        return asked[-1]
    db.make_way = make_way
    try:
        assert await db.run(record("Ev1")) == 1  # type: ignore[arg-type]
    finally:
        await db.dispose()
    assert asked == waits  # it asked until the answer was "go"


async def test_a_sqlite_unit_holds_the_write_lock_from_its_start_without_per_statement_events(
        tmp_path: Path) -> None:
    """A unit on SQLite begins with BEGIN IMMEDIATE (what it reads is what it updates; two
    writers never deadlock on the read-to-write upgrade): another writer cannot start while
    it runs, even before it has written anything. The BEGIN is the dialect's own, not a
    connection-event listener: any such listener makes SQLAlchemy dispatch its before/after
    events around every statement of every unit."""
    db = Database(f"sqlite:///{tmp_path / 'lock.db'}", timeout=0.2)
    await db.migrate()

    def unit(connection: Connection) -> tuple[str, bool]:
        other = sqlite3.connect(tmp_path / "lock.db", timeout=0.05, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            outcome = "another writer started"
        except sqlite3.OperationalError as exc:
            outcome = str(exc)
        finally:
            other.close()
        return outcome, connection.engine._has_events
    try:
        assert await db.run(unit) == ("database is locked", False)  # type: ignore[arg-type]
        assert await db.run(record("Ev1")) == 1  # type: ignore[arg-type]  # and it still commits
    finally:
        await db.dispose()
