"""The database handle: async engine and sessions for the app, Alembic for the schema.

Users give one URL (`sqlite:///alignbot.db` or `postgresql://...`); the async driver the app uses
and the sync driver Alembic uses are derived from it, so nobody has to know driver names.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseUrlError(ValueError):
    """The configured database URL names a database we do not support."""


def _driver_urls(url: str) -> tuple[str, str]:
    """(async URL, sync URL) for a user-facing URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return (str(parsed.set(drivername="sqlite+aiosqlite")),
                str(parsed.set(drivername="sqlite")))
    if backend == "postgresql":
        pg = parsed.set(drivername="postgresql+psycopg")
        return pg.render_as_string(hide_password=False), pg.render_as_string(hide_password=False)
    raise DatabaseUrlError(
        f"unsupported database '{backend}' in ALIGNBOT_DATABASE_URL; use sqlite:///alignbot.db"
        " or postgresql://user:password@host/dbname"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """Owns the engine; hands out sessions; applies migrations."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.async_url, self.sync_url = _driver_urls(url)
        self.is_sqlite = self.async_url.startswith("sqlite")
        self.engine: AsyncEngine = create_async_engine(self.async_url, pool_pre_ping=True)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed on success, rolled back on error."""
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    def alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.sync_url.replace("%", "%%"))
        return config

    def migrate_sync(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        command.upgrade(self.alembic_config(), "head")

    async def migrate(self) -> None:
        await asyncio.to_thread(self.migrate_sync)

    async def dispose(self) -> None:
        await self.engine.dispose()
