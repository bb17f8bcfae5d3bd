"""The lead book: every change to a lead goes through here, so its events and its cached due time
always agree.

Intake (CSV import, webhook) and actions (nudge buttons, `/align lead ...`) only say what happened;
this module writes the `LeadEvent`, updates the lead's counters and recomputes `next_due_at` with
`bot.leads.cadence` in the owner's business time. Events that carry a key (a webhook event id, an
import line) are stored once however often they are delivered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import BotContext
from bot.leads import writeback
from bot.leads.cadence import CLOSED_STATUSES, DueStep, merge_touches, next_step
from bot.leads.sources import configured
from bot.scheduling.availability import member_calendar
from bot.scheduling.calendar import WorkCalendar
from bot.storage.models import Holiday, Lead, LeadEvent, Member

STATUSES = ("new", "working", "qualified", "disqualified")
MAX_NOTE = 2000


class TouchRefused(ValueError):
    """A touch that cannot have happened (before the lead engaged); the message says why."""


@dataclass(frozen=True)
class LeadData:
    """A lead as a CRM or a CSV row describes it, already validated and with its owner resolved."""

    source: str
    external_id: str
    company: str
    segment: str
    owner_id: int
    engaged_at: datetime
    contact_name: str = ""
    contact_email: str | None = None
    content: tuple[str, ...] = ()
    status: str | None = None

    def fields(self) -> dict[str, object]:
        """The lead columns this data sets (status only when the sender gave one)."""
        values: dict[str, object] = {
            "company": self.company, "segment": self.segment, "owner_id": self.owner_id,
            "contact_name": self.contact_name, "contact_email": self.contact_email}
        if self.status is not None:
            values["status"] = self.status
        return values


class LeadBook:
    """Reads and changes leads inside a caller's session (one transaction per request or batch)."""

    def __init__(self, ctx: BotContext, session: AsyncSession) -> None:
        self.ctx = ctx
        self.session = session
        self._holidays: frozenset[date] | None = None
        self._owners: dict[int, Member] = {}
        self._known: dict[tuple[str, str], Lead] | None = None  # preloaded leads by key
        self._preloaded: set[tuple[str, str]] = set()
        self._unflushed: list[tuple[Lead, LeadEvent]] = []  # new leads and their first event

    # --- reading --------------------------------------------------------------------------

    async def by_key(self, source: str, external_id: str) -> Lead | None:
        if self._known is not None and (source, external_id) in self._preloaded:
            return self._known.get((source, external_id))
        return (await self.session.exec(select(Lead).where(
            Lead.source == source, Lead.external_id == external_id))).first()

    async def preload(self, keys: Iterable[tuple[str, str]]) -> None:
        """Read the leads for many (source, external id) keys in one query (bulk imports)."""
        wanted = set(keys)
        self._preloaded |= wanted
        self._known = self._known or {}
        for source in {s for s, _ in wanted}:
            ids = [e for s, e in wanted if s == source]
            for chunk in range(0, len(ids), 500):
                rows = (await self.session.exec(select(Lead).where(
                    Lead.source == source, col(Lead.external_id).in_(ids[chunk:chunk + 500])))).all()
                self._known.update({(lead.source, lead.external_id): lead for lead in rows})

    async def owner(self, lead: Lead) -> Member:
        if lead.owner_id not in self._owners:
            member = await self.session.get(Member, lead.owner_id)
            assert member is not None, f"lead {lead.id} has no owner row"
            self._owners[lead.owner_id] = member
        return self._owners[lead.owner_id]

    async def calendar(self, member: Member) -> WorkCalendar:
        """The member's business-time calendar (holidays read once per book)."""
        if self._holidays is None:
            self._holidays = frozenset(h.day for h in (await self.session.exec(select(Holiday))).all())
        settings = self.ctx.settings
        return member_calendar(member, self._holidays, settings.work_start, settings.work_end)

    async def touch_times(self, lead: Lead) -> list[datetime]:
        """The touches the cadence counts: a burst within ALIGNBOT_LEAD_TOUCH_MERGE_MINUTES is
        one touch (every touch stays stored as its own event)."""
        times = (await self.session.exec(select(LeadEvent.at).where(
            LeadEvent.lead_id == lead.id, LeadEvent.kind == "touch")
            .order_by(col(LeadEvent.at)))).all()
        return merge_touches(times, timedelta(minutes=self.ctx.settings.lead_touch_merge_minutes))

    async def due_step(self, lead: Lead, ignore_away: bool = False) -> DueStep | None:
        """What the lead waits for now, derived from its touches (not from the cached column).
        `ignore_away`: as if the owner were not away (when it would be due if someone covered)."""
        calendar = await self.calendar(await self.owner(lead))
        if ignore_away:
            calendar = replace(calendar, away=())
        return next_step(lead.engaged_at, await self.touch_times(lead), lead.status,
                         self.ctx.strategy.cadence_for(lead.segment), calendar, lead.snoozed_until)

    # --- changing -------------------------------------------------------------------------

    async def upsert(self, data: LeadData, via: str, batch: bool = False) -> tuple[Lead, str]:
        """Create or update a lead by (source, external id): "created", "updated" or "unchanged".

        Re-sending the same lead changes nothing; a later first-engagement time never moves the
        lead's `engaged_at` (its clock started at the first engagement). `batch`: new leads get
        their ids at the caller's `flush()` (one flush per batch, not per row)."""
        now = self.ctx.clock.now()
        lead = await self.by_key(data.source, data.external_id)
        if lead is None:
            lead = Lead(source=data.source, external_id=data.external_id, company=data.company,
                        segment=data.segment, owner_id=data.owner_id, engaged_at=data.engaged_at,
                        contact_name=data.contact_name, contact_email=data.contact_email,
                        content=";".join(data.content), status=data.status or "new",
                        created_at=now, updated_at=now)
            self.session.add(lead)
            self._unflushed.append((lead, LeadEvent(
                lead_id=0, kind="engaged", at=data.engaged_at, via=via, detail=lead.content[:500],
                event_key=self._engaged_key(data))))
            if self._known is not None:
                self._known[(data.source, data.external_id)] = lead
            await self.refresh(lead, touches=[])
            if not batch:
                await self.flush()
            return lead, "created"
        known_content = set(lead.content.split(";"))
        if (data.engaged_at == lead.engaged_at and set(data.content) <= known_content
                and all(getattr(lead, k) == v for k, v in data.fields().items())):
            return lead, "unchanged"  # the common re-import: nothing to read or write
        changed = {k: v for k, v in data.fields().items() if getattr(lead, k) != v}
        for key, value in changed.items():
            setattr(lead, key, value)
        if data.engaged_at < lead.engaged_at:
            lead.engaged_at, changed["engaged_at"] = data.engaged_at, data.engaged_at
        added = await self._engaged(lead, data, via)
        if not changed and not added:
            return lead, "unchanged"
        lead.updated_at = now
        await self.refresh(lead)
        return lead, "updated"

    async def _engaged(self, lead: Lead, data: LeadData, via: str) -> bool:
        """Record the engagement (once per source, lead, time and content) and merge its content."""
        key = self._engaged_key(data)
        detail = ";".join(data.content)
        added = await self.record(lead, "engaged", data.engaged_at, None, via, detail, key=key)
        known = [c for c in lead.content.split(";") if c]
        merged = known + [c for c in data.content if c not in known]
        if merged != known:
            lead.content = ";".join(merged)[:1000]
            return True
        return added

    async def flush(self) -> None:
        """Write new leads, then their first-engagement events (which need the leads' ids)."""
        if not self._unflushed:
            return
        await self.session.flush()
        for lead, event in self._unflushed:
            assert lead.id is not None
            event.lead_id = lead.id
            self.session.add(event)
        self._unflushed.clear()
        await self.session.flush()

    @staticmethod
    def _engaged_key(data: LeadData) -> str:
        return f"{data.source}:{data.external_id}:engaged:{data.engaged_at.isoformat()}"[:200]

    async def record(self, lead: Lead, kind: str, at: datetime, member_id: int | None, via: str,
                     detail: str = "", note: str | None = None, key: str | None = None) -> bool:
        """Add an event; False (and nothing stored) if an event with this key exists."""
        if key is not None and (any(e.event_key == key[:200] for _, e in self._unflushed) or (
                await self.session.exec(select(LeadEvent.id).where(
                    LeadEvent.event_key == key[:200]))).first() is not None):
            return False
        assert lead.id is not None
        event = LeadEvent(lead_id=lead.id, kind=kind, at=at, member_id=member_id, via=via,
                          detail=detail[:500], note=note[:MAX_NOTE] if note else None,
                          event_key=key[:200] if key else None)
        self.session.add(event)
        await self.session.flush()
        if lead.source in configured(self.ctx) and await writeback.queue(
                self.session, lead, event, self.ctx.clock.now()):
            await self.session.flush()  # the CRM write commits with the event, or neither does
        return True

    async def touch(self, lead: Lead, by: Member | None, at: datetime, via: str,
                    channel: str = "", note: str | None = None, key: str | None = None) -> bool:
        """Log a follow-up touch: the lead is being worked and its next step moves on. A touch
        before the lead first engaged is refused (TouchRefused): it cannot be a follow-up, and
        usually means a wrong time zone or date on the sender's side."""
        if at < lead.engaged_at:
            raise TouchRefused(self.ctx.prompts.say(
                "lead_touch_before_engagement", company=lead.company, at=_utc(at),
                engaged=_utc(lead.engaged_at)))
        if not await self.record(lead, "touch", at, by.id if by else None, via, channel, note, key):
            return False
        if lead.status == "new":
            lead.status = "working"
        lead.snoozed_until = None
        await self.refresh(lead)
        return True

    async def snooze(self, lead: Lead, until: datetime, by: Member, via: str) -> None:
        """Put the follow-up off; the step is nudged again when the snooze ends."""
        await self.record(lead, "snooze", self.ctx.clock.now(), by.id, via, until.isoformat())
        lead.snoozed_until = until
        lead.nudged_step = None
        await self.refresh(lead)

    async def set_status(self, lead: Lead, status: str, reason: str | None, by: Member | None,
                         via: str, at: datetime | None = None, key: str | None = None) -> bool:
        if status not in STATUSES:
            raise ValueError(f"unknown lead status {status!r}")
        when = at or self.ctx.clock.now()
        if not await self.record(lead, "status", when, by.id if by else None, via, status, reason,
                                 key):
            return False
        lead.status = status
        lead.status_reason = reason[:500] if reason else None
        await self.refresh(lead)
        return True

    async def reassign(self, lead: Lead, owner: Member, by: Member | None, via: str) -> bool:
        """Give the lead to `owner`: its follow-up moves to their calendar, and the current step
        is nudged to them (and escalated to their manager) afresh. False if they own it already."""
        assert owner.id is not None
        if owner.id == lead.owner_id:
            return False
        previous = await self.owner(lead)
        await self.record(lead, "reassigned", self.ctx.clock.now(), by.id if by else None, via,
                          f"{previous.name} -> {owner.name}", note=owner.email or "")
        lead.owner_id = owner.id
        self._owners[owner.id] = owner
        lead.nudged_step = None
        lead.escalated_step = None
        await self.refresh(lead)
        return True

    async def refresh(self, lead: Lead, touches: list[datetime] | None = None) -> None:
        """Bring the counters and the cached due time in line with the events (`touches`: the
        touch times when the caller knows them, e.g. none for a lead just created)."""
        touches = await self.touch_times(lead) if touches is None else touches
        lead.touches = len(touches)
        lead.first_touch_at = touches[0] if touches else None
        lead.last_touch_at = touches[-1] if touches else None
        owner = await self.owner(lead)
        due = None if lead.status in CLOSED_STATUSES else next_step(
            lead.engaged_at, touches, lead.status, self.ctx.strategy.cadence_for(lead.segment),
            await self.calendar(owner), lead.snoozed_until)
        lead.next_due_at = due.due_at if due else None
        lead.updated_at = self.ctx.clock.now()
        self.session.add(lead)


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
