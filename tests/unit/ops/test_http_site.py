"""The bot's HTTP listener takes a burst of connections while its event loop is busy: they wait
in the kernel's queue instead of being dropped (a dropped SYN is retried only after 1 s, then
3 s - past Slack's 3 s ack deadline). aiohttp's default queue (128) is smaller than one burst of
200 reps answering at once."""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from bot.runtime.web import HttpSite

BURST = 300


def connect(port: int) -> float:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        return time.monotonic() - started


async def test_a_burst_of_connections_queues_while_the_loop_is_busy() -> None:
    site = HttpSite()
    await site.start(web.Application(), "127.0.0.1", 0)
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            connecting = [pool.submit(connect, site.port) for _ in range(BURST)]
            time.sleep(0.5)  # noqa: ASYNC251 - the loop is busy on purpose: nothing is accepted
            waits = [f.result() for f in connecting]
        assert max(waits) < 0.9  # none had to retry its SYN (the first retry comes after 1 s)
    finally:
        await asyncio.sleep(0)
        await site.stop()
