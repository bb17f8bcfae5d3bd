"""The digest's figures, computed from loaded history: participation, articulation, scope, tasks,
leads and trends. Pure functions of their inputs, so tests can check every number.

Definitions (each figure counts check-ins whose occurrence falls in the period):
- participation: asked = check-ins sent; answered = all questions answered; late = answered after
  a reminder; missed = asked, closed unanswered; open = asked and still open.
- articulation: a member's latest statement answer; they can articulate the strategy when it is
  within the word limit and covers objectives, scope and advantage.
- scope: segments named as played in any answer, with the members naming them and how often.
- tasks: a task is covered by a member who reported it in a tasks answer; coverage is the share
  of members who answered the tasks question; critical tasks come first.
- unmapped: the activities that mapped to no task, most frequent first - effort spent outside
  the strategy (the de facto strategy).
- trends: the mean of each score over the period's answers, against the previous period.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import fmean

from bot.digest.history import AnswerFacts, CheckInFacts, History, ScoreFacts
from bot.digest.period import Period
from bot.evaluation.result import QUESTIONS, Evaluation
from bot.leads.metrics import FollowUp, LeadBook
from bot.storage.models import Member
from bot.strategy.schema import Strategy

SUB_SCORES = ("brevity", "components", "scope_clarity", "buying_process", "critical_coverage",
              "focus")
OPEN_STATES = ("asked", "reminded")
TOP_UNMAPPED = 5
CHART_POINTS = 6


@dataclass(frozen=True)
class Participation:
    asked: int = 0
    answered: int = 0
    late: int = 0
    missed: int = 0
    open: int = 0

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


@dataclass(frozen=True)
class Articulation:
    words: int
    within_limit: bool
    covered: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def articulates(self) -> bool:
        return self.within_limit and not self.missing


@dataclass(frozen=True)
class RepFigures:
    member_id: int
    name: str
    participation: Participation
    articulation: Articulation | None
    tasks: tuple[str, ...]
    follow_up: FollowUp


@dataclass(frozen=True)
class SegmentFigures:
    segment_id: str
    name: str
    in_scope: bool
    members: tuple[str, ...]
    mentions: int
    leads: int


@dataclass(frozen=True)
class TaskFigures:
    task_id: str
    name: str
    critical: bool
    members: int
    share: float | None


@dataclass(frozen=True)
class Trend:
    name: str
    current: float | None
    previous: float | None

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return round(self.current - self.previous, 3)


@dataclass(frozen=True)
class DigestFigures:
    title: str
    period: Period
    previous: Period
    reps: list[RepFigures]
    participation: Participation
    segments: list[SegmentFigures]
    tasks: list[TaskFigures]
    task_reporters: int
    unmapped: list[tuple[str, int]]
    follow_up: FollowUp
    follow_up_by_segment: dict[str, FollowUp]
    trends: list[Trend]
    series: list[tuple[str, dict[str, float | None]]] = field(default_factory=list)
    activities: int = 0  # activities reported in tasks answers (mapped + unmapped)
    unmapped_total: int = 0

    @property
    def unmapped_share(self) -> float | None:
        return self.unmapped_total / self.activities if self.activities else None

    @property
    def articulating(self) -> list[RepFigures]:
        return [r for r in self.reps if r.articulation and r.articulation.articulates]

    @property
    def stated(self) -> list[RepFigures]:
        return [r for r in self.reps if r.articulation is not None]


def participation(checkins: Iterable[CheckInFacts]) -> Participation:
    asked = answered = late = missed = still_open = 0
    for c in checkins:
        if c.asked_at is None:
            continue
        asked += 1
        if c.answered_at is not None:
            answered += 1
            late += c.reminded_at is not None and c.answered_at > c.reminded_at
        elif c.state in OPEN_STATES:
            still_open += 1
        else:
            missed += 1
    return Participation(asked, answered, late, missed, still_open)


def articulation(answers: Sequence[AnswerFacts]) -> Articulation | None:
    """From the member's latest statement answer in the period."""
    statements = [a for a in answers if a.evaluation.statement is not None]
    if not statements:
        return None
    latest = max(statements, key=lambda a: a.occurrence_at).evaluation.statement
    assert latest is not None
    return Articulation(latest.word_count, latest.within_limit,
                        tuple(c.component for c in latest.components if c.covered),
                        tuple(c.component for c in latest.components if not c.covered))


def reported_tasks(answers: Iterable[AnswerFacts]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for a in answers:
        if a.evaluation.tasks is not None:
            seen.update(dict.fromkeys(a.evaluation.tasks.task_ids))
    return tuple(seen)


def score_means(evaluations: Sequence[Evaluation]) -> dict[str, float | None]:
    """Mean overall per question and mean of each sub-score, over the answers that have it."""
    means: dict[str, float | None] = {}
    for question in QUESTIONS:
        values = [e.overall for e in evaluations if e.question == question]
        means[question] = round(fmean(values), 3) if values else None
    for name in SUB_SCORES:
        values = [e.scores[name] for e in evaluations if name in e.scores]
        means[name] = round(fmean(values), 3) if values else None
    return means


def overall_means(scores: Sequence[ScoreFacts]) -> dict[str, float | None]:
    """Mean overall score per question (the chart's points)."""
    means: dict[str, float | None] = {}
    for question in QUESTIONS:
        values = [s.overall for s in scores if s.question == question]
        means[question] = round(fmean(values), 3) if values else None
    return means


def _segments(strategy: Strategy, answers: Sequence[AnswerFacts], names: dict[int, str],
              leads: LeadBook) -> list[SegmentFigures]:
    members: dict[str, set[str]] = defaultdict(set)
    mentions: Counter[str] = Counter()
    for a in answers:
        for mention in a.evaluation.scope.segments if a.evaluation.scope else []:
            if mention.stated_as_played and mention.segment_id in strategy.segment_ids:
                members[mention.segment_id].add(names[a.member_id])
                mentions[mention.segment_id] += 1
    lead_counts = Counter(lead.segment for lead in leads.cohort)
    result = [SegmentFigures(s.id, s.name, s.in_scope, tuple(sorted(members[s.id])), mentions[s.id],
                             lead_counts[s.id])
              for s in strategy.segments if mentions[s.id] or lead_counts[s.id]]
    return sorted(result, key=lambda s: (not s.in_scope, -len(s.members), -s.mentions, s.name))


def _tasks(strategy: Strategy, per_member: dict[int, tuple[str, ...]],
           reporters: int) -> list[TaskFigures]:
    counts = Counter(task for tasks in per_member.values() for task in tasks)
    result = [TaskFigures(t.id, t.name, t.critical, counts[t.id],
                          counts[t.id] / reporters if reporters else None)
              for t in strategy.sales_tasks]
    return sorted(result, key=lambda t: (not t.critical, t.members))


def unmapped_activities(answers: Iterable[AnswerFacts], top: int = TOP_UNMAPPED) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for a in answers:
        for evidence in a.evaluation.tasks.unmapped if a.evaluation.tasks else []:
            text = " ".join(evidence.text.lower().split()).strip(" .;,-")
            if text:
                counts[text] += 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def _trends(current: dict[str, float | None], previous: dict[str, float | None],
            now: Participation, before: Participation, leads_now: FollowUp,
            leads_before: FollowUp) -> list[Trend]:
    trends = [Trend(name, current[name], previous[name]) for name in current]
    trends.append(Trend("answer_rate", _r(now.rate), _r(before.rate)))
    trends.append(Trend("leads_within_24h", _r(leads_now.within_24h), _r(leads_before.within_24h)))
    return trends


def _r(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def compute(strategy: Strategy, title: str, members: Sequence[Member], period: Period,
            history: History, leads: LeadBook) -> DigestFigures:
    """Every figure of one digest. `history` must hold scores for `period.back(CHART_POINTS)` and
    evaluations for this period and the previous one; `leads` must cover both periods."""
    previous = period.previous()
    names = {m.id: m.name for m in members if m.id is not None}
    checkins = [c for c in history.checkins if period.contains(c.occurrence_at)]
    answers = [a for a in history.answers if period.contains(a.occurrence_at)]
    by_member_checkins: dict[int, list[CheckInFacts]] = defaultdict(list)
    by_member_answers: dict[int, list[AnswerFacts]] = defaultdict(list)
    for c in checkins:
        by_member_checkins[c.member_id].append(c)
    for a in answers:
        by_member_answers[a.member_id].append(a)
    current_leads = leads.engaged_in(period.start, period.end)
    follow_by_owner = current_leads.by_owner()
    reps = [RepFigures(mid, name, participation(by_member_checkins[mid]),
                       articulation(by_member_answers[mid]), reported_tasks(by_member_answers[mid]),
                       follow_by_owner.get(mid, FollowUp()))
            for mid, name in names.items()]
    reps.sort(key=lambda r: r.name.lower())
    per_member_tasks = {r.member_id: r.tasks for r in reps
                        if any(a.evaluation.tasks is not None for a in by_member_answers[r.member_id])}
    before_checkins = [c for c in history.checkins if previous.contains(c.occurrence_at)]
    before_answers = [a.evaluation for a in history.answers if previous.contains(a.occurrence_at)]
    now_part, before_part = participation(checkins), participation(before_checkins)
    follow_now = current_leads.total()
    follow_before = leads.engaged_in(previous.start, previous.end).total()
    series = [(p.start.strftime("%d %b"), overall_means(
        [s for s in history.scores if p.contains(s.occurrence_at)]))
        for p in period.back(CHART_POINTS)]
    return DigestFigures(
        title=title, period=period, previous=previous, reps=reps, participation=now_part,
        segments=_segments(strategy, answers, names, current_leads),
        tasks=_tasks(strategy, per_member_tasks, len(per_member_tasks)),
        task_reporters=len(per_member_tasks), unmapped=unmapped_activities(answers),
        follow_up=follow_now, follow_up_by_segment=current_leads.by_segment(),
        trends=_trends(score_means([a.evaluation for a in answers]), score_means(before_answers),
                       now_part, before_part, follow_now, follow_before),
        series=series,
        activities=sum(len(a.evaluation.tasks.matches) + len(a.evaluation.tasks.unmapped)
                       for a in answers if a.evaluation.tasks),
        unmapped_total=sum(len(a.evaluation.tasks.unmapped) for a in answers if a.evaluation.tasks))
