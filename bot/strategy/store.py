"""Stored strategy versions: every distinct strategy the bot ran with, so old answers can be
read against the strategy they were judged by."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.storage.database import Database
from bot.storage.models import StrategyVersion
from bot.strategy.schema import Strategy


async def record_version(db: Database, strategy: Strategy, source: str, now: datetime) -> bool:
    """Store the strategy if this version is new; True when a row was added."""
    async with db.session() as session:
        found = (await session.exec(select(StrategyVersion).where(
            StrategyVersion.version == strategy.version))).first()
        if found is not None:
            return False
        session.add(StrategyVersion(
            version=strategy.version, name=strategy.strategy.name, source=source[:500],
            review_by=strategy.strategy.review_by, loaded_at=now,
            content=json.dumps(strategy.model_dump(mode="json"), ensure_ascii=False)))
        try:
            await session.flush()
        except IntegrityError:  # another process stored it first
            await session.rollback()
            return False
    return True


async def list_versions(db: Database) -> list[StrategyVersion]:
    async with db.session() as session:
        return list((await session.exec(select(StrategyVersion).order_by(
            StrategyVersion.id))).all())  # type: ignore[arg-type]


_LOADED: dict[str, Strategy] = {}
_MAX_LOADED = 16


async def load_version(db: Database, version: str) -> Strategy | None:
    """The strategy as it was at `version` (kept in memory once read), or None when it was never
    stored or no longer reads under today's schema."""
    found = _LOADED.get(version)
    if found is not None:
        return found
    async with db.session() as session:
        row = (await session.exec(select(StrategyVersion).where(
            StrategyVersion.version == version))).first()
    if row is None:
        return None
    try:
        strategy = Strategy.model_validate(json.loads(row.content))
    except (ValueError, TypeError):
        return None
    if len(_LOADED) >= _MAX_LOADED:
        _LOADED.pop(next(iter(_LOADED)))
    _LOADED[version] = strategy
    return strategy
