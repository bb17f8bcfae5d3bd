"""Keeps a process serving the current strategy version: whichever process an admin confirmed a
change in, every other one picks it up within `strategy_poll_seconds`.

Before it handles an event or runs a tick, a process asks the database for the current row's
id (one indexed read) when it has not asked for that long; only a changed id loads the content.
No notification channel is needed, so it works the same on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.context import BotContext
from bot.storage.database import DatabaseUnavailable
from bot.strategy.store import current_pointer, load_version

log = logging.getLogger(__name__)


class StrategyFollower:
    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self._checked_at: datetime | None = None
        self._row_id: int | None = None

    @property
    def every(self) -> timedelta:
        return timedelta(seconds=self.ctx.settings.strategy_poll_seconds)

    async def refresh(self, *, force: bool = False) -> bool:
        """Switch to the current version if it changed; True when it did. A database that does
        not answer leaves the version being served (the next call tries again)."""
        now = self.ctx.clock.now()
        if not force and self._checked_at is not None and now - self._checked_at < self.every:
            return False
        self._checked_at = now
        try:
            pointer = await current_pointer(self.ctx.db)
        except DatabaseUnavailable:
            return False
        if pointer is None or pointer[0] == self._row_id:
            return False
        row_id, version = pointer
        self._row_id = row_id
        if version == self.ctx.strategy.version:
            return False
        strategy = await load_version(self.ctx.db, version)
        if strategy is None:
            log.error("current strategy version %s (row %s) does not read; keeping %s", version,
                      row_id, self.ctx.strategy.version)
            return False
        log.info("strategy version %s is current now (was %s)", version, self.ctx.strategy.version)
        self.ctx.strategy = strategy
        return True
