"""The replay store: keys already seen (platform event ids, signatures, a form's view and
version), in `inbound_events`, shared by every bot process through its unique index.

Whoever records a key first goes on; everyone after - a retry, a replayed request, a second
process racing the first - learns it was seen and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

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
