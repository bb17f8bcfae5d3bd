"""Real test databases: a fresh SQLite file, or a fresh PostgreSQL database per test.

PostgreSQL comes from ALIGNBOT_TEST_POSTGRES_URL (an admin URL, e.g. the `test` database). When
ALIGNBOT_REQUIRE_POSTGRES=1 (CI), an unreachable server fails the tests instead of skipping them.

Most tests want a database at the newest schema, and running every migration took a quarter of
a second per test - about two minutes of the suite. So each test process migrates one template
once (a SQLite file; a PostgreSQL database) and gives each test its own copy: the same schema
the migrations build, made by them, in a few milliseconds. Tests of the migrations themselves
take an empty database (`empty_database`, `fresh_postgres`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bot.storage.database import Database

POSTGRES_ENV = "ALIGNBOT_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def _conninfo(url: str) -> str:
    parsed = make_url(url)
    parts = {"host": parsed.host or "127.0.0.1", "port": parsed.port or 5432,
             "user": parsed.username or "postgres", "dbname": parsed.database or "postgres"}
    if parsed.password:
        parts["password"] = parsed.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


@contextmanager
def new_postgres_database(admin_url: str, prefix: str = "alignbot_t") -> Iterator[str]:
    """An empty database created through `admin_url` and dropped afterwards (connections and
    all); yields its URL. Raises psycopg.OperationalError when the server is unreachable. Plain,
    without pytest, so the benchmarks use it too."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(admin_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_TEMPLATES: dict[str, str] = {}  # kind -> the migrated template this process copies


def _sqlite_template() -> Path:
    """A SQLite file migrated to the newest schema, once per process (deleted at its exit)."""
    if "sqlite" not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="alignbot-template-"))
        atexit.register(shutil.rmtree, folder, True)
        database = Database(f"sqlite:///{folder / 'template.db'}")
        database.migrate_sync()
        _TEMPLATES["sqlite"] = str(folder / "template.db")
    return Path(_TEMPLATES["sqlite"])


def _postgres_template(admin: str) -> str:
    """The name of a PostgreSQL database migrated to the newest schema, once per process and
    dropped at its exit; nothing stays connected to it, so CREATE DATABASE can copy it."""
    if "postgres" not in _TEMPLATES:
        name = f"alignbot_tmpl_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_conninfo(admin), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop, admin, name)
        database = Database(make_url(admin).set(database=name).render_as_string(hide_password=False))
        database.migrate_sync()
        _TEMPLATES["postgres"] = name
    return _TEMPLATES["postgres"]


def _drop(admin: str, name: str) -> None:
    try:
        with psycopg.connect(_conninfo(admin), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.OperationalError:
        pass  # the server went away first: nothing left to drop


class _Copies:
    """This process's copies of its PostgreSQL template, made and dropped off the tests' path.

    CREATE DATABASE writes a whole database (into the WAL) and DROP DATABASE waits for every
    backend of the server: together one to three seconds on a busy machine, for each of the few
    hundred PostgreSQL tests, waiting on the server rather than working. So a background thread
    makes the next test's copy while this test runs, and others drop finished tests' copies
    meanwhile. Each test still gets a database of its own, made from the template and used by
    nothing else before it."""

    def __init__(self, admin: str) -> None:
        self.admin = admin
        self.template = _postgres_template(admin)
        self.spare: Future[str] | None = None
        # A drop waits for every backend of the server to take note (seconds on a busy machine,
        # on almost no CPU), so drops get threads of their own, several: drops under way together
        # share that wait (4 took as long as 1). They never hold up the next copy.
        self.maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-copy")
        self.dropper = ThreadPoolExecutor(max_workers=4, thread_name_prefix="postgres-drop")
        # Registered after the template's drop, so it runs before it: the spare copy goes first.
        atexit.register(self.close)

    def _create(self) -> str:
        name = f"alignbot_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_conninfo(self.admin), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def take(self) -> str:
        """A fresh copy (waiting for the one under way, if any); starts making the next."""
        spare, self.spare = self.spare, None
        name = spare.result() if spare is not None else self._create()
        self.spare = self.maker.submit(self._create)
        return name

    def give_back(self, name: str) -> None:
        self.dropper.submit(_drop, self.admin, name)

    def close(self) -> None:
        """Finish the drops under way and drop the spare. Called when the session finishes: an
        xdist worker that has not exited 10 s after it is told to is killed, which would leave a
        backlog of copies on the server (and again at exit, where it does nothing more)."""
        self.maker.shutdown(wait=True)
        self.dropper.shutdown(wait=True)
        spare, self.spare = self.spare, None
        if spare is not None and spare.exception() is None:
            _drop(self.admin, spare.result())


def finish_copies() -> None:
    """Drop every copy this process made (for the end of the session)."""
    for copies in _COPIES.values():
        copies.close()


_COPIES: dict[str, _Copies] = {}  # admin URL -> this process's copy maker


@contextmanager
def migrated_postgres() -> Iterator[str]:
    """A database at the newest schema for one test (a copy of this process's template),
    dropped afterwards; yields its URL."""
    admin = _admin_or_skip()
    try:
        if admin not in _COPIES:
            _COPIES[admin] = _Copies(admin)
        copies = _COPIES[admin]
        name = copies.take()
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {admin} is unreachable: {exc}")
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        copies.give_back(name)


def _admin_or_skip() -> str:
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("ALIGNBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{POSTGRES_ENV} is not set but PostgreSQL tests are required")
        pytest.skip(f"set {POSTGRES_ENV} to run PostgreSQL tests")
    return admin


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """Create an empty database for one test and drop it afterwards; yields its URL."""
    admin = _admin_or_skip()
    with ExitStack() as stack:
        try:
            url = stack.enter_context(new_postgres_database(admin))
        except psycopg.OperationalError as exc:
            pytest.fail(f"PostgreSQL at {admin} is unreachable: {exc}")
        yield url


# Fixtures that take every database: `@pytest.fixture(params=DATABASES)`.
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def empty_database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of this kind: a SQLite file in `folder`, or a fresh
    PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bot.db'}"
    else:
        with fresh_postgres() as url:
            yield url


@contextmanager
def migrated_database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of a database of this kind at the newest schema, as the bot's first start would
    leave it before seeding anything: a copy of this process's migrated template."""
    if kind == "sqlite":
        target = folder / "bot.db"
        shutil.copyfile(_sqlite_template(), target)
        yield f"sqlite:///{target}"
    else:
        with migrated_postgres() as url:
            yield url


async def row_counts(db: Database) -> dict[str, int]:
    """How many rows each table holds: a request that was refused must leave these as they were."""
    async with db.engine.connect() as connection:
        return {table.name: (await connection.execute(
                    sa_select(func.count()).select_from(table))).scalar_one()
                for table in SQLModel.metadata.sorted_tables}
