"""The replay store: keys already seen (platform event ids, signatures, a form's view and
version), in `inbound_events`, shared by every bot process through its unique index.

Whoever records a key first goes on; everyone after - a retry, a replayed request, a second
process racing the first - learns it was seen and changes nothing.

A key only matters while it can come back: platforms retry within the hour (Slack's last retry
comes about 5 minutes after the first; a signed request is refused after 5 minutes anyway), and
the daily refusal notes key by day. So keys older than `KEEP` are deleted as the scheduler ticks
(`forget_old`), and the table holds about a week of traffic instead of every event ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete

from bot.storage.database import Database
from bot.storage.models import InboundEvent


async def first_time(db: Database, scope: str, key: str, now: datetime) -> bool:
    """Record `key` under `scope`; False if it was recorded before (by this process or another)."""
    async with db.session() as session:
        session.add(InboundEvent(platform=scope[:32], event_id=key[:200], received_at=now))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            return False
    return True


KEEP = timedelta(days=7)


async def forget_old(db: Database, now: datetime) -> int:
    """Delete keys recorded more than `KEEP` ago; how many went."""
    async with db.session() as session:
        result = await session.exec(delete(InboundEvent).where(
            col(InboundEvent.received_at) < now - KEEP))
        return int(result.rowcount or 0)
