"""Two-step commands: a pending confirmation that only its requester can use, once, before it
expires.

A dangerous command (e.g. `/align forget`) first shows what it will do and issues a confirmation;
the Confirm button carries its random token, and the typed `... confirm` finds it by requester and
subject. Rows live in the database so whichever bot process receives the click can take it, and
taking deletes the row in the same statement that checks it exists, so two clicks (or two
processes) never run the command twice.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.storage.models import Confirmation


class ConfirmationMissing(Exception):
    """Nothing (of this requester's) to confirm: never issued, already used or cancelled."""


class ConfirmationExpired(Exception):
    """It was issued but waited too long; the command must be run again."""


class Confirmations:
    """Issue and take confirmations inside the caller's session."""

    def __init__(self, session: AsyncSession, clock: Clock, ttl: timedelta) -> None:
        self.session = session
        self.clock = clock
        self.ttl = ttl

    async def issue(self, action: str, requested_by: int, subject_id: int) -> Confirmation:
        """A fresh confirmation; an earlier one for the same request is replaced (only the newest
        preview's button works) and long-expired ones are cleared away."""
        now = self.clock.now()
        await self.session.exec(delete(Confirmation).where(
            col(Confirmation.expires_at) < now - self.ttl))
        await self.session.exec(delete(Confirmation).where(
            col(Confirmation.action) == action, col(Confirmation.requested_by) == requested_by,
            col(Confirmation.subject_id) == subject_id))
        row = Confirmation(token=secrets.token_urlsafe(24), action=action, requested_by=requested_by,
                           subject_id=subject_id, expires_at=now + self.ttl, created_at=now)
        self.session.add(row)
        await self.session.flush()
        return row

    async def take(self, action: str, requested_by: int, *, token: str | None = None,
                   subject_id: int | None = None) -> Confirmation:
        """Use a confirmation (by button token, or by subject for a typed confirm): returns it
        and deletes it; raises ConfirmationMissing or ConfirmationExpired."""
        query = select(Confirmation).where(Confirmation.action == action,
                                           Confirmation.requested_by == requested_by)
        if token is not None:
            query = query.where(Confirmation.token == token)
        if subject_id is not None:
            query = query.where(Confirmation.subject_id == subject_id)
        row = (await self.session.exec(query.order_by(col(Confirmation.id).desc()))).first()
        if row is None:
            raise ConfirmationMissing(action)
        gone = await self.session.exec(delete(Confirmation).where(col(Confirmation.id) == row.id))
        if gone.rowcount != 1:  # taken a moment ago by another click or process
            raise ConfirmationMissing(action)
        if row.expires_at <= self.clock.now():
            raise ConfirmationExpired(action)
        return row

    async def cancel(self, action: str, requested_by: int, token: str) -> bool:
        result = await self.session.exec(delete(Confirmation).where(
            col(Confirmation.action) == action, col(Confirmation.requested_by) == requested_by,
            col(Confirmation.token) == token))
        return bool(result.rowcount)
