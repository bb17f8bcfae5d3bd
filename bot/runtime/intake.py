"""Inbound work runs after the acks: in turn, a few at a time, and not while requests arrive.

Slack and Teams wait for the bot's HTTP answer (Slack retries what it has not had acknowledged
within 3 s); the work a request starts (store, evaluate, reply) can wait a moment. When many
requests arrive at once - 200 reps answering the same check-in - the acks still to send would
otherwise share the one event loop with every piece of work already started, each a chain of
database and Web API calls. So at most `limit` pieces run at once, and each waits for a lull
first: no request for `quiet` seconds (at most `max_defer`, so a steady stream cannot starve
the work). Real (monotonic) time, not the bot's clock: this is about the process, not the domain.

A request counts as arriving from the moment its handler starts (`entering`), not only when it
reaches a listener: work waiting for the lull also waits while any request is being answered.
With `hold_collector` (a long-running process, see `BotProcess.start`) the garbage collector
waits for the lull too: a burst allocates enough to trigger dozens of collections, each walking
everything the previous burst's work still holds - tens of milliseconds of the acks' time spent
on objects no ack needs freed (reference counting still frees everything that is not a cycle).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

Sleep = Callable[[float], Awaitable[None]]


class Intake:
    def __init__(self, limit: int, *, quiet: float = 0.005, max_defer: float = 1.0,
                 now: Callable[[], float] = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.limit = limit
        self.quiet = quiet
        self.max_defer = max_defer
        self._now = now
        self._sleep = sleep
        self._last_arrival = float("-inf")
        self._answering = 0  # requests whose handler has started and not yet answered
        self._slots: asyncio.Semaphore | None = None
        self._gate: asyncio.Lock | None = None
        self.hold_collector = False
        self._held_since: float | None = None  # when this intake turned the collector off
        self._release: asyncio.TimerHandle | None = None

    def arrived(self) -> None:
        """A request came in (called while acknowledging it)."""
        self._last_arrival = self._now()

    @contextmanager
    def entering(self) -> Iterator[None]:
        """Around a request's handler, from its first line to its answer: it counts as arriving
        all along (so work waiting for the lull waits for its ack), and the collector is held
        for the burst when `hold_collector` is on."""
        self.arrived()
        self._answering += 1
        if self.hold_collector:
            self._hold()
        try:
            yield
        finally:
            self._answering -= 1
            self.arrived()

    def _hold(self) -> None:
        """The collector off until the lull (checked by a timer), or for `max_defer` at most:
        a steady stream of requests still gets a collection that often."""
        if self._held_since is not None:
            if self._now() - self._held_since >= self.max_defer:
                self._let_go()  # its next allocation collects; the next request holds it again
            return
        if not gc.isenabled():
            return  # someone else (a test, a profiler) decides
        gc.disable()
        self._held_since = self._now()
        self._release = asyncio.get_running_loop().call_later(self.quiet, self._check_release)

    def _check_release(self) -> None:
        self._release = None
        if self._held_since is None:
            return
        wait = self.unquiet_for()
        if wait <= 0 or self._now() - self._held_since >= self.max_defer:
            self._let_go()
            return
        self._release = asyncio.get_running_loop().call_later(
            max(wait, self.quiet / 5), self._check_release)

    def _let_go(self) -> None:
        if self._release is not None:
            self._release.cancel()
            self._release = None
        if self._held_since is not None:
            self._held_since = None
            gc.enable()

    def close(self) -> None:
        """Give the collector back (shutdown; a test's loop ending mid-burst)."""
        self._let_go()

    async def in_turn(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run `coro` once a slot is free and the arrivals have paused. Pieces start in the
        order they arrived (slots and gate are both first come, first served), so one person's
        two quick messages are still handled in the order they were written."""
        if self._slots is None:
            self._slots, self._gate = asyncio.Semaphore(self.limit), asyncio.Lock()
        assert self._gate is not None
        try:
            async with self._slots:
                async with self._gate:
                    await self._lull()
                return await coro
        finally:
            coro.close()  # cancelled before its turn: never started, so no "never awaited" warning

    async def after_lull(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run `coro` once the arrivals have paused, without waiting for a slot: for work that
        must not queue behind others (a Slack trigger id for a modal lives 3 s)."""
        try:
            await self._lull()
            return await coro
        finally:
            coro.close()

    async def make_way(self) -> None:
        """For work already running, at its next step (a unit of work, a reply sent): while
        requests are arriving, wait for the lull (at most `max_defer`), so their acks are not
        queued behind the steps of work that started before them. Without arrivals in the last
        `quiet` seconds it returns at once."""
        if not self._answering and self._now() - self._last_arrival >= self.quiet:
            return
        await self._lull()

    def unquiet_for(self) -> float:
        """Seconds until requests will have paused for `quiet` (0 when they have): for the
        database's thread, which cannot await `make_way` (see `Database.run`). Requests still
        being answered do not count here: an ack may itself wait for the database."""
        return max(0.0, self._last_arrival + self.quiet - self._now())

    async def _lull(self) -> None:
        deadline = self._now() + self.max_defer
        while True:
            wait = min(self._last_arrival + self.quiet, deadline) - self._now()
            if wait <= 0 and self._answering and self._now() < deadline:
                wait = min(self.quiet, deadline - self._now())  # a request is being answered
            if wait > 0:
                await self._sleep(wait)
                continue
            if self._now() >= deadline:
                return
            # Quiet for a while - or was this process just not running (a busy machine)? Requests
            # read meanwhile reach their listener within two turns of the loop: let them.
            seen = self._last_arrival
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            if self._last_arrival == seen:
                return
