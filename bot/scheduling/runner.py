"""The periodic tick: APScheduler's AsyncIOScheduler calls `core.tick()` every few seconds.

The scheduler holds one in-memory interval job and nothing else: what is due is computed from
the database on each tick, so restarts lose nothing and several processes may tick the same
database (each with its own in-memory job store, never a shared one). Cron-style triggers are
not used for check-ins because they run on wall-clock time and skip or double-run across DST.

Each tick reports how late it started after it was due (scheduler lag) and how long it took
(metrics, and `on_tick` - the database heartbeat admins see in `/align status`);
`shutdown(grace)` lets a running tick finish for `grace` seconds, then cancels it, and the outbox
releases the sends it had claimed so another process takes them over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.ops.metrics import Metrics
from bot.storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)
TICK_JOB_ID = "alignbot-tick"
# (lag in seconds or None, duration in seconds, the error or None), after every tick
TickObserver = Callable[[float | None, float, BaseException | None], Awaitable[None]]


class TickRunner:
    def __init__(self, tick: Callable[[], Awaitable[Any]], every_seconds: float,
                 metrics: Metrics | None = None, on_tick: TickObserver | None = None) -> None:
        self._tick = tick
        self._on_tick = on_tick
        self.every_seconds = every_seconds
        self.metrics = metrics or Metrics()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        self.failures = 0
        self._due: datetime | None = None  # when the tick APScheduler just submitted was due
        self._running: asyncio.Task[Any] | None = None
        self._stopping = False  # a cancelled tick is our own shutdown, not an error

    def start(self) -> None:
        """Tick now and then every `every_seconds`; a slow tick is never run twice at once."""
        self.scheduler.add_job(
            self.run_once, IntervalTrigger(seconds=self.every_seconds, timezone=UTC),
            id=TICK_JOB_ID, replace_existing=True, max_instances=1, coalesce=True,
            misfire_grace_time=max(1, int(self.every_seconds)), next_run_time=datetime.now(UTC))
        self.scheduler.start()

    def _submitted(self, event: JobSubmissionEvent) -> None:
        if event.job_id == TICK_JOB_ID and event.scheduled_run_times:
            self._due = min(event.scheduled_run_times)  # coalesced: the earliest missed run

    async def run_once(self) -> None:
        """One tick; an error is logged and the next tick tries again (nothing is lost: due work
        stays in the database until done)."""
        due, self._due = self._due, None
        lag = None if due is None else max(0.0, (datetime.now(UTC) - due).total_seconds())
        if lag is not None:
            self.metrics.scheduler_lag.observe(lag)
        self._running = asyncio.current_task()
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            await self._tick()
        except asyncio.CancelledError:
            if not self._stopping:
                self._running = None
                raise
            log.warning("tick stopped by shutdown; its unsent work stays due for the next process")
        except DatabaseUnavailable as exc:  # expected while the database is down: no traceback
            error = exc
            self.failures += 1
            self.metrics.tick_failures.inc()
            log.warning("scheduled tick failed, database unavailable (%s); retrying on the next one", exc)
        except Exception as exc:
            error = exc
            self.failures += 1
            self.metrics.tick_failures.inc()
            log.exception("scheduled tick failed; retrying on the next one")
        seconds = time.perf_counter() - started
        self.metrics.tick_seconds.observe(seconds)
        try:  # still "running" while the heartbeat is written, so shutdown waits for it too
            if self._on_tick is not None and not self._stopping:
                await self._on_tick(lag, seconds, error)
        except Exception as exc:  # the heartbeat is a report; the tick itself is done
            log.warning("could not record the tick's heartbeat: %s", exc)
        finally:
            self._running = None

    @property
    def ticking(self) -> bool:
        return self._running is not None and not self._running.done()

    async def shutdown(self, grace: float = 0.0) -> None:
        """Stop ticking. A tick in progress gets `grace` seconds to finish; after that it is
        cancelled (its claimed sends are released by the outbox, nothing is half-recorded).

        The scheduler is paused first and shut down last: APScheduler's asyncio executor cancels
        running jobs when it shuts down, which would leave the tick no grace at all."""
        if self.scheduler.running:
            self.scheduler.pause()  # no new ticks from here on
        running = self._running
        if running is not None and not running.done() and running is not asyncio.current_task():
            done, _ = await asyncio.wait({running}, timeout=grace)
            if not done:
                log.warning("tick still running after %.1f s of shutdown grace: stopping it", grace)
                self._stopping = True
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)  # applied on the loop: yield to it
            await asyncio.sleep(0)
