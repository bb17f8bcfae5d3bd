"""The digest's figures, computed from loaded history: participation, articulation, scope, tasks,
leads and trends. Pure functions of their inputs, so tests can check every number.

Definitions (each figure counts check-ins whose occurrence falls in the period):
- participation: asked = check-ins sent; answered = all questions answered; late = answered after
  a reminder; missed = asked, closed unanswered; open = asked and still open. The rate is over
  closed check-ins only (answered + missed): one still open is neither a yes nor a no yet.
- effort: only substantive answers (bot.evaluation.substance) count - keyboard mash, emoji or a
  single word is no evidence of work - and only substantive fragments of them.
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
from datetime import datetime, timedelta
from statistics import fmean

from bot.digest.history import AnswerFacts, CheckInFacts, History, ScoreFacts
from bot.digest.period import Period
from bot.evaluation.contradictions import StatementFaults, statement_faults
from bot.evaluation.result import QUESTIONS, Evaluation
from bot.evaluation.substance import assess
from bot.leads.metrics import FollowUp, LeadBook
from bot.storage.models import Member
from bot.strategy.schema import Strategy
from bot.text import shorten

SUB_SCORES = ("brevity", "components", "scope_clarity", "buying_process", "critical_coverage",
              "focus")
OPEN_STATES = ("asked", "reminded")
TOP_UNMAPPED = 5
CHART_POINTS = 6
QUOTE_WIDTH = 90  # how much of an answer a mismatch quotes


@dataclass(frozen=True)
class Participation:
    asked: int = 0
    answered: int = 0
    late: int = 0
    missed: int = 0
    open: int = 0

    @property
    def closed(self) -> int:
        return self.answered + self.missed

    @property
    def rate(self) -> float | None:
        """Answered over closed check-ins; None while none has closed."""
        return self.answered / self.closed if self.closed else None


@dataclass(frozen=True)
class Articulation:
    words: int
    within_limit: bool
    covered: tuple[str, ...]
    missing: tuple[str, ...]
    wrong: tuple[str, ...] = ()  # stated, but contradicting ours (scope we don't play, price)

    @property
    def articulates(self) -> bool:
        return self.within_limit and not self.missing and not self.wrong


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
class Against:
    """One rep's work against a task or an objective, in their words."""

    name: str
    target: str
    quote: str


@dataclass(frozen=True)
class Effort:
    """Reported activities by where they were aimed (segments in scope, out of scope, none
    named) and whether they map to a sales task (on task) or not (off task)."""

    in_on: int = 0
    in_off: int = 0
    out_on: int = 0
    out_off: int = 0
    none_on: int = 0
    none_off: int = 0
    in_against: int = 0  # work against a task or an objective (a discount against "no discounts")
    out_against: int = 0
    none_against: int = 0

    @property
    def total(self) -> int:
        return sum(on + off + against for _, on, off, against in self.rows())

    def rows(self) -> list[tuple[str, int, int, int]]:
        """(where, on task, off task, against the strategy) per row, in scope first."""
        return [("in", self.in_on, self.in_off, self.in_against),
                ("out", self.out_on, self.out_off, self.out_against),
                ("none", self.none_on, self.none_off, self.none_against)]


@dataclass(frozen=True)
class Quote:
    """Someone's answer, quoted: who, which question, and what they wrote."""

    name: str
    question: str
    text: str


@dataclass(frozen=True)
class Mismatch:
    """A manager's answer and their reps' that describe different strategies."""

    manager: Quote
    reps: tuple[Quote, ...]
    kind: str  # segments | tasks
    manager_only: tuple[str, ...]  # named by the manager, by none of the reps
    reps_only: tuple[str, ...]  # named by reps, not by the manager


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
    answers: int = 0  # substantive answers in the period
    said_nothing: list[Quote] = field(default_factory=list)  # answers with no substance
    effort: Effort = field(default_factory=Effort)
    effort_before: Effort = field(default_factory=Effort)
    untouched: list[tuple[str, str, float]] = field(default_factory=list)  # owner, segment, age d
    mismatches: list[Mismatch] = field(default_factory=list)
    against: list[Against] = field(default_factory=list)  # work against a task or objective
    managers_compared: int = 0  # managers whose answers could be set against their reps'
    task_answers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> task ids
    out_of_scope_leads: list[tuple[str, str, int]] = field(default_factory=list)  # seg, source, n

    @property
    def has_data(self) -> bool:
        """Anything to judge alignment on: a substantive answer in the period."""
        return self.answers > 0

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


def articulation(answers: Sequence[AnswerFacts], strategy: Strategy) -> Articulation | None:
    """From the member's latest statement answer in the period; a part that contradicts ours
    is wrong, not covered nor missing (as the rep's own feedback says)."""
    statements = [a for a in answers if a.evaluation.statement is not None]
    if not statements:
        return None
    evaluation = max(statements, key=lambda a: a.occurrence_at).evaluation
    latest = evaluation.statement
    assert latest is not None
    return articulation_from(latest.word_count, latest.within_limit,
                             [c.component for c in latest.components if c.covered],
                             [c.component for c in latest.components if not c.covered],
                             statement_faults(evaluation, strategy))


def articulation_from(words: int, within_limit: bool, covered: Sequence[str],
                      missing: Sequence[str], faults: StatementFaults) -> Articulation:
    """A part that contradicts ours is wrong, neither covered nor missing."""
    wrong = faults.components
    return Articulation(words, within_limit, tuple(c for c in covered if c not in wrong),
                        tuple(c for c in missing if c not in wrong), wrong)


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
    return segment_figures(strategy, ((names[a.member_id], m.segment_id, m.in_scope) for a in answers
                                      for m in (a.evaluation.scope.segments if a.evaluation.scope else [])
                                      if m.stated_as_played),
                           Counter(lead.segment for lead in leads.cohort))


def segment_figures(strategy: Strategy, played: Iterable[tuple[str, str, bool]],
                    lead_counts: Counter[str]) -> list[SegmentFigures]:
    """Each segment named as played - (member name, segment id, in scope as judged) - or in the
    period's new leads (`lead_counts`, per segment id). A segment is in or out of scope as the
    answers were judged (the version each was asked under, like the effort figures), unless they
    disagree; one only leads name is placed by today's strategy. Both digest paths (these facts
    and bot.digest.aggregate) use it."""
    members: dict[str, set[str]] = defaultdict(set)
    mentions: Counter[str] = Counter()
    judged: dict[str, set[bool]] = defaultdict(set)
    ours = strategy.segment_ids  # a property that builds the set: once, not once per mention
    for name, segment_id, in_scope in played:
        if segment_id in ours:
            members[segment_id].add(name)
            mentions[segment_id] += 1
            judged[segment_id].add(in_scope)
    return segment_results(strategy, members, mentions, judged, lead_counts)


def segment_results(strategy: Strategy, members: dict[str, set[str]], mentions: Counter[str],
                    judged: dict[str, set[bool]], lead_counts: Counter[str]) -> list[SegmentFigures]:
    """segment_figures from the mentions already tallied per segment id of ours: who named it,
    how often, and how it was judged (bot.digest.aggregate tallies per distinct stored value)."""

    def placed(segment_id: str, now: bool) -> bool:
        seen = judged[segment_id]
        return next(iter(seen)) if len(seen) == 1 else now

    result = [SegmentFigures(s.id, s.name, placed(s.id, s.in_scope), tuple(sorted(members[s.id])),
                             mentions[s.id], lead_counts[s.id])
              for s in strategy.segments if mentions[s.id] or lead_counts[s.id]]
    return sorted(result, key=lambda s: (not s.in_scope, -len(s.members), -s.mentions, s.name))


def task_figures(strategy: Strategy, per_member: dict[int, tuple[str, ...]],
                 reporters: int) -> list[TaskFigures]:
    counts = Counter(task for tasks in per_member.values() for task in tasks)
    result = [TaskFigures(t.id, t.name, t.critical, counts[t.id],
                          counts[t.id] / reporters if reporters else None)
              for t in strategy.sales_tasks]
    return sorted(result, key=lambda t: (not t.critical, t.members))


def unmapped_activities(answers: Iterable[AnswerFacts], top: int = TOP_UNMAPPED) -> list[tuple[str, int]]:
    """Activities that map to no task, counted case-insensitively, shown as first written."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for a in answers:
        for evidence in a.off_strategy:
            text = " ".join(evidence.text.split()).strip(" .;,-")
            if text and assess(text, allow_one_word=True).substantive:
                key = text.lower()
                counts[key] += 1
                shown.setdefault(key, text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [(shown[key], count) for key, count in ranked]


def score_trends(current: dict[str, float | None], previous: dict[str, float | None],
                 now: Participation, before: Participation, leads_now: FollowUp,
                 leads_before: FollowUp) -> list[Trend]:
    trends = [Trend(name, current[name], previous[name]) for name in current]
    trends.append(Trend("answer_rate", _r(now.rate), _r(before.rate)))
    trends.append(Trend("leads_within_24h", _r(leads_now.within_24h), _r(leads_before.within_24h)))
    return trends


def _r(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None


def effort(strategy: Strategy, answers: Iterable[AnswerFacts]) -> Effort:
    """Activities of each check-in's tasks answer, placed by the segments the same check-in's
    scope answer names as played: any out of scope -> out, else any in scope -> in, else none."""
    where: dict[tuple[int, datetime], str] = {}
    tasks: list[tuple[tuple[int, datetime], int, int, int]] = []
    for a in answers:
        key = (a.member_id, a.occurrence_at)
        if a.evaluation.scope is not None:
            played = [m for m in a.evaluation.scope.segments
                      if m.stated_as_played and m.segment_id in strategy.segment_ids]
            if any(not m.in_scope for m in played):
                where[key] = "out"
            elif played:
                where[key] = "in"
        if a.evaluation.tasks is not None:
            off = sum(assess(e.text, allow_one_word=True).substantive for e in a.off_strategy)
            against = len({(x.kind, x.target) for x in a.evaluation.tasks.against})
            tasks.append((key, len(a.evaluation.tasks.task_ids), off, against))  # done only
    return effort_cells(where, tasks)


def effort_cells(where: dict[tuple[int, datetime], str],
                 tasks: Iterable[tuple[tuple[int, datetime], int, int, int]]) -> Effort:
    """Each check-in's tasks answer (done, off task, against) counted where its scope answer
    aimed it ("in", "out"; "none" when it named no segment)."""
    return effort_counts((where.get(key, "none"), on, off, against) for key, on, off, against in tasks)


def effort_counts(placed: Iterable[tuple[str, int, int, int]]) -> Effort:
    """Tasks answers' (where, done, off task, against) added up, "where" being "in", "out" or
    "none" (bot.digest.aggregate adds them grouped, a count of answers each: pass them repeated
    or multiplied out)."""
    sums: dict[str, list[int]] = {}
    for place, on, off, against in placed:  # a whole organisation's week: 8,500 tasks answers
        cell = sums.get(place)
        if cell is None:
            cell = sums[place] = [0, 0, 0]
        cell[0] += on
        cell[1] += off
        cell[2] += against
    return Effort(**{f"{place}_{kind}": value for place, cell in sums.items()
                     for kind, value in zip(("on", "off", "against"), cell, strict=True)})


def working_against(answers: Iterable[AnswerFacts], names: dict[int, str]) -> list[Against]:
    """Work reported against a task or an objective ("gave an extra 15% discount" against "no
    discount-led deals"): who, against what, and their words - never counted as done."""
    found: list[Against] = []
    for a in answers:
        for item in a.evaluation.tasks.against if a.evaluation.tasks else []:
            found.append(Against(names.get(a.member_id, "?"), item.name, shorten(item.evidence.text, 80)))
    return found


def _played(answers: Iterable[AnswerFacts], strategy: Strategy) -> dict[str, str]:
    """Segment id -> name, for segments named as played in these answers."""
    names = {s.id: s.name for s in strategy.segments}
    return {m.segment_id: names[m.segment_id] for a in answers if a.evaluation.scope
            for m in a.evaluation.scope.segments if m.stated_as_played and m.segment_id in names}


def _task_names(answers: Iterable[AnswerFacts], strategy: Strategy) -> dict[str, str]:
    names = {t.id: t.name for t in strategy.sales_tasks}
    return {tid: names[tid] for a in answers if a.evaluation.tasks
            for tid in a.evaluation.tasks.task_ids if tid in names}


def mismatches(strategy: Strategy, managers: dict[str, list[AnswerFacts]],
               reports: dict[str, dict[str, list[AnswerFacts]]]) -> tuple[list[Mismatch], int]:
    """Per manager, the first way their answers and their direct reports' differ: segments
    named as played, then sales tasks reported. Only substantive answers count on either side.
    Also returns how many managers could be compared at all (both sides answered)."""
    found: list[Mismatch] = []
    compared: set[str] = set()
    for manager, own in managers.items():
        team = reports.get(manager, {})
        if not own or not team:
            continue
        for kind, question, named in (("segments", "scope", _played), ("tasks", "tasks", _task_names)):
            mine_answers = [a for a in own if a.evaluation.question == question and a.substantive]
            theirs = {rep: [a for a in answers if a.evaluation.question == question and a.substantive]
                      for rep, answers in team.items()}
            theirs = {rep: answers for rep, answers in theirs.items() if answers}
            if not mine_answers or not theirs:
                continue
            compared.add(manager)
            mine = named(mine_answers, strategy)
            reps_named = {rep: named(answers, strategy) for rep, answers in theirs.items()}
            union = {k: v for names in reps_named.values() for k, v in names.items()}
            manager_only = tuple(v for k, v in mine.items() if k not in union)
            reps_only = tuple(v for k, v in union.items() if k not in mine)
            if not manager_only and not reps_only:
                continue
            latest = max(mine_answers, key=lambda a: a.occurrence_at)
            differing = [rep for rep, names in sorted(reps_named.items())
                         if set(names) - set(mine) or not set(names) & set(mine)] or sorted(theirs)
            quotes = tuple(Quote(rep, question, shorten(max(
                theirs[rep], key=lambda a: a.occurrence_at).text, QUOTE_WIDTH)) for rep in differing[:2])
            found.append(Mismatch(Quote(manager, question, shorten(latest.text, QUOTE_WIDTH)), quotes, kind,
                                  manager_only, reps_only))
            break
    return found, len(compared)


def _series(period: Period, history: History) -> list[tuple[str, dict[str, float | None]]]:
    """Mean overall per question for each of the last CHART_POINTS periods, labelled with the
    period's last day (answers of 2 Mar are drawn at 2 Mar, not at the start of the week),
    from the first period that has any score: the axis fits the data."""
    series = []
    for p in period.back(CHART_POINTS):
        means = overall_means([s for s in history.scores if p.contains(s.occurrence_at)])
        series.append(((p.end - timedelta(seconds=1)).strftime("%d %b"), means))
    while len(series) > 1 and all(v is None for v in series[0][1].values()):
        series.pop(0)
    return series


def untouched_leads(leads: LeadBook, names: dict[int, str]) -> list[tuple[str, str, float]]:
    """Open leads never touched, oldest first: owner, segment id and age in days."""
    rows = [(names.get(lead.owner_id, "?"), lead.segment,
             round((leads.as_of - lead.engaged_at) / timedelta(days=1), 1))
            for lead in leads.open if lead.untouched]
    return sorted(rows, key=lambda row: -row[2])


def out_of_scope_sources(strategy: Strategy, leads: LeadBook) -> list[tuple[str, str, int]]:
    """New leads in segments we do not play, by segment and source, most first."""
    return out_of_scope_counts(strategy, Counter((lead.segment, lead.source or "?")
                                                 for lead in leads.cohort))


def out_of_scope_counts(strategy: Strategy,
                        new_by_source: Counter[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """out_of_scope_sources from the new leads counted per (segment id, source or "?"), as
    bot.leads.metrics.LeadFigures holds them."""
    out = {s.id: s.name for s in strategy.segments if not s.in_scope}
    counts: Counter[tuple[str, str]] = Counter()
    for (segment, source), n in new_by_source.items():
        if segment in out:
            counts[(out[segment], source)] += n
    return [(segment, source, n) for (segment, source), n in
            sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def compute(strategy: Strategy, title: str, members: Sequence[Member], period: Period,
            history: History, leads: LeadBook,
            managers: dict[int, tuple[str, list[AnswerFacts]]] | None = None) -> DigestFigures:
    """Every figure of one digest. `history` must hold scores for `period.back(CHART_POINTS)` and
    evaluations for this period and the previous one; `leads` must cover both periods.
    `managers` maps the id of a manager who is not a member (the digest's own manager) to their
    name and answers, for the consistency check."""
    previous = period.previous()
    names = {m.id: m.name for m in members if m.id is not None}
    checkins = [c for c in history.checkins if period.contains(c.occurrence_at)]
    answers = [a for a in history.answers if period.contains(a.occurrence_at)]
    substantive = [a for a in answers if a.substantive]
    by_member_checkins: dict[int, list[CheckInFacts]] = defaultdict(list)
    by_member_answers: dict[int, list[AnswerFacts]] = defaultdict(list)
    for c in checkins:
        by_member_checkins[c.member_id].append(c)
    for a in substantive:
        by_member_answers[a.member_id].append(a)
    current_leads = leads.engaged_in(period.start, period.end)
    follow_by_owner = current_leads.by_owner()
    reps = [RepFigures(mid, name, participation(by_member_checkins[mid]),
                       articulation(by_member_answers[mid], strategy), reported_tasks(by_member_answers[mid]),
                       follow_by_owner.get(mid, FollowUp()))
            for mid, name in names.items()]
    reps.sort(key=lambda r: r.name.lower())
    per_member_tasks = {r.member_id: r.tasks for r in reps
                        if any(a.evaluation.tasks is not None for a in by_member_answers[r.member_id])}
    before_checkins = [c for c in history.checkins if previous.contains(c.occurrence_at)]
    before = [a for a in history.answers if previous.contains(a.occurrence_at) and a.substantive]
    now_part, before_part = participation(checkins), participation(before_checkins)
    follow_now = current_leads.total()
    follow_before = leads.engaged_in(previous.start, previous.end).total()
    outside = managers or {}
    by_manager = reports_by_manager(members, by_member_answers,
                                    {mid: name for mid, (name, _) in outside.items()})
    own = {name: [a for a in answers_ if period.contains(a.occurrence_at)]
           for name, answers_ in outside.values()}
    own.update({names[mid]: by_member_answers[mid] for mid in names
                if names[mid] in by_manager and names[mid] not in own})
    found, compared = mismatches(strategy, own, by_manager)
    return DigestFigures(
        title=title, period=period, previous=previous, reps=reps, participation=now_part,
        segments=_segments(strategy, substantive, names, current_leads),
        tasks=task_figures(strategy, per_member_tasks, len(per_member_tasks)),
        task_reporters=len(per_member_tasks), unmapped=unmapped_activities(substantive),
        follow_up=follow_now, follow_up_by_segment=current_leads.by_segment(),
        trends=score_trends(score_means([a.evaluation for a in substantive]),
                            score_means([a.evaluation for a in before]),
                            now_part, before_part, follow_now, follow_before),
        series=_series(period, history),
        activities=sum(len(a.evaluation.tasks.task_ids) + len(a.off_strategy)
                       for a in substantive if a.evaluation.tasks),
        against=working_against(substantive, names),
        unmapped_total=sum(len(a.off_strategy) for a in substantive if a.evaluation.tasks),
        answers=len(substantive),
        said_nothing=[Quote(names.get(a.member_id, "?"), a.evaluation.question, shorten(a.text, 40))
                      for a in answers if not a.substantive],
        effort=effort(strategy, substantive), effort_before=effort(strategy, before),
        untouched=untouched_leads(leads, names),
        mismatches=found, managers_compared=compared,
        task_answers={names[mid]: tasks for mid, tasks in per_member_tasks.items()},
        out_of_scope_leads=out_of_scope_sources(strategy, current_leads))


def reports_by_manager(members: Sequence[Member], answers: dict[int, list[AnswerFacts]],
                       outside: dict[int, str]) -> dict[str, dict[str, list[AnswerFacts]]]:
    """Manager name -> each direct report's answers, for managers with reports in `members`
    (`outside` names managers who are not members themselves)."""
    return reports_of(people(members), answers, outside)


def people(members: Sequence[Member]) -> list[tuple[int | None, str, int | None]]:
    """(id, name, manager id) of each member, each ORM attribute read once: a whole
    organisation's digest read 117,000 of them through the ORM's descriptors (about 50 ms at
    10,000 reps) where these tuples serve every later look-up."""
    return [(m.id, m.name, m.manager_id) for m in members]


def reports_of(members: Sequence[tuple[int | None, str, int | None]],
               answers: dict[int, list[AnswerFacts]],
               outside: dict[int, str]) -> dict[str, dict[str, list[AnswerFacts]]]:
    """reports_by_manager over `people(members)`."""
    by_id = {mid: name for mid, name, _ in members if mid is not None} | outside
    out: dict[str, dict[str, list[AnswerFacts]]] = defaultdict(dict)
    for mid, name, manager_id in members:
        if manager_id is None or mid is None:
            continue
        boss = by_id.get(manager_id)
        if boss is not None:
            out[boss][name] = answers.get(mid, [])
    return out
