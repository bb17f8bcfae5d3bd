"""The scheduler's pulse in the database: after every tick, whichever process ran it records when,
how late it started, how long it took and whether it failed, so `/align status` (answered by any
process) can tell admins that the scheduler is alive, late or failing.
"""

from __future__ import annotations

import logging
import os
import socket

from bot.context import BotContext
from bot.storage.database import DatabaseUnavailable
from bot.storage.models import Heartbeat

log = logging.getLogger(__name__)
TICK = "tick"


def _process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}"[:500] if text else type(error).__name__


class Heartbeats:
    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    async def tick(self, lag: float | None, seconds: float, error: BaseException | None) -> None:
        """Record one tick (the runner's `on_tick`). With the database down the record is
        skipped: the status then shows the last tick that could be recorded, and its age."""
        now = self.ctx.clock.now()
        try:
            async with self.ctx.db.session() as session:
                row = await session.get(Heartbeat, TICK) or Heartbeat(name=TICK, beat_at=now)
                row.process, row.beat_at = _process(), now
                row.lag_seconds, row.duration_seconds = round(lag or 0.0, 3), round(seconds, 3)
                if error is None:
                    row.ok_at, row.failures, row.error = now, 0, None
                else:
                    row.failures, row.error = row.failures + 1, _first_line(error)
                session.add(row)
        except DatabaseUnavailable as exc:
            log.warning("tick not recorded: %s", exc)

    async def latest(self, name: str = TICK) -> Heartbeat | None:
        async with self.ctx.db.session() as session:
            return await session.get(Heartbeat, name)
