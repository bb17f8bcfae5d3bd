"""Fixtures for the schedule acceptance tests: a port that notes the bot's clock at each send,
and the shared SQLite/PostgreSQL parametrisation with the SQLite file kept in memory-backed
storage when the machine has it (these tests commit thousands of small transactions; fsync on a
slow disk would dominate their runtime without testing anything more)."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.support.databases import DATABASES, migrated_database
from tests.unit.schedules.support import TimedPort

SHM = Path("/dev/shm")


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """As tests/conftest.py (at the newest schema), with the SQLite file in memory-backed
    /dev/shm where there is one (these tests write thousands of rows)."""
    folder = tmp_path
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite" and SHM.is_dir():
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=SHM, prefix="alignbot-")))
        yield stack.enter_context(migrated_database(request.param, folder))


@pytest.fixture
def port(clock: ManualClock) -> TimedPort:
    """Overrides the shared RecordingPort so each send records the clock's time."""
    return TimedPort(clock=clock)
