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
