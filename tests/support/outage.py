"""Making the bot's real database unavailable for a while, without touching the server.

    async with database_outage(url) as outage:      # the URL the bot must use
        ...
        await outage.begin()    # from here every query fails as it would in production
        ...
        await outage.end()      # and works again

PostgreSQL: the bot connects through a TCP proxy on 127.0.0.1 (port 0); `begin()` cuts every
open connection and turns new ones away (as a restarting server or a broken network does),
`end()` lets them through again. The machine's PostgreSQL keeps running.
SQLite: `begin()` takes an exclusive lock on the file from another connection (as a backup tool
or a stuck writer would), so the bot waits its busy timeout and gets "database is locked".
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy.engine import make_url


class Outage(Protocol):
    url: str

    async def begin(self) -> None: ...

    async def end(self) -> None: ...


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection until `restore()`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.down = False
        self.port = 0
        self.refused = 0  # connections turned away while down
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        self.down = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        self.down = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        pipes = [asyncio.create_task(self._pipe(reader, up_writer)),
                 asyncio.create_task(self._pipe(up_reader, writer))]
        self._tasks.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)
        self._tasks.difference_update(pipes)
        self._writers -= {writer, up_writer}

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()


class PostgresOutage:
    def __init__(self, url: str, proxy: TcpProxy) -> None:
        self.proxy = proxy
        self.url = make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)

    async def begin(self) -> None:
        self.proxy.cut()

    async def end(self) -> None:
        self.proxy.restore()


class SqliteOutage:
    def __init__(self, url: str) -> None:
        self.url = url
        self.path = Path(make_url(url).database or "")
        self._lock: sqlite3.Connection | None = None

    async def begin(self) -> None:
        self._lock = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock.execute("BEGIN EXCLUSIVE")

    async def end(self) -> None:
        if self._lock is not None:
            self._lock.execute("ROLLBACK")
            self._lock.close()
            self._lock = None


@asynccontextmanager
async def database_outage(url: str) -> AsyncIterator[Outage]:
    """An outage switch for the database at `url`; use `outage.url` as the bot's URL."""
    if make_url(url).get_backend_name() == "sqlite":
        sqlite = SqliteOutage(url)
        try:
            yield sqlite
        finally:
            await sqlite.end()
        return
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    try:
        yield PostgresOutage(url, proxy)
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()
