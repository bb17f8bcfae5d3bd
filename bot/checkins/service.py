"""Check-ins as rows: create one per member and occurrence, ask, take answers, edit, close.

Plain chat asks the three questions one at a time (each message answers the current question);
platforms with forms may submit all three at once. Both paths store answers the same way, and
answering again before the check-in closes edits the stored answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.answering import OPEN_STATES as OPEN_STATES  # where it is read from
from bot.checkins.answering import Answering, InlineJudge, Taken, take
from bot.checkins.messages import answers_message, ask_message, form_id_of, question_line
from bot.context import BotContext
from bot.delivery import Outbox, ref_to_json
from bot.events import FormRefused, Message, QuestionForm
from bot.ops import logs
from bot.port import DeliveryError
from bot.scheduling.targets import Person
from bot.storage.models import Answer, CheckIn, Member, literal_states
from bot.strategy.news import with_new_statement

log = logging.getLogger(__name__)
AWAITING_STATES = ("asked", "reminded")
FeedbackHook = Callable[[int], Coroutine[object, object, Message | None]]


@dataclass
class AskReport:
    """What `ask now` did, for the admin who asked."""

    asked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def audience_of(member: Member | Person) -> str:
    return "manager" if member.role == "manager" else "rep"


class CheckIns:
    """The check-in lifecycle, driven by commands, schedules and incoming answers."""

    def __init__(self, ctx: BotContext, outbox: Outbox, feedback: FeedbackHook | None = None,
                 inline: Callable[[], InlineJudge | None] | None = None) -> None:
        self.ctx = ctx
        self.outbox = outbox
        self.feedback = feedback
        self.inline = inline  # judging inside an answer's unit of work (AnswerReviewer.inline)

    # --- opening and asking -------------------------------------------------------------

    async def open_for(self, session: AsyncSession, member_id: int,
                       schedule_id: int | None = None, any_schedule: bool = True) -> CheckIn | None:
        """The member's open check-in (newest first), optionally for one schedule."""
        query = select(CheckIn).where(CheckIn.member_id == member_id,
                                      col(CheckIn.state).in_(OPEN_STATES))
        if not any_schedule:
            query = query.where(CheckIn.schedule_id == schedule_id)
        rows = (await session.exec(query.order_by(col(CheckIn.asked_at).desc()))).all()
        now = self.ctx.clock.now()
        return next((c for c in rows if c.closes_at is None or c.closes_at > now), None)

    async def create(self, member: Member, *, key: str, occurrence: datetime,
                     schedule_id: int | None, closes_at: datetime | None) -> CheckIn | None:
        """Insert the check-in row; None if one with this key exists (already created)."""
        assert member.id is not None
        async with self.ctx.db.session() as session:
            checkin = CheckIn(key=key, member_id=member.id, schedule_id=schedule_id,
                              occurrence_at=occurrence, audience=audience_of(member),
                              strategy_version=self.ctx.strategy.version, closes_at=closes_at,
                              created_at=self.ctx.clock.now())
            session.add(checkin)
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return None
        return checkin

    async def ask(self, checkin: CheckIn, member: Member,
                  first_reminder_at: datetime | None = None) -> bool:
        """Send the invitation (once per check-in, whatever retries happen) and mark it asked."""
        with logs.bound(checkin=checkin.id):
            return await self._ask(checkin, member, first_reminder_at)

    async def _ask(self, checkin: CheckIn, member: Member, first_reminder_at: datetime | None) -> bool:
        message = ask_message(self.ctx.prompts, checkin, member.name, self.ctx.strategy.strategy.name)
        message = await with_new_statement(self.ctx, checkin, message)  # the strategy changed
        ref = await self.outbox.deliver(member, f"{checkin.key}:ask", "checkin", message)
        if ref is None:
            return False
        async with self.ctx.db.session() as session:
            row = await session.get(CheckIn, checkin.id)
            assert row is not None
            first_ask = row.state == "scheduled"
            if first_ask:
                row.state, row.asked_at, row.current_question = "asked", self.ctx.clock.now(), 0
                row.message_ref = ref_to_json(ref)
                row.next_reminder_at = first_reminder_at
                session.add(row)
        if first_ask:
            self.ctx.metrics.checkins_asked.labels(checkin.audience).inc()
        return True

    async def ask_now(self, members: Sequence[Member], close_after: timedelta) -> AskReport:
        """Ad-hoc check-in for these members, skipping anyone who already has one open."""
        report = AskReport()
        now = self.ctx.clock.now()
        for member in members:
            assert member.id is not None
            async with self.ctx.db.session() as session:
                if await self.open_for(session, member.id):
                    report.skipped.append(f"{member.name} (already has an open check-in)")
                    continue
                if await self._retrying(session, member.id):
                    report.skipped.append(f"{member.name} (an earlier ask is being retried)")
                    continue
            key = f"adhoc:{member.id}:{now.isoformat(timespec='seconds')}"
            checkin = await self.create(member, key=key, occurrence=now, schedule_id=None,
                                        closes_at=now + close_after)
            if checkin is None:
                report.skipped.append(f"{member.name} (just asked)")
                continue
            try:
                asked = await self.ask(checkin, member)
            except DeliveryError as exc:  # transient: the scheduler's next pass retries it
                report.failed.append(f"{member.name} ({exc}; the bot will try again in a minute)")
                continue
            if not asked:
                await self._close_unreachable(checkin)
            (report.asked if asked else report.failed).append(
                member.name if asked else f"{member.name} (could not be reached)")
        return report

    async def _close_unreachable(self, checkin: CheckIn) -> None:
        """The invitation failed for good (the member is unreachable): nothing will ask it."""
        async with self.ctx.db.session() as session:
            await session.exec(update(CheckIn).where(
                col(CheckIn.id) == checkin.id, col(CheckIn.state) == "scheduled").values(
                state="failed", note="could not be reached", closed_at=self.ctx.clock.now()))

    async def _retrying(self, session: AsyncSession, member_id: int) -> bool:
        """An ad-hoc check-in whose invitation failed for now and is still to be sent (by the
        scheduler's next pass): asking again would send a second one."""
        rows = (await session.exec(select(CheckIn.closes_at).where(
            CheckIn.member_id == member_id, col(CheckIn.schedule_id).is_(None),
            CheckIn.state == "scheduled"))).all()
        now = self.ctx.clock.now()
        return any(closes_at is None or closes_at > now for closes_at in rows)

    # --- answering ----------------------------------------------------------------------

    async def on_text(self, member: Member, text: str) -> list[Message]:
        """A plain chat message: the answer to the current question of the open check-in."""
        assert member.id is not None
        return (await self.take(Answering({"": text}, member_id=member.id, chat=True))).replies

    async def submit(self, member: Member, checkin_id: int,
                     values: dict[str, str]) -> list[Message]:
        """A form submission with any of the three answers (Slack modal, Teams card)."""
        assert member.id is not None
        return (await self.take(Answering(values, member_id=member.id, checkin_id=checkin_id))).replies

    async def edit(self, member: Member, number: int, text: str) -> list[Message]:
        """`/align answer <n> <text>`: replace one answer while the check-in is open."""
        assert member.id is not None
        return (await self.take(Answering({"": text}, member_id=member.id, edit_number=number))).replies

    async def take(self, request: Answering, alongside: Callable[[Connection], Any] | None = None) -> Taken:
        """An answer (chat, form or `/align answer`) as one unit of work on the database's thread
        (`bot.checkins.answering`), judged there when the evaluator can; then the replies: what
        was saved, the feedback (awaited here, a short while, for answers not judged in the
        unit), and in chat the next question or the closing line. `alongside`, when given, runs
        first in the same unit (an adapter's own step, e.g. noting the sender): one hand-off to
        the database's thread for both; its result is `Taken.alongside`."""
        now, prompts = self.ctx.clock.now(), self.ctx.prompts
        judge = self.inline() if self.inline is not None else None
        await self.ctx.intake.make_way()  # a burst arriving: its acks first

        def unit(connection: Connection) -> Taken:
            first = alongside(connection) if alongside is not None else None
            taken = take(connection, request, now=now, prompts=prompts, judge=judge)
            taken.alongside = first
            return taken
        taken = await self.ctx.db.run(unit)
        checkin = taken.checkin
        if checkin is None or not taken.saved:
            return taken
        with logs.bound(checkin=checkin.id):  # also on the review's log lines (spawned inside)
            if taken.first_time_done:
                self.ctx.metrics.checkins_answered.labels(checkin.audience).inc()
            judged = {verdict.answer_id: verdict.message for verdict in taken.verdicts}
            for saved in taken.saved:
                message = judged[saved.id] if saved.id in judged else await self._feedback(saved.id)
                if message is not None:
                    taken.replies.append(message)
        if taken.first_time_done and taken.chat:
            taken.replies.append(Message.plain(prompts.say("checkin_complete", name=taken.member_name)))
        elif taken.chat and checkin.current_question is not None:
            taken.replies.append(Message.plain(question_line(
                prompts, prompts.questions(checkin.audience), checkin.current_question)))
        return taken

    async def _feedback(self, answer_id: int) -> Message | None:
        """Feedback on an answer not judged in its unit, if its review is ready in time."""
        return await self.feedback(answer_id) if self.feedback is not None else None

    async def form(self, member: Member, checkin_id: int) -> QuestionForm | FormRefused:
        """The check-in's question form pre-filled with the member's current answers, for
        platforms that open a form on demand; or why not (someone else's, closed, expired)."""
        message = await self.invitation(member, checkin_id)
        found = next((b for b in message.blocks if isinstance(b, QuestionForm)), None) if message else None
        if found is not None:
            return found
        async with self.ctx.db.session() as session:
            checkin = await session.get(CheckIn, checkin_id)
        reason = ("not_yours" if checkin is None or checkin.member_id != member.id else
                  "checkin_expired" if checkin.state == "expired" or checkin.answered_at is None else
                  "checkin_closed")
        return FormRefused(form_id_of(checkin_id), reason, self.ctx.prompts.say(f"form_refused_{reason}"))

    async def invitation(self, member: Member, checkin_id: int) -> Message | None:
        """The check-in's invitation as it stands now (answers filled in, "Edit answers" once
        something is saved), for platforms that update the sent invitation in place; None when
        the check-in is not theirs or has closed."""
        async with self.ctx.db.session() as session:
            checkin = await session.get(CheckIn, checkin_id)
            if checkin is None or checkin.member_id != member.id or checkin.state not in OPEN_STATES or (
                    checkin.closes_at and checkin.closes_at <= self.ctx.clock.now()):
                return None
            answers = (await session.exec(select(Answer).where(Answer.checkin_id == checkin.id))).all()
        return ask_message(self.ctx.prompts, checkin, member.name, self.ctx.strategy.strategy.name,
                           {a.question: a.text for a in answers})

    async def current_answers(self, member: Member) -> list[Message]:
        assert member.id is not None
        async with self.ctx.db.session() as session:
            checkin = await self.open_for(session, member.id)
            if checkin is None:
                return [Message.plain(self.ctx.prompts.say("no_open_checkin"))]
            answers = (await session.exec(select(Answer).where(
                Answer.checkin_id == checkin.id))).all()
        return [answers_message(self.ctx.prompts, checkin, list(answers))]


class CheckInCloser:
    """Closes check-ins whose window has passed: answered ones stay answered, others expire."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    async def next_due(self, after: datetime, until: datetime) -> datetime | None:
        """The earliest close time in (after, until], so a clock jump can stop there."""
        async with self.ctx.db.session() as session:
            query = select(CheckIn.closes_at).where(
                literal_states(col(CheckIn.state), OPEN_STATES),  # ix_checkins_closing
                col(CheckIn.closed_at).is_(None),
                col(CheckIn.closes_at) > after,
                col(CheckIn.closes_at) <= until).order_by(col(CheckIn.closes_at)).limit(1)
            return (await session.exec(query)).first()

    async def close_due(self) -> int:
        """Close every check-in whose window has ended; returns how many. A closed answered
        check-in keeps state "answered" and its closed_at, so it is never closed twice."""
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            rows = (await session.exec(select(CheckIn).where(
                literal_states(col(CheckIn.state), OPEN_STATES),  # ix_checkins_closing
                col(CheckIn.closed_at).is_(None),
                col(CheckIn.closes_at) <= now))).all()
            for row in rows:
                row.state = "answered" if row.answered_at else "expired"
                row.closed_at, row.current_question = now, None
                session.add(row)
        return len(rows)
