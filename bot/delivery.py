"""Sending with an idempotency key: claim the key, send, record the result.

A unique key per intended message (e.g. check-in ask for member M at occurrence T) means a retry,
a restart or a second process never sends the same message twice. A claim left behind by a
process that died is taken over after the lease (ALIGNBOT_DELIVERY_LEASE_SECONDS); since that
process may have died after the platform accepted the message but before we recorded it, the
taker first asks the platform (`ChatPort.find_sent`, by the key carried in the message) and sends
only if it was not. A process that shuts down mid-send (SIGTERM, after its grace) abandons its
claims instead, so they are taken over at once, with the same check.

Fan-outs (check-ins, reminders) use the batch form: `claim` takes a page of keys in one
statement (INSERT ... ON CONFLICT DO NOTHING RETURNING; stale claims by UPDATE ... RETURNING), so
of several processes each key goes to exactly one; `send` sends the page with a bounded number in
flight and records every result in one transaction, together with the caller's own state changes
(on PostgreSQL the sends that went through in one statement, `bot.storage.bulk`, which takes the
rows in the same key order as the executemany did).
A claim belongs to whoever wrote its `claimed_at`: a retake always writes a later one (at least a
lease later), so "claimed_at is still mine" is how a holder checks it still holds a claim.

Lock order (PostgreSQL, several processes): a transaction that writes both the caller's rows (a
fan-out's check-ins, locked by its page query) and outbox rows takes the caller's rows first, and
outbox rows in key order. A fan-out's page query may lock a check-in whose send another process
has just claimed (its snapshot predates that claim) and then try to claim the same key; that
insert waits for whoever last wrote the key. Were the recorder to write the outbox row before the
check-in, each would wait for the other (DeadlockDetected); this way the recorder waits for the
page to commit, whose insert meets a settled row and does nothing.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Table, bindparam, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import BotContext
from bot.events import MemberRef, Message, MessageRef
from bot.port import DeliveryError
from bot.storage.bulk import RowsInsert, RowsUpdate
from bot.storage.models import Member, OutboundMessage

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # the default of ALIGNBOT_DELIVERY_LEASE_SECONDS
MAX_ATTEMPTS = 5
_RELEASED = datetime(1970, 1, 1, tzinfo=UTC)  # failed transiently, not sent: retake as new
_ABANDONED = datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)  # interrupted: retake, asking the platform
RELEASED, ABANDONED = _RELEASED, _ABANDONED  # the same marks for other outbox users (CRM writes)


def _retry_mark(claimed_at: datetime, exc: DeliveryError, *, given_up: bool) -> datetime:
    """The `claimed_at` a failed send leaves: kept when it failed for good; else released for the
    next pass, which first asks the platform when the failure was ambiguous (a timeout or a 500:
    the message may have arrived)."""
    if given_up:
        return claimed_at
    return _ABANDONED if exc.ambiguous else _RELEASED


def ref_to_json(ref: MessageRef) -> str:
    """`ref` as stored: the text `json.dumps` gives for the three fields (written out, as a
    fan-out stores one per message twice: its outbox row and its check-in)."""
    return (f'{{"platform": {_quoted(ref.platform)}, "channel": {_quoted(ref.channel)},'
            f' "message_id": {_quoted(ref.message_id)}}}')


_quoted: Callable[[str], str] = json.encoder.encode_basestring_ascii


def ref_from_json(text: str | None) -> MessageRef | None:
    return MessageRef(**json.loads(text)) if text else None


T = TypeVar("T")
_OUTBOX: Table = OutboundMessage.__table__  # type: ignore[attr-defined]
# The sends of a page that went through, in one statement (PostgreSQL), rows locked in key order
# A page's new claims in one statement (PostgreSQL), in key order; the keys won come back
_CLAIM = RowsInsert(_OUTBOX, types={"key": _OUTBOX.c.key.type, "member_id": _OUTBOX.c.member_id.type,
                                    "kind": _OUTBOX.c.kind.type},
                    constants=("state", "claimed_at", "attempts"), returning=("key",))
_RECORD_SENT = RowsUpdate(
    _OUTBOX, types={"k": _OUTBOX.c.key.type, "ref": _OUTBOX.c.platform_ref.type},
    where=lambda row, value: [row.key == value("k")],
    values=lambda value: {"state": "sent", "error": None, "platform_ref": value("ref"),
                          "sent_at": bindparam("now", type_=_OUTBOX.c.sent_at.type)})


@dataclass(frozen=True)
class Seen:
    """A key's outbox row as a fan-out's query read it (None when there was none)."""

    state: str
    claimed_at: datetime
    platform_ref: str | None = None

    def stale(self, before: datetime) -> bool:
        """A claim nobody holds any more: its holder died, failed transiently or shut down."""
        return self.state == "claimed" and self.claimed_at < before


@dataclass(frozen=True)
class Claim:
    """This process holds the key: it wrote `at` as the claim's claimed_at."""

    at: datetime
    attempts: int
    retaken: bool  # from a holder that may have sent it before dying: ask the platform first


class Addressee(Protocol):
    """What a send needs of its recipient: a `Member` row, or a `Recipient` read as plain columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def platform(self) -> str: ...
    @property
    def platform_user_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def unreachable(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Recipient:
    """A fan-out's recipient as plain columns: building an ORM object per recipient cost more CPU
    than sending the message did."""

    id: int
    platform: str
    platform_user_id: str
    name: str
    unreachable: str | None


RECIPIENT_COLUMNS = (col(Member.id), col(Member.platform), col(Member.platform_user_id),
                     col(Member.name), col(Member.unreachable))  # in Recipient's field order


@dataclass
class Outgoing(Generic[T]):
    """One send of a fan-out: to whom, under which key; `subject` is the caller's (e.g. the
    check-in), handed back with the result. `message` is built only once the key is claimed."""

    member: Addressee
    key: str
    kind: str
    subject: T
    seen: Seen | None = None
    message: Message | None = None
    thread: MessageRef | None = None
    claim: Claim | None = None


@dataclass
class Outcome(Generic[T]):
    """What became of one send: `ref` when the platform has it, else the `error`."""

    item: Outgoing[T]
    ref: MessageRef | None = None
    error: DeliveryError | None = None

    @functools.cached_property
    def ref_json(self) -> str | None:
        """`ref` as stored (the outbox row and the caller's row both keep it): encoded once."""
        return ref_to_json(self.ref) if self.ref is not None else None

    @property
    def given_up(self) -> bool:
        """Failed for good: permanently, or transiently too many times."""
        assert self.item.claim is not None
        return self.error is not None and (
            self.error.permanent or self.item.claim.attempts >= MAX_ATTEMPTS)


RecordHook = Callable[[AsyncSession, list[Outcome[T]]], Awaitable[None]]


class Outbox:
    """Exactly-once-per-key delivery on top of a ChatPort that may fail or be retried."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    @property
    def lease(self) -> timedelta:
        """How long a claim stays with its holder before another process may take it over."""
        return timedelta(seconds=self.ctx.settings.delivery_lease_seconds)

    # --- fan-outs: claim a page, send it, record it -------------------------------------

    async def claim(self, session: AsyncSession, items: Sequence[Outgoing[T]]) -> list[Outgoing[T]]:
        """Claim the keys of `items` in `session` (one statement for new keys, one for stale
        claims); returns the items this process now holds, with their `claim` set. Keys another
        process holds, or that were sent or failed for good, are left out."""
        now, stale = self.ctx.clock.now(), self.ctx.clock.now() - self.lease
        ordered = sorted(items, key=lambda i: i.key)  # rows locked in key order (lock order)
        fresh = {i.key: i for i in ordered if i.seen is None}
        old = {i.key: i for i in ordered if i.seen is not None and i.seen.stale(stale)}
        won: list[Outgoing[T]] = []
        if fresh:
            rows = [{"key": i.key, "member_id": i.member.id, "kind": i.kind} for i in fresh.values()]
            won_keys = await _CLAIM.run(session, rows, sqlite=self.ctx.db.is_sqlite,
                                        state="claimed", claimed_at=now, attempts=1)
            assert won_keys is not None
            for key in won_keys.scalars():
                fresh[key].claim = Claim(now, 1, retaken=False)
                won.append(fresh[key])
        if old:
            retake = update(_OUTBOX).where(
                _OUTBOX.c.key.in_(list(old)), _OUTBOX.c.state == "claimed",
                _OUTBOX.c.claimed_at < stale).values(
                claimed_at=now, attempts=_OUTBOX.c.attempts + 1).returning(
                _OUTBOX.c.key, _OUTBOX.c.attempts)
            for key, attempts in (await session.exec(retake)).all():
                seen = old[key].seen
                assert seen is not None
                old[key].claim = Claim(now, attempts, retaken=seen.claimed_at != _RELEASED)
                won.append(old[key])
        taken = {id(i) for i in won}
        return [i for i in items if id(i) in taken]  # sent in the caller's order

    async def send(self, items: Sequence[Outgoing[T]],
                   record: RecordHook[T] | None = None) -> list[Outcome[T]]:
        """Send claimed items, at most ALIGNBOT_FANOUT_CONCURRENCY at a time, then record every
        result in one transaction, in which `record` makes the caller's own changes (e.g. mark
        the check-ins asked). Interrupted (shutdown), it records what went through and hands the
        rest on (`_abandon`)."""
        outcomes: dict[int, Outcome[T]] = {}
        started: set[int] = set()
        queue = iter(enumerate(items))
        deadline = min((i.claim.at for i in items if i.claim is not None),
                       default=self.ctx.clock.now()) + self.lease / 2

        async def worker() -> None:
            for index, item in queue:  # shared: each worker takes the next item
                if self.ctx.clock.now() >= deadline:  # e.g. long rate-limit waits: never send on
                    return  # a claim near its end; the rest are given back below
                started.add(index)
                outcomes[index] = await self._attempt(item)

        lanes = min(self.ctx.settings.fanout_concurrency, len(items))
        try:
            if lanes <= 1:
                await worker()
            else:
                async with asyncio.TaskGroup() as group:
                    for _ in range(lanes):
                        group.create_task(worker())
        except BaseException:
            await asyncio.shield(self._abandon(items, outcomes, started, record))
            raise
        done = [outcomes[i] for i in range(len(items)) if i in outcomes]
        await self._record(done, record, unsent=[i for n, i in enumerate(items) if n not in started])
        return done

    async def _attempt(self, item: Outgoing[T]) -> Outcome[T]:
        """One send (or, for a claim taken over, first the platform's word that it was sent)."""
        member, claim = item.member, item.claim
        assert claim is not None and item.message is not None
        try:
            if member.unreachable:
                raise DeliveryError(f"member unreachable: {member.unreachable}", permanent=True)
            port = self.ctx.port_for(member.platform)
            to = MemberRef(member.platform, member.platform_user_id)
            if claim.retaken and (earlier := await port.find_sent(to, item.key)) is not None:
                return Outcome(item, ref=earlier)  # the dead claimant's send went through
            message = item.message if item.message.key == item.key else replace(item.message, key=item.key)
            ref = await port.send(to, message, thread=item.thread)
        except DeliveryError as exc:
            return Outcome(item, error=exc)
        return Outcome(item, ref=ref)

    async def _record(self, outcomes: list[Outcome[T]], record: RecordHook[T] | None,
                      unsent: Sequence[Outgoing[T]] = ()) -> None:
        """Every result of a page in one transaction, with the caller's changes; claims that
        were never used are given back."""
        async with self.ctx.db.session() as session:
            if record is not None:  # the caller's rows first: see "Lock order" above
                await record(session, outcomes)
            await self._write(session, outcomes)
            await self._give_back(session, unsent)
        self._count(outcomes)
        if unsent:
            log.warning("%d claimed sends not started before half their lease: given back", len(unsent))

    async def _write(self, session: AsyncSession, outcomes: list[Outcome[T]]) -> None:
        now = self.ctx.clock.now()
        outcomes = sorted(outcomes, key=lambda o: o.item.key)  # rows locked in key order
        sent = [{"k": o.item.key, "ref": o.ref_json} for o in outcomes if o.ref is not None]
        await _RECORD_SENT.run(session, sent, sqlite=self.ctx.db.is_sqlite, now=now)
        for outcome in (o for o in outcomes if o.error is not None):
            claim, exc = outcome.item.claim, outcome.error
            assert claim is not None and exc is not None
            await session.exec(update(_OUTBOX).where(
                _OUTBOX.c.key == outcome.item.key, _OUTBOX.c.claimed_at == claim.at).values(
                state="failed" if outcome.given_up else "claimed",
                claimed_at=_retry_mark(claim.at, exc, given_up=outcome.given_up),
                error=str(exc)[:2000]))
            if exc.unreachable:
                await session.exec(update(Member).where(col(Member.id) == outcome.item.member.id)
                                   .values(unreachable=exc.unreachable[:64], updated_at=now))
                log.warning("member %s marked unreachable: %s", outcome.item.member.id, exc.unreachable)
            log.warning("delivery %s failed (%s): %s", outcome.item.key,
                        "gave up" if outcome.given_up else "will retry", exc)

    def _count(self, outcomes: list[Outcome[T]]) -> None:
        sent = Counter((o.item.member.platform, o.item.kind) for o in outcomes if o.ref is not None)
        for (platform, kind), count in sent.items():
            self.ctx.metrics.messages_sent.labels(platform, kind).inc(count)
            if kind == "nudge":
                self.ctx.metrics.nudges_sent.labels(platform).inc(count)
        for o in outcomes:
            if o.error is not None:
                self._count_failure(o.item.member.platform, o.item.kind, permanent=o.error.permanent)

    async def _abandon(self, items: Sequence[Outgoing[T]], outcomes: dict[int, Outcome[T]],
                       started: set[int], record: RecordHook[T] | None) -> None:
        """A page interrupted by shutdown: record what finished, give back the claims never
        started (as if never claimed), and mark those in flight abandoned, so another process
        takes them over at once, asking the platform first whether they arrived. Only claims
        still ours (claimed_at as we wrote it) are touched."""
        finished = list(outcomes.values())
        unsent = [i for n, i in enumerate(items) if n not in started]
        in_flight = [i for n, i in enumerate(items) if n in started and n not in outcomes]
        async with self.ctx.db.session() as session:
            if record is not None and finished:  # the caller's rows first (lock order)
                await record(session, finished)
            await self._write(session, finished)
            await self._give_back(session, unsent)
            for item in in_flight:
                await self._hand_on(session, item, _ABANDONED)
        self._count(finished)
        log.info("fan-out interrupted: %d results recorded, %d claims given back unsent, %d in"
                 " flight released", len(finished), len(unsent), len(in_flight))

    async def _give_back(self, session: AsyncSession, unsent: Sequence[Outgoing[Any]]) -> None:
        """Claims this process took but never started to send, for another to take at once.
        Not a delivery attempt: the count the claim added is taken back, or a 429 storm that
        keeps pages running past half their lease would use up MAX_ATTEMPTS unsent."""
        for item in unsent:
            assert item.claim is not None
            if item.claim.retaken:  # the claimant before us may have sent it
                await self._hand_on(session, item, _ABANDONED, uncount=True)
            elif item.claim.attempts > 1:  # a retry: back to the count it had
                await self._hand_on(session, item, _RELEASED, uncount=True)
            else:  # as if never claimed
                await session.exec(delete(_OUTBOX).where(
                    _OUTBOX.c.key == item.key, _OUTBOX.c.claimed_at == item.claim.at))

    async def _hand_on(self, session: AsyncSession, item: Outgoing[Any], mark: datetime, *,
                       uncount: bool = False) -> None:
        """Release our claim with `mark`; `uncount` when nothing was sent on it."""
        assert item.claim is not None
        values: dict[str, Any] = {"claimed_at": mark}
        if uncount:
            values["attempts"] = max(1, item.claim.attempts - 1)
        await session.exec(update(_OUTBOX).where(
            _OUTBOX.c.key == item.key, _OUTBOX.c.state == "claimed",
            _OUTBOX.c.claimed_at == item.claim.at).values(**values))

    # --- one message ----------------------------------------------------------------------

    async def deliver(self, member: Member, key: str, kind: str, message: Message,
                      thread: MessageRef | None = None) -> MessageRef | None:
        """Send once for `key`. Returns the message ref, or None if another worker owns the key
        or the member cannot be reached. Raises DeliveryError for transient failures."""
        claim = await self._claim(member, key, kind)
        if not isinstance(claim, Claim):
            return claim
        try:
            return await self._send(member, key, kind, message, thread, claim)
        except asyncio.CancelledError:  # shutdown: hand the claim on rather than hold the lease
            await asyncio.shield(self._abandon_one(key, claim))
            raise

    async def _send(self, member: Member, key: str, kind: str, message: Message,
                    thread: MessageRef | None, claim: Claim) -> MessageRef | None:
        if reason := await self._unreachable(member):
            await self._record_failure(key, claim, DeliveryError(f"member unreachable: {reason}",
                                                                 permanent=True))
            self._count_failure(member.platform, kind, permanent=True)
            return None
        port = self.ctx.port_for(member.platform)
        to = MemberRef(member.platform, member.platform_user_id)
        if claim.retaken and (earlier := await port.find_sent(to, key)) is not None:
            await self._record_sent(key, earlier)  # the dead claimant's send went through
            self.ctx.metrics.sent(member.platform, kind)
            return earlier
        try:
            ref = await port.send(to, replace(message, key=key), thread=thread)
        except DeliveryError as exc:
            await self._record_failure(key, claim, exc)
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

    async def _claim(self, member: Member, key: str, kind: str) -> MessageRef | Claim | None:
        """The claim when this caller now owns the send (`retaken` from a holder that may have
        sent it); the earlier ref if it was sent; None if it failed for good or another worker
        holds a live claim."""
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
                return Claim(now, 1, retaken=False)
            if existing.state == "sent":
                return ref_from_json(existing.platform_ref)
            if existing.state == "failed":
                return None
            # read before the UPDATE: the session refreshes `existing` with its attempts + 1
            stale, released, tries = now - self.lease, existing.claimed_at == _RELEASED, existing.attempts
            result = await session.exec(
                update(OutboundMessage)
                .where(col(OutboundMessage.key) == key, col(OutboundMessage.state) == "claimed",
                       col(OutboundMessage.claimed_at) < stale)
                .values(claimed_at=now, attempts=OutboundMessage.attempts + 1)
            )
            if result.rowcount != 1:
                return None
            return Claim(now, tries + 1, retaken=not released)

    async def _abandon_one(self, key: str, claim: Claim) -> None:
        """Give up a claim this process holds (it is shutting down mid-send): another process
        retakes it at once instead of after the lease, and, since the platform may have accepted
        the message already, asks the platform before sending it."""
        async with self.ctx.db.session() as session:
            await session.exec(update(OutboundMessage).where(
                col(OutboundMessage.key) == key, col(OutboundMessage.state) == "claimed",
                col(OutboundMessage.claimed_at) == claim.at)  # not one taken over meanwhile
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

    async def _record_failure(self, key: str, claim: Claim, exc: DeliveryError) -> None:
        """A failed send, on a claim still ours: once another process took it over (this send
        outlived the lease), the row is the taker's - it may have sent the message by now - and a
        late failure here must neither release nor fail it."""
        give_up = exc.permanent or claim.attempts >= MAX_ATTEMPTS
        async with self.ctx.db.session() as session:
            result = await session.exec(update(OutboundMessage).where(
                col(OutboundMessage.key) == key, col(OutboundMessage.state) == "claimed",
                col(OutboundMessage.claimed_at) == claim.at).values(
                state="failed" if give_up else "claimed",
                # Retried on the next pass; after an ambiguous failure, asking the platform first.
                claimed_at=_retry_mark(claim.at, exc, given_up=give_up), error=str(exc)[:2000]))
        if result.rowcount != 1:
            log.warning("delivery %s failed after another process took it over: %s", key, exc)
            return
        log.warning("delivery %s failed (%s): %s", key, "gave up" if give_up else "will retry", exc)
