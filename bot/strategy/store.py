"""Stored strategy versions: the database holds the strategy.

Every change is a row: `proposed` first, `current` once an admin confirms it (exactly one row is
current; the one before becomes `superseded`), `cancelled` when dropped. Old answers are read
against the version their check-in was asked under (`load_version`, by content hash).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.database import Database
from bot.storage.models import StrategyVersion
from bot.strategy.schema import Strategy

PROPOSED, CURRENT, CANCELLED, SUPERSEDED = "proposed", "current", "cancelled", "superseded"


class ProposalGone(Exception):
    """The proposal is no longer open: confirmed, cancelled or replaced meanwhile."""


def content_of(strategy: Strategy) -> str:
    return json.dumps(strategy.model_dump(mode="json"), ensure_ascii=False)


def strategy_of(row: StrategyVersion) -> Strategy:
    """The strategy a row holds (raises ValueError when it no longer reads under the schema)."""
    return Strategy.model_validate(json.loads(row.content))


def _row(strategy: Strategy, source: str, now: datetime, status: str, *, author_id: int | None,
         reason: str | None, parent: str | None) -> StrategyVersion:
    return StrategyVersion(
        version=strategy.version, name=strategy.strategy.name, source=source[:500],
        review_by=strategy.strategy.review_by, loaded_at=now, content=content_of(strategy),
        status=status, author_id=author_id, reason=reason, parent_version=parent,
        confirmed_at=now if status == CURRENT else None)


async def record_version(db: Database, strategy: Strategy, source: str, now: datetime) -> bool:
    """Keep a strategy some answers were judged by, without making it current (an archive
    row); True when a row was added. Proposals go through `propose`."""
    async with db.session() as session:
        found = (await session.exec(select(StrategyVersion.id).where(
            StrategyVersion.version == strategy.version))).first()
        if found is not None:
            return False
        session.add(_row(strategy, source, now, SUPERSEDED, author_id=None, reason=None, parent=None))
    return True


async def current_row(session: AsyncSession) -> StrategyVersion | None:
    return (await session.exec(select(StrategyVersion).where(
        StrategyVersion.status == CURRENT))).first()


async def current_pointer(db: Database) -> tuple[int, str] | None:
    """(row id, content hash) of the current version: the cheap read every process polls."""
    async with db.session() as session:
        found = (await session.exec(select(StrategyVersion.id, StrategyVersion.version).where(
            StrategyVersion.status == CURRENT))).first()
    if found is None or found[0] is None:
        return None
    return found[0], found[1]


async def version_label(db: Database, version: str) -> str:
    """How people name a version: its number, as admins see it in `/align strategy history`
    ("2"), for the row that was in force with this content (the latest such row); the content
    hash only when no stored row has it."""
    async with db.session() as session:
        rows = (await session.exec(select(StrategyVersion.id, StrategyVersion.status).where(
            StrategyVersion.version == version).order_by(col(StrategyVersion.id).desc()))).all()
    in_force = [i for i, status in rows if status in (CURRENT, SUPERSEDED)]
    number = (in_force or [i for i, _ in rows] or [None])[0]
    return str(number) if number is not None else version


@dataclass(frozen=True)
class Boot:
    """What the bot starts with: the current strategy, and the file's content when it differs
    from every version seen before (now an open proposal)."""

    current: Strategy
    proposed: StrategyVersion | None


async def boot(db: Database, from_file: Strategy, source: str, now: datetime) -> Boot:
    """The first start seeds the database from the file; later starts serve the database's
    current version, and a file whose content is new is proposed (never swapped in). A file
    equal to any version seen before (an older one, a cancelled one) is left alone, so a stale
    file does not come back after every restart."""
    async with db.session() as session:
        current = await current_row(session)
        if current is None:
            session.add(_row(from_file, source, now, CURRENT, author_id=None,
                             reason=f"first start from {source}", parent=None))
            try:
                await session.flush()
            except IntegrityError:  # another process seeded it a moment ago
                await session.rollback()
            else:
                return Boot(from_file, None)
    async with db.session() as session:
        current = await current_row(session)
        assert current is not None
        strategy = strategy_of(current)
        known = (await session.exec(select(StrategyVersion.id).where(
            StrategyVersion.version == from_file.version))).first()
    if known is not None:
        return Boot(strategy, None)
    proposed = await propose(db, from_file, source, now, author_id=None,
                             reason=f"{source} changed", parent=strategy.version)
    return Boot(strategy, proposed)


async def propose(db: Database, strategy: Strategy, source: str, now: datetime, *,
                  author_id: int | None, reason: str | None, parent: str) -> StrategyVersion:
    """Store a proposal; the same content already open as a proposal is that one (returned,
    with the newer author and reason)."""
    async with db.session() as session:
        open_ = (await session.exec(select(StrategyVersion).where(
            StrategyVersion.status == PROPOSED, StrategyVersion.version == strategy.version))).first()
        if open_ is not None:
            if author_id is not None:
                open_.author_id, open_.reason, open_.parent_version = author_id, reason, parent
                session.add(open_)
            return open_
        row = _row(strategy, source, now, PROPOSED, author_id=author_id, reason=reason, parent=parent)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:  # another process proposed the same content
            await session.rollback()
            found = (await session.exec(select(StrategyVersion).where(
                StrategyVersion.status == PROPOSED,
                StrategyVersion.version == strategy.version))).first()
            if found is None:
                raise
            return found
        await session.refresh(row)
        return row


async def confirm(db: Database, row_id: int, now: datetime, confirmed_by: int | None,
                  reason: str | None = None) -> tuple[StrategyVersion, Strategy]:
    """Make a proposal current (the current one becomes superseded) in one transaction; raises
    ProposalGone when it is not open any more. Returns the new row and the one it replaced's
    strategy (for announcing what changed)."""
    async with db.session() as session:
        row = (await session.exec(select(StrategyVersion).where(StrategyVersion.id == row_id)
                                  .with_for_update())).first()
        if row is None or row.status != PROPOSED:
            raise ProposalGone(row_id)
        previous = await current_row(session)
        before = strategy_of(previous) if previous is not None else strategy_of(row)
        # Superseding first: at no moment are two rows current.
        await session.exec(update(StrategyVersion).where(
            col(StrategyVersion.status) == CURRENT).values(status=SUPERSEDED))
        await session.flush()
        row.status, row.confirmed_at, row.confirmed_by = CURRENT, now, confirmed_by
        if reason:
            row.reason = reason
        session.add(row)
        await session.flush()
        await session.refresh(row)
    return row, before


async def cancel(db: Database, row_id: int) -> bool:
    """Drop an open proposal; False when it was not open."""
    async with db.session() as session:
        result = await session.exec(update(StrategyVersion).where(
            col(StrategyVersion.id) == row_id, col(StrategyVersion.status) == PROPOSED)
            .values(status=CANCELLED))
        return bool(result.rowcount)


async def get_row(db: Database, row_id: int) -> StrategyVersion | None:
    async with db.session() as session:
        return await session.get(StrategyVersion, row_id)


async def open_proposals(db: Database) -> list[StrategyVersion]:
    async with db.session() as session:
        return list((await session.exec(select(StrategyVersion).where(
            StrategyVersion.status == PROPOSED).order_by(col(StrategyVersion.id)))).all())


async def list_versions(db: Database) -> list[StrategyVersion]:
    async with db.session() as session:
        return list((await session.exec(select(StrategyVersion).order_by(
            col(StrategyVersion.id)))).all())


_LOADED: dict[str, Strategy] = {}
_MAX_LOADED = 16


def loaded_version(version: str) -> Strategy | None:
    """The strategy at `version` if `load_version` has read it already (no database)."""
    return _LOADED.get(version)


async def load_version(db: Database, version: str) -> Strategy | None:
    """The strategy as it was at `version` (kept in memory once read), or None when it was never
    stored or no longer reads under today's schema."""
    found = _LOADED.get(version)
    if found is not None:
        return found
    async with db.session() as session:
        row = (await session.exec(select(StrategyVersion).where(
            StrategyVersion.version == version).order_by(col(StrategyVersion.id)))).first()
    if row is None:
        return None
    try:
        strategy = strategy_of(row)
    except (ValueError, TypeError):
        return None
    if len(_LOADED) >= _MAX_LOADED:
        _LOADED.pop(next(iter(_LOADED)))
    _LOADED[version] = strategy
    return strategy
