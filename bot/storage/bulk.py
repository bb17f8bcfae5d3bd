"""Many rows updated, or inserted, each with its own values, in one statement on PostgreSQL.

A fan-out records a page of sends at once: the outbox rows sent, the check-ins asked, the
reminders done. As an executemany of one UPDATE per row, the PostgreSQL server bound, ran and
ended one statement per message, and the driver encoded and sent one per message too.
`RowsUpdate` sends the page's values as one JSON parameter (encoded by the json module in C;
psycopg's text arrays escaped each JSON-quoted message ref with a regular expression) and updates
every row in one statement that joins them (`json_to_recordset`).

Lock order is kept: the rows are first locked in the order given - the given rows sorted by
their position, each finding and locking its own with a lateral sub-select (FOR UPDATE) - and
only then updated, so a caller whose executemany relied on its order (the outbox's key order, see
`bot.delivery`, "Lock order") takes its locks in the same order as before. The conditions are
checked as the executemany checked them: on the latest version of each row, which is then locked
(READ COMMITTED re-checks a locked row that changed meanwhile); a row that does not meet them is
neither locked nor updated.

`RowsInsert` does the same for new rows (a page's check-ins materialised, a page's sends
claimed): `INSERT ... SELECT` from the JSON document, in the order given, keys already there
skipped. As an executemany, psycopg encoded every row's parameters and the server ran one INSERT
per row (the check-ins); as SQLAlchemy's multi-row VALUES (the claims, which return their keys)
the statement had hundreds of placeholders, too long for psycopg's cache of converted queries,
so every page's statement was parsed again on the client (about a sixth of the ticks' CPU in
a 10,000-member fan-out under cProfile; materialising, a quarter). Now the statement is short,
the same for every page, and its one parameter is encoded by the json module in C.

On SQLite (one writer at a time, no server; sqlite3 runs the executemany in C) both stay one
executemany of the same conditions and values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Result,
    Table,
    bindparam,
    cast,
    column,
    func,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql import ColumnCollection
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel.ext.asyncio.session import AsyncSession

Value = Callable[[str], ColumnElement[Any]]  # a row's own value, by its name in the rows given
Where = Callable[[ColumnCollection[str, Any], Value], Sequence[ColumnElement[bool]]]
Values = Callable[[Value], Mapping[str, Any]]
_POSITION = "position_"  # each row's place in the order given: not a name a caller's row uses
_ROWS = "rows_"


class RowsUpdate:
    """For each row given, in its order: update the rows of `table` meeting `where(columns,
    value)` with `values(value)`, where `value(name)` is that row's `name` (of type
    `types[name]`). Constants the statement needs (e.g. the time) are bindparams the callables
    make, given to `run` by name. Built once per dialect; `table` needs an `id` primary key."""

    def __init__(self, table: Table, *, types: Mapping[str, TypeEngine[Any]], where: Where,
                 values: Values) -> None:
        assert _POSITION not in types and "id" not in types
        self.table, self.types, self.where, self.values = table, dict(types), where, values
        self._document = _Document(self.types)
        self._postgres: Any = None
        self._sqlite: Any = None

    def postgres_statement(self) -> Any:
        if self._postgres is None:
            table, names = self.table, list(self.types)
            records = func.json_to_recordset(bindparam(_ROWS, type_=JSON)).table_valued(
                *(column(name, _plain(kind)) for name, kind in self.types.items()),
                column(_POSITION, table.c.id.type)).render_derived(name="record", with_types=True)
            given = select(records).order_by(records.c[_POSITION]).subquery("given")
            # Each given row, in order, finds and locks its rows (a lateral sub-select: a nested
            # loop, an index lookup per row, whatever the planner thinks of the table's size)
            target = table.alias("target")
            found = (select(target.c.id).where(*self.where(target.c, lambda n: given.c[n]))
                     .with_for_update().lateral("found"))
            locked = (select(found.c.id, *(given.c[name] for name in names))
                      .select_from(given.join(found, true())).subquery("locked"))
            # Only the id here: a row found is locked, so it cannot change before it is updated;
            # the conditions again would let the planner join the table to the given rows first
            self._postgres = (update(table).where(table.c.id == locked.c.id)
                              .values(**self.values(lambda n: locked.c[n])))
        return self._postgres

    def sqlite_statement(self) -> Any:
        if self._sqlite is None:
            def param(name: str) -> ColumnElement[Any]:
                return bindparam(name, type_=self.types[name])
            self._sqlite = update(self.table).where(*self.where(self.table.c, param)).values(
                **self.values(param))
        return self._sqlite

    async def run(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]], *, sqlite: bool,
                  **constants: Any) -> None:
        """One statement on PostgreSQL, one executemany on SQLite; nothing when `rows` is empty."""
        if not rows:
            return
        if sqlite:
            await session.exec(self.sqlite_statement(),
                               params=[{**row, **constants} for row in rows])
            return
        await session.exec(self.postgres_statement(),
                           params={_ROWS: self._document(rows), **constants})


class RowsInsert:
    """Insert the rows given, in their order, into `table`, skipping those whose `conflict`
    column (a unique key) is already there, and return the `returning` columns of the rows
    inserted. `types` are the columns each row gives; `constants` the columns every row shares,
    given to `run` by name (e.g. the time), so a page's document carries them once, not per row."""

    def __init__(self, table: Table, *, types: Mapping[str, TypeEngine[Any]],
                 constants: Sequence[str] = (), conflict: str = "key",
                 returning: Sequence[str] = ()) -> None:
        assert _POSITION not in types and not set(types) & set(constants)
        self.table, self.types, self.constants = table, dict(types), tuple(constants)
        self.conflict, self.returning = conflict, tuple(returning)
        self._document = _Document(self.types)
        self._postgres: Any = None
        self._sqlite: Any = None

    def postgres_statement(self) -> Any:
        if self._postgres is None:
            table = self.table
            records = func.json_to_recordset(bindparam(_ROWS, type_=JSON)).table_valued(
                *(column(name, _plain(kind)) for name, kind in self.types.items()),
                column(_POSITION, Integer())).render_derived(name="record", with_types=True)
            rows = select(*(records.c[name] for name in self.types),
                          *(cast(bindparam(name, type_=table.c[name].type), _plain(table.c[name].type))
                            for name in self.constants)
                          ).order_by(records.c[_POSITION])  # inserted, so locked, in this order
            statement = pg_insert(table).from_select([*self.types, *self.constants], rows)
            self._postgres = self._finish(statement)
        return self._postgres

    def sqlite_statement(self) -> Any:
        if self._sqlite is None:
            self._sqlite = self._finish(sqlite_insert(self.table))
        return self._sqlite

    def _finish(self, statement: Any) -> Any:
        statement = statement.on_conflict_do_nothing(index_elements=[self.conflict])
        return statement.returning(*(self.table.c[n] for n in self.returning)) if self.returning \
            else statement

    async def run(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]], *, sqlite: bool,
                  **constants: Any) -> Result[Any] | None:
        """One statement on PostgreSQL, one executemany on SQLite (compiled once, however many
        rows; with `returning`, SQLAlchemy's multi-row INSERT); None when `rows` is empty."""
        if not rows:
            return None
        if sqlite:
            return await session.exec(self.sqlite_statement(),  # type: ignore[no-any-return]
                                      params=[{**row, **constants} for row in rows])
        return await session.exec(self.postgres_statement(),  # type: ignore[no-any-return]
                                  params={_ROWS: self._document(rows), **constants})


def _plain(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    """The SQL type a record column is declared with (a TypeDecorator's own type)."""
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


class _Document:
    """The rows given as the statement's JSON document: each row's values by name, its position,
    and datetimes as ISO text (PostgreSQL reads each back as its column's type). Only the
    columns typed as datetimes are converted, and each distinct instant once per document: a
    fan-out's page shares one occurrence and one close time, and `isoformat` per value was most
    of the document's cost."""

    def __init__(self, types: Mapping[str, TypeEngine[Any]]) -> None:
        self.dates = tuple(name for name, kind in types.items() if isinstance(_plain(kind), DateTime))
        self.plain = tuple(name for name in types if name not in self.dates)

    def __call__(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        plain, dates, texts = self.plain, self.dates, dict[tuple[datetime, Any], str]()
        given = []
        for n, row in enumerate(rows):
            doc = {name: row[name] for name in plain}
            for name in dates:
                value = row[name]
                if value is not None:  # equal instants with another offset read differently
                    key = (value, value.utcoffset())
                    if (text := texts.get(key)) is None:
                        text = texts[key] = _iso(value)
                    value = text
                doc[name] = value
            doc[_POSITION] = n
            given.append(doc)
        return given


def _iso(value: datetime) -> str:
    if value.tzinfo is None:  # as UTCDateTime refuses them
        raise ValueError(f"naive datetime {value!r}: store aware datetimes")
    return value.isoformat()


__all__ = ["RowsInsert", "RowsUpdate"]
