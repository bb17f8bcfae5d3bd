"""What the whole organisation's digest asks the database, and how SQLite runs it (issue 24,
point 6): no statement sorts the period's answers (Python puts the rows, found nearly in order,
in order), the previous period's effort finds segments by position, not a LIKE pattern per
segment, and lead times become microseconds by julianday arithmetic, not strftime's text -
exactly, fractions and times before 1970 included. The figures themselves are held equal to the
parsed evaluations by test_aggregate.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, column, select, table, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core import BotCore
from bot.digest.period import parse_period
from bot.storage.types import epoch_us, to_epoch_us
from tests.unit.digest.support import build_org
from tests.unit.digest.test_aggregate import EXTRA, _scope, _vary, figures_selects


async def _statements(core: BotCore) -> list[tuple[str, Any]]:
    built = await build_org(core)
    await _vary(core, built)
    assert EXTRA  # two check-ins at one occurrence, among others: the order matters there
    scope = await _scope(core, built, "Ada", None, True)
    period = parse_period("last 2 weeks", core.ctx.clock.now(), UTC)
    return await figures_selects(core, scope, period)


async def test_the_organisations_digest_sorts_nothing_and_matches_no_pattern(core: BotCore) -> None:
    statements = await _statements(core)
    flat = [" ".join(s.split()) for s, _ in statements]
    assert not [s for s in flat if " ORDER BY " in s], flat
    assert not [s for s in flat if " LIKE " in s.upper()], flat
    assert not [s for s in flat if "strftime" in s], flat
    if core.ctx.db.engine.dialect.name != "sqlite":
        return
    async with core.ctx.db.engine.connect() as conn:
        for statement, parameters in statements:
            plan = [row[-1] for row in (await conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters)).all()]
            assert not [p for p in plan if "ORDER BY" in p], (statement, plan)


async def test_epoch_microseconds_on_sqlite_are_exact() -> None:
    """julianday is a double: the whole seconds must still come out exact, from year 1 to 9999,
    around 1970 and at every awkward fraction."""
    rng = random.Random(24)
    base = [datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=d) for d in
            (-1, 0, 1, 999_999, -999_999, -1_000_000, -1_000_001, 86_400_000_000 - 1)]
    base += [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
             datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC),
             datetime(1969, 12, 31, 23, 59, 59, 500_001, tzinfo=UTC)]
    span = (datetime(9999, 1, 1, tzinfo=UTC) - datetime(1, 1, 2, tzinfo=UTC)) // timedelta(microseconds=1)
    base += [datetime(1, 1, 2, tzinfo=UTC) + timedelta(microseconds=rng.randrange(span))
             for _ in range(3000)]
    base += [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8),
                                                          microseconds=rng.choice((0, 999_999, 500_000)))
             for _ in range(3000)]
    engine = create_async_engine("sqlite+aiosqlite://")
    times = table("times", column("at", DateTime()))
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE times (at DATETIME)"))
            await conn.execute(times.insert(), [{"at": at.replace(tzinfo=None)} for at in base])
            got = [row[0] for row in (await conn.execute(
                select(epoch_us(times.c.at)).select_from(times))).all()]
    finally:
        await engine.dispose()
    assert got == [to_epoch_us(at) for at in base]
