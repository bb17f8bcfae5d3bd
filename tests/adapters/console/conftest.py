"""A core on SQLite (rules evaluator) driven through the console adapter, its output captured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from io import StringIO
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleAdapter
from bot.config import Settings
from bot.core import BotCore
from tests.conftest import EXAMPLE_STRATEGY


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"  # adapter tests need one database, not both


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, evaluator="rules",
                    charts_dir=tmp_path / "charts", _env_file=None)


class Console:
    """Lines typed into the console; what it printed since the previous line."""

    def __init__(self, adapter: ConsoleAdapter, out: StringIO) -> None:
        self.adapter = adapter
        self.out = out

    async def type(self, *lines: str) -> str:
        start = len(self.out.getvalue())
        for line in lines:
            assert await self.adapter.handle_line(line)
        return self.out.getvalue()[start:]


@pytest.fixture
async def console(core: BotCore) -> AsyncIterator[Console]:
    out = StringIO()
    adapter = ConsoleAdapter(core, out=out)
    await adapter.start()
    yield Console(adapter, out)
    await adapter.stop()
