"""Forgetting a member (`/align forget`): what is deleted, what stays as anonymous facts, and
what is handed on - decided here, table by table, in one transaction.

Deleted: their answers (text, evaluation, feedback), contacts and workspace records (how to reach
them), delivery details of messages sent to them, pending confirmations, their id in installation
records and message keys, and their profile - the member row becomes a tombstone ("Forgotten
member #7": no name, email, platform id, time zone, manager or admin flag).
Kept, anonymous: check-in rows (when asked, whether answered: counts, nothing they wrote), lead
events they recorded (a lead's history is the company's and its cadence is counted from it),
schedules they created. Handed on: leads they owned go to their manager (else to the admin who
confirmed), their reports to their own manager, and schedules aimed at them or their team pause.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import BotContext
from bot.leads.book import LeadBook
from bot.storage.models import (
    Answer,
    CheckIn,
    Confirmation,
    Contact,
    Correction,
    Lead,
    LeadEvent,
    Member,
    MemberWorkspace,
    OutboundMessage,
    PlatformInstallation,
    Schedule,
)

FORGOTTEN_NAME = "Forgotten member #{id}"
REASSIGNED = "reassigned"  # the lead event recording a new owner


def tombstone_id(member_id: int) -> str:
    """The platform id a forgotten member's row keeps: unique, and no platform's real id."""
    return f"forgotten-{member_id}"


@dataclass(frozen=True)
class ForgetPlan:
    """What forgetting `member` does, counted before (the preview) and returned after."""

    member_id: int
    name: str
    checkins: int  # kept, anonymous
    answers: int  # deleted
    sends: int  # delivery details cleared
    contacts: int  # deleted (contacts, workspace records)
    leads: int  # handed to `heir`
    lead_events: int  # kept with the leads, anonymous
    reports: tuple[str, ...]  # now report to `reports_to`
    schedules: int  # paused
    heir: str
    reports_to: str | None
    corrections: int = 0  # deleted: "Not right?" corrections they made or that quote their answers


@dataclass(frozen=True)
class DeletedAnswer:
    question: str
    text: str
    strategy_version: str


def _count(query: Any) -> Any:
    return select(func.count()).select_from(query.subquery())


class Forgetting:
    """Plans and carries out forgetting one member, inside the caller's session."""

    def __init__(self, ctx: BotContext, session: AsyncSession) -> None:
        self.ctx = ctx
        self.session = session
        # After `forget`: the answers deleted, so in-memory caches keyed by them can drop theirs.
        self.deleted_answers: list[DeletedAnswer] = []

    async def _number(self, query: Any) -> int:
        return int((await self.session.exec(_count(query))).one())

    async def _manager(self, member: Member) -> Member | None:
        if member.manager_id is None:
            return None
        manager = await self.session.get(Member, member.manager_id)
        return manager if manager is not None and manager.active and manager.forgotten_at is None else None

    async def heir(self, member: Member, by: Member) -> Member:
        """Who takes over their leads: their manager, else the admin who confirms."""
        return await self._manager(member) or by

    def _contacts(self, member: Member) -> Any:
        same_person = [col(Contact.user_id) == member.platform_user_id]
        if member.email:
            same_person.append(func.lower(Contact.email) == member.email.lower())
        return select(Contact.id).where(Contact.platform == member.platform, or_(*same_person))

    def _corrections(self, member: Member) -> Any:
        """Corrections they made, and any that quote one of their answers."""
        return select(Correction.id).where(or_(
            col(Correction.author_id) == member.id,
            col(Correction.answer_id).in_(select(Answer.id).where(Answer.member_id == member.id))))

    def _workspaces(self, member: Member) -> Any:
        return select(MemberWorkspace.id).where(MemberWorkspace.platform == member.platform,
                                                MemberWorkspace.user_id == member.platform_user_id)

    def _schedules(self, member: Member) -> Any:
        return select(Schedule).where(col(Schedule.target).in_(
            (f"member:{member.id}", f"team:{member.id}")), Schedule.active == True)  # noqa: E712

    async def plan(self, member: Member, by: Member) -> ForgetPlan:
        assert member.id is not None
        heir = await self.heir(member, by)
        manager = await self._manager(member)
        reports = (await self.session.exec(select(Member.name).where(
            Member.manager_id == member.id, col(Member.forgotten_at).is_(None))
            .order_by(Member.name))).all()
        contacts = (await self._number(self._contacts(member))
                    + await self._number(self._workspaces(member)))
        return ForgetPlan(
            member_id=member.id, name=member.name,
            checkins=await self._number(select(CheckIn.id).where(CheckIn.member_id == member.id)),
            answers=await self._number(select(Answer.id).where(Answer.member_id == member.id)),
            sends=await self._number(select(OutboundMessage.id).where(
                OutboundMessage.member_id == member.id)),
            contacts=contacts,
            leads=await self._number(select(Lead.id).where(Lead.owner_id == member.id)),
            lead_events=await self._number(select(LeadEvent.id).where(
                LeadEvent.member_id == member.id)),
            reports=tuple(reports), schedules=await self._number(self._schedules(member)),
            heir=heir.name, reports_to=manager.name if manager else None,
            corrections=await self._number(self._corrections(member)))

    async def forget(self, member: Member, by: Member) -> ForgetPlan:
        """Carry it out; returns what was done (the same counts as the preview, fresh)."""
        assert member.id is not None
        plan = await self.plan(member, by)
        heir = await self.heir(member, by)
        manager = await self._manager(member)
        answers = (await self.session.exec(select(Answer.question, Answer.text, CheckIn.strategy_version)
                                           .join(CheckIn, col(CheckIn.id) == col(Answer.checkin_id))
                                           .where(Answer.member_id == member.id))).all()
        await self.session.exec(delete(Correction).where(col(Correction.id).in_(self._corrections(member))))
        await self.session.exec(update(Correction).where(col(Correction.confirmed_by) == member.id)
                                .values(confirmed_by=None))
        await self.session.exec(update(Correction).where(col(Correction.undone_by) == member.id)
                                .values(undone_by=None))
        await self.session.exec(delete(Answer).where(col(Answer.member_id) == member.id))
        await self._scrub_checkins(member.id)
        await self._scrub_sends(member)
        await self.session.exec(delete(Contact).where(col(Contact.id).in_(self._contacts(member))))
        await self.session.exec(delete(MemberWorkspace).where(
            col(MemberWorkspace.id).in_(self._workspaces(member))))
        await self._scrub_installations(member)
        await self._hand_on_leads(member, heir, by)
        await self.session.exec(update(Member).where(col(Member.manager_id) == member.id).values(
            manager_id=manager.id if manager else None, updated_at=self.ctx.clock.now()))
        for schedule in (await self.session.exec(self._schedules(member))).all():
            schedule.active, schedule.updated_at = False, self.ctx.clock.now()
            self.session.add(schedule)
        await self.session.exec(delete(Confirmation).where(or_(
            col(Confirmation.subject_id) == member.id, col(Confirmation.requested_by) == member.id)))
        self._tombstone(member, self.ctx.clock.now())
        await self.session.flush()
        self.deleted_answers = [DeletedAnswer(q, t, v) for q, t, v in answers]
        return plan

    async def _scrub_checkins(self, member_id: int) -> None:
        """Keep when they were asked and whether they answered; drop where the messages were,
        the skip reason, and stop anything still pending for them."""
        await self.session.exec(update(CheckIn).where(col(CheckIn.member_id) == member_id).values(
            message_ref=None, note=None, current_question=None, next_reminder_at=None))
        now = self.ctx.clock.now()
        await self.session.exec(update(CheckIn).where(
            col(CheckIn.member_id) == member_id, col(CheckIn.state).in_(("scheduled", "asked", "reminded")))
            .values(state="expired", closed_at=now))
        await self.session.exec(update(CheckIn).where(
            col(CheckIn.member_id) == member_id, col(CheckIn.state) == "answered",
            col(CheckIn.closed_at).is_(None)).values(closed_at=now))

    async def _scrub_sends(self, member: Member) -> None:
        """Messages to them keep their idempotency key and state (so nothing is re-sent) but not
        where they landed or the platform's error text; notices to admins about them lose the
        platform id their key carried."""
        await self.session.exec(update(OutboundMessage).where(
            col(OutboundMessage.member_id) == member.id).values(platform_ref=None, error=None))
        assert member.id is not None
        mark = f":{member.platform}:{member.platform_user_id}:"
        about = (await self.session.exec(select(OutboundMessage).where(
            col(OutboundMessage.key).contains(mark)))).all()
        for row in about:
            row.key = row.key.replace(mark, f":{member.platform}:{tombstone_id(member.id)}:")[:200]
            self.session.add(row)

    async def _scrub_installations(self, member: Member) -> None:
        """An installation they made stays (the workspace still uses it) without their id or
        any credential of theirs."""
        rows = (await self.session.exec(select(PlatformInstallation).where(
            PlatformInstallation.platform == member.platform,
            PlatformInstallation.installer_id == member.platform_user_id))).all()
        for row in rows:
            row.installer_id = None
            row.data = json.dumps(scrub_installer(json.loads(row.data), member.platform_user_id))
            self.session.add(row)

    async def _hand_on_leads(self, member: Member, heir: Member, by: Member) -> None:
        leads = (await self.session.exec(select(Lead).where(Lead.owner_id == member.id))).all()
        book = LeadBook(self.ctx, self.session)
        now = self.ctx.clock.now()
        for lead in leads:
            lead.owner_id = heir.id  # type: ignore[assignment]
            lead.nudged_step = lead.escalated_step = None  # the new owner is nudged afresh
            await book.record(lead, REASSIGNED, now, by.id, "forget",
                              f"previous owner forgotten; now {heir.name}"[:500])
            await book.refresh(lead)

    @staticmethod
    def _tombstone(member: Member, now: datetime) -> None:
        assert member.id is not None
        member.name = FORGOTTEN_NAME.format(id=member.id)
        member.platform_user_id = tombstone_id(member.id)
        member.email = None
        member.timezone, member.timezone_overridden = "UTC", False
        member.working_days, member.away_until, member.away_from = "mon-fri", None, None
        member.admin = member.platform_admin = False
        member.manager_id = None
        member.active, member.unreachable = False, None
        member.forgotten_at = member.updated_at = now



def scrub_installer(data: dict[str, Any], user_id: str) -> dict[str, Any]:
    """A platform's installation record without the installer: every value equal to their id
    becomes None, and user-level credentials (`user_*` fields, e.g. Slack's user token) go."""
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: None if k.startswith("user_") and k != "user_id" else clean(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return None if value == user_id else value
    result: dict[str, Any] = clean(data)
    return result
