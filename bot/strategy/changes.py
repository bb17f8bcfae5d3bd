"""What changed between two strategy versions, in words a sales leader reads: the proposal's
diff, the history's "what", and the managers' announcement all say it the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from bot.strategy.schema import SalesTask, Segment, Strategy

MAX_QUOTE = 160


def _quote(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[:limit - 1] + '…'}”"


def _items(values: Sequence[object]) -> str:
    return ", ".join(str(v) for v in values)


@dataclass(frozen=True)
class Changes:
    """The changes from `before` to `after`, grouped the way people ask about them."""

    statement: str | None  # the new statement when it changed
    lines: tuple[str, ...]  # every change, one readable line each

    @property
    def empty(self) -> bool:
        return not self.lines


def _field_changes(label: str, before: BaseModel, after: BaseModel, skip: set[str]) -> list[str]:
    """Field by field: lists say what was added and removed, other values old -> new."""
    lines = []
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    for key in new:
        if key in skip or old.get(key) == new.get(key):
            continue
        was, now = old.get(key), new.get(key)
        if isinstance(was, list) and isinstance(now, list) and all(
                isinstance(v, str) for v in [*was, *now]):
            added = [v for v in now if v not in was]
            removed = [v for v in was if v not in now]
            parts = ([f"added {_items(added)}"] if added else []) + (
                [f"removed {_items(removed)}"] if removed else [])
            lines.append(f"{label}: {key.replace('_', ' ')} {'; '.join(parts) or 'reordered'}")
        elif isinstance(was, str | int | float | bool | None) and isinstance(
                now, str | int | float | bool | None):
            lines.append(f"{label}: {key.replace('_', ' ')} {was!s} → {now!s}")
        else:
            lines.append(f"{label}: {key.replace('_', ' ')} changed")
    return lines


def _segments(before: Strategy, after: Strategy) -> list[str]:
    lines = []
    old = {s.id: s for s in before.segments}
    new = {s.id: s for s in after.segments}
    for sid, seg in new.items():
        if sid not in old:
            lines.append(f"Segment added: {seg.name} ({'in scope' if seg.in_scope else 'out of scope'})")
            continue
        was: Segment = old[sid]
        if was.in_scope and not seg.in_scope:
            lines.append(f"Segment moved out of scope: {seg.name}")
        elif seg.in_scope and not was.in_scope:
            lines.append(f"Segment moved into scope: {seg.name}")
        lines += _field_changes(f"Segment {seg.name}", was, seg, {"in_scope"})
    lines += [f"Segment removed: {s.name}" for sid, s in old.items() if sid not in new]
    return lines


def _tasks(before: Strategy, after: Strategy) -> list[str]:
    lines = []
    old = {t.id: t for t in before.sales_tasks}
    new = {t.id: t for t in after.sales_tasks}
    for tid, task in new.items():
        if tid not in old:
            lines.append(f"Sales task added: {task.name}{' (critical)' if task.critical else ''}")
            continue
        was: SalesTask = old[tid]
        if task.critical != was.critical:
            lines.append(f"Sales task {task.name} is {'now' if task.critical else 'no longer'} critical")
        lines += _field_changes(f"Sales task {task.name}", was, task, {"critical"})
    lines += [f"Sales task removed: {t.name}" for tid, t in old.items() if tid not in new]
    return lines


def changes(before: Strategy, after: Strategy) -> Changes:
    """Every difference, core first (statement, objectives, advantage, review date), then
    segments, sales tasks and the rest."""
    lines: list[str] = []
    b, a = before.strategy, after.strategy
    statement = a.statement if a.statement != b.statement else None
    if a.name != b.name:
        lines.append(f"Name: {b.name} → {a.name}")
    if statement is not None:
        lines.append(f"New statement: {_quote(a.statement, 600)}")  # 50 words: whole
    old_objectives, new_objectives = [o.text for o in b.objectives], [o.text for o in a.objectives]
    lines += [f"Objective added: {_quote(o)}" for o in new_objectives if o not in old_objectives]
    lines += [f"Objective removed: {_quote(o)}" for o in old_objectives if o not in new_objectives]
    if a.advantage != b.advantage:
        lines.append(f"New advantage: {_quote(a.advantage, 600)}")
    if a.review_by != b.review_by:
        lines.append(f"Review by: {b.review_by} → {a.review_by}")
    lines += _segments(before, after)
    lines += _tasks(before, after)
    if after.glossary != before.glossary:
        lines.append("Glossary changed")
    if after.cadence != before.cadence:
        lines.append("Lead follow-up cadence changed")
    if after.content != before.content:
        lines.append("Content library changed")
    return Changes(statement, tuple(lines))
