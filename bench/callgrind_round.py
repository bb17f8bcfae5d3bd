"""What the per-answer instruction benches (slack_instructions.py, teams_instructions.py) share:
a sender process valgrind does not trace, and the measured round with callgrind switched on
around it only - so the counts are the bot's answers, not start-up or the load generator."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from typing import Any


def _sender(conn: Any) -> None:  # spawned: not traced
    from bench.ack_latency import burst

    while True:
        job = conn.recv()
        if job is None:
            return
        url, requests = job
        conn.send([o.status for o in burst(url, requests)])


def under_valgrind() -> bool:
    """Whether this process runs inside valgrind (its preload library is in the environment):
    callgrind can then be switched on and off; outside it, only the CPU figure is printed."""
    return "vgpreload" in os.environ.get("LD_PRELOAD", "")


def start_sender() -> Callable[[str, list[Any] | None], Awaitable[list[int]]]:
    """A spawned process that sends bursts of requests and returns their statuses; `send(url,
    None)` stops it."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    ctx.Process(target=_sender, args=(child,), daemon=True).start()

    async def send(url: str, requests: list[Any] | None) -> list[int]:
        if requests is None:
            parent.send(None)
            return []
        parent.send((url, requests))
        return await asyncio.get_running_loop().run_in_executor(None, parent.recv)  # type: ignore[no-any-return]

    return send


async def measured_round(send: Callable[[list[Any]], Awaitable[list[int]]],
                         drain: Callable[[], Awaitable[None]], requests: list[Any],
                         callgrind: bool) -> None:
    """Send `requests`, wait for the bot's work on them, and print its CPU per request; with
    callgrind switched on (by pid, from inside) for exactly that."""
    t0 = time.process_time()
    switch = ["callgrind_control", "-i"]  # blocking on purpose: nothing else runs meanwhile
    if callgrind:
        subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)  # noqa: ASYNC221
    statuses = await send(requests)
    await drain()
    if callgrind:
        subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)  # noqa: ASYNC221
    assert set(statuses) == {200}, statuses
    cpu_ms = (time.process_time() - t0) * 1000 / len(requests)
    print(f"measured {len(requests)} answers, {cpu_ms:.2f} ms CPU per answer", flush=True)
