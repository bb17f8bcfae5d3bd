"""What a digest reads from the database: check-ins and answers of a set of members in a window.

Every query is bounded by the members (an indexed `IN` on member id) and the window (an indexed
range on the check-in's occurrence), so one team's digest costs the same in an organisation of
100 or 10,000 people. Evaluations are parsed into the shared result type once, here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evaluation.feedback import default_texts, off_strategy
from bot.evaluation.result import Evaluation, Evidence
from bot.evaluation.substance import is_substantive
from bot.storage.models import Answer, CheckIn

log = logging.getLogger(__name__)


def parse_evaluation(text: str | None) -> Evaluation | None:
    """A stored evaluation, or None (logged) when it cannot be read - e.g. written by an older
    version - so one bad row never breaks a digest, `/align me` or an export."""
    if not text:
        return None
    try:
        return Evaluation.model_validate_json(text)
    except ValidationError as exc:
        log.warning("skipping an unreadable stored evaluation: %s", exc.errors()[0].get("msg"))
        return None


@dataclass(frozen=True)
class CheckInFacts:
    member_id: int
    occurrence_at: datetime
    state: str
    asked_at: datetime | None
    reminded_at: datetime | None
    answered_at: datetime | None


@dataclass(frozen=True)
class AnswerFacts:
    member_id: int
    occurrence_at: datetime
    evaluation: Evaluation
    text: str = ""  # what the person wrote: quoted by the digest, and checked for substance
    audience: str | None = None  # its check-in's ("manager": their team rhythm is no off-strategy effort)

    @property
    def off_strategy(self) -> list[Evidence]:
        """The tasks answer's activities that are effort outside the strategy, as its feedback
        and the stored digest columns count them (`bot.evaluation.feedback.off_strategy`)."""
        tasks = self.evaluation.tasks
        return off_strategy(default_texts(), tasks.unmapped, self.audience, self.text) if tasks else []

    @property
    def substantive(self) -> bool:
        """False for keyboard mash, emoji, one word...: such an answer is no evidence of effort."""
        return is_substantive(self.text)


@dataclass(frozen=True)
class ScoreFacts:
    """An answer's overall score only: enough for the chart's older points, no JSON to parse."""

    member_id: int
    occurrence_at: datetime
    question: str
    overall: float


@dataclass(frozen=True)
class History:
    checkins: list[CheckInFacts]
    answers: list[AnswerFacts]  # parsed evaluations, from `detail_start` on
    scores: list[ScoreFacts]  # every evaluated answer in the window


def _parse_all(rows: Sequence[tuple[int, datetime, str | None, str, str | None]]) -> list[AnswerFacts]:
    return [AnswerFacts(member_id, at, evaluation, answer, audience)
            for member_id, at, text, answer, audience in rows
            if (evaluation := parse_evaluation(text)) is not None]


def _bounded(query: object, member_ids: Sequence[int] | None, start: datetime, end: datetime) -> object:
    query = query.where(col(CheckIn.occurrence_at) >= start,  # type: ignore[attr-defined]
                        col(CheckIn.occurrence_at) < end)
    if member_ids is not None:
        query = query.where(col(CheckIn.member_id).in_(list(member_ids)))  # type: ignore[attr-defined]
    return query


async def load_history(session: AsyncSession, member_ids: Sequence[int] | None, start: datetime,
                       end: datetime, detail_start: datetime | None = None) -> History:
    """Check-ins whose occurrence falls in [start, end), the overall score of every evaluated
    answer, and the full evaluations of those from `detail_start` (parsing JSON is the costly
    part, so the chart's older points use the stored overall score instead)."""
    detail_start = detail_start or start
    checkin_columns = (CheckIn.member_id, CheckIn.occurrence_at, CheckIn.state, CheckIn.asked_at,
                       CheckIn.reminded_at, CheckIn.answered_at)
    checkin_query = select(*checkin_columns)  # type: ignore[call-overload]
    checkins = (await session.exec(_bounded(checkin_query, member_ids, start, end))).all()  # type: ignore[call-overload]
    score_query = select(CheckIn.member_id, CheckIn.occurrence_at, Answer.question,
                         Answer.overall_score).join(
        Answer, col(Answer.checkin_id) == col(CheckIn.id)).where(col(Answer.overall_score).is_not(None))
    scores = (await session.exec(_bounded(score_query, member_ids, start, end))).all()  # type: ignore[call-overload]
    answer_query = select(  # type: ignore[call-overload]
        CheckIn.member_id, CheckIn.occurrence_at, Answer.evaluation,
        Answer.text, CheckIn.audience).join(
        Answer, col(Answer.checkin_id) == col(CheckIn.id)).where(col(Answer.evaluation).is_not(None))
    answer_query = _bounded(answer_query, member_ids, detail_start, end).order_by(  # type: ignore[attr-defined]
        col(CheckIn.occurrence_at), col(Answer.id))  # "latest" and "first" ties: the first stored
    answers = (await session.exec(answer_query)).all()
    return History(
        checkins=[CheckInFacts(*row) for row in checkins],
        answers=await asyncio.to_thread(_parse_all, answers),  # CPU work: off the event loop
        scores=[ScoreFacts(member_id, at, question, overall)
                for member_id, at, question, overall in scores],
    )
