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
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, pool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseUrlError(ValueError):
    """The configured database URL names a database we do not support."""


class MigrationError(Exception):
    """The schema cannot be brought up to date: the database does not answer, or a newer
    version of the bot migrated it (this version would not know its tables)."""


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
        """Bring the schema to the newest migration (idempotent). Refuses, with a message an
        operator can act on, a database a newer version already migrated further (a rollback
        without restoring the backup) or one it cannot reach."""
        config = self.alembic_config()
        try:
            self._refuse_unknown_revisions(ScriptDirectory.from_config(config))
            command.upgrade(config, "head")
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else ""
            raise MigrationError(f"cannot reach the database at {self.safe_url}: {reason}") from exc

    @property
    def safe_url(self) -> str:
        """The URL for messages and logs: the password hidden."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _refuse_unknown_revisions(self, scripts: ScriptDirectory) -> None:
        engine = create_engine(self.sync_url, poolclass=pool.NullPool)
        try:
            with engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_heads()
        finally:
            engine.dispose()
        known = {script.revision for script in scripts.walk_revisions()}
        unknown = sorted(set(current) - known)
        if unknown:
            raise MigrationError(
                f"the database schema is at migration {', '.join(unknown)}, which this version of"
                f" the bot does not know (its newest is {scripts.get_current_head()}): a newer"
                " version migrated it. Run that version or a newer one, or restore the backup"
                " taken before the upgrade.")

    async def migrate(self) -> None:
        await asyncio.to_thread(self.migrate_sync)

    async def dispose(self) -> None:
        await self.engine.dispose()
