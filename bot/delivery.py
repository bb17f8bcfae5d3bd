"""Sending with an idempotency key: claim the key, send, record the result.

A unique key per intended message (e.g. check-in ask for member M at occurrence T) means a retry,
a restart or a second process never sends the same message twice. A claim left behind by a
process that died is taken over after `LEASE`; since that process may have died after the
platform accepted the message but before we recorded it, the taker first asks the platform
(`ChatPort.find_sent`, by the key carried in the message) and sends only if it was not. A process
that shuts down mid-send (SIGTERM, after its grace) abandons its claims instead, so they are
taken over at once, with the same check.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.context import BotContext
from bot.events import MemberRef, Message, MessageRef
from bot.port import DeliveryError
from bot.storage.models import Member, OutboundMessage

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
_RELEASED = datetime(1970, 1, 1, tzinfo=UTC)  # failed transiently, not sent: retake as new
_ABANDONED = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)  # interrupted: retake, asking the platform


def ref_to_json(ref: MessageRef) -> str:
    return json.dumps(asdict(ref))


def ref_from_json(text: str | None) -> MessageRef | None:
    return MessageRef(**json.loads(text)) if text else None


class Outbox:
    """Exactly-once-per-key delivery on top of a ChatPort that may fail or be retried."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    async def deliver(self, member: Member, key: str, kind: str, message: Message,
                      thread: MessageRef | None = None) -> MessageRef | None:
        """Send once for `key`. Returns the message ref, or None if another worker owns the key
        or the member cannot be reached. Raises DeliveryError for transient failures."""
        outcome = await self._claim(member, key, kind)
        if isinstance(outcome, MessageRef) or outcome is None:
            return outcome
        try:
            return await self._send(member, key, kind, message, thread, outcome)
        except asyncio.CancelledError:  # shutdown: hand the claim on rather than hold the lease
            await asyncio.shield(self._abandon(key))
            raise

    async def _send(self, member: Member, key: str, kind: str, message: Message,
                    thread: MessageRef | None, outcome: Literal["new", "retaken"]) -> MessageRef | None:
        if reason := await self._unreachable(member):
            await self._record_failure(key, DeliveryError(f"member unreachable: {reason}", permanent=True))
            self._count_failure(member.platform, kind, permanent=True)
            return None
        port = self.ctx.port_for(member.platform)
        to = MemberRef(member.platform, member.platform_user_id)
        if outcome == "retaken" and (earlier := await port.find_sent(to, key)) is not None:
            await self._record_sent(key, earlier)  # the dead claimant's send went through
            self.ctx.metrics.sent(member.platform, kind)
            return earlier
        try:
            ref = await port.send(to, replace(message, key=key), thread=thread)
        except DeliveryError as exc:
            await self._record_failure(key, exc)
            self._count_failure(member.platform, kind, permanent=exc.permanent)
            if exc.unreachable:
                await self._mark_unreachable(member, exc.unreachable)
            if exc.permanent:
                return None
            raise
        await self._record_sent(key, ref)
        self.ctx.metrics.sent(member.platform, kind)
        return ref

    def _count_failure(self, platform: str, kind: str, *, permanent: bool) -> None:
        self.ctx.metrics.messages_failed.labels(platform, kind, "true" if permanent else "false").inc()

    async def state_of(self, key: str) -> str | None:
        """claimed | sent | failed, or None if nothing was ever claimed for the key."""
        async with self.ctx.db.session() as session:
            return (await session.exec(select(OutboundMessage.state).where(
                OutboundMessage.key == key))).first()

    async def _claim(self, member: Member, key: str,
                     kind: str) -> MessageRef | Literal["new", "retaken"] | None:
        """"new" or "retaken" when this caller now owns the send; the earlier ref if it was
        sent; None if it failed for good or another worker holds a live claim."""
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            existing = (await session.exec(select(OutboundMessage).where(
                OutboundMessage.key == key))).first()
            if existing is None:
                assert member.id is not None
                session.add(OutboundMessage(key=key, member_id=member.id, kind=kind,
                                            claimed_at=now, attempts=1))
                try:
                    await session.flush()
                except IntegrityError:
                    await session.rollback()
                    return None  # another worker claimed it between our read and insert
                return "new"
            if existing.state == "sent":
                return ref_from_json(existing.platform_ref)
            if existing.state == "failed":
                return None
            stale, released = now - LEASE, existing.claimed_at == _RELEASED
            result = await session.exec(
                update(OutboundMessage)
                .where(col(OutboundMessage.key) == key, col(OutboundMessage.state) == "claimed",
                       col(OutboundMessage.claimed_at) < stale)
                .values(claimed_at=now, attempts=OutboundMessage.attempts + 1)
            )
            if result.rowcount != 1:
                return None
            return "new" if released else "retaken"

    async def _abandon(self, key: str) -> None:
        """Give up a claim this process holds (it is shutting down mid-send): another process
        retakes it at once instead of after the lease, and, since the platform may have accepted
        the message already, asks the platform before sending it."""
        async with self.ctx.db.session() as session:
            await session.exec(update(OutboundMessage).where(
                col(OutboundMessage.key) == key, col(OutboundMessage.state) == "claimed")
                .values(claimed_at=_ABANDONED))
        log.info("delivery %s interrupted by shutdown; claim released", key)

    async def _unreachable(self, member: Member) -> str | None:
        """Why the platform said this member cannot be reached (fresh from the database)."""
        async with self.ctx.db.session() as session:
            return (await session.exec(select(Member.unreachable).where(Member.id == member.id))).first()

    async def _mark_unreachable(self, member: Member, reason: str) -> None:
        """Stop sending to someone the platform says is gone (deactivated, unknown) until a profile
        update or a message from them shows they are back (`MemberDirectory.upsert_profile`)."""
        async with self.ctx.db.session() as session:
            await session.exec(update(Member).where(col(Member.id) == member.id).values(
                unreachable=reason[:64], updated_at=self.ctx.clock.now()))
        log.warning("member %s marked unreachable: %s", member.id, reason)

    async def _record_sent(self, key: str, ref: MessageRef) -> None:
        async with self.ctx.db.session() as session:
            await session.exec(update(OutboundMessage).where(
                col(OutboundMessage.key) == key).values(
                state="sent", sent_at=self.ctx.clock.now(), platform_ref=ref_to_json(ref),
                error=None))

    async def _record_failure(self, key: str, exc: DeliveryError) -> None:
        async with self.ctx.db.session() as session:
            row = (await session.exec(select(OutboundMessage).where(
                OutboundMessage.key == key))).one()
            give_up = exc.permanent or row.attempts >= MAX_ATTEMPTS
            row.state = "failed" if give_up else "claimed"
            # Retried on the next pass; after an ambiguous failure, asking the platform first.
            row.claimed_at = row.claimed_at if give_up else _ABANDONED if exc.ambiguous else _RELEASED
            row.error = str(exc)[:2000]
            session.add(row)
        log.warning("delivery %s failed (%s): %s", key, "gave up" if give_up else "will retry", exc)
