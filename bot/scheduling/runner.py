"""The periodic tick: APScheduler's AsyncIOScheduler calls `core.tick()` every few seconds.

The scheduler holds one in-memory interval job and nothing else: what is due is computed from
the database on each tick, so restarts lose nothing and several processes may tick the same
database (each with its own in-memory job store, never a shared one). Cron-style triggers are
not used for check-ins because they run on wall-clock time and skip or double-run across DST.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)
TICK_JOB_ID = "alignbot-tick"


class TickRunner:
    def __init__(self, tick: Callable[[], Awaitable[Any]], every_seconds: float) -> None:
        self._tick = tick
        self.every_seconds = every_seconds
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.failures = 0

    def start(self) -> None:
        """Tick now and then every `every_seconds`; a slow tick is never run twice at once."""
        self.scheduler.add_job(
            self.run_once, IntervalTrigger(seconds=self.every_seconds, timezone=UTC),
            id=TICK_JOB_ID, replace_existing=True, max_instances=1, coalesce=True,
            misfire_grace_time=max(1, int(self.every_seconds)), next_run_time=datetime.now(UTC))
        self.scheduler.start()

    async def run_once(self) -> None:
        """One tick; an error is logged and the next tick tries again (nothing is lost: due work
        stays in the database until done)."""
        try:
            await self._tick()
        except Exception:
            self.failures += 1
            log.exception("scheduled tick failed; retrying on the next one")

    async def shutdown(self) -> None:
        """Stop ticking; AsyncIOScheduler applies the stop on the loop, so yield once to it."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)
