"""Work that must run in one process at a time, across every process sharing the database.

Two kinds: `exclusive` for long work (a schedule's run) that should not hold a transaction open,
and `serialized` for one short unit of work whose read-then-write must not interleave with
another's (deciding the very first admin).

On PostgreSQL this is a session-level advisory lock (`pg_try_advisory_lock`) held on a
connection of its own for as long as the work runs: a process that dies loses its connection and
with it the lock, so nothing is left to expire. SQLite is the single-process database: the lock
is always granted.

The lock only says who runs the work now. The work itself must still be safe to repeat (it
re-reads its progress mark once it holds the lock), since the next holder may come right after.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.database import Database

log = logging.getLogger(__name__)
SCHEDULE_LOCKS = 0x416C6967  # "Alig": the namespace (first key) of the per-schedule locks
TEAM_LOCKS = 0x5465616D  # "Team": changes to who is on the team
TEAM_BOOTSTRAP = 1  # deciding the first member (who becomes admin)
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out


@asynccontextmanager
async def serialized(db: Database, ident: int,
                     namespace: int = TEAM_LOCKS) -> AsyncIterator[AsyncSession]:
    """A unit of work (`db.session()`) that runs alone among all holders of (namespace, ident):
    on PostgreSQL a transaction-level advisory lock taken as its first statement, released at
    commit or rollback, so every statement after it (READ COMMITTED) sees what the previous
    holder committed; on SQLite, the single-process database, a lock of this process."""
    if db.is_sqlite:
        async with db.local_lock((namespace, ident)), db.session() as session:
            yield session
        return
    async with db.session() as session:
        await session.exec(select(func.pg_advisory_xact_lock(namespace, ident)))  # type: ignore[call-overload]
        yield session


@asynccontextmanager
async def exclusive(db: Database, ident: int, namespace: int = SCHEDULE_LOCKS,
                    wait: float = 0.0) -> AsyncIterator[bool]:
    """Take the lock (namespace, ident), waiting at most `wait` seconds for another process to
    release it; yields whether this process holds it. Released on exit, or with the connection
    if the process dies."""
    if db.is_sqlite:
        yield True
        return
    async with db.engine.connect() as conn:
        held = await _lock(conn, namespace, ident, wait)
        try:
            yield held
        finally:
            if held:
                await asyncio.shield(_unlock(conn, namespace, ident))


async def _lock(conn: AsyncConnection, namespace: int, ident: int, wait: float) -> bool:
    """The lock is the session's, so no transaction stays open while the work runs."""
    if wait <= 0:
        held = bool(await conn.scalar(select(func.pg_try_advisory_lock(namespace, ident))))
        await conn.commit()
        return held
    try:
        await conn.execute(select(func.set_config("lock_timeout", f"{int(wait * 1000)}ms", True)))
        await conn.execute(select(func.pg_advisory_lock(namespace, ident)))
        await conn.commit()  # set_config(..., is_local=true) ends with the transaction
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        await conn.rollback()
        return False
    return True


async def _unlock(conn: AsyncConnection, namespace: int, ident: int) -> None:
    """Release; if that fails, drop the connection instead (which releases it too) rather than
    return a connection still holding the lock to the pool."""
    try:
        await conn.scalar(select(func.pg_advisory_unlock(namespace, ident)))
        await conn.commit()
    except Exception:
        log.warning("could not release lock %s/%s; closing its connection", namespace, ident,
                    exc_info=True)
        await conn.invalidate()
