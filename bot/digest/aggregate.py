"""The digest's figures from the answers' derived columns (bot.digest.derived), instead of
loading and parsing every evaluation in the window.

Participation is counted per member in SQL and the chart's six points are grouped by score value
(few distinct values; the mean is then exact, the same float `statistics.fmean` gives over the
answers). Only the period's and the previous period's substantive answers come back row by row -
a few short columns each, no JSON evaluation - because per-rep figures (latest statement, tasks
done, segments named), effort and the trends are about each of them. The whole organisation is
selected by a subquery, not 10,000 bound ids per query. The figures equal those of
`bot.digest.figures.compute` over the parsed evaluations (tests/unit/digest/test_aggregate.py).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from statistics import fmean
from typing import Any, cast

from sqlalchemy import Select, String, and_, case, func, literal_column, type_coerce
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.derived import SCORE_COLUMNS, SUB_SCORES
from bot.digest.figures import (
    CHART_POINTS,
    OPEN_STATES,
    TOP_UNMAPPED,
    Against,
    Articulation,
    DigestFigures,
    Effort,
    Participation,
    Quote,
    RepFigures,
    SegmentFigures,
    _out_of_scope_sources,
    _reports_by_manager,
    _short,
    _tasks,
    _trends,
    _untouched,
    articulation_from,
    effort_cells,
    mismatches,
    segment_figures,
)
from bot.digest.period import Period
from bot.evaluation.contradictions import faults_of
from bot.evaluation.result import QUESTIONS
from bot.leads.metrics import FollowUp, LeadBook
from bot.storage.models import Answer, CheckIn, Member
from bot.strategy.schema import Strategy

Means = dict[str, float | None]


@lru_cache(maxsize=4096)
def _list(stored: str) -> tuple[Any, ...]:
    """A stored JSON list, read once per distinct value (most answers repeat a few: the same
    segments played, the same tasks done); items as tuples, so nothing shared can be changed."""
    return tuple(tuple(item) if isinstance(item, list) else item for item in json.loads(stored))


@dataclass(frozen=True)
class _Mention:
    segment_id: str
    in_scope: bool
    stated_as_played: bool = True


@dataclass(frozen=True)
class _Scope:
    segments: list[_Mention]


@dataclass(frozen=True)
class _Tasks:
    task_ids: list[str]


@dataclass(frozen=True)
class Row:
    """One substantive answer of the period, from its derived columns. It reads like an
    AnswerFacts (`.evaluation.scope.segments`, `.evaluation.tasks.task_ids`, `.text`) where the
    manager-against-reps check needs one."""

    member_id: int
    occurrence_at: Any  # as stored (a string on SQLite): compared and grouped, never shown
    question: str
    text: str
    played: str | None
    done_tasks: str | None
    done_count: int | None
    unmapped_count: int | None
    off_count: int | None
    against_count: int | None
    unmapped_texts: str | None
    against_items: str | None
    statement_facts: str | None
    overall_score: float | None
    score_brevity: float | None
    score_components: float | None
    score_scope_clarity: float | None
    score_buying_process: float | None
    score_critical_coverage: float | None
    score_focus: float | None
    substantive: bool = True

    @property
    def evaluation(self) -> Row:
        return self

    @property
    def scope(self) -> _Scope | None:
        if self.played is None:
            return None
        return _Scope([_Mention(s, inside) for s, inside in _list(self.played)])

    @property
    def tasks(self) -> _Tasks | None:
        return None if self.done_tasks is None else _Tasks(list(_list(self.done_tasks)))


@dataclass
class Facts:
    """What SQL returned for one digest: small, whatever the size of the history."""

    participation: dict[int, Participation]  # per member, this period
    before: Participation
    series: list[tuple[str, Means]]
    rows: list[Row]  # this period's substantive answers, in (occurrence, id) order
    rows_before: list[Row]  # the previous period's
    said_nothing: list[tuple[int, str, str]]  # member, question, text
    manager_rows: list[Row] = field(default_factory=list)  # the digest's own manager's answers


Members = Sequence[int] | Select[tuple[int]]  # ids, or a query for them (the organisation)


def _bounded(query: Any, members: Members, start: datetime, end: datetime) -> Any:
    ids = members if isinstance(members, Select) else list(members)
    return query.where(col(CheckIn.occurrence_at) >= start, col(CheckIn.occurrence_at) < end,
                       col(CheckIn.member_id).in_(ids))


async def _all(session: AsyncSession, query: Any) -> Sequence[Any]:
    """Plain rows through the session's connection: the ORM's row loading, which these column
    queries do not need, cost as much as the query itself at 25,000 rows."""
    return (await (await session.connection()).execute(query)).all()


def _answers(query: Any) -> Any:
    return query.select_from(CheckIn).join(Answer, col(Answer.checkin_id) == col(CheckIn.id))


async def _participation(session: AsyncSession, ids: Members,
                         period: Period) -> dict[int, Participation]:
    """Per member: asked, answered, late, missed, open - the rules of figures.participation."""
    answered = col(CheckIn.answered_at).is_not(None)
    late = and_(answered, col(CheckIn.reminded_at).is_not(None),
                col(CheckIn.answered_at) > col(CheckIn.reminded_at))
    still_open = and_(col(CheckIn.answered_at).is_(None), col(CheckIn.state).in_(OPEN_STATES))
    query = select(CheckIn.member_id, func.count(),  # type: ignore[call-overload]
                   func.sum(case((answered, 1), else_=0)), func.sum(case((late, 1), else_=0)),
                   func.sum(case((still_open, 1), else_=0))).where(
        col(CheckIn.asked_at).is_not(None)).group_by(CheckIn.member_id)
    out = {}
    for member_id, asked, done, late_, open_ in await _all(
            session, _bounded(query, ids, period.start, period.end)):
        out[member_id] = Participation(asked, done, late_, asked - done - open_, open_)
    return out


def _total(parts: Sequence[Participation]) -> Participation:
    return Participation(*(sum(getattr(p, name) for p in parts)
                           for name in ("asked", "answered", "late", "missed", "open")))


def exact_mean(values: Sequence[tuple[float, int]]) -> float | None:
    """fmean over each value repeated count times: the exact sum rounded once (what fsum
    returns), divided by n - the same float, without the rows."""
    n = sum(count for _, count in values)
    if not n:
        return None
    total = float(sum((Fraction(value) * count for value, count in values), Fraction(0)))
    return round(total / n, 3)


def _means(rows: Sequence[Row]) -> Means:
    """figures.score_means over these answers' stored scores."""
    means: Means = {}
    for question in QUESTIONS:
        values = [r.overall_score for r in rows if r.question == question and r.overall_score is not None]
        means[question] = round(fmean(values), 3) if values else None
    for name, column in zip(SUB_SCORES, SCORE_COLUMNS, strict=True):
        scores = [v for r in rows if (v := getattr(r, column)) is not None]
        means[name] = round(fmean(scores), 3) if scores else None
    return means


async def _series(session: AsyncSession, ids: Members, period: Period) -> list[tuple[str, Means]]:
    """figures._series: mean overall per question of every evaluated answer, per period; one
    query, a row per period, question and distinct score."""
    periods = period.back(CHART_POINTS)
    bucket = case(*((col(CheckIn.occurrence_at) < p.end, i) for i, p in enumerate(periods))).label(
        "bucket")
    query = _answers(select(bucket, Answer.question, Answer.overall_score,
                            func.count())).where(col(Answer.overall_score).is_not(None))
    query = _bounded(query, ids, periods[0].start, period.end).group_by(
        literal_column("bucket"), Answer.question, Answer.overall_score)
    values: dict[tuple[int, str], list[tuple[float, int]]] = defaultdict(list)
    for index, question, value, count in await _all(session, query):
        values[(index, question)].append((value, count))
    series: list[tuple[str, Means]] = [
        ((p.end - timedelta(seconds=1)).strftime("%d %b"),
         {q: exact_mean(values.get((i, q), [])) for q in QUESTIONS}) for i, p in enumerate(periods)]
    while len(series) > 1 and all(v is None for v in series[0][1].values()):
        series.pop(0)
    return series


_ROWCOLS = (  # Row's fields, in order
    CheckIn.member_id, type_coerce(CheckIn.occurrence_at, String), Answer.question, Answer.text,
    Answer.played, Answer.done_tasks, Answer.done_count, Answer.unmapped_count, Answer.off_count,
    Answer.against_count, Answer.unmapped_texts, Answer.against_items, Answer.statement_facts,
    Answer.overall_score, *(getattr(Answer, column) for column in SCORE_COLUMNS))


async def _rows(session: AsyncSession, ids: Members, period: Period) -> list[Row]:
    query = _answers(select(*_ROWCOLS)).where(
        col(Answer.substantive) == True)  # noqa: E712
    query = _bounded(query, ids, period.start, period.end).order_by(
        col(CheckIn.occurrence_at), col(Answer.id))
    return [Row(*row) for row in await _all(session, query)]


async def _said_nothing(session: AsyncSession, ids: Members,
                        period: Period) -> list[tuple[int, str, str]]:
    query = _answers(select(CheckIn.member_id, Answer.question, Answer.text)).where(
        col(Answer.substantive) == False)  # noqa: E712
    query = _bounded(query, ids, period.start, period.end).order_by(
        col(CheckIn.occurrence_at), col(Answer.id))
    return [(m, q, t) for m, q, t in await _all(session, query)]


async def load_facts(session: AsyncSession, members: Members, period: Period,
                     manager_id: int | None = None) -> Facts:
    """Every query a digest of `members` needs, bounded by the members and the window."""
    ids = members if isinstance(members, Select) else list(members)
    previous = period.previous()
    now = await _participation(session, ids, period)
    before = await _participation(session, ids, previous)
    return Facts(
        participation=now, before=_total(list(before.values())),
        series=await _series(session, ids, period),
        rows=await _rows(session, ids, period),
        rows_before=await _rows(session, ids, previous),
        said_nothing=await _said_nothing(session, ids, period),
        manager_rows=await _rows(session, [manager_id], period) if manager_id is not None else [],
    )


def _effort(strategy: Strategy, rows: Sequence[Row]) -> Effort:
    """figures.effort: each check-in's tasks counts, placed by its scope answer's segments."""
    where: dict[tuple[int, Any], str] = {}
    tasks: list[tuple[tuple[int, Any], int, int, int]] = []
    segment_ids = strategy.segment_ids
    for r in rows:
        key = (r.member_id, r.occurrence_at)
        if r.played is not None:
            played = [inside for s, inside in _list(r.played) if s in segment_ids]
            if any(not inside for inside in played):
                where[key] = "out"
            elif played:
                where[key] = "in"
        if r.done_tasks is not None:
            tasks.append((key, r.done_count or 0, r.off_count or 0, r.against_count or 0))
    return effort_cells(where, tasks)


def _articulation(rows: Sequence[Row], strategy: Strategy) -> Articulation | None:
    latest: Row | None = None
    for r in rows:
        if r.statement_facts is not None and (latest is None or r.occurrence_at > latest.occurrence_at):
            latest = r
    if latest is None or latest.statement_facts is None:
        return None
    words, within, covered, missing, out_of_scope, price = _list(latest.statement_facts)
    return articulation_from(words, within, covered, missing,
                             faults_of(out_of_scope, price, strategy))


def _reported(rows: Sequence[Row]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in rows:
        if r.done_tasks is not None:
            seen.update(dict.fromkeys(_list(r.done_tasks)))
    return tuple(seen)


def _segments(strategy: Strategy, rows: Sequence[Row], names: dict[int, str],
              leads: LeadBook) -> list[SegmentFigures]:
    return segment_figures(strategy, ((names[r.member_id], segment, bool(in_scope)) for r in rows
                                      if r.played is not None for segment, in_scope in _list(r.played)),
                           leads)


def _unmapped(rows: Sequence[Row], top: int = TOP_UNMAPPED) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for r in rows:
        if r.unmapped_texts and r.unmapped_texts != "[]":
            for text in _list(r.unmapped_texts):
                key = text.lower()
                counts[key] += 1
                shown.setdefault(key, text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [(shown[key], count) for key, count in ranked]


def _against(rows: Sequence[Row], names: dict[int, str]) -> list[Against]:
    return [Against(names.get(r.member_id, "?"), name, quote) for r in rows
            if r.against_items and r.against_items != "[]"
            for name, quote in _list(r.against_items)]


def compute_from_facts(strategy: Strategy, title: str, members: Sequence[Member], period: Period,
                       facts: Facts, leads: LeadBook,
                       manager: tuple[int, str] | None = None) -> DigestFigures:
    """The figures of figures.compute, from what `load_facts` returned. `manager`: the id and
    name of the digest's own manager when they are not a member (their answers are in
    `facts.manager_rows`), for the consistency check."""
    previous = period.previous()
    names = {m.id: m.name for m in members if m.id is not None}
    rows = facts.rows
    by_member: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        by_member[r.member_id].append(r)
    current_leads = leads.engaged_in(period.start, period.end)
    follow_by_owner = current_leads.by_owner()
    reps = [RepFigures(mid, name, facts.participation.get(mid, Participation()),
                       _articulation(by_member[mid], strategy), _reported(by_member[mid]),
                       follow_by_owner.get(mid, FollowUp()))
            for mid, name in names.items()]
    reps.sort(key=lambda r: r.name.lower())
    per_member_tasks = {r.member_id: r.tasks for r in reps
                        if any(a.done_tasks is not None for a in by_member[r.member_id])}
    now_part = _total([facts.participation.get(mid, Participation()) for mid in names])
    follow_now = current_leads.total()
    follow_before = leads.engaged_in(previous.start, previous.end).total()
    outside = {manager[0]: manager[1]} if manager is not None else {}
    answers = cast(Any, by_member)  # Row reads like AnswerFacts where mismatches looks
    by_manager = _reports_by_manager(members, answers, outside)
    own: dict[str, Any] = {name: facts.manager_rows for name in outside.values()}
    own.update({names[mid]: by_member[mid] for mid in names
                if names[mid] in by_manager and names[mid] not in own})
    found, compared = mismatches(strategy, own, by_manager)
    with_tasks = [r for r in rows if r.done_tasks is not None]
    return DigestFigures(
        title=title, period=period, previous=previous, reps=reps, participation=now_part,
        segments=_segments(strategy, rows, names, current_leads),
        tasks=_tasks(strategy, per_member_tasks, len(per_member_tasks)),
        task_reporters=len(per_member_tasks), unmapped=_unmapped(rows),
        follow_up=follow_now, follow_up_by_segment=current_leads.by_segment(),
        trends=_trends(_means(rows), _means(facts.rows_before), now_part, facts.before,
                       follow_now, follow_before),
        series=facts.series,
        activities=sum((r.done_count or 0) + (r.unmapped_count or 0)
                       for r in with_tasks),
        against=_against(rows, names),
        unmapped_total=sum(r.unmapped_count or 0 for r in with_tasks),
        answers=len(rows),
        said_nothing=[Quote(names.get(mid, "?"), question, _short(text, 40))
                      for mid, question, text in facts.said_nothing],
        effort=_effort(strategy, rows), effort_before=_effort(strategy, facts.rows_before),
        untouched=_untouched(leads, names),
        mismatches=found, managers_compared=compared,
        task_answers={names[mid]: tasks for mid, tasks in per_member_tasks.items()},
        out_of_scope_leads=_out_of_scope_sources(strategy, current_leads))
