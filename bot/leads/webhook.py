"""`POST /webhooks/leads` and `POST /webhooks/leads/{external_id}/events`: leads from marketing
automation and CRMs.

Every request is signed (scheme v2): `X-Alignbot-Timestamp: <unix seconds>` and
`X-Alignbot-Signature: v2=<hex HMAC-SHA256, with the shared secret, of
"<timestamp>\n<METHOD>\n<path>\n<raw body>">`, where path is the request target as sent
(e.g. `/webhooks/leads/123/events`). The method and path are signed so an event signed for one
lead cannot be replayed to another lead's URL; v1 (timestamp and body only) is refused with a
message saying so. Requests outside the replay window, with a wrong or missing signature get 401
and store nothing. Inside the window, a signature is accepted once: the signatures of stored
requests are kept in the database (shared by every process), and the same signed request again is
answered "duplicate" and changes nothing. Bodies are validated strictly (unknown fields are
errors, so a typo is not silently dropped) and answered with a JSON body that says what is wrong.
An event carrying an `event_id` is stored once per lead however often it is delivered.

While the database is unavailable a request gets 503 with `Retry-After` and nothing is stored
(each request is one transaction); the sender's retry is then stored once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bounds import DATE_RANGE, date_in_range
from bot.context import BotContext
from bot.leads.book import LeadBook, TouchRefused
from bot.leads.intake import LeadRejected, LeadResolver
from bot.storage.database import DatabaseUnavailable
from bot.storage.models import InboundEvent, Lead
from bot.text import has_controls

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
RETRY_AFTER_SECONDS = 30  # what a 503 asks the sender to wait while the database is unavailable
SIGNATURE_HEADER = "X-Alignbot-Signature"
TIMESTAMP_HEADER = "X-Alignbot-Timestamp"
SCHEME = "v2"  # what `sign` produces; v1 signed neither method nor path
REPLAY_SCOPE = "leads-webhook"  # the `inbound_events` rows holding the signatures already used
Short = Annotated[str, Field(max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any) -> Any:
        """Control characters (NUL, BEL, ...) are a sender's bug, and PostgreSQL refuses NUL in
        text: say so (422 naming the field) rather than store them or fail half-way."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and has_controls(text) for text in texts):
            raise ValueError("contains control characters (e.g. NUL); remove them")
        if isinstance(value, datetime) and not date_in_range(_aware(value)):
            raise ValueError(f"is outside the dates the bot keeps ({DATE_RANGE})")
        return value


class LeadPayload(_Strict):
    """Create or update a lead."""

    source: Annotated[str, Field(min_length=1, max_length=64)] = "webhook"
    external_id: Annotated[str, Field(min_length=1, max_length=128)]
    company: Annotated[str, Field(min_length=1, max_length=200)]
    segment: Short
    owner: Annotated[str, Field(min_length=1, max_length=320)]
    engaged_at: datetime
    contact_name: Short = ""
    contact_email: Annotated[str, Field(max_length=320)] | None = None
    content: list[Short] = Field(default_factory=list, max_length=50)
    status: Literal["new", "working", "qualified", "disqualified"] | None = None
    event_id: Short | None = None


class EngagementEvent(_Strict):
    type: Literal["engagement"]
    at: datetime
    content: list[Short] = Field(default_factory=list, max_length=50)
    source: Annotated[str, Field(min_length=1, max_length=64)] = "webhook"
    event_id: Short | None = None


class TouchEvent(_Strict):
    type: Literal["touch"]
    at: datetime
    by: Annotated[str, Field(max_length=320)] | None = None
    channel: Annotated[str, Field(max_length=32)] = ""
    note: Annotated[str, Field(max_length=2000)] | None = None
    source: Annotated[str, Field(min_length=1, max_length=64)] = "webhook"
    event_id: Short | None = None


class StatusEvent(_Strict):
    type: Literal["status"]
    status: Literal["new", "working", "qualified", "disqualified"]
    reason: Annotated[str, Field(max_length=500)] | None = None
    at: datetime | None = None
    source: Annotated[str, Field(min_length=1, max_length=64)] = "webhook"
    event_id: Short | None = None


class EventPayload(_Strict):
    event: Annotated[EngagementEvent | TouchEvent | StatusEvent, Field(discriminator="type")]


def sign(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """The signature header value a sender computes (scheme v2; also used by tests and docs).
    Newlines separate the parts: none can occur in a timestamp, a method or a request target."""
    signed = f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body
    return SCHEME + "=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _error(status: int, message: str, details: Any = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error": message}
    if details is not None:
        body["details"] = details
    return web.json_response(body, status=status)


class LeadWebhook:
    """The aiohttp handlers; `add_to(app)` mounts them on any adapter's web app."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/leads", _retry_later_when_unavailable(self.lead))
        app.router.add_post("/webhooks/leads/{external_id}/events",
                            _retry_later_when_unavailable(self.event))

    async def _verified_body(self, request: web.Request) -> bytes | web.Response:
        secret = self.ctx.settings.webhook_secret
        if secret is None:
            return _error(503, "the leads webhook is off: set ALIGNBOT_WEBHOOK_SECRET")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _error(413, f"body larger than {MAX_BODY} bytes")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12 or not given:
            return _error(401, f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
        age = abs(self.ctx.clock.now().timestamp() - int(timestamp))
        if age > self.ctx.settings.webhook_tolerance:
            return _error(401, "stale timestamp: sign each request when you send it")
        if given.startswith("v1="):
            return _error(401, "v1 signatures (timestamp and body only) are no longer accepted:"
                               " sign v2, which covers the method and path (see the README)")
        expected = sign(secret.get_secret_value(), timestamp, request.method, request.raw_path, body)
        if not hmac.compare_digest(expected.encode(), given.encode()):
            return _error(401, "signature does not match")
        return body

    async def _first_use(self, session: AsyncSession, request: web.Request) -> bool:
        """Record this request's signature in the unit of work that stores it; False (and the
        unit of work rolled back) if a request with the same signature was stored before. On
        PostgreSQL a concurrent twin waits on the unique index and then finds this one."""
        session.add(InboundEvent(platform=REPLAY_SCOPE,
                                 event_id=request.headers.get(SIGNATURE_HEADER, "")[:200],
                                 received_at=self.ctx.clock.now()))
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            log.info("leads webhook: a signed request received again was ignored")
            return False
        return True

    def _parse(self, body: bytes, model: type[BaseModel]) -> BaseModel | web.Response:
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return _error(400, f"body is not valid JSON: {exc}")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            details = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                       for e in exc.errors(include_url=False, include_input=False)]
            return _error(422, "the body does not match the schema", details)

    async def lead(self, request: web.Request) -> web.Response:
        body = await self._verified_body(request)
        if isinstance(body, web.Response):
            return body
        payload = self._parse(body, LeadPayload)
        if isinstance(payload, web.Response):
            return payload
        assert isinstance(payload, LeadPayload)
        async with self.ctx.db.session() as session:
            resolver = await LeadResolver.load(session, self.ctx.strategy, [payload.owner])
            try:
                data = resolver.lead(
                    source=payload.source, external_id=payload.external_id,
                    company=payload.company, segment=payload.segment, owner=payload.owner,
                    engaged_at=_aware(payload.engaged_at), contact_name=payload.contact_name,
                    contact_email=payload.contact_email, content=payload.content,
                    status=payload.status)
            except LeadRejected as exc:
                return _error(422, str(exc))
            lead, outcome = await LeadBook(self.ctx, session).upsert(data, via="webhook")
            if not await self._first_use(session, request):
                return web.json_response({"ok": True, "result": "duplicate"})
            body_out = {"ok": True, "lead_id": lead.id, "result": outcome,
                        "next_due_at": _iso(lead.next_due_at)}
        return web.json_response(body_out, status=201 if outcome == "created" else 200)

    async def event(self, request: web.Request) -> web.Response:
        body = await self._verified_body(request)
        if isinstance(body, web.Response):
            return body
        payload = self._parse(body, EventPayload)
        if isinstance(payload, web.Response):
            return payload
        assert isinstance(payload, EventPayload)
        event = payload.event
        external_id = request.match_info["external_id"]
        async with self.ctx.db.session() as session:
            book = LeadBook(self.ctx, session)
            lead = await book.by_key(event.source, external_id)
            if lead is None:
                return _error(404, f"no lead '{external_id[:128]}' from source '{event.source}';"
                                   " create it with POST /webhooks/leads first")
            lead_id = lead.id  # the rollback of a replay below expires `lead`
            try:
                stored = await self._apply(book, session, lead, event)
            except (LeadRejected, TouchRefused) as exc:
                return _error(422, str(exc))
            if not await self._first_use(session, request):
                return web.json_response({"ok": True, "lead_id": lead_id, "result": "duplicate"})
            out = {"ok": True, "lead_id": lead.id, "result": "stored" if stored else "duplicate",
                   "status": lead.status, "next_due_at": _iso(lead.next_due_at)}
        return web.json_response(out)

    async def _apply(self, book: LeadBook, session: AsyncSession, lead: Lead,
                     event: EngagementEvent | TouchEvent | StatusEvent) -> bool:
        # Per lead: two leads' senders may well number their events alike.
        key = f"webhook:{lead.id}:{event.source}:{event.event_id}" if event.event_id else None
        if isinstance(event, EngagementEvent):
            content = LeadResolver(self.ctx.strategy, {}).content(event.content)
            stored = await book.record(lead, "engaged", _aware(event.at), None, "webhook",
                                       ";".join(content), key=key)
            known = [c for c in lead.content.split(";") if c]
            lead.content = ";".join(known + [c for c in content if c not in known])[:1000]
            await book.refresh(lead)
            return stored
        if isinstance(event, TouchEvent):
            by = (await LeadResolver.load(session, self.ctx.strategy, [event.by])).owner(
                event.by) if event.by else None
            return await book.touch(lead, by, _aware(event.at), "webhook", event.channel,
                                    event.note, key=key)
        return await book.set_status(lead, event.status, event.reason, None, "webhook",
                                     _aware(event.at) if event.at else None, key=key)


def _retry_later_when_unavailable(handler: Handler) -> Handler:
    """503 + Retry-After instead of a 500 when the database cannot be used; the request's
    transaction was rolled back, so the sender's retry is the first and only write."""
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DatabaseUnavailable as exc:
            log.warning("leads webhook: database unavailable, asked the sender to retry: %s", exc)
            response = _error(503, "the database is unavailable right now; nothing was stored."
                                   f" Retry in {RETRY_AFTER_SECONDS} seconds")
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
    return guarded


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
