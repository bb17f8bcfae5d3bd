"""One running bot process in its role, from start to a graceful stop.

    web        the adapter takes platform events (and serves HTTP, or the bot's own server does:
               leads webhook, /healthz, /readyz, /metrics); no ticks, so nothing is sent on a
               schedule - run as many as the traffic needs;
    scheduler  the tick (asks, reminders, nudges) sends through the adapter's port, which takes
               no events; the bot's own server gives /healthz, /readyz and /metrics;
    all        both (the default; one process does everything).

Several processes may share one PostgreSQL database in any roles: due sends are claimed a page at
a time (each key by exactly one process), so several schedulers share a fan-out and never send
anything twice, and a schedule's periodic work (turning occurrences into check-ins, digest and
nudge runs) holds a per-schedule lock so it runs in one process at a time. On SIGTERM /readyz
answers 503 "shutting down" at once (load balancers stop routing here; /healthz stays 200), the running
tick and background work get ALIGNBOT_SHUTDOWN_GRACE seconds; what is still running then is
cancelled and the sends it had claimed are released, so another process sends them at once. A
killed process's claims are taken over after ALIGNBOT_DELIVERY_LEASE_SECONDS.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import signal
from typing import Protocol

from bot.core import BotCore
from bot.ops.heartbeat import Heartbeats
from bot.port import ChatPort
from bot.runtime.web import WebServer
from bot.scheduling.runner import TickRunner

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Intake(ChatPort, Protocol):
    """A platform adapter: a ChatPort whose start() attaches it to the core and begins taking
    platform events, and whose stop() ends that."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PortInUse(Exception):
    """The process's HTTP port cannot be bound (taken, or not allowed); the message says which
    port and what to do."""


class BotProcess:
    """The parts a role runs; `start()` and `stop()` are separate so tests can look in between."""

    def __init__(self, core: BotCore, adapter: Intake, *, serves_http: bool,
                 host: str = "0.0.0.0") -> None:
        self.core, self.adapter, self.serves_http, self.host = core, adapter, serves_http, host
        settings = core.ctx.settings
        self.role = settings.role
        self.runner = TickRunner(core.tick, settings.tick_seconds, metrics=core.ctx.metrics,
                                 on_tick=Heartbeats(core.ctx).tick)
        self.web: WebServer | None = None
        self.taking_events = False

    async def start(self) -> None:
        if self.role == "scheduler":
            self.core.attach(self.adapter)  # sends only: the adapter takes no events
            self.web = await self._own_server(intake=False)
        else:
            try:
                await self.adapter.start()
            except OSError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
                    raise
                port = self.core.ctx.settings.http_port
                raise PortInUse(f"cannot serve the {self.adapter.platform} endpoint on port {port}:"
                                f" {exc}. Stop what uses it or set ALIGNBOT_HTTP_PORT to a free"
                                " port.") from exc
            self.taking_events = True
            if not self.serves_http:  # e.g. Slack Socket Mode: HTTP endpoints get their own server
                self.web = await self._own_server(intake=True)
        if self.role != "web":
            self.runner.start()
        await prepare_judging(self.core)
        settle_heap()
        self.core.ctx.intake.hold_collector = True  # a burst's collections wait for its acks
        log.info("running as %s on %s", self.role, self.adapter.platform)

    async def stop(self) -> None:
        """Graceful: the tick and background work get the grace, then are cancelled (their
        claimed sends released); then the platform connection and HTTP close. /readyz says
        "shutting down" (503) from the first moment, /healthz stays 200 until HTTP closes."""
        self.core.ctx.stopping = True
        self.core.ctx.intake.hold_collector = False
        self.core.ctx.intake.close()
        grace = self.core.ctx.settings.shutdown_grace
        await self.runner.shutdown(grace)
        await self.core.ctx.drain(grace=grace)
        if self.taking_events:
            await self.adapter.stop()
            self.taking_events = False
        if self.web is not None:
            await self.web.stop()
            self.web = None

    async def _own_server(self, *, intake: bool) -> WebServer:
        """The bot's own HTTP server on ALIGNBOT_HTTP_PORT. A port that cannot be bound stops
        the process (PortInUse): running on without /healthz, it would be killed by its
        orchestrator's probe again and again - or the probe would ask whatever holds the port."""
        port = self.core.ctx.settings.http_port
        server = WebServer(self.core.ctx, host=self.host, port=port, intake=intake)
        try:
            await server.start()
        except OSError as exc:
            raise PortInUse(f"cannot serve /healthz, /readyz and /metrics on port {port}: {exc}."
                            " Stop what uses it or set ALIGNBOT_HTTP_PORT to a free port.") from exc
        return server


async def prepare_judging(core: BotCore) -> None:
    """Have the evaluator build what judging the current strategy takes (the rules: its index,
    and the word frequency lists it loads) now, in a worker thread, and not in the first
    answer's unit of work: the first answers come as a burst when a check-in goes out, and the
    first of them carried 1.5 s of CPU on the database's thread (7 ms per answer of a burst of
    200). Built before `settle_heap`, it is frozen with the rest of start-up. A failure is
    logged: the first answer then builds it, as before."""
    prepare = getattr(core.evaluator, "prepare", None)
    if not callable(prepare):
        return
    try:
        await asyncio.to_thread(prepare, core.ctx.strategy)
    except Exception:  # judging still works (or reports) answer by answer
        log.exception("could not prepare the evaluator for strategy %s", core.ctx.strategy.version)


def settle_heap() -> None:
    """Move everything start-up made (modules, SDK clients, the strategy, settings) out of the
    garbage collector's reach: it lives as long as the process, yet every full collection walks it
    all - about 8% of a 10,000-member fan-out's CPU (bench/fanout.py), and a stop of the event
    loop of a few hundred milliseconds in the middle of a burst of acks (bench/ack_latency.py)."""
    gc.collect()
    gc.freeze()


async def operate(core: BotCore, adapter: Intake, *, serves_http: bool) -> None:
    """Run this process in its role (ALIGNBOT_ROLE / --role) until SIGINT or SIGTERM."""
    process = BotProcess(core, adapter, serves_http=serves_http)
    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for signum in SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        await process.start()
        settle_heap()
        await stop.wait()
        log.info("shutting down: in-flight work has %.0f s", core.ctx.settings.shutdown_grace)
    finally:
        for signum in SIGNALS:
            loop.remove_signal_handler(signum)
        await process.stop()
        await core.ctx.db.dispose()
