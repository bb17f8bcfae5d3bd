"""The `nudges` schedule: one message per rep per run listing their leads that are due or overdue,
and escalations to managers.

Rules a rep can rely on:
- a nudge comes only inside the rep's working hours and at most `nudges_per_day` a day;
- a lead is in a nudge once per cadence step (`Lead.nudged_step`); Done moves it to the next step,
  a snooze brings the same step back when it ends;
- a lead overdue by more than `lead_escalate_after` (owner's business time) is escalated to the
  owner's manager, inside the manager's working hours: from the manager's own run when the
  schedule is theirs too - one message listing every report's overdue leads and the due leads of
  reports who are away - else from each owner's run. Each step is escalated once
  (`Lead.escalated_step`).

Sending goes through the outbox with the engine's key, so a re-run of an occurrence (crash,
second process) sends nothing twice; leads are marked nudged only after the send is recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import BotContext
from bot.delivery import Outbox
from bot.leads.book import LeadBook
from bot.leads.cadence import OPEN_STATUSES
from bot.leads.render import LeadCard, escalation_message, nudge_message
from bot.scheduling.business_time import add_business_time, business_minutes_between
from bot.scheduling.targets import includes
from bot.scheduling.when import local_to_utc
from bot.storage.models import Lead, LeadEvent, Member, OutboundMessage, Schedule

log = logging.getLogger(__name__)
NUDGE_KIND = "nudge"
ESCALATION_KIND = "lead_escalation"


@dataclass
class NudgeJob:
    """What a `nudges` schedule does for one recipient at one occurrence."""

    ctx: BotContext
    outbox: Outbox
    kind: str = "nudges"

    async def run(self, schedule: Schedule, member: Member, occurrence: datetime, key: str) -> bool:
        now = self.ctx.clock.now()
        sent = False
        if member.role == "manager" or await self._has_reports(member):
            sent |= await self._escalate_team(member, key, now)
        async with self.ctx.db.session() as session:
            book = LeadBook(self.ctx, session)
            if not await self._at_work(book, member, now):
                return sent  # outside their working day: the next run in hours picks the leads up
            if await self._sent_today(session, member, now) >= self.ctx.settings.nudges_per_day:
                return sent
            cards = await self._due_cards(book, member, now)
        if cards:
            sent |= await self._nudge(member, cards, key, now)
        sent |= await self._escalate_overdue(member, schedule, key, now)
        return sent

    # --- the rep's own nudge ----------------------------------------------------------

    async def _due_cards(self, book: LeadBook, member: Member, now: datetime) -> list[LeadCard]:
        leads = (await book.session.exec(select(Lead).where(
            Lead.owner_id == member.id, col(Lead.status).in_(OPEN_STATUSES),
            col(Lead.next_due_at) <= now).order_by(col(Lead.next_due_at)))).all()
        cards = [LeadCard(lead, member, await book.due_step(lead)) for lead in leads]
        return [c for c in cards if c.due is not None and c.due.due_at <= now
                and c.lead.nudged_step != c.due.step]

    async def _nudge(self, member: Member, cards: list[LeadCard], key: str, now: datetime) -> bool:
        message = nudge_message(self.ctx.prompts, self.ctx.strategy, cards, member, now)
        ref = await self.outbox.deliver(member, f"{key}:nudge", NUDGE_KIND, message)
        if ref is None:
            return False
        async with self.ctx.db.session() as session:
            for card in cards:
                assert card.due is not None and card.lead.id is not None
                await session.exec(update(Lead).where(col(Lead.id) == card.lead.id)
                                   .values(nudged_step=card.due.step))
                session.add(LeadEvent(lead_id=card.lead.id, kind="nudged", at=now,
                                      member_id=member.id, via="nudge",
                                      detail=f"step {card.due.step}", note=f"{key}:nudge",
                                      event_key=f"{key}:nudge:lead{card.lead.id}"[:200]))
        return True

    async def _sent_today(self, session: AsyncSession, member: Member, now: datetime) -> int:
        """Nudges this member already got on their local calendar day."""
        book = LeadBook(self.ctx, session)
        calendar = await book.calendar(member)
        midnight = local_to_utc(datetime.combine(calendar.local_date(now), time()), calendar.tz)
        count = (await session.exec(select(func.count()).select_from(OutboundMessage).where(
            OutboundMessage.member_id == member.id, OutboundMessage.kind == NUDGE_KIND,
            col(OutboundMessage.claimed_at) >= midnight))).one()
        return int(count)

    # --- escalations ------------------------------------------------------------------

    async def _escalate_overdue(self, owner: Member, schedule: Schedule, key: str, now: datetime) -> bool:
        """From the owner's run: tell their manager about leads overdue beyond the threshold, if
        the manager is at work now and this schedule does not run for them too (then their own
        run sends one message for the whole team rather than one per report)."""
        if owner.manager_id is None:
            return False
        async with self.ctx.db.session() as session:
            if await includes(session, schedule.target, owner.manager_id):
                return False
            manager = await session.get(Member, owner.manager_id)
            if manager is None or not manager.active or not await self._at_work(
                    LeadBook(self.ctx, session), manager, now):
                return False
            items = await self._overdue_items(LeadBook(self.ctx, session), [owner], now)
        if not items:
            return False
        return await self._send_escalation(manager, items, f"{key}:escalate", now)

    async def _escalate_team(self, manager: Member, key: str, now: datetime) -> bool:
        """From a manager's run: their reports' leads overdue beyond the threshold, and the due
        leads of reports who are away today (nobody else would follow them up)."""
        async with self.ctx.db.session() as session:
            book = LeadBook(self.ctx, session)
            if not await self._at_work(book, manager, now):
                return False
            reports = list((await session.exec(select(Member).where(
                Member.manager_id == manager.id, col(Member.active).is_(True)))).all())
            away = []
            for report in reports:
                calendar = await book.calendar(report)
                if calendar.is_away(calendar.local_date(now)):
                    away.append(report)
            present = [m for m in reports if m not in away]
            items = await self._overdue_items(book, present, now)
            owners = {m.id: m for m in away}
            for lead in await self._overdue(session, away, now, include_waiting=True):
                due = await book.due_step(lead, ignore_away=True)
                if due is not None and due.due_at <= now and lead.escalated_step != due.step:
                    owner = owners[lead.owner_id]
                    items.append((LeadCard(lead, owner, due),
                                  f"{owner.name} is away until {owner.away_until}"))
        if not items:
            return False
        return await self._send_escalation(manager, items, f"{key}:team", now)

    async def _overdue_items(self, book: LeadBook, owners: list[Member],
                             now: datetime) -> list[tuple[LeadCard, str]]:
        """Leads of these owners overdue by more than `lead_escalate_after`, not yet escalated
        for their current step, with how late they are."""
        limit = self.ctx.settings.lead_escalate_after
        by_id = {m.id: m for m in owners}
        items: list[tuple[LeadCard, str]] = []
        for lead in await self._overdue(book.session, owners, now):
            owner = by_id[lead.owner_id]
            due = await book.due_step(lead)
            if due is None or lead.escalated_step == due.step:
                continue
            calendar = await book.calendar(owner)
            if now > add_business_time(due.due_at, limit, calendar):
                late = business_minutes_between(due.due_at, now, calendar) // 60
                items.append((LeadCard(lead, owner, due), f"{late} business hours late"))
        return items

    async def _at_work(self, book: LeadBook, member: Member, now: datetime) -> bool:
        calendar = await book.calendar(member)
        hours = calendar.work_hours(calendar.local_date(now))
        return hours is not None and hours[0] <= now < hours[1]

    async def _overdue(self, session: AsyncSession, owners: list[Member], now: datetime,
                       include_waiting: bool = False) -> list[Lead]:
        """Open leads of these owners whose follow-up is due (or, for an away owner, whose clock
        is paused by the time away: engaged or touched and waiting)."""
        if not owners:
            return []
        query = select(Lead).where(col(Lead.owner_id).in_([m.id for m in owners]),
                                   col(Lead.status).in_(OPEN_STATUSES),
                                   col(Lead.next_due_at).is_not(None))
        if not include_waiting:
            query = query.where(col(Lead.next_due_at) <= now)
        return list((await session.exec(query.order_by(col(Lead.next_due_at)))).all())

    async def _send_escalation(self, manager: Member, items: list[tuple[LeadCard, str]],
                               key: str, now: datetime) -> bool:
        async with self.ctx.db.session() as session:  # whom the manager can hand a lead to
            team = list((await session.exec(select(Member).where(
                Member.manager_id == manager.id, col(Member.active).is_(True))
                .order_by(col(Member.id)))).all())
        message = escalation_message(self.ctx.prompts, self.ctx.strategy, items, manager, now,
                                     team)
        ref = await self.outbox.deliver(manager, key, ESCALATION_KIND, message)
        if ref is None:
            return False
        async with self.ctx.db.session() as session:
            for card, why in items:
                assert card.due is not None and card.lead.id is not None
                await session.exec(update(Lead).where(col(Lead.id) == card.lead.id)
                                   .values(escalated_step=card.due.step))
                session.add(LeadEvent(lead_id=card.lead.id, kind="escalated", at=now,
                                      member_id=manager.id, via="nudge", detail=why[:500],
                                      note=key, event_key=f"{key}:lead{card.lead.id}"[:200]))
        return True

    async def _has_reports(self, member: Member) -> bool:
        async with self.ctx.db.session() as session:
            return (await session.exec(select(Member.id).where(
                Member.manager_id == member.id).limit(1))).first() is not None
