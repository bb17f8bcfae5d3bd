"""Assembles a running bot from settings: database, strategy, texts, clock, core, adapter."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.ops import logs
from bot.prompts import Prompts
from bot.storage.database import Database
from bot.strategy.loader import load_strategy


def configure_logging(level: str, fmt: Literal["text", "json"] = "text",
                      secrets: Iterable[str] = (), file: Path | None = None) -> None:
    """Log level and format (ALIGNBOT_LOG_LEVEL, ALIGNBOT_LOG_FORMAT), masking `secrets`, on
    stderr or into `file`; see bot/ops/logs.py."""
    logs.configure(level, fmt, secrets, file)


def sqlite_dir_ready(url: str) -> None:
    """Create the folder of a SQLite file so a first run does not fail on a missing directory."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)


def build_core(settings: Settings, clock: Clock | None = None) -> BotCore:
    """A core ready to `start()`; raises StrategyFileError / PromptsError with readable text."""
    sqlite_dir_ready(settings.database_url)
    ctx = BotContext(
        settings=settings,
        db=Database(settings.database_url, settings.database_timeout),
        clock=clock or SystemClock(),
        prompts=Prompts(settings.prompts_dir),
        strategy=load_strategy(settings.strategy_file),
    )
    return BotCore(ctx)
