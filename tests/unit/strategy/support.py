"""Bot processes sharing one database, and strategy files with small edits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.port import ChatPort
from bot.prompts import Prompts
from bot.storage.database import Database
from bot.strategy.loader import load_strategy
from tests.conftest import EXAMPLE_STRATEGY


def changed_file(tmp_path: Path, statement_from: str = "Become", statement_to: str = "Be") -> Path:
    path = tmp_path / "strategy.yaml"
    text = EXAMPLE_STRATEGY.read_text(encoding="utf-8")
    assert statement_from in text
    path.write_text(text.replace(statement_from, statement_to, 1), encoding="utf-8")
    return path


@asynccontextmanager
async def process(settings: Settings, clock: ManualClock, file: Path = EXAMPLE_STRATEGY,
                  port: ChatPort | None = None) -> AsyncIterator[BotCore]:
    """One bot process (its own engine and memory) on the shared database."""
    settings = settings.model_copy(update={"strategy_file": file})
    ctx = BotContext(settings=settings, db=Database(settings.database_url), clock=clock,
                     prompts=Prompts(settings.prompts_dir), strategy=load_strategy(file))
    core = BotCore(ctx)
    if port is not None:
        core.attach(port)
    await core.start()
    try:
        yield core
    finally:
        await ctx.drain()
        await ctx.db.dispose()
