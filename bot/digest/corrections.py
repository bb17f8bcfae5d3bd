"""What a digest says about "Not right?": the team's corrections in the period (the manager
confirms or undoes them from there) and answers re-judged under a newer strategy on purpose."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.period import Period
from bot.learning.describe import describe
from bot.storage.models import Answer, CheckIn, Correction, Member
from bot.strategy.schema import Strategy

MAX_LISTED = 10


@dataclass(frozen=True)
class CorrectionNote:
    id: int
    name: str
    line: str  # who, which answer, what changed (see commands/learning.describe)
    waiting: bool  # applies to its author only until confirmed


async def corrections_in(session: AsyncSession, member_ids: Sequence[int] | Select[tuple[int]],
                         period: Period, strategy: Strategy) -> list[CorrectionNote]:
    """The period's corrections by `member_ids` (ids, or a query for them: the organisation),
    newest first, at most MAX_LISTED."""
    rows = (await session.exec(select(Correction, Member.name)
                               .join(Member, col(Member.id) == col(Correction.author_id))
                               .where(col(Correction.author_id).in_(member_ids),
                                      col(Correction.created_at) >= period.start,
                                      col(Correction.created_at) < period.end,
                                      Correction.status != "undone")
                               .order_by(col(Correction.id).desc()).limit(MAX_LISTED))).all()
    return [CorrectionNote(row.id or 0, name, describe(row, name, strategy), row.status == "own")
            for row, name in rows]


async def rejudged_in(session: AsyncSession, member_ids: Sequence[int] | Select[tuple[int]],
                      period: Period) -> int:
    """Answers whose verdict is under another version than the one they were asked under: only
    `/align strategy rejudge` does that. The database leaves out every verdict whose text holds
    `"strategy_version":"<the version asked under>"` - the top-level key (no nested model has
    one; quotes inside strings are escaped, so no answer text can fake it) as pydantic writes
    it - so only the few that may differ come back and are parsed (none, unless the period was
    re-judged); a verdict written another way (spaces, escapes) still comes back and is judged
    as before. The members bound the check-ins, found on their (member, occurrence) index, as
    in the figures' queries: bounding the answers by member made SQLite walk every answer the
    organisation ever gave (a whole organisation's digest at 10,000 reps: 2.2-3.0 s of CPU here
    at load 8-10, 0.6-0.7 s when all 25,000 of the week's verdicts were re-judged and parsed).
    Counting in SQL instead (the value cut out of the text) read the verdicts twice: 0.85-0.92 s."""
    find = func.strpos if session.get_bind().dialect.name == "postgresql" else func.instr
    same = literal('"strategy_version":"') + col(CheckIn.strategy_version) + literal('"')
    rows = (await session.exec(select(Answer.evaluation, CheckIn.strategy_version)
                               .join(CheckIn, col(CheckIn.id) == col(Answer.checkin_id))
                               .where(col(CheckIn.member_id).in_(member_ids),
                                      col(CheckIn.occurrence_at) >= period.start,
                                      col(CheckIn.occurrence_at) < period.end,
                                      col(Answer.evaluation).is_not(None),
                                      find(col(Answer.evaluation), same) == 0))).all()
    count = 0
    for verdict, asked_under in rows:
        try:
            judged_under = json.loads(verdict or "{}").get("strategy_version")
        except ValueError:
            continue
        count += judged_under is not None and judged_under != asked_under
    return count
