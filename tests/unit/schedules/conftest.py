"""Fixtures for the schedule acceptance tests: a port that notes the bot's clock at each send,
and the shared SQLite/PostgreSQL parametrisation with the SQLite file kept in memory-backed
storage when the machine has it (these tests commit thousands of small transactions; fsync on a
slow disk would dominate their runtime without testing anything more)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.support.databases import fresh_postgres
from tests.unit.schedules.support import TimedPort

SHM = Path("/dev/shm")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """As tests/conftest.py: each test runs on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "postgres":
        with fresh_postgres() as url:
            yield url
    elif SHM.is_dir():
        with tempfile.TemporaryDirectory(dir=SHM, prefix="alignbot-") as folder:
            yield f"sqlite:///{Path(folder) / 'bot.db'}"
    else:
        yield f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def port(clock: ManualClock) -> TimedPort:
    """Overrides the shared RecordingPort so each send records the clock's time."""
    return TimedPort(clock=clock)
