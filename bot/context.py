"""What every core service needs, in one place: settings, database, clock, texts, strategy, ports.

Passed explicitly (no globals), so tests build one with an in-memory clock and fake ports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.ops.metrics import Metrics
from bot.port import ChatPort, DeliveryError
from bot.prompts import Prompts
from bot.runtime.intake import Intake
from bot.storage.database import Database
from bot.strategy.schema import Strategy

log = logging.getLogger(__name__)


@dataclass
class BotContext:
    settings: Settings
    db: Database
    clock: Clock
    prompts: Prompts
    strategy: Strategy
    ports: dict[str, ChatPort] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)
    # Set when a graceful shutdown starts, so /readyz answers 503 at once and load balancers
    # stop routing here while in-flight work finishes (/healthz stays 200 until the end).
    stopping: bool = False
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    intake: Intake = field(init=False)

    def __post_init__(self) -> None:
        self.intake = Intake(self.settings.inbound_concurrency)
        self.db.make_way = self.intake.unquiet_for  # units on the database's thread too

    def port_for(self, platform: str) -> ChatPort:
        try:
            return self.ports[platform]
        except KeyError:
            raise DeliveryError(f"no {platform} connection is running", permanent=False) from None

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        """Run work after acknowledging; keep a reference and log (not swallow) its failure."""
        task = asyncio.create_task(coro, name=what)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def spawn_inbound(self, coro: Coroutine[Any, Any, Any], what: str, *,
                      urgent: bool = False) -> asyncio.Task[Any]:
        """Work an inbound request started: runs after the acks of a burst, a few at a time
        (see `bot.runtime.intake`); `urgent` work does not wait for a slot, only for the acks."""
        self.intake.arrived()
        return self.spawn((self.intake.after_lull if urgent else self.intake.in_turn)(coro), what)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self, grace: float | None = None) -> None:
        """Wait for all background work (tests, the console, graceful shutdown); with a grace,
        work still running after it is cancelled (its claimed sends are then released)."""
        if grace is not None and self._tasks:
            _, pending = await asyncio.wait(list(self._tasks), timeout=grace)
            for task in pending:
                log.warning("background task %s still running at shutdown: stopping it", task.get_name())
                task.cancel()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
