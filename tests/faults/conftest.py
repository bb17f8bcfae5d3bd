"""Fault injection: the bot on a real database (SQLite file and PostgreSQL) that can be made
unavailable for a while, with the real Slack and Teams adapters against the local fake servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.databases import DATABASES, migrated_database
from tests.support.outage import Outage, database_outage

WEBHOOK_SECRET = "whsec-faults"


@pytest.fixture(params=DATABASES)
def real_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The database itself; the bot reaches it through `outage`."""
    with migrated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def outage(real_db_url: str) -> AsyncIterator[Outage]:
    async with database_outage(real_db_url) as switch:
        yield switch


@pytest.fixture
def db_url(outage: Outage) -> str:
    return outage.url


@pytest.fixture
def settings(db_url: str) -> Settings:
    # A short database timeout: a locked SQLite file fails after 0.3 s instead of 10.
    return Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, evaluator="rules",
                    database_timeout=0.3, webhook_secret=WEBHOOK_SECRET, _env_file=None)  # type: ignore[call-arg]
