"""Suggested actions: what a manager could change, each tied to one of the three levers and to
the figures that prompted it.

The levers are Cespedes's (see docs/domain.md): *people* (hiring, training, coaching), *control
systems* (organisation, metrics, compensation) and *environment* (how managers apply them,
reviews, links with marketing). An action is suggested only when its evidence crosses a
threshold below, so a team whose selling matches the strategy gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.digest.figures import DigestFigures
from bot.digest.texts import DigestTexts

Lever = Literal["people", "control", "environment"]
CRITICAL_TASK_SHARE = 0.5  # a critical task fewer than half the reporters mention is neglected
LEADS_WITHIN_1H = 0.5  # fewer than half the new leads touched within an hour
ANSWER_RATE = 0.8
UNMAPPED_SHARE = 0.3  # of reported activities mapping to no task
MAX_NAMES = 5


@dataclass(frozen=True)
class Action:
    lever: Lever
    text: str
    evidence: str


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100)}%"


def _names(names: list[str]) -> str:
    shown = names[:MAX_NAMES]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def _articulation(f: DigestFigures, t: DigestTexts) -> list[Action]:
    failing = [r for r in f.stated if r.articulation and not r.articulation.articulates]
    if not failing:
        return []
    details = "; ".join(
        t.say("actions.articulation.detail", name=r.name, words=r.articulation.words,
              missing=", ".join(r.articulation.missing) or "-")
        for r in failing[:MAX_NAMES] if r.articulation)
    return [Action("people", t.say("actions.articulation.text", names=_names([r.name for r in failing])),
                   t.say("actions.articulation.evidence", count=len(failing), stated=len(f.stated),
                         details=details))]


def _critical_tasks(f: DigestFigures, t: DigestTexts) -> list[Action]:
    if not f.task_reporters:
        return []
    return [Action("people", t.say("actions.critical_task.text", task=task.name),
                   t.say("actions.critical_task.evidence", members=task.members,
                         reporters=f.task_reporters))
            for task in f.tasks
            if task.critical and task.share is not None and task.share < CRITICAL_TASK_SHARE]


def _out_of_scope(f: DigestFigures, t: DigestTexts) -> list[Action]:
    out = [s for s in f.segments if not s.in_scope]
    if not out:
        return []
    details = "; ".join(t.say("actions.out_of_scope.detail", segment=s.name,
                              members=_names(list(s.members)) or "-", mentions=s.mentions,
                              leads=s.leads) for s in out)
    return [Action("control", t.say("actions.out_of_scope.text",
                                    segments=", ".join(s.name for s in out)),
                   t.say("actions.out_of_scope.evidence", details=details))]


def _lead_response(f: DigestFigures, t: DigestTexts) -> list[Action]:
    lead = f.follow_up
    slow = lead.within_1h is not None and lead.within_1h < LEADS_WITHIN_1H
    if not (slow or lead.overdue or lead.never_touched):
        return []
    return [Action("control", t.say("actions.lead_response.text"),
                   t.say("actions.lead_response.evidence", within_1h=_pct(lead.within_1h),
                         leads=lead.leads, overdue=lead.overdue, never=lead.never_touched))]


def _participation(f: DigestFigures, t: DigestTexts) -> list[Action]:
    p = f.participation
    if p.rate is None or p.rate >= ANSWER_RATE:
        return []
    missed = [r.name for r in f.reps if r.participation.missed]
    return [Action("environment", t.say("actions.participation.text"),
                   t.say("actions.participation.evidence", answered=p.answered, asked=p.asked,
                         rate=_pct(p.rate), names=_names(missed) or "-"))]


def _unmapped(f: DigestFigures, t: DigestTexts) -> list[Action]:
    share = f.unmapped_share
    if share is None or share < UNMAPPED_SHARE or not f.unmapped:
        return []
    top = ", ".join(f'"{text}"' for text, _ in f.unmapped[:3])
    return [Action("environment", t.say("actions.unmapped.text"),
                   t.say("actions.unmapped.evidence", share=_pct(share), top=top))]


def suggest(figures: DigestFigures, texts: DigestTexts) -> list[Action]:
    """Actions in lever order: people, control systems, environment."""
    return [*_articulation(figures, texts), *_critical_tasks(figures, texts),
            *_out_of_scope(figures, texts), *_lead_response(figures, texts),
            *_participation(figures, texts), *_unmapped(figures, texts)]
