"""What every core service needs, in one place: settings, database, clock, texts, strategy, ports.

Passed explicitly (no globals), so tests build one with an in-memory clock and fake ports.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Coroutine
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
# Inside a deferred dispatch (`spawn_dispatch`): the work its listeners start, collected to run
# in that dispatch's own turn instead of queueing a second time.
_COLLECTED: contextvars.ContextVar[list[tuple[Coroutine[Any, Any, Any], str, contextvars.Context]] | None] = \
    contextvars.ContextVar("alignbot_collected", default=None)


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
                      urgent: bool = False) -> asyncio.Task[Any] | None:
        """Work an inbound request started: runs after the acks of a burst, a few at a time
        (see `bot.runtime.intake`); `urgent` work does not wait for a slot, only for the acks.
        Started by a deferred dispatch (`spawn_dispatch`), it runs in that dispatch's turn
        (None is returned: it has no task of its own yet)."""
        collected = _COLLECTED.get()
        if collected is not None:
            collected.append((coro, what, contextvars.copy_context()))
            return None
        self.intake.arrived()
        return self.spawn((self.intake.after_lull if urgent else self.intake.in_turn)(coro), what)

    def spawn_dispatch(self, dispatch: Callable[[], Awaitable[Any]], what: str, *,
                       urgent: bool = False) -> asyncio.Task[Any] | None:
        """A request acknowledged before its listeners ran (an event or a button press, whose
        ack is an empty 200 whatever they do): `dispatch` runs them later, in the request's
        place in line - the turn it takes at ack time, as any inbound work - and the work they
        start runs right after, in that same turn. So a burst's acks do not pay for the
        framework's dispatch, and nothing changes order: work started by requests acked
        earlier is queued ahead of it, work of requests acked later behind it."""
        async def dispatched() -> None:
            collected: list[tuple[Coroutine[Any, Any, Any], str, contextvars.Context]] = []
            started = 0
            try:
                token = _COLLECTED.set(collected)
                try:
                    await dispatch()
                finally:
                    _COLLECTED.reset(token)
                for coro, name, context in collected:
                    started += 1
                    context.run(_COLLECTED.set, None)  # their own spawns queue as usual
                    task = self.spawn_in(coro, name, context)
                    await asyncio.wait([task])  # one after the other; a failure is logged
            finally:
                for coro, _, _ in collected[started:]:
                    coro.close()  # the dispatch failed or was cancelled: never started
        return self.spawn_inbound(dispatched(), what, urgent=urgent)

    def spawn_in(self, coro: Coroutine[Any, Any, Any], what: str,
                 context: contextvars.Context) -> asyncio.Task[Any]:
        """`spawn`, in a given context (the one the request's listener set up: its workspace,
        its log binding)."""
        task = asyncio.create_task(coro, name=what, context=context)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

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
