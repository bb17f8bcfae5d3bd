"""Many rows updated, each with its own values, in one statement on PostgreSQL.

A fan-out records a page of sends at once: the outbox rows sent, the check-ins asked, the
reminders done. As an executemany of one UPDATE per row, the PostgreSQL server bound, started,
ran and ended one statement per message, and the driver sent and read one per message too: most
of the server's CPU per message in a fan-out. `update_rows` sends the page's values as arrays
and updates every row in one statement that joins them (`unnest(...) WITH ORDINALITY`).

Lock order is kept: the rows are first locked in the order given, by a sub-select sorted on the
arrays' ordinality with FOR UPDATE (PostgreSQL sorts, then locks, row by row), and only then
updated, so a caller whose executemany relied on its order (the outbox's key order, see
`bot.delivery`, "Lock order") takes its locks in the same order as before. The conditions are
checked where the executemany checked them: on the latest version of each row, once it is locked
(READ COMMITTED re-checks a locked row that changed meanwhile), and again by the UPDATE itself.

On SQLite (one writer at a time, no server, the statement compiled once and run by sqlite3 in C)
it stays one executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Table, and_, bindparam, func, select, update
from sqlalchemy.sql import ColumnCollection
from sqlalchemy.types import TypeEngine
from sqlmodel.ext.asyncio.session import AsyncSession

Value = Callable[[str], ColumnElement[Any]]  # a row's own value, by its name in `rows`
Where = Callable[[ColumnCollection[str, Any], Value], Sequence[ColumnElement[bool]]]
Values = Callable[[Value], Mapping[str, Any]]
_ORDER = "ordinality_"  # the arrays' position column: not a name a caller's row uses


def bulk_update(table: Table, rows: Sequence[Mapping[str, Any]], *,
                types: Mapping[str, TypeEngine[Any]], where: Where, values: Values) -> Any:
    """The one statement (PostgreSQL) that updates, for each of `rows` in turn, the rows of
    `table` meeting `where(columns, value)` with `values(value)`; `value(name)` is that row's
    `name`, of type `types[name]`. `table` needs an `id` primary key."""
    names = list(types)
    assert _ORDER not in names and "id" not in names
    arrays = [bindparam(f"each_{name}", [row[name] for row in rows], type_=ARRAY(kind))
              for name, kind in types.items()]  # psycopg's dialect casts each: $1::INTEGER[]
    given = func.unnest(*arrays).table_valued(*names, with_ordinality=_ORDER).render_derived(
        name="each_row")
    target = table.alias("target")
    locked = (select(target.c.id, *(given.c[name] for name in names))
              .join_from(target, given, and_(*where(target.c, lambda name: given.c[name])))
              .order_by(given.c[_ORDER]).with_for_update(of=target).subquery("locked"))
    return (update(table)
            .where(table.c.id == locked.c.id, *where(table.c, lambda name: locked.c[name]))
            .values(**values(lambda name: locked.c[name])))


async def update_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *,
                      sqlite: bool, types: Mapping[str, TypeEngine[Any]], where: Where,
                      values: Values) -> None:
    """Update, for each of `rows` in its order, the rows of `table` meeting `where` with `values`
    (see `bulk_update`): one statement on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    if sqlite:
        def param(name: str) -> ColumnElement[Any]:
            return bindparam(name, type_=types[name])
        await session.exec(update(table).where(*where(table.c, param)).values(**values(param)),
                           params=[dict(row) for row in rows])
        return
    await session.exec(bulk_update(table, rows, types=types, where=where, values=values))


__all__ = ["bulk_update", "update_rows"]
