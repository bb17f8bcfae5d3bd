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

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.messages import answers_message, ask_message, form_id_of, question_line
from bot.context import BotContext
from bot.delivery import Outbox, ref_to_json
from bot.events import FormRefused, Message, QuestionForm
from bot.ops import logs
from bot.port import DeliveryError
from bot.scheduling.targets import Person
from bot.storage.models import Answer, CheckIn, Member
from bot.strategy.news import with_new_statement
from bot.text import ANSWER_LIMIT, clean

log = logging.getLogger(__name__)
OPEN_STATES = ("asked", "reminded", "answered")  # answers can be edited until it closes
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

    def __init__(self, ctx: BotContext, outbox: Outbox, feedback: FeedbackHook | None = None) -> None:
        self.ctx = ctx
        self.outbox = outbox
        self.feedback = feedback

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
        prompts = self.ctx.prompts
        async with self.ctx.db.session() as session:
            checkin = await self.open_for(session, member.id)
            if checkin is None:
                return [Message.plain(prompts.say("no_open_checkin"))]
            if checkin.current_question is None:
                return [Message.plain(prompts.say("checkin_already_complete"))]
            questions = prompts.questions(checkin.audience)
            question = questions.questions[checkin.current_question].id
        return await self._save(member, checkin, {question: text}, chat=True)

    async def submit(self, member: Member, checkin_id: int,
                     values: dict[str, str]) -> list[Message]:
        """A form submission with any of the three answers (Slack modal, Teams card)."""
        assert member.id is not None
        async with self.ctx.db.session() as session:
            checkin = await session.get(CheckIn, checkin_id)
            if checkin is None or checkin.member_id != member.id:
                return [Message.plain("That check-in is not yours, or no longer exists.")]
            if checkin.state not in OPEN_STATES or (
                    checkin.closes_at and checkin.closes_at <= self.ctx.clock.now()):
                return [Message.plain("That check-in has closed; your earlier answers are kept.")]
        known: set[str] = {q.id for q in self.ctx.prompts.questions(checkin.audience).questions}
        answers = {q: v for q, v in values.items() if q in known and v and v.strip()}  # a forged or
        if not answers:  # stale form may carry fields that are no question: they are ignored
            return [Message.plain("Nothing to save: all answers were empty.")]
        return await self._save(member, checkin, answers, chat=False)

    async def edit(self, member: Member, number: int, text: str) -> list[Message]:
        """`/align answer <n> <text>`: replace one answer while the check-in is open."""
        assert member.id is not None
        async with self.ctx.db.session() as session:
            checkin = await self.open_for(session, member.id)
        if checkin is None:
            return [Message.plain(self.ctx.prompts.say("no_open_checkin"))]
        questions = self.ctx.prompts.questions(checkin.audience).questions
        if not 1 <= number <= len(questions):
            return [Message.plain(f"There are {len(questions)} questions; pick 1 to"
                                  f" {len(questions)}, e.g. `/align answer 3 mapped the committee`")]
        return await self._save(member, checkin, {questions[number - 1].id: text}, chat=False)

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

    async def _save(self, member: Member, checkin: CheckIn, values: dict[str, str],
                    chat: bool) -> list[Message]:
        with logs.bound(checkin=checkin.id):  # also on the review's log lines (spawned inside)
            return await self._save_answers(member, checkin, values, chat)

    async def _save_answers(self, member: Member, checkin: CheckIn, values: dict[str, str],
                            chat: bool) -> list[Message]:
        replies: list[Message] = []
        saved: list[int] = []
        questions = self.ctx.prompts.questions(checkin.audience)
        async with self.ctx.db.session() as session:
            row = await session.get(CheckIn, checkin.id, with_for_update=not self.ctx.db.is_sqlite)
            assert row is not None and member.id is not None
            for question, raw in values.items():
                text, cut = clean(raw)
                if cut:
                    replies.append(Message.plain(self.ctx.prompts.say(
                        "answer_cut", kept=f"{len(text):,}", limit=f"{ANSWER_LIMIT:,}")))
                answer_id, edited = await self._upsert(session, row, member.id, question, text)
                saved.append(answer_id)
                number = questions.index_of(question) + 1  # type: ignore[arg-type]
                replies.append(Message.plain(self.ctx.prompts.say(
                    "answer_edited" if edited else "answer_saved", number=number)))
            done = await self._advance(session, row)
        if done:
            self.ctx.metrics.checkins_answered.labels(checkin.audience).inc()
        replies.extend(await self._feedback(saved))
        if done and chat:
            replies.append(Message.plain(self.ctx.prompts.say("checkin_complete", name=member.name)))
        elif chat and row.current_question is not None:
            replies.append(Message.plain(question_line(self.ctx.prompts, questions,
                                                       row.current_question)))
        return replies

    async def _feedback(self, answer_ids: list[int]) -> list[Message]:
        """Feedback on each saved answer, in order, for those whose review is ready in time."""
        if self.feedback is None:
            return []
        ready = [await self.feedback(answer_id) for answer_id in answer_ids]
        return [message for message in ready if message is not None]

    async def _upsert(self, session: AsyncSession, checkin: CheckIn, member_id: int,
                      question: str, text: str) -> tuple[int, bool]:
        now = self.ctx.clock.now()
        answer = (await session.exec(select(Answer).where(
            Answer.checkin_id == checkin.id, Answer.question == question))).first()
        edited = answer is not None
        if answer is None:
            assert checkin.id is not None
            answer = Answer(checkin_id=checkin.id, member_id=member_id, question=question,
                            text=text, created_at=now, updated_at=now)
        else:
            answer.text, answer.updated_at, answer.edits = text, now, answer.edits + 1
            answer.evaluation = answer.feedback = None
        session.add(answer)
        await session.flush()
        assert answer.id is not None
        return answer.id, edited

    async def _advance(self, session: AsyncSession, checkin: CheckIn) -> bool:
        """Point at the first unanswered question; mark answered when none is left."""
        answered = set((await session.exec(select(Answer.question).where(
            Answer.checkin_id == checkin.id))).all())
        order = [q.id for q in self.ctx.prompts.questions(checkin.audience).questions]
        pending = [i for i, q in enumerate(order) if q not in answered]
        checkin.current_question = pending[0] if pending else None
        first_time_done = not pending and checkin.answered_at is None
        if first_time_done:
            checkin.answered_at = self.ctx.clock.now()
        if not pending:
            checkin.state = "answered"
        session.add(checkin)
        return first_time_done



class CheckInCloser:
    """Closes check-ins whose window has passed: answered ones stay answered, others expire."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    async def next_due(self, after: datetime, until: datetime) -> datetime | None:
        """The earliest close time in (after, until], so a clock jump can stop there."""
        async with self.ctx.db.session() as session:
            query = select(CheckIn.closes_at).where(
                col(CheckIn.state).in_(OPEN_STATES), col(CheckIn.closed_at).is_(None),
                col(CheckIn.closes_at) > after,
                col(CheckIn.closes_at) <= until).order_by(col(CheckIn.closes_at)).limit(1)
            return (await session.exec(query)).first()

    async def close_due(self) -> int:
        """Close every check-in whose window has ended; returns how many. A closed answered
        check-in keeps state "answered" and its closed_at, so it is never closed twice."""
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            rows = (await session.exec(select(CheckIn).where(
                col(CheckIn.state).in_(OPEN_STATES), col(CheckIn.closed_at).is_(None),
                col(CheckIn.closes_at) <= now))).all()
            for row in rows:
                row.state = "answered" if row.answered_at else "expired"
                row.closed_at, row.current_question = now, None
                session.add(row)
        return len(rows)
