"""Edits an admin makes in chat, applied to a strategy: the core (statement, objectives,
advantage, review date), one segment or sales task changed, added or removed.

Values arrive as text from a form field or a typed `key=value` option, so lists are written the
way people write them: names separated by commas (aliases, stages, roles, segments), sentences one
per line or separated by `|` (objectives, examples). The result is validated like a file, every
problem reported at once; nothing here stores anything (the caller proposes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from bot.strategy.loader import StrategyFileError, parse_strategy
from bot.strategy.schema import Strategy

Part = Literal["core", "segment", "task"]

CORE_FIELDS = ("statement", "objectives", "advantage", "review_by")
SEGMENT_FIELDS = ("name", "in_scope", "aliases", "description", "stages", "roles")
TASK_FIELDS = ("name", "description", "examples", "counter_examples", "critical", "segments")
FIELDS: dict[Part, tuple[str, ...]] = {"core": CORE_FIELDS, "segment": SEGMENT_FIELDS,
                                       "task": TASK_FIELDS}
NAMES = {"aliases", "stages", "roles", "segments"}  # comma-separated
SENTENCES = {"objectives", "examples", "counter_examples"}  # one per line, or `|`-separated
FLAGS = {"in_scope", "critical"}
YES = {"yes", "y", "true", "1", "on", "in"}
NO = {"no", "n", "false", "0", "off", "out"}


class EditError(Exception):
    """The edit cannot be applied; the message lists every problem, in chat words."""


@dataclass(frozen=True)
class Edit:
    """What to change: `part` and, for a segment or task, its `id`; `values` by field name
    (only the fields given change); `action` add, change or remove."""

    part: Part
    values: dict[str, str]
    item_id: str = ""
    action: Literal["add", "change", "remove"] = "change"


def split(field: str, text: str) -> list[str]:
    pattern = r"[\n,]" if field in NAMES else r"\n|\|"
    return [part.strip() for part in re.split(pattern, text) if part.strip()]


def _flag(field: str, text: str) -> bool:
    word = text.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise EditError(f"{field}: write yes or no, not '{text}'")


def _value(field: str, text: str) -> Any:
    if field in FLAGS:
        return _flag(field, text)
    if field in NAMES or field in SENTENCES:
        return split(field, text)
    return text.strip()


def form_values(strategy: Strategy, part: Part, item_id: str = "") -> dict[str, str]:
    """The fields' current text, for a form's initial values (empty for a new item)."""
    data = strategy.model_dump(mode="json")
    if part == "core":
        core = data["strategy"]
        return {"statement": core["statement"], "advantage": core["advantage"],
                "objectives": "\n".join(o if isinstance(o, str) else o["text"]
                                        for o in core["objectives"]),
                "review_by": core["review_by"]}
    item = _find(data, part, item_id)
    if item is None:
        return {}
    out: dict[str, str] = {}
    for field in FIELDS[part]:
        value = (item.get("buying_process") or {}).get(field) if field in ("stages", "roles") \
            else item.get(field)
        if isinstance(value, bool):
            out[field] = "yes" if value else "no"
        elif isinstance(value, list):
            out[field] = (", " if field in NAMES else "\n").join(value)
        elif value is not None:
            out[field] = str(value)
    return out


def _section(part: Part) -> str:
    return "segments" if part == "segment" else "sales_tasks"


def _find(data: dict[str, Any], part: Part, item_id: str) -> dict[str, Any] | None:
    return next((i for i in data[_section(part)] if i["id"] == item_id), None)


def apply(strategy: Strategy, edit: Edit) -> Strategy:
    """The strategy with the edit made; raises EditError naming every problem."""
    unknown = sorted(set(edit.values) - set(FIELDS[edit.part]))
    if unknown:
        raise EditError(f"{unknown[0]} is not a field here; use {', '.join(FIELDS[edit.part])}")
    data = strategy.model_dump(mode="json", exclude_defaults=True)
    if edit.part == "core":
        _edit_core(data["strategy"], edit.values)
    else:
        _edit_item(data, edit)
    try:
        return parse_strategy(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "edit")
    except StrategyFileError as exc:
        raise EditError("; ".join(f"{i.where}: {i.message}" if i.where else i.message
                                  for i in exc.issues)) from None


def _edit_core(core: dict[str, Any], values: dict[str, str]) -> None:
    for field, text in values.items():
        if field != "objectives":
            core[field] = text.strip()
            continue
        # An objective whose text stays keeps its id and counter-examples.
        kept = {(o if isinstance(o, str) else o["text"]): o for o in core["objectives"]}
        core["objectives"] = [kept.get(line, line) for line in split(field, text)]


def _edit_item(data: dict[str, Any], edit: Edit) -> None:
    section = data[_section(edit.part)]
    item = _find(data, edit.part, edit.item_id)
    kind = "segment" if edit.part == "segment" else "sales task"
    if edit.action == "add":
        if item is not None:
            raise EditError(f"There is already a {kind} '{edit.item_id}'; edit it instead.")
        item = {"id": edit.item_id}
        section.append(item)
    elif item is None:
        known = ", ".join(i["id"] for i in section)
        raise EditError(f"There is no {kind} '{edit.item_id}'. Known: {known}")
    if edit.action == "remove":
        section.remove(item)
        return
    for field, text in edit.values.items():
        value = _value(field, text)
        if field in ("stages", "roles"):
            process = item.setdefault("buying_process", {})
            process[field] = value
            if not value:
                del process[field]
        elif value in ("", []) and field not in ("name", "description"):
            item.pop(field, None)
        else:
            item[field] = value
    if "buying_process" in item and not item["buying_process"]:
        del item["buying_process"]
