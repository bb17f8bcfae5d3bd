"""A correction in one line, as `/align strategy learned` and the digest show it."""

from __future__ import annotations

from bot.learning.lessons import Labels
from bot.storage.models import Correction
from bot.strategy.schema import Strategy


def _names(ids: tuple[str, ...], strategy: Strategy) -> str:
    names = {**{t.id: t.name for t in strategy.sales_tasks}, **{s.id: s.name for s in strategy.segments}}
    return ", ".join(names.get(i, i) for i in ids) or "nothing"


def describe(row: Correction, author: str, strategy: Strategy) -> str:
    """One line: who, when, which answer's reading changed from what to what, and its status."""
    read, said = Labels.from_json(row.read), Labels.from_json(row.corrected)
    changes = []
    for label, before, after in (("tasks", read.tasks, said.tasks),
                                 ("segments", read.segments, said.segments)):
        added = tuple(i for i in after if i not in before)
        removed = tuple(i for i in before if i not in after)
        if added:
            changes.append(f"{label} + {_names(added, strategy)}")
        if removed:
            changes.append(f"{label} - {_names(removed, strategy)}")
    status = {"own": "their answers only, until confirmed", "taught": "teaches everyone",
              "undone": "undone"}.get(row.status, row.status)
    quote = " ".join(row.answer_text.split())[:80]
    return (f"#{row.id} {author}, {row.created_at:%Y-%m-%d}: \"{quote}\" - {'; '.join(changes)}"
            f" ({status})")
