"""Reviewing a stored answer: evaluate it, keep the verdict and feedback with the answer, and tell
the person.

The feedback belongs between "saved" and the next question, so the check-in waits for it a short
while (`feedback_wait`); the rules evaluator always makes it. A slow model does not hold the
conversation up: past the wait the review goes on in the background and its feedback is delivered
once, through the outbox, in the check-in's thread. An edit made meanwhile wins (the stale verdict
is dropped, the edit gets its own review).

Nothing is lost when that background work fails: `catch_up` (on every tick) reviews answers left
without a verdict (the process stopped mid-evaluation, the database was down when the verdict was
to be stored) and sends again late feedback whose delivery failed for now; the outbox key keeps
each feedback to one message, and gives up (recorded, shown to admins) after its attempts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Connection
from sqlmodel import col, select

from bot.checkins.answering import (
    CheckInRow,
    InlineJudge,
    Judged,
    Saved,
    done_tasks,
    lessons_rows,
    task_history_rows,
)
from bot.context import BotContext
from bot.delivery import Outbox, ref_from_json
from bot.evaluation.base import Evaluator
from bot.evaluation.feedback import FeedbackWriter, TaskHistory
from bot.evaluation.result import QUESTIONS, Evaluation, Question
from bot.events import Message, MessageRef
from bot.learning.corrections import teaching_for, teaching_from
from bot.learning.form import correction_form
from bot.learning.judge import judge, judge_sync
from bot.learning.lessons import Teaching
from bot.ops import logs
from bot.port import DeliveryError
from bot.storage.models import Answer, CheckIn, Member, OutboundMessage, literal_states
from bot.strategy.schema import Strategy
from bot.strategy.store import load_version, version_label

log = logging.getLogger(__name__)
FEEDBACK_KIND = "feedback"
PENDING_AFTER = timedelta(minutes=2)  # an answer this old without a verdict is not being judged
CATCH_UP_BATCH = 50  # per tick, so a backlog never makes one tick long


@dataclass(frozen=True)
class Review:
    """A stored verdict's feedback, with what is needed to deliver it later."""

    member: Member
    key: str
    message: Message
    thread: MessageRef | None


class AnswerReviewer:
    def __init__(self, ctx: BotContext, outbox: Outbox, evaluator: Evaluator,
                 writer: FeedbackWriter, feedback_wait: float = 3.0) -> None:
        self.ctx = ctx
        self.outbox = outbox
        self.evaluator = evaluator
        self.writer = writer
        self.feedback_wait = feedback_wait

    async def feedback(self, answer_id: int) -> Message | None:
        """The feedback for a just-saved answer if it is ready within the wait, else None (it is
        then delivered through the outbox when ready)."""
        task = self.ctx.spawn(self.review(answer_id), f"evaluate-answer-{answer_id}")
        try:
            review = await asyncio.wait_for(asyncio.shield(task), self.feedback_wait)
        except TimeoutError:
            log.info("evaluating answer %s takes a while; feedback will follow", answer_id)
            self.ctx.spawn(self._deliver_when_done(task), f"feedback-{answer_id}")
            return None
        except Exception:
            log.exception("evaluating answer %s failed; the answer is kept", answer_id)
            return None
        return review.message if review else None

    async def review(self, answer_id: int, under_current: bool = False) -> Review | None:
        """Evaluate the answer and store verdict and feedback; None if it changed meanwhile.
        `under_current`: judge it under the current strategy version instead of the one it was
        asked under (an admin's `/align strategy rejudge`)."""
        async with self.ctx.db.session() as session:
            answer = await session.get(Answer, answer_id)
            if answer is None or answer.question not in QUESTIONS:
                return None
            checkin = await session.get(CheckIn, answer.checkin_id)
            member = await session.get(Member, answer.member_id)
        if checkin is None or member is None:
            return None
        question: Question = answer.question
        strategy = self.ctx.strategy if under_current else await self.strategy_for(checkin)
        teaching = await teaching_for(self.ctx.db, answer.member_id, strategy)
        started = time.perf_counter()
        evaluation = await judge(self.evaluator, question, answer.text, strategy, teaching)
        self._measured(evaluation, question, started)
        history = await self._history(answer) if question == "tasks" else None
        labels = await self._labels(strategy)
        message = self._with_form(self.writer.message(evaluation, strategy, history,
                                                      current=self.ctx.strategy, labels=labels,
                                                      audience=checkin.audience, answer=answer.text),
                                  answer_id, evaluation, strategy, answer.edits)
        if not await self._store(answer, evaluation.model_dump_json(), evaluation.overall, message.text):
            return None
        log.info("answer %s evaluated by %s: overall %.2f", answer_id, evaluation.evaluator,
                 evaluation.overall)
        return Review(member, f"feedback:{answer.id}:{answer.edits}", message,
                      ref_from_json(checkin.message_ref))

    async def as_stored(self, answer: Answer, checkin: CheckIn, evaluation: Evaluation) -> Message:
        """The feedback on a stored verdict, written again without judging again (its "Not
        right?" pre-filled with that verdict), for adapters that show it afresh in place of an
        older copy (a Teams card after a correction)."""
        assert answer.id is not None
        strategy = await self.strategy_for(checkin)
        history = await self._history(answer) if answer.question == "tasks" else None
        return self._with_form(self.writer.message(evaluation, strategy, history, current=self.ctx.strategy,
                                                   labels=await self._labels(strategy),
                                                   audience=checkin.audience, answer=answer.text),
                               answer.id, evaluation, strategy, answer.edits)

    async def _labels(self, strategy: Strategy) -> tuple[str, str] | None:
        """The numbers people know the versions by, when `strategy` is not the current one."""
        current = self.ctx.strategy
        if strategy.version == current.version:
            return None
        return (await version_label(self.ctx.db, strategy.version),
                await version_label(self.ctx.db, current.version))

    def _measured(self, evaluation: Evaluation, question: Question, started: float) -> None:
        metrics = self.ctx.metrics
        metrics.evaluation_seconds.labels(evaluation.evaluator, question).observe(
            time.perf_counter() - started)
        if evaluation.fallback_reason is not None:  # the LLM failed; the rules judged it
            metrics.evaluation_fallbacks.labels(self.evaluator.name).inc()

    def inline(self) -> InlineJudge | None:
        """Judging inside an answer's unit of work (`bot.checkins.answering.take`), on the
        database's thread, when the evaluator judges synchronously and reads no examples (the
        rules): the verdict is stored in the answer's own transaction and the feedback is ready
        at once. None for an evaluator that must be awaited (an LLM): `feedback` then reviews
        each answer as before. The same steps as `review`: the check-in's strategy version, the
        lessons in force for the person, their task history, the "Not right?" form."""
        evaluate = getattr(self.evaluator, "evaluate_sync", None)
        if not callable(evaluate) or getattr(self.evaluator, "reads_examples", False):
            return None
        current, now = self.ctx.strategy, self.ctx.clock.now()
        lessons: dict[int, list[str]] = {}

        def judge_one(connection: Connection, saved: Saved, checkin: CheckInRow) -> Judged | None:
            if saved.question not in QUESTIONS:
                return None
            if checkin.strategy_version != current.version:
                # an older version: `feedback` judges it, naming both versions by number
                return None
            strategy = current
            if saved.member_id not in lessons:
                lessons[saved.member_id] = lessons_rows(connection, saved.member_id)
            teaching: Teaching = teaching_from(lessons[saved.member_id], strategy)
            question: Question = saved.question
            started = time.perf_counter()
            evaluation = judge_sync(evaluate, question, saved.text, strategy, teaching)
            self._measured(evaluation, question, started)
            history = (history_of(now, task_history_rows(connection, saved.member_id, saved.id))
                       if question == "tasks" else None)  # a new answer (id 0) is in no history
            message = self.writer.message(evaluation, strategy, history, current=current,
                                          audience=checkin.audience, answer=saved.text)

            def finish(stored: Saved) -> Message:
                with logs.bound(checkin=checkin.id):
                    log.info("answer %s evaluated by %s: overall %.2f", stored.id, evaluation.evaluator,
                             evaluation.overall)
                return self._with_form(message, stored.id, evaluation, strategy, stored.edits)
            return Judged(evaluation, evaluation.model_dump_json(), message.text, finish)
        return judge_one

    def _with_form(self, message: Message, answer_id: int, evaluation: Evaluation,
                   strategy: Strategy, edition: int) -> Message:
        """Feedback ends with "Not right?", so a misreading can be corrected where it is seen;
        the form names the answer's wording (`edition`), as the feedback is on that wording."""
        form = correction_form(self.writer.t, answer_id, evaluation, strategy, edition)
        return replace(message, blocks=(*message.blocks, form)) if form else message

    async def strategy_for(self, checkin: CheckIn) -> Strategy:
        """The strategy the check-in was asked under: an answer is judged against the strategy
        the person was asked about, not one an admin loaded since (re-judging a period under
        the current version is a deliberate admin act)."""
        current = self.ctx.strategy
        if checkin.strategy_version == current.version:
            return current
        return await load_version(self.ctx.db, checkin.strategy_version) or current

    async def _history(self, answer: Answer) -> TaskHistory:
        """When this person last did each task, from their earlier tasks answers' verdicts, so
        coaching names the critical task *they* have gone longest without."""
        member_id, answer_id = answer.member_id, answer.id
        assert answer_id is not None
        rows = await self.ctx.db.run(lambda connection: task_history_rows(
            connection, member_id, answer_id))
        return history_of(self.ctx.clock.now(), rows)

    async def _deliver_when_done(self, task: asyncio.Task[Review | None]) -> None:
        review = await task
        if review is not None:
            await self._deliver_or_wait(review)

    async def _deliver(self, review: Review) -> None:
        await self.outbox.deliver(review.member, review.key, FEEDBACK_KIND, review.message,
                                  thread=review.thread)

    async def catch_up(self) -> int:
        """Review answers left without a verdict and resend late feedback that failed for now
        (see the module docstring); returns how many were handled. A platform still failing is
        left for the next tick."""
        handled = 0
        for answer_id in await self._unjudged():
            review = await self.review(answer_id)
            handled += 1
            if review is not None:
                await self._deliver_or_wait(review)
        for review in await self._undelivered():
            handled += 1
            await self._deliver_or_wait(review)
        return handled

    async def _deliver_or_wait(self, review: Review) -> None:
        try:
            await self._deliver(review)
        except DeliveryError as exc:  # recorded by the outbox; tried again on the next tick
            log.warning("feedback %s not delivered yet: %s", review.key, exc)

    async def _unjudged(self) -> list[int]:
        before = self.ctx.clock.now() - PENDING_AFTER
        async with self.ctx.db.session() as session:
            return [i for i in (await session.exec(select(Answer.id).where(
                col(Answer.evaluation).is_(None), col(Answer.updated_at) <= before,
                col(Answer.question).in_(QUESTIONS)).order_by(col(Answer.id))
                .limit(CATCH_UP_BATCH))).all() if i is not None]

    async def _undelivered(self) -> list[Review]:
        """Late feedback whose send failed for now, rebuilt from the stored verdict (unless the
        answer was edited since: the edit has its own feedback) as `as_stored` writes it - with
        the person's task history and the versions' numbers, so the coaching that goes out is
        the one stored, not the first critical task in the file."""
        found: list[tuple[Member, str, Answer, CheckIn, Evaluation]] = []
        async with self.ctx.db.session() as session:
            rows = (await session.exec(select(OutboundMessage).where(
                OutboundMessage.kind == FEEDBACK_KIND, OutboundMessage.state == "claimed",
                literal_states(col(OutboundMessage.state), ("sent",), negate=True),  # unsent index
                col(OutboundMessage.error).is_not(None)).limit(CATCH_UP_BATCH))).all()
            for row in rows:
                _, answer_id, edits = [*row.key.split(":"), "", ""][:3]
                answer = await session.get(Answer, int(answer_id)) if answer_id.isdigit() else None
                if answer is None or str(answer.edits) != edits or answer.evaluation is None:
                    continue
                checkin = await session.get(CheckIn, answer.checkin_id)
                member = await session.get(Member, answer.member_id)
                if checkin is None or member is None:
                    continue
                found.append((member, row.key, answer, checkin,
                              Evaluation.model_validate_json(answer.evaluation)))
        return [Review(member, key, await self.as_stored(answer, checkin, evaluation),
                       ref_from_json(checkin.message_ref))
                for member, key, answer, checkin, evaluation in found]

    async def _store(self, seen: Answer, evaluation: str, overall: float, feedback: str) -> bool:
        """Save the verdict unless the answer was edited since we read it."""
        async with self.ctx.db.session() as session:
            answer = await session.get(Answer, seen.id)
            if answer is None or answer.edits != seen.edits:
                return False
            answer.evaluation, answer.overall_score, answer.feedback = evaluation, overall, feedback
            session.add(answer)
        return True



def history_of(now: datetime, rows: list[tuple[datetime, str | None]]) -> TaskHistory:
    """TaskHistory from (created_at, done_tasks) of earlier judged tasks answers, newest first
    (`done_tasks`: the verdict's task ids, derived when it was stored; None when it did not read)."""
    last: dict[str, datetime] = {}
    for created_at, done in rows:
        for task_id in done_tasks(done):
            last.setdefault(task_id, created_at)
    return TaskHistory(now, last, rows[-1][0] if rows else None)
