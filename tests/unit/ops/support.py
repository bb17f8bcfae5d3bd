"""HTTP helpers for the operations tests: the bot's own server on a free port, and GETs."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import aiohttp
from multidict import CIMultiDict

from bot.context import BotContext
from bot.runtime.web import WebServer


@asynccontextmanager
async def serving(ctx: BotContext, *, intake: bool = True) -> AsyncIterator[str]:
    """The bot's WebServer on 127.0.0.1 and a free port; yields its base URL."""
    server = WebServer(ctx, host="127.0.0.1", port=0, intake=intake)
    await server.start()
    try:
        yield f"http://127.0.0.1:{server.bound_port}"
    finally:
        await server.stop()


async def get(url: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:
    """Status, body and (case-insensitive) headers of a GET."""
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        return response.status, await response.text(), CIMultiDict(response.headers)


async def get_json(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


@contextmanager
def silent_tcp_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung database)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()
