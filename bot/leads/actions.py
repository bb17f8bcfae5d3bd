"""What reps do to a lead - touched, snoozed, disqualified, qualified - from a nudge button or a
typed command, with the nudge message updated in place so it shows what was done.

Who may act: the owner, their manager (up the chain) and admins. Everyone else is told no, and
nothing changes. Reassigning also needs the new owner to be the actor or on the actor's team
(admins: anyone), so a rep cannot hand their leads to a peer.

Typed commands name a lead by #id, external id or company; a company of several words needs no
quotes when only one reading of the words names a lead (`pick`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bounds import DATE_RANGE, date_in_range, parse_id
from bot.context import BotContext
from bot.delivery import ref_to_json
from bot.events import Button, Buttons, Message, MessageRef, Text
from bot.leads.book import LeadBook, TouchRefused
from bot.leads.render import LeadCard, local, nudge_message
from bot.leads.sources import configured
from bot.leads.writeback import WriteBacks
from bot.people.members import is_admin
from bot.port import DeliveryError
from bot.scheduling.business_time import add_business_time
from bot.scheduling.calendar import WorkCalendar
from bot.scheduling.when import local_to_utc
from bot.storage.models import Lead, LeadEvent, Member, OutboundMessage
from bot.strategy.durations import Duration, DurationError

log = logging.getLogger(__name__)
MAX_CHAIN = 20  # manager-of-manager levels checked before giving up (guards against loops)
MAX_WORDS = 12  # words of a typed lead reference tried as a company name


class LeadActionError(ValueError):
    """The action cannot be done; the message says why and what to do instead."""


@dataclass
class LeadActions:
    ctx: BotContext

    # --- finding and permission -------------------------------------------------------

    async def _named(self, session: AsyncSession, reference: str, actor: Member) -> list[Lead]:
        """The leads `reference` names (#id, external id or company) that `actor` may act on."""
        ref = reference.strip().lstrip("#")
        candidates: list[Lead] = []
        number = parse_id(ref)
        if number is not None and (lead := await session.get(Lead, number)) is not None:
            candidates = [lead]
        if not candidates and ref:
            candidates = list((await session.exec(select(Lead).where(
                (col(Lead.external_id) == ref) | (col(Lead.company).ilike(
                    ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"),
                    escape="\\"))))).all())
        return [lead for lead in candidates if await self.may_act(session, actor, lead)]

    async def pick(self, actor: Member, words: Sequence[str], rest_required: bool) -> tuple[int, str]:
        """The lead the first words of a command name, and the words after it (a note, a time,
        a member). The longest run of words naming a lead wins, but only if no shorter run
        names a different one ("Acme Bank called" with leads "Acme" and "Acme Bank" is
        ambiguous: the caller is asked for the #id, or quotes around a company of several
        words - a first word with a space in it was quoted, and is taken whole)."""
        longest = min(len(words) - (1 if rest_required else 0), MAX_WORDS)
        if words and " " in words[0].strip():
            longest = 1  # "Acme Bank" was quoted: the quotes say where the company ends
        async with self.ctx.db.session() as session:
            readings: list[tuple[int, list[Lead]]] = []
            for count in range(longest, 0, -1):
                if found := await self._named(session, " ".join(words[:count]), actor):
                    readings.append((count, found))
        if not readings:
            raise LeadActionError(f"I can't find a lead '{' '.join(words[:longest])[:60]}' among "
                                  "yours. `/align leads mine` lists them with their numbers.")
        count, found = readings[0]
        if len(found) > 1:
            listed = ", ".join(f"#{lead.id} {lead.company}" for lead in found[:5])
            raise LeadActionError(f"'{' '.join(words[:count])[:60]}' matches several leads "
                                  f"({listed}); use #id.")
        others = {lead.id for _, leads in readings[1:] for lead in leads} - {found[0].id}
        if others:
            listed = ", ".join(f"#{i}" for i in sorted(i for i in [found[0].id, *others] if i))
            raise LeadActionError(self.ctx.prompts.say(
                "lead_ambiguous_words", words=" ".join(words[:count])[:60], listed=listed,
                first=found[0].id))
        assert found[0].id is not None
        return found[0].id, " ".join(words[count:]).strip()

    async def find(self, session: AsyncSession, reference: str, actor: Member) -> Lead:
        """The lead `reference` names (#id, external id or company), among those `actor` may see."""
        visible = await self._named(session, reference, actor)
        if not visible:
            raise LeadActionError(f"I can't find a lead '{reference[:60]}' among yours. "
                                  "`/align leads mine` lists them with their numbers.")
        if len(visible) > 1:
            listed = ", ".join(f"#{lead.id} {lead.company}" for lead in visible[:5])
            raise LeadActionError(f"'{reference[:60]}' matches several leads ({listed}); use #id.")
        return visible[0]

    async def may_act(self, session: AsyncSession, actor: Member, lead: Lead) -> bool:
        if is_admin(actor) or lead.owner_id == actor.id:
            return True
        return await self.manages(session, actor, await session.get(Member, lead.owner_id))

    async def manages(self, session: AsyncSession, actor: Member, owner: Member | None) -> bool:
        """Whether `owner` is on `actor`'s team (a report, or a report's report, ...)."""
        for _ in range(MAX_CHAIN):
            if owner is None or owner.manager_id is None:
                return False
            if owner.manager_id == actor.id:
                return True
            owner = await session.get(Member, owner.manager_id)
        return False

    # --- actions ----------------------------------------------------------------------

    async def touched(self, actor: Member, reference: str | int, via: str,
                      note: str | None = None) -> str:
        async with self._changing() as (session, changed):
            lead = await self._lead(session, reference, actor)
            book = LeadBook(self.ctx, session)
            counted = lead.touches
            try:
                await book.touch(lead, actor, self.ctx.clock.now(), via, note=note)
            except TouchRefused as exc:
                raise LeadActionError(str(exc)) from None
            reader_next = await self._next_text(book, lead, actor)
            merged = lead.touches == counted  # within minutes of the last: one touch for the cadence
            changed.append(lead)
            return self.ctx.prompts.say("lead_touch_merged" if merged else "lead_touched",
                                        company=lead.company, touches=lead.touches,
                                        next=reader_next)

    @asynccontextmanager
    async def _changing(self) -> AsyncIterator[tuple[AsyncSession, list[Lead]]]:
        """A session for an action; once it committed, leads from a CRM that the action changed
        are written back in the background (the write is queued with the change, so if this
        attempt fails the next sync run retries it)."""
        changed: list[Lead] = []
        async with self.ctx.db.session() as session:
            yield session, changed
        if any(lead.source in configured(self.ctx) for lead in changed):
            self.ctx.spawn(WriteBacks(self.ctx).drain(), "CRM write-back")

    async def _next_text(self, book: LeadBook, lead: Lead, reader: Member) -> str:
        due = await book.due_step(lead)
        if due is None:
            return self.ctx.prompts.say("lead_no_more_due")
        return self.ctx.prompts.say(
            "lead_next_due", step=due.label(self.ctx.strategy.cadence_for(lead.segment)),
            due=local(due.due_at, reader))

    async def reassign(self, actor: Member, reference: str | int, new_owner: Member | int,
                       via: str) -> str:
        """Give a lead to another member (a manager's escalation button or typed command)."""
        async with self._changing() as (session, changed):
            lead = await self._lead(session, reference, actor)
            owner = await session.get(Member, new_owner) if isinstance(new_owner, int) else (
                await session.get(Member, new_owner.id))
            if owner is None:
                raise LeadActionError("That person is no longer known to the bot.")
            if not (is_admin(actor) or owner.id == actor.id
                    or await self.manages(session, actor, owner)):
                raise LeadActionError(self.ctx.prompts.say("lead_reassign_refused",
                                                           owner=owner.name))
            if not owner.active:
                raise LeadActionError(self.ctx.prompts.say(
                    "lead_reassign_inactive", owner=owner.name, company=lead.company))
            book = LeadBook(self.ctx, session)
            if not await book.reassign(lead, owner, actor, via):
                return self.ctx.prompts.say("lead_reassign_same", company=lead.company,
                                            owner=owner.name)
            changed.append(lead)
            return self.ctx.prompts.say("lead_reassigned", company=lead.company, owner=owner.name,
                                        next=await self._next_text(book, lead, actor))

    async def snooze(self, actor: Member, reference: str | int, until_text: str, via: str) -> str:
        async with self.ctx.db.session() as session:
            lead = await self._lead(session, reference, actor)
            book = LeadBook(self.ctx, session)
            until = self._until(until_text, await book.calendar(await book.owner(lead)))
            await book.snooze(lead, until, actor, via)
            return self.ctx.prompts.say("lead_snoozed", company=lead.company,
                                        until=local(until, actor))

    async def set_status(self, actor: Member, reference: str | int, status: str,
                         reason: str | None, via: str) -> str:
        async with self._changing() as (session, changed):
            lead = await self._lead(session, reference, actor)
            await LeadBook(self.ctx, session).set_status(lead, status, reason, actor, via)
            changed.append(lead)
            if status == "disqualified":
                return self.ctx.prompts.say("lead_disqualified", company=lead.company,
                                            reason=reason or "no reason given")
            return self.ctx.prompts.say("lead_qualified", company=lead.company)

    async def ask_reason(self, actor: Member, lead_id: int) -> Message:
        """The Disqualify button without a reason: offer the usual reasons as buttons."""
        async with self.ctx.db.session() as session:
            lead = await self._lead(session, lead_id, actor)
        reasons = self.ctx.prompts.say("lead_disqualify_reasons").split("|")
        text = self.ctx.prompts.say("lead_disqualify_ask", company=lead.company, ref=f"#{lead.id}")
        return Message(text=text, blocks=(Text(text), Buttons(tuple(
            Button(f"lead:disqualify:{lead.id}", reason.strip(), value=reason.strip())
            for reason in reasons if reason.strip()))))

    async def _lead(self, session: AsyncSession, reference: str | int, actor: Member) -> Lead:
        if isinstance(reference, int):
            lead = await session.get(Lead, reference)
            if lead is None or not await self.may_act(session, actor, lead):
                raise LeadActionError("That lead is not one you can act on.")
            return lead
        return await self.find(session, reference, actor)

    def _until(self, text: str, calendar: WorkCalendar) -> datetime:
        """"1d"/"3d" in the owner's business time, or "until YYYY-MM-DD" (its work start)."""
        words = text.strip().lower().removeprefix("until").strip()
        now = self.ctx.clock.now()
        try:
            day = date.fromisoformat(words)
        except ValueError:
            pass
        else:
            if not date_in_range(day):
                raise LeadActionError(f"{day.isoformat()} is outside the dates I keep ({DATE_RANGE}).")
            until = local_to_utc(datetime.combine(day, calendar.work_start), calendar.tz)
            if until <= now:
                raise LeadActionError(f"{day.isoformat()} has already passed.")
            return until
        try:
            duration = Duration.parse(words)
        except DurationError:
            raise LeadActionError("Snooze for a time like 1d or 3d, or until a date: "
                                  "`/align lead snooze #12 until 2026-03-20`") from None
        return add_business_time(now, duration, calendar)

    # --- the nudge, updated in place --------------------------------------------------

    async def refresh_nudge(self, actor: Member, message: MessageRef, acted_on: int,
                            outcome: str) -> None:
        """Re-render the nudge `message` with `outcome` in place of the acted-on lead's buttons."""
        async with self.ctx.db.session() as session:
            row = (await session.exec(select(OutboundMessage).where(
                OutboundMessage.platform_ref == ref_to_json(message)))).first()
            if row is None:
                return
            events = (await session.exec(select(LeadEvent).where(
                LeadEvent.kind == "nudged", LeadEvent.note == row.key))).all()
            owner = await session.get(Member, row.member_id)
            if owner is None:
                return
            outcomes = await self._outcomes(session, [e.lead_id for e in events], row.key, owner)
            outcomes[acted_on] = outcome
            book = LeadBook(self.ctx, session)
            leads = [await session.get(Lead, e.lead_id) for e in events]
            cards = [LeadCard(lead, await book.owner(lead), await book.due_step(lead))
                     for lead in leads if lead is not None]
        if not cards:
            return
        updated = nudge_message(self.ctx.prompts, self.ctx.strategy, cards, owner,
                                self.ctx.clock.now(), outcomes)
        try:
            await self.ctx.port_for(message.platform).update(message, updated)
        except DeliveryError as exc:
            log.warning("could not update nudge %s: %s", row.key, exc)

    async def _outcomes(self, session: AsyncSession, lead_ids: list[int], nudge_key: str,
                        reader: Member) -> dict[int, str]:
        """What was already done to each lead since this nudge (so earlier clicks stay shown)."""
        nudged_at = (await session.exec(select(LeadEvent.at).where(
            LeadEvent.kind == "nudged", LeadEvent.note == nudge_key))).first()
        if nudged_at is None:
            return {}
        rows = (await session.exec(select(LeadEvent).where(
            col(LeadEvent.lead_id).in_(lead_ids), col(LeadEvent.at) >= nudged_at,
            col(LeadEvent.kind).in_(("touch", "snooze", "status")))
            .order_by(col(LeadEvent.at)))).all()
        return {e.lead_id: _outcome_text(e, reader) for e in rows}


def _outcome_text(event: LeadEvent, reader: Member) -> str:
    """An earlier action on a nudged lead, as the nudge shows it instead of its buttons."""
    if event.kind == "snooze":
        return f"Snoozed until {local(datetime.fromisoformat(event.detail), reader)}"
    if event.kind == "status":
        return f"Marked {event.detail}" + (f": {event.note}" if event.note else "")
    return "Touch logged" + (f" ({event.detail})" if event.detail else "")
