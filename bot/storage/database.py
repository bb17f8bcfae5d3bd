"""The database handle: async engine and sessions for the app, Alembic for the schema.

Users give one URL (`sqlite:///alignbot.db` or `postgresql://...`); the async driver the app uses
and the sync driver Alembic uses are derived from it, so nobody has to know driver names.

Every wait on the database is bounded by one `timeout`: connecting to PostgreSQL, waiting for a
pooled connection, and waiting on a locked SQLite file. A database that is down, unreachable,
locked or too slow surfaces from `session()` as `DatabaseUnavailable`, one exception the callers
can answer with "try again in a few minutes" instead of a driver-specific error.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from time import monotonic, sleep
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, pool
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")
POSTGRES_WORKERS = 4  # threads (and pooled connections) that run units of work on PostgreSQL
MAKE_WAY_LIMIT = 1.0  # seconds a unit waits at most for a burst of requests to pass (`make_way`)


class DatabaseUrlError(ValueError):
    """The configured database URL names a database we do not support."""


class MigrationError(Exception):
    """The schema cannot be brought up to date: the database does not answer, or a newer
    version of the bot migrated it (this version would not know its tables)."""
class DatabaseUnavailable(Exception):
    """The database cannot be used right now (down, unreachable, locked, too slow); trying again
    later can work. The message names the driver's error without any statement or data."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached or used right now, as opposed to a bug
    or bad data (an IntegrityError, a DataError): connection refused or lost, a locked SQLite
    file, a pool or connect timeout."""
    if isinstance(exc, DatabaseUnavailable | sa_exc.TimeoutError | ConnectionError):
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated


def _reason(exc: BaseException) -> str:
    """The driver's first line, without the SQL statement SQLAlchemy appends."""
    inner = getattr(exc, "orig", None) or exc
    first = (str(inner).strip().splitlines() or [""])[0]
    return f"{type(inner).__name__}: {first}"[:300] if first else type(inner).__name__


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


def _sqlite_pragmas(timeout: float, own_transactions: bool = False) -> Any:
    """Per connection: foreign keys on, the busy timeout; `own_transactions`: the driver issues
    no BEGIN of its own (the engine's "begin" event does)."""
    def connected(dbapi_connection: Any, _record: Any) -> None:
        if own_transactions:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.close()
    return connected


def _begin_immediate(dbapi_connection: Any) -> None:
    """BEGIN IMMEDIATE on a SQLite connection whose driver issues no BEGIN of its own."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    finally:
        cursor.close()


class Database:
    """Owns the engine; hands out sessions; applies migrations. `timeout` (seconds) bounds
    connecting, waiting for a pooled connection and waiting on a SQLite lock."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.async_url, self.sync_url = _driver_urls(url)
        self.is_sqlite = self.async_url.startswith("sqlite")
        # hide_parameters: a statement's parameters are what people typed (answers, notes,
        # names); an error names the statement without them, so they never reach a log.
        options: dict[str, Any] = {"pool_pre_ping": True, "pool_timeout": timeout,
                                   "hide_parameters": True}
        if not self.is_sqlite:
            options["connect_args"] = {"connect_timeout": max(1, round(timeout))}
        self.engine: AsyncEngine = create_async_engine(self.async_url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas(timeout))
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._reader: Engine | None = None  # readable()'s own connection, made on first use
        self._worker: Engine | None = None  # run()'s engine and threads, made on first use
        self._workers: ThreadPoolExecutor | None = None
        # How long a unit about to start on the database's thread should wait for requests to
        # stop arriving (the process's Intake sets it): units handed over before a burst then
        # start after its acks, never more than MAKE_WAY_LIMIT late.
        self.make_way: Callable[[], float] | None = None
        self._local_locks: dict[tuple[int, int], asyncio.Lock] = {}  # see local_lock()
        # When (monotonic()) a unit of work or readable() last succeeded, and last failed
        # as unavailable.
        self.last_answered = self.last_refused = float("-inf")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed on success, rolled back on error. Raises
        DatabaseUnavailable when the database cannot be used right now."""
        try:
            async with self._unit_of_work() as session:
                yield session
        except DatabaseUnavailable:
            self.last_refused = monotonic()
            raise

    @asynccontextmanager
    async def _unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """The session itself; apart from `session()`, whose handler must also see the
        DatabaseUnavailable raised here from driver errors."""
        try:
            async with self._sessions() as session:
                try:
                    yield session
                    used = session.in_transaction()  # a statement ran: this one talked to it
                    await session.commit()
                    if used:
                        self.last_answered = monotonic()
                except BaseException as exc:
                    # On a lost connection the rollback fails too; the first error is the news.
                    with contextlib.suppress(sa_exc.SQLAlchemyError, OSError):
                        await session.rollback()
                    if is_unavailable(exc) and not isinstance(exc, DatabaseUnavailable):
                        raise DatabaseUnavailable(_reason(exc)) from exc
                    raise
        except (sa_exc.SQLAlchemyError, OSError) as exc:  # e.g. closing a session on a dead link
            if is_unavailable(exc):
                raise DatabaseUnavailable(_reason(exc)) from exc
            raise

    async def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work(connection)` as one unit of work on the database's own thread: one
        transaction, committed when it returns, rolled back when it raises; DatabaseUnavailable
        as from `session()`. One hand-off for the whole unit, where an async session hands each
        statement (and each fetch) to the driver's thread and back through the event loop: for
        the hot paths (an inbound answer), whose statements are built once (`bot.checkins.answering`).
        SQLite gets one thread (one writer at a time, as the file allows); PostgreSQL a few."""
        if self._workers is None:
            self._worker = self._worker_engine()
            self._workers = ThreadPoolExecutor(1 if self.is_sqlite else POSTGRES_WORKERS,
                                               thread_name_prefix="alignbot-db")
        context = contextvars.copy_context()  # the request's log binding, in the thread too
        call = functools.partial(context.run, self._run_sync, work)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._workers, call)
        except DatabaseUnavailable:
            self.last_refused = monotonic()
            raise

    def _run_sync(self, work: Callable[[Connection], T]) -> T:
        assert self._worker is not None
        self._wait_for_lull()
        try:
            with self._worker.begin() as connection:
                result = work(connection)
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            if is_unavailable(exc):
                raise DatabaseUnavailable(_reason(exc)) from exc
            raise
        self.last_answered = monotonic()
        return result

    def _wait_for_lull(self) -> None:
        if self.make_way is None:
            return
        until = monotonic() + MAKE_WAY_LIMIT
        while (wait := min(self.make_way(), until - monotonic())) > 0:
            sleep(wait)  # the GIL released: the event loop acks meanwhile

    def _worker_engine(self) -> Engine:
        """The sync engine `run()` uses: the same database, options and bounds as the async one,
        but for the ping before each unit on SQLite, whose connection is a file this process
        opened (nothing between them can drop it): a statement per unit that checked nothing."""
        options: dict[str, Any] = {"pool_pre_ping": not self.is_sqlite, "pool_timeout": self.timeout,
                                   "hide_parameters": True}
        if self.is_sqlite:
            options["connect_args"] = {"check_same_thread": False}
        else:
            options["connect_args"] = {"connect_timeout": max(1, round(self.timeout))}
            options["pool_size"] = POSTGRES_WORKERS
        engine = create_engine(self.sync_url, **options)
        if self.is_sqlite:
            event.listen(engine, "connect", _sqlite_pragmas(self.timeout, own_transactions=True))
            # A unit writes: it takes the write lock when it starts (waiting the busy timeout for
            # it), so what it read is what it updates, and two writers never deadlock on SQLite's
            # read-to-write upgrade (which fails at once instead of waiting). The dialect's own
            # BEGIN (this engine's dialect only), not a "begin" event listener: any listener of
            # the engine's connection events makes SQLAlchemy dispatch its before/after events
            # for every statement of every unit - a tenth of an answer's SQLAlchemy time.
            # A failing BEGIN is still wrapped by the connection (OperationalError: locked).
            engine.dialect.do_begin = _begin_immediate  # type: ignore[method-assign]
        return engine

    def local_lock(self, key: tuple[int, int]) -> asyncio.Lock:
        """This process's lock for `key`: what serializes work on SQLite, where one process
        owns the database (PostgreSQL uses advisory locks, see `bot.storage.locks`)."""
        return self._local_locks.setdefault(key, asyncio.Lock())

    def answered_lately(self, within: float) -> bool:
        """Whether the database answered within the last `within` seconds (real time) and has
        not failed since: a busy bot knows its database works without asking it again."""
        return self.last_answered > self.last_refused and monotonic() - self.last_answered < within

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

    async def readable(self) -> bool:
        """Whether a read of the schema's own table succeeds now (a database that is down,
        unreachable or locked fails it). One trip to a worker thread: in front of an ack, an
        async session's several hops through a busy event loop took as long as the whole burst
        of requests it was answering."""
        return await asyncio.to_thread(self._read_sync)

    def _read_sync(self) -> bool:
        if self._reader is None:
            self._reader = self._reader_engine()
        try:
            with self._reader.connect() as connection:
                connection.exec_driver_sql("SELECT 1 FROM alembic_version LIMIT 1")
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            if is_unavailable(exc):
                self.last_refused = monotonic()
                return False
            raise
        self.last_answered = monotonic()
        return True

    def _reader_engine(self) -> Engine:
        """A new connection per read (it is rare: only when the bot has not heard from the
        database lately), so no pooled connection a failover silently dropped can hang it; on
        PostgreSQL every step is bounded by `timeout`, unanswered packets included."""
        options: dict[str, Any] = {"poolclass": pool.NullPool, "isolation_level": "AUTOCOMMIT"}
        if not self.is_sqlite:
            ms = max(1, round(self.timeout * 1000))
            options["connect_args"] = {"connect_timeout": max(1, round(self.timeout)),
                                       "tcp_user_timeout": ms, "options": f"-c statement_timeout={ms}"}
        engine = create_engine(self.sync_url, **options)
        if self.is_sqlite:
            event.listen(engine, "connect", _sqlite_pragmas(self.timeout))
        return engine

    async def dispose(self) -> None:
        if self._reader is not None:
            self._reader.dispose()
        if self._workers is not None:
            workers, engine, self._workers, self._worker = self._workers, self._worker, None, None
            await asyncio.get_running_loop().run_in_executor(None, workers.shutdown)
            if engine is not None:
                engine.dispose()
        await self.engine.dispose()
