"""The digest's figures from the answers' derived columns (bot.digest.derived), instead of
loading and parsing every evaluation in the window.

Only this period's answers come back row by row - a few short columns each, no JSON evaluation -
because per-rep figures (latest statement, tasks done, segments named), this period's effort
table and the manager-against-reps check are about each of them. Everything else comes back
added up: participation per member (and the previous period's as one total), the chart's six
points and both periods' score means grouped by score value (few distinct values; the mean is
then exact, the same float `statistics.fmean` gives over the answers), and the previous period's
effort table grouped, where a tasks answer's work was aimed decided in SQL from the stored played
segments. The whole organisation is selected by a subquery, not 10,000 bound ids per query, and
its chart and score means read the window from one index in the order they group by (each
answer carries its check-in's occurrence: migration 0015_answer_occurrence). The figures equal
those of `bot.digest.figures.compute` over the parsed evaluations
(tests/unit/digest/test_aggregate.py).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    false,
    func,
    literal_column,
    or_,
    type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.derived import SCORE_COLUMNS, SUB_SCORES, derive
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
    articulation_from,
    effort_cells,
    effort_counts,
    mismatches,
    out_of_scope_counts,
    people,
    reports_of,
    score_trends,
    segment_results,
    task_figures,
)
from bot.digest.period import Period
from bot.evaluation.contradictions import faults_of
from bot.evaluation.feedback import default_texts
from bot.evaluation.result import QUESTIONS
from bot.leads.metrics import FollowUp, LeadFigures
from bot.storage.models import Answer, CheckIn, Member
from bot.strategy.schema import Strategy
from bot.text import shorten

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


class Row(NamedTuple):
    """One substantive answer of the period, from its derived columns. It reads like an
    AnswerFacts (`.evaluation.scope.segments`, `.evaluation.tasks.task_ids`, `.text`) where the
    manager-against-reps check needs one. A tuple: 25,000 of them are built per digest at
    10,000 reps, and a tuple builds several times faster than a frozen dataclass."""

    member_id: int
    occurrence_at: Any  # as stored (a string on SQLite): compared and grouped, never shown
    question: str
    text: str
    played: str | None
    done_tasks: str | None
    done_count: int | None
    unmapped_count: int | None
    unmapped_texts: str | None
    against_items: str | None
    statement_facts: str | None
    off_count: int | None
    against_count: int | None

    @property
    def substantive(self) -> bool:
        return True

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
    said_nothing: list[tuple[int, str, str]]  # member, question, text
    means: Means  # figures.score_means over this period's substantive answers
    means_before: Means  # and the previous period's
    effort: Effort
    effort_before: Effort
    manager_rows: list[Row] = field(default_factory=list)  # the digest's own manager's answers


Members = Sequence[int] | Select[tuple[int]]  # ids, or a query for them (the organisation)


def _bounded(query: Any, members: Members, start: datetime, end: datetime,
             checkin: Any = CheckIn) -> Any:
    ids = members if isinstance(members, Select) else list(members)
    return query.where(col(checkin.occurrence_at) >= start, col(checkin.occurrence_at) < end,
                       col(checkin.member_id).in_(ids))


async def _all(session: AsyncSession, query: Any) -> Sequence[Any]:
    """Plain rows through the session's connection: the ORM's row loading, which these column
    queries do not need, cost as much as the query itself at 25,000 rows."""
    return (await (await session.connection()).execute(query)).all()


def _answers(query: Any, checkin: Any = CheckIn, answer: Any = Answer) -> Any:
    return query.select_from(checkin).join(answer, col(answer.checkin_id) == col(checkin.id))


def _substantive(answer: Any = Answer) -> Any:
    return col(answer.substantive) == True  # noqa: E712


_ANSWERED = col(CheckIn.answered_at).is_not(None)
_LATE = and_(_ANSWERED, col(CheckIn.reminded_at).is_not(None),
             col(CheckIn.answered_at) > col(CheckIn.reminded_at))
_OPEN = and_(col(CheckIn.answered_at).is_(None), col(CheckIn.state).in_(OPEN_STATES))


def _counts(when: Any) -> tuple[Any, ...]:
    """Asked, answered, late and still open among the check-ins for which `when` holds."""
    return tuple(func.sum(case((and_(when, *also), 1), else_=0))
                 for also in ((), (_ANSWERED,), (_LATE,), (_OPEN,)))


def _participation_of(asked: int, done: int | None, late: int | None,
                      still_open: int | None) -> Participation:
    done, late, still_open = done or 0, late or 0, still_open or 0
    return Participation(asked, done, late, asked - done - still_open, still_open)


async def _participation(session: AsyncSession, ids: Members,
                         period: Period) -> tuple[dict[int, Participation], Participation]:
    """Per member, this period: asked, answered, late, missed, open - the rules of
    figures.participation - and the previous period's added up, from one read of both
    periods' check-ins (each period's read cost a scan of every check-in on PostgreSQL, which
    has no index by occurrence alone), a row per member."""
    previous = period.previous()
    now = col(CheckIn.occurrence_at) >= period.start
    query = select(CheckIn.member_id, *_counts(now), *_counts(~now)).where(
        col(CheckIn.asked_at).is_not(None)).group_by(CheckIn.member_id)
    rows = await _all(session, _bounded(query, ids, previous.start, period.end))
    members = {member_id: _participation_of(asked, done, late, still_open)
               for member_id, asked, done, late, still_open, *_ in rows if asked}
    before = [sum(column) for column in zip(*(row[5:] for row in rows), strict=True)]
    return members, _participation_of(*before) if rows else Participation()


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


def _window(ids: Members, start: datetime, end: datetime, *columns: Any) -> tuple[Any, Any]:
    """A query for `columns` of the answers of `ids` in [start, end), and the occurrence column
    it is bounded by. The whole organisation (ids a query: nearly every member) reads the
    window straight from ix_answers_digest - the answers' own occurrence and member, no join,
    in the order the grouped queries below group by, so SQLite groups them without a sort
    (0015_answer_occurrence); a team (a list of ids) goes by member: its check-ins in the
    window, then their answers, so its cost does not grow with the organisation."""
    if isinstance(ids, Select):
        occurrence = col(Answer.occurrence_at)
        # "member_id + 0": not a column an index can serve, so SQLite walks the window on
        # ix_answers_digest instead of every answer ever given by 10,000 members by member.
        return select(occurrence.label("at"), *columns).where(
            occurrence >= start, occurrence < end, (col(Answer.member_id) + 0).in_(ids)), occurrence
    occurrence = col(CheckIn.occurrence_at)
    query = _answers(select(occurrence.label("at"), *columns))
    return _bounded(query, ids, start, end), occurrence


def _by_period(ids: Members, periods: Sequence[Period], columns: Sequence[Any],
               *where: Any) -> Any:
    """Answers counted per period (0 = oldest) and distinct `columns`: grouped per occurrence
    first (in index order for the organisation: no sort of the window's rows), then the few
    groups per period."""
    inner, occurrence = _window(ids, periods[0].start, periods[-1].end, *columns,
                                func.count().label("n"))
    inner = inner.where(*where).group_by(occurrence, *columns).subquery()
    kept = [inner.c[c.key] for c in columns]
    bucket = case(*((inner.c.at < p.end, i) for i, p in enumerate(periods))).label("bucket")
    return select(bucket, *kept, func.sum(inner.c.n)).group_by(  # type: ignore[call-overload]
        literal_column("bucket"), *kept)


async def _series(session: AsyncSession, ids: Members, period: Period) -> list[tuple[str, Means]]:
    """figures._series: mean overall per question of every evaluated answer, per period; one
    query, a row per period, question and distinct score."""
    periods = period.back(CHART_POINTS)
    query = _by_period(ids, periods, (col(Answer.question), col(Answer.overall_score)),
                       col(Answer.overall_score).is_not(None))
    values: dict[tuple[int, str], list[tuple[float, int]]] = defaultdict(list)
    for index, question, value, count in await _all(session, query):
        values[(index, question)].append((value, int(count)))
    series: list[tuple[str, Means]] = [
        ((p.end - timedelta(seconds=1)).strftime("%d %b"),
         {q: exact_mean(values.get((i, q), [])) for q in QUESTIONS}) for i, p in enumerate(periods)]
    while len(series) > 1 and all(v is None for v in series[0][1].values()):
        series.pop(0)
    return series


class _position(FunctionElement[int]):
    """Where a piece of text first appears in a text column, from 1 (0: nowhere), exactly (case
    and all): SQLite's instr, PostgreSQL's strpos. `_position(...) > 0` replaced a LIKE
    '%...%' per segment, which cost SQLite's pattern matcher a dozen passes over each answer's
    played segments (the previous period's effort, issue 24)."""

    type = Integer()
    inherit_cache = True
    name = "position"


@compiles(_position, "sqlite")
def _position_sqlite(element: _position, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_position)
def _position_other(element: _position, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _aims(segment_ids: Collection[str], answer: Any) -> tuple[Any, Any]:
    """Whether an answer's stored played segments name one of ours stated out of scope, and
    whether they name one of ours at all (figures.effort's "out", and "decides a place"): the
    stored JSON is written by bot.digest.derived as [["<id>",true|false],...], so finding
    '["<id>",false]' in it is exact (and exactly the Python test's `segment in ours`)."""
    played = col(answer.played)
    out = [_position(played, f'["{s}",false]') > 0 for s in sorted(segment_ids)]
    inside = [_position(played, f'["{s}",true]') > 0 for s in sorted(segment_ids)]
    if not out:
        return false(), false()
    return or_(*out), or_(*out, *inside)


def _effort_query(ids: Members, period: Period, segment_ids: Collection[str]) -> Any:
    """figures.effort of `period` in one grouped pass over its answers: per member and
    occurrence (a check-in, or two at one occurrence), where the work was aimed - by the last
    answer, in id order, whose played segments name one of ours: max(2 x id + 1 if out), odd
    "out", even "in", NULL "none" - and the tasks answers' done, off-task and against counts
    added up; then added up per place (a row each). It replaced a correlated subquery per tasks
    answer (0.09 s of SQLite, 0.8 s on PostgreSQL at 10,000 reps, load 10-13)."""
    out, decides = _aims(segment_ids, Answer)
    tasks = and_(_substantive(), col(Answer.done_tasks).is_not(None))
    member = col(Answer.member_id) if isinstance(ids, Select) else col(CheckIn.member_id)
    inner, occurrence = _window(
        ids, period.start, period.end, member.label("member"),
        func.max(case((and_(_substantive(), decides),
                       col(Answer.id) * 2 + case((out, 1), else_=0)))).label("aim"),
        *(func.sum(case((tasks, func.coalesce(column, 0)), else_=0)).label(name)
          for name, column in (("done", Answer.done_count), ("off", Answer.off_count),
                               ("against", Answer.against_count))),
        func.sum(case((tasks, 1), else_=0)).label("tasks"))
    inner = inner.group_by(member, occurrence).subquery()
    place = func.coalesce(1 + inner.c.aim % 2, 0).label("place")  # an index into _PLACES
    return select(place, func.sum(inner.c.done), func.sum(inner.c.off),
                  func.sum(inner.c.against)).where(inner.c.tasks > 0).group_by(literal_column("place"))


_PLACES = ("none", "in", "out")


async def _totals(session: AsyncSession, ids: Members, period: Period,
                  segment_ids: Collection[str]) -> tuple[Means, Means, Effort]:
    """figures.score_means of this period and the previous one, and figures.effort of the
    previous one (this period's comes from its rows: `_effort`). The means: one query, a row per
    period and distinct (question, overall, sub-scores) with the count of answers - a handful
    for the rules evaluator, at most one per answer for any other - exact over the grouped
    values (exact_mean). The effort: one query, a row per place (`_effort_query`)."""
    previous = period.previous()
    scores = (col(Answer.question), col(Answer.overall_score),
              *(col(getattr(Answer, c)) for c in SCORE_COLUMNS))
    values: tuple[dict[str, list[tuple[float, int]]], ...] = (defaultdict(list), defaultdict(list))
    for index, question, overall, *rest in await _all(session, _by_period(
            ids, (previous, period), scores, _substantive())):
        subs, count = rest[:len(SUB_SCORES)], int(rest[len(SUB_SCORES)])
        if overall is not None:
            values[index][question].append((overall, count))
        for name, value in zip(SUB_SCORES, subs, strict=True):
            if value is not None:
                values[index][name].append((value, count))
    means = [{name: exact_mean(v.get(name, [])) for name in (*QUESTIONS, *SUB_SCORES)}
             for v in values]
    placed = [(_PLACES[place], int(done), int(off), int(against)) for place, done, off, against
              in await _all(session, _effort_query(ids, previous, segment_ids))]
    return means[1], means[0], effort_counts(placed)


def _effort(rows: Sequence[Row], segment_ids: Collection[str]) -> Effort:
    """figures.effort over the period's rows (already read one by one): a tasks answer's work
    is placed by the last answer, in (occurrence, id) order, of the same member and occurrence
    whose played segments name one of ours - out if any of ours it names was stated out of
    scope, else in; none when no answer names one of ours. Where a stored played value aims
    is worked out once per distinct value (a few dozen), not once per answer."""
    where: dict[tuple[int, Any], str] = {}
    aims: dict[str, str | None] = {}
    tasks: list[tuple[tuple[int, Any], int, int, int]] = []
    for r in rows:
        played = r.played
        if played is not None:
            if played in aims:
                aim = aims[played]
            else:
                ours = [inside for segment, inside in _list(played) if segment in segment_ids]
                aim = aims[played] = ("in" if all(ours) else "out") if ours else None
            if aim is not None:
                where[(r.member_id, r.occurrence_at)] = aim
        if r.done_tasks is not None:
            tasks.append(((r.member_id, r.occurrence_at), r.done_count or 0, r.off_count or 0,
                          r.against_count or 0))
    return effort_cells(where, tasks)


_ROWCOLS: tuple[Any, ...] = (  # Row's fields after member and occurrence, in order, then
    Answer.question, Answer.text,  # whether the answer says anything, and its id
    Answer.played, Answer.done_tasks, Answer.done_count, Answer.unmapped_count,
    Answer.unmapped_texts, Answer.against_items, Answer.statement_facts, Answer.off_count,
    Answer.against_count, Answer.substantive, Answer.id,
    case((and_(col(CheckIn.audience) == "manager", col(Answer.question) == "tasks",  # `_without_rhythm`
               col(Answer.unmapped_texts) != "[]"), Answer.evaluation), else_=None))
_ORDER = itemgetter(1, -2)  # (occurrence, id)


async def _rows(session: AsyncSession, ids: Members,
                period: Period) -> tuple[list[Row], list[tuple[int, str, str]]]:
    """The period's substantive answers, and those that say nothing (member, question, text),
    each in (occurrence, id) order; answers with no readable evaluation in neither. By member
    through their check-ins, the organisation's too: through the answers' own occurrence
    (ix_answers_digest, as `_window`) cost SQLite more (138 against 111 ms at load 13) and
    saved PostgreSQL little (500 against 532 ms). Put in order here, not by ORDER BY: SQLite
    sorted the whole rows, texts and all, in a temporary B-tree (30 ms of 190 at 10,000 reps),
    where Python's sort finds them nearly in order already (member by member, by occurrence).
    The occurrence comes back as stored - text on SQLite, whose order is the time's (always six
    digits of fraction), a datetime on PostgreSQL."""
    occurrence = col(CheckIn.occurrence_at)
    query = _bounded(_answers(select(CheckIn.member_id, type_coerce(occurrence, String),
                                     *_ROWCOLS)), ids, period.start, period.end)
    query = query.where(col(Answer.substantive).is_not(None))
    rows, said_nothing = [], []
    found = list(await _all(session, query))
    found.sort(key=_ORDER)
    for row in found:
        if row[-3]:
            rows.append(_without_rhythm(Row._make(row[:-3]), row[-1]) if row[-1]
                        else Row._make(row[:-3]))
        else:
            said_nothing.append((row[0], row[2], row[3]))
    return rows, said_nothing


def _without_rhythm(row: Row, evaluation: str) -> Row:
    """A manager's tasks answer as its feedback reads it: their team rhythm (pipeline reviews,
    1:1s, forecast calls) is no off-strategy effort. Answers stored since are derived so
    already (bot.digest.derived); older ones still list it, and are derived again here from
    their verdict (only those whose stored list names the rhythm: a few)."""
    texts = default_texts()
    if not row.unmapped_texts or not any(texts.rhythm(t) for t in _list(row.unmapped_texts)):
        return row
    fresh = derive(row.text, evaluation, "manager")
    return row._replace(**{k: fresh[k] for k in ("unmapped_texts", "unmapped_count", "off_count")})


async def load_facts(session: AsyncSession, strategy: Strategy, members: Members, period: Period,
                     manager_id: int | None = None) -> Facts:
    """Every query a digest of `members` needs, bounded by the members and the window. Only
    this period's answers come back one by one (per-rep figures and the manager-against-reps
    check are about each of them); the previous period, the effort table and the score means
    come back added up."""
    ids = members if isinstance(members, Select) else list(members)
    rows, said_nothing = await _rows(session, ids, period)
    means, means_before, effort_before = await _totals(session, ids, period, strategy.segment_ids)
    participation, before = await _participation(session, ids, period)
    return Facts(
        participation=participation, before=before,
        series=await _series(session, ids, period),
        rows=rows, said_nothing=said_nothing, means=means, means_before=means_before,
        effort=_effort(rows, strategy.segment_ids), effort_before=effort_before,
        manager_rows=(await _rows(session, [manager_id], period))[0] if manager_id is not None else [],
    )


def _articulation(rows: Sequence[Row], strategy: Strategy,
                  seen: dict[str, Articulation]) -> Articulation | None:
    """From the member's latest statement answer; `seen` holds the articulation of each stored
    statement value met in this digest (counts and component lists: reps share a few)."""
    latest: Row | None = None
    for r in rows:
        if r.statement_facts is not None and (latest is None or r.occurrence_at > latest.occurrence_at):
            latest = r
    if latest is None or latest.statement_facts is None:
        return None
    stored = latest.statement_facts
    if stored not in seen:
        words, within, covered, missing, out_of_scope, price = _list(stored)
        seen[stored] = articulation_from(words, within, covered, missing,
                                         faults_of(out_of_scope, price, strategy))
    return seen[stored]


def _reported(rows: Sequence[Row]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in rows:
        if r.done_tasks is not None:
            seen.update(dict.fromkeys(_list(r.done_tasks)))
    return tuple(seen)


def _segments(strategy: Strategy, rows: Sequence[Row], names: dict[int, str],
              leads: LeadFigures) -> list[SegmentFigures]:
    """figures.segment_figures over every mention in the rows, tallied per distinct stored
    played value first (who gave it, how often): a whole organisation's week names segments
    32,000 times in a few dozen distinct values."""
    who: dict[str, set[int]] = defaultdict(set)
    times: Counter[str] = Counter()
    for r in rows:
        if r.played is not None:
            who[r.played].add(r.member_id)
            times[r.played] += 1
    ours = strategy.segment_ids
    members: dict[str, set[str]] = defaultdict(set)
    mentions: Counter[str] = Counter()
    judged: dict[str, set[bool]] = defaultdict(set)
    for played, count in times.items():
        for segment, in_scope in _list(played):
            if segment in ours:
                members[segment].update(names[mid] for mid in who[played])
                mentions[segment] += count
                judged[segment].add(bool(in_scope))
    return segment_results(strategy, members, mentions, judged, leads.new_by_segment)


def _unmapped(rows: Sequence[Row], top: int = TOP_UNMAPPED) -> list[tuple[str, int]]:
    """figures.unmapped_activities: counted per distinct stored list first (in order of first
    appearance, so each activity is still shown as first written)."""
    lists: Counter[str] = Counter(r.unmapped_texts for r in rows
                                  if r.unmapped_texts and r.unmapped_texts != "[]")
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for stored, n in lists.items():
        for text in _list(stored):
            key = text.lower()
            counts[key] += n
            shown.setdefault(key, text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [(shown[key], count) for key, count in ranked]


def _against(rows: Sequence[Row], names: dict[int, str]) -> list[Against]:
    return [Against(names.get(r.member_id, "?"), name, quote) for r in rows
            if r.against_items and r.against_items != "[]"
            for name, quote in _list(r.against_items)]


def compute_from_facts(strategy: Strategy, title: str, members: Sequence[Member], period: Period,
                       facts: Facts, leads: LeadFigures,
                       manager: tuple[int, str] | None = None) -> DigestFigures:
    """The figures of figures.compute, from what `load_facts` returned. `manager`: the id and
    name of the digest's own manager when they are not a member (their answers are in
    `facts.manager_rows`), for the consistency check."""
    previous = period.previous()
    everyone = people(members)
    names = {mid: name for mid, name, _ in everyone if mid is not None}
    rows = facts.rows
    by_member: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        by_member[r.member_id].append(r)
    follow_by_owner = leads.by_owner
    statements: dict[str, Articulation] = {}
    no_part, no_leads = Participation(), FollowUp()  # frozen: one default shared, not 10,000 built
    reps = [RepFigures(mid, name, facts.participation.get(mid, no_part),
                       _articulation(by_member[mid], strategy, statements), _reported(by_member[mid]),
                       follow_by_owner.get(mid, no_leads))
            for mid, name in names.items()]
    reps.sort(key=lambda r: r.name.lower())
    per_member_tasks = {r.member_id: r.tasks for r in reps
                        if any(a.done_tasks is not None for a in by_member[r.member_id])}
    now_part = _total([facts.participation.get(mid, no_part) for mid in names])
    follow_now, follow_before = leads.now, leads.before
    outside = {manager[0]: manager[1]} if manager is not None else {}
    answers = cast(Any, by_member)  # Row reads like AnswerFacts where mismatches looks
    by_manager = reports_of(everyone, answers, outside)
    own: dict[str, Any] = {name: facts.manager_rows for name in outside.values()}
    own.update({names[mid]: by_member[mid] for mid in names
                if names[mid] in by_manager and names[mid] not in own})
    found, compared = mismatches(strategy, own, by_manager)
    with_tasks = [r for r in rows if r.done_tasks is not None]
    return DigestFigures(
        title=title, period=period, previous=previous, reps=reps, participation=now_part,
        segments=_segments(strategy, rows, names, leads),
        tasks=task_figures(strategy, per_member_tasks, len(per_member_tasks)),
        task_reporters=len(per_member_tasks), unmapped=_unmapped(rows),
        follow_up=follow_now, follow_up_by_segment=leads.by_segment,
        trends=score_trends(facts.means, facts.means_before, now_part, facts.before,
                            follow_now, follow_before),
        series=facts.series,
        activities=sum((r.done_count or 0) + (r.unmapped_count or 0)
                       for r in with_tasks),
        against=_against(rows, names),
        unmapped_total=sum(r.unmapped_count or 0 for r in with_tasks),
        answers=len(rows),
        said_nothing=[Quote(names.get(mid, "?"), question, shorten(text, 40))
                      for mid, question, text in facts.said_nothing],
        effort=facts.effort, effort_before=facts.effort_before,
        untouched=[(names.get(owner, "?"), segment, age) for owner, segment, age in leads.untouched],
        mismatches=found, managers_compared=compared,
        task_answers={names[mid]: tasks for mid, tasks in per_member_tasks.items()},
        out_of_scope_leads=out_of_scope_counts(strategy, leads.new_by_source))
