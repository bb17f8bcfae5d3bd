"""Suggested actions: what a manager could change, each tied to one of the three levers and to
the people, deals, leads or answers that prompted it.

The levers are Cespedes's (see docs/domain.md): *people* (hiring, training, coaching), *control
systems* (organisation, metrics, compensation) and *environment* (how managers apply them,
reviews, links with marketing). Which lever fits depends on who shows the problem:
- a statement failure or neglected critical task -> People (coach the people named);
- reps choosing out-of-scope deals: one or two reps -> People (coach them), team-wide -> Control
  systems (what is being rewarded);
- out-of-scope leads arriving from a source -> Environment (marketing's routing), named with the
  source and the count - the reps did not choose them;
- work against a task or an objective (a discount against "no discount-led deals"): one or two
  reps -> People, team-wide -> Control systems (what pay and targets reward), with their words;
- slow or missing lead follow-up -> Control systems (make it a tracked metric);
- check-ins missed (closed unanswered only) and effort mapping to no task -> Environment.

Each candidate carries a weight (the share of the team, leads or effort it concerns); the digest
shows the heaviest one per lever and puts the rest behind "Details". An action is only suggested
when its evidence crosses a threshold below and names someone or something: a candidate whose
evidence would be empty is dropped, so "missed: -" or "played by - (0x)" cannot appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.digest.figures import Articulation, DigestFigures, SegmentFigures
from bot.digest.texts import DigestTexts

Lever = Literal["people", "control", "environment"]
LEVERS: tuple[Lever, ...] = ("people", "control", "environment")
CRITICAL_TASK_SHARE = 0.5  # a critical task fewer than half the reporters mention is neglected
LEADS_WITHIN_1H = 0.5  # fewer than half the new leads touched within an hour
ANSWER_RATE = 0.8
UNMAPPED_SHARE = 0.3  # of reported activities mapping to no task
FEW_REPS = 2  # out-of-scope choices by this many reps or fewer are coached one by one...
TEAM_WIDE_SHARE = 0.5  # ...unless they are more than this share of those who answered scope
MAX_NAMES = 5


@dataclass(frozen=True)
class Action:
    lever: Lever
    text: str
    evidence: str
    weight: float = 0.0  # 0..1: how much of the team, its leads or its effort this concerns


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100)}%"


def _names(names: list[str]) -> str:
    shown = names[:MAX_NAMES]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _gaps(a: Articulation, t: DigestTexts) -> str:
    """What keeps one statement from stating our strategy: parts that contradict ours first,
    then parts left out, then the length."""
    gaps = [t.say(f"actions.articulation.{kind}", items=", ".join(items))
            for kind, items in (("wrong", a.wrong), ("missing", a.missing)) if items]
    return ", ".join(gaps) or t.say("actions.articulation.too_long")


def _articulation(f: DigestFigures, t: DigestTexts) -> list[Action]:
    failing = [r for r in f.stated if r.articulation and not r.articulation.articulates]
    if not failing:
        return []
    details = "; ".join(t.say("actions.articulation.detail", name=r.name,
                              words=r.articulation.words, gaps=_gaps(r.articulation, t))
                        for r in failing[:MAX_NAMES] if r.articulation)
    return [Action("people", t.say("actions.articulation.text", names=_names([r.name for r in failing])),
                   t.say("actions.articulation.evidence", count=len(failing), stated=len(f.stated),
                         details=details), len(failing) / len(f.stated))]


def _critical_tasks(f: DigestFigures, t: DigestTexts) -> list[Action]:
    """All neglected critical tasks in one action: one coaching plan, not one line per task."""
    if not f.task_reporters:
        return []
    neglected = [task for task in f.tasks if task.critical and task.share is not None
                 and task.share < CRITICAL_TASK_SHARE]
    if not neglected:
        return []
    details = "; ".join(t.say("actions.critical_task.detail", task=task.name, count=task.members,
                              reporters=f.task_reporters, names=_names(sorted(
                                  name for name, ids in f.task_answers.items()
                                  if task.task_id not in ids)))
                        for task in neglected)
    return [Action("people", t.say("actions.critical_task.text", count=len(neglected),
                                   tasks=", ".join(f'"{task.name}"' for task in neglected)),
                   t.say("actions.critical_task.evidence", details=details),
                   1 - min(task.share or 0.0 for task in neglected))]


def _scope_answerers(f: DigestFigures) -> int:
    return len({m for s in f.segments for m in s.members}) or 1


def _out_of_scope_choices(f: DigestFigures, t: DigestTexts) -> list[Action]:
    """Reps naming out-of-scope segments as played: coach them, or review the rewards when the
    pattern is team-wide. Segments only leads point at are routing (see `_routing`)."""
    chosen = [s for s in f.segments if not s.in_scope and s.members]
    if not chosen:
        return []
    reps = sorted({m for s in chosen for m in s.members})
    share = len(reps) / max(_scope_answerers(f), len(reps))
    details = "; ".join(_segment_detail(s, t) for s in chosen)
    segments = ", ".join(s.name for s in chosen)
    if len(reps) <= FEW_REPS and share <= TEAM_WIDE_SHARE:
        return [Action("people", t.say("actions.out_of_scope.people", names=_names(reps),
                                       segments=segments),
                       t.say("actions.out_of_scope.evidence", details=details), share)]
    return [Action("control", t.say("actions.out_of_scope.control", segments=segments,
                                    count=len(reps)),
                   t.say("actions.out_of_scope.evidence", details=details), share)]


def _segment_detail(s: SegmentFigures, t: DigestTexts) -> str:
    return t.say("actions.out_of_scope.detail", segment=s.name, members=_names(list(s.members)),
                 count=s.mentions)


def _routing(f: DigestFigures, t: DigestTexts) -> list[Action]:
    """Out-of-scope leads that marketing's sources sent the team: an environment problem."""
    if not f.out_of_scope_leads:
        return []
    total = sum(n for _, _, n in f.out_of_scope_leads)
    details = "; ".join(t.say("actions.routing.detail", segment=segment, source=source, count=n)
                        for segment, source, n in f.out_of_scope_leads[:3])
    top_segment, top_source, _ = f.out_of_scope_leads[0]
    return [Action("environment", t.say("actions.routing.text", segment=top_segment,
                                        source=top_source),
                   t.say("actions.routing.evidence", count=total, leads=f.follow_up.leads,
                         details=details), total / max(f.follow_up.leads, total))]


def _lead_response(f: DigestFigures, t: DigestTexts) -> list[Action]:
    lead = f.follow_up
    slow = lead.within_1h is not None and lead.within_1h < LEADS_WITHIN_1H
    if not (slow or lead.overdue or lead.never_touched):
        return []
    parts = []
    if lead.leads:
        parts.append(t.say("actions.lead_response.speed", within_1h=_pct(lead.within_1h),
                           count=lead.leads))
    if lead.overdue:
        parts.append(t.say("actions.lead_response.overdue", count=lead.overdue))
    if f.untouched:
        owners = sorted({owner for owner, _, _ in f.untouched})
        parts.append(t.say("actions.lead_response.never", count=len(f.untouched),
                           days=round(f.untouched[0][2]), names=_names(owners)))
    weight = max(1 - (lead.within_1h or 0.0) if lead.leads else 0.0,
                 min(1.0, (lead.overdue + lead.never_touched) / max(lead.leads, 1)))
    return [Action("control", t.say("actions.lead_response.text"),
                   t.say("actions.lead_response.evidence", details="; ".join(parts)), weight)]


def _participation(f: DigestFigures, t: DigestTexts) -> list[Action]:
    """Only closed check-ins count: one still open is not missed yet."""
    p = f.participation
    missed = [r.name for r in f.reps if r.participation.missed]
    if p.rate is None or p.rate >= ANSWER_RATE or not missed:
        return []
    return [Action("environment", t.say("actions.participation.text"),
                   t.say("actions.participation.evidence", answered=p.answered, closed=p.closed,
                         rate=_pct(p.rate), names=_names(missed), count=len(missed)),
                   1 - p.rate)]


def _unmapped(f: DigestFigures, t: DigestTexts) -> list[Action]:
    share = f.unmapped_share
    if share is None or share < UNMAPPED_SHARE or not f.unmapped:
        return []
    top = ", ".join(f'"{text}"' for text, _ in f.unmapped[:3])
    return [Action("environment", t.say("actions.unmapped.text"),
                   t.say("actions.unmapped.evidence", share=_pct(share), top=top), share)]


def _working_against(f: DigestFigures, t: DigestTexts) -> list[Action]:
    """Work against the strategy, in the reps' words: coached one by one when one or two reps
    do it, a question for what pay and targets reward when it is team-wide."""
    if not f.against:
        return []
    reps = list(dict.fromkeys(a.name for a in f.against))
    # The most named target; of several named as often, the first named (a set's order, which
    # picked one of them before, changed with the process's string hashing: PYTHONHASHSEED).
    target = max(dict.fromkeys(a.target for a in f.against),
                 key=lambda x: sum(a.target == x for a in f.against))
    said = dict.fromkeys((a.name, a.quote) for a in f.against)  # one quote, several targets
    quotes = "; ".join(f'{name}: "{quote}"' for name, quote in list(said)[:3])
    evidence = t.say("actions.against.evidence", quotes=quotes)
    answered = max(1, sum(1 for r in f.reps if r.tasks or r.articulation))
    weight = len(reps) / answered
    if len(reps) <= FEW_REPS and weight <= TEAM_WIDE_SHARE:
        return [Action("people", t.say("actions.against.people", names=_names(reps),
                                       target=target), evidence, weight)]
    return [Action("control", t.say("actions.against.control", count=len(reps), target=target),
                   evidence, weight)]


def candidates(figures: DigestFigures, texts: DigestTexts) -> list[Action]:
    """Every action the figures support, heaviest first."""
    found = [*_working_against(figures, texts), *_articulation(figures, texts),
             *_critical_tasks(figures, texts),
             *_out_of_scope_choices(figures, texts), *_routing(figures, texts),
             *_lead_response(figures, texts), *_participation(figures, texts),
             *_unmapped(figures, texts)]
    return sorted([a for a in found if a.evidence.strip()], key=lambda a: -a.weight)


def suggest(figures: DigestFigures, texts: DigestTexts) -> list[Action]:
    """At most one action per lever - the heaviest - ranked by weight; `candidates` has the rest."""
    chosen: dict[Lever, Action] = {}
    for action in candidates(figures, texts):
        chosen.setdefault(action.lever, action)
    return sorted(chosen.values(), key=lambda a: -a.weight)
