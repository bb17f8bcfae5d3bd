"""Shared fixtures: real databases (SQLite and PostgreSQL), a core with a manual clock.

First of all, the environment is made the suite's own (tests/support/hermetic.py): nothing the
caller exported or keeps in `.env` reaches a test.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.config import REPO_ROOT, Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.storage.database import Database
from tests.support.databases import DATABASES, empty_database, finish_copies, migrated_database
from tests.support.hermetic import make_this_process_hermetic
from tests.support.loaded import prompts_from, strategy_from
from tests.support.ports import RecordingPort


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module is collected (nothing reads settings at import time)."""
    make_this_process_hermetic()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The PostgreSQL copies dropped in the background are gone before this process reports its
    end (tests/support/databases.py)."""
    finish_copies()


EXAMPLE_STRATEGY = REPO_ROOT / "examples" / "strategy.yaml"
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Code under test may run `bot.ops.logs.configure` (the CLI does), which puts a handler on the root
    logger writing to the stderr pytest captured for that test; put the root logger back after each
    test so later tests do not log into a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs twice: on a SQLite file and on a fresh PostgreSQL database,
    each already at the newest schema (copied from a template the migrations built)."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(params=DATABASES)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, for tests of the migrations themselves."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def port() -> RecordingPort:
    return RecordingPort()


@pytest.fixture
async def core(settings: Settings, clock: ManualClock, port: RecordingPort) -> AsyncIterator[BotCore]:
    ctx = BotContext(settings=settings, db=Database(settings.database_url, settings.database_timeout),
                     clock=clock,
                     prompts=prompts_from(settings.prompts_dir),
                     strategy=strategy_from(settings.strategy_file))
    bot = BotCore(ctx)
    bot.attach(port)
    await bot.start()
    yield bot
    await ctx.drain()
    await ctx.db.dispose()
