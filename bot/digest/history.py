"""What a digest reads from the database: check-ins and answers of a set of members in a window.

Every query is bounded by the members (an indexed `IN` on member id) and the window (an indexed
range on the check-in's occurrence), so one team's digest costs the same in an organisation of
100 or 10,000 people. Evaluations are parsed into the shared result type once, here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evaluation.result import Evaluation
from bot.storage.models import Answer, CheckIn


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
    answer_query = select(CheckIn.member_id, CheckIn.occurrence_at, Answer.evaluation).join(
        Answer, col(Answer.checkin_id) == col(CheckIn.id)).where(col(Answer.evaluation).is_not(None))
    answers = (await session.exec(_bounded(answer_query, member_ids, detail_start, end))).all()  # type: ignore[call-overload]
    return History(
        checkins=[CheckInFacts(*row) for row in checkins],
        answers=[AnswerFacts(member_id, at, Evaluation.model_validate_json(text))
                 for member_id, at, text in answers],
        scores=[ScoreFacts(member_id, at, question, overall)
                for member_id, at, question, overall in scores],
    )
