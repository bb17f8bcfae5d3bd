"""The bot's HTTP listener takes a burst of connections while its event loop is busy: they wait
in the kernel's queue instead of being dropped (a dropped SYN is retried only after 1 s, then
3 s - past Slack's 3 s ack deadline). aiohttp's default queue (128) is smaller than one burst of
200 reps answering at once."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiohttp import web

from bot.runtime.web import HttpSite

BURST = 300


def connect(port: int) -> None:
    """Open a connection and leave it unaccepted (closing our end keeps it in the queue)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def accept_queue(port: int) -> int:
    """How many connections wait in the kernel's accept queue of the socket listening on
    127.0.0.1:`port` (/proc/net/tcp: a LISTEN socket's rx_queue is its accept queue)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            return int(queues.split(":")[1], 16)
    raise AssertionError(f"nothing listens on port {port}")


async def test_a_burst_of_connections_queues_while_the_loop_is_busy() -> None:
    site = HttpSite()
    await site.start(web.Application(), "127.0.0.1", 0)
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:  # the loop is blocked on the results:
            for connecting in [pool.submit(connect, site.port) for _ in range(BURST)]:
                connecting.result()  # a refused SYN would be retried after 1 s, 3 s, then fail
        assert accept_queue(site.port) == BURST  # every one queued, none dropped
    finally:
        await asyncio.sleep(0)
        await site.stop()
