"""A strategy drafted from the way people write one - a page of prose, a slide's text - for an
admin to review as a proposal (nothing becomes current without Confirm).

With an LLM configured it drafts segments, tasks, aliases and examples (validated like a file;
the proposal shows the doctor's warnings). Without one, or when its draft does not validate, a
skeleton: the statement and the headings' items filled from the text, and clear `TODO` markers
wherever a person must fill in (listed by `todos`). The cadence - rarely in a strategy document -
is the current version's.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import yaml

from bot.config import Settings
from bot.evaluation.doctor import TODO_MARK, todo_paths
from bot.evaluation.factory import NO_KEY_NEEDED
from bot.strategy.loader import StrategyFileError, dotted, parse_strategy
from bot.strategy.schema import STATEMENT_WORD_LIMIT, Strategy

log = logging.getLogger(__name__)
TODO = TODO_MARK
MAX_DOCUMENT = 20_000  # characters of the document read (a page or a deck's text)
PROMPT_NAME = "strategy_draft.md"

_HEADING = re.compile(r"^\s*(?:#+\s*(.+?)\s*#*|(.{2,80}?):)\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$")
KINDS = {
    "objectives": ("objective", "goal", "target", "ziel"),
    "out": ("not play", "don't play", "do not", "out of scope", "avoid", "not for"),
    "segments": ("segment", "market", "customer", "where we play", "scope", "who we sell"),
    "tasks": ("task", "activit", "sales motion", "what reps", "must do"),
    "advantage": ("advantage", "why we win", "differentiat", "edge"),
    "statement": ("strategy", "statement", "in short", "summary"),
}


@dataclass(frozen=True)
class Draft:
    strategy: Strategy
    by: str  # "llm" or "skeleton"
    note: str = ""  # why the skeleton, when an LLM was configured


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60]
    return slug or "item"


def _kind(heading: str) -> str | None:
    lower = heading.lower()
    for kind, words in KINDS.items():
        if any(w in lower for w in words):
            return kind
    return None


def _sections(text: str) -> tuple[str | None, dict[str, list[str]], list[str]]:
    """The title (first heading), items under each kind of heading, and the paragraphs."""
    title: str | None = None
    found: dict[str, list[str]] = {k: [] for k in KINDS}
    paragraphs: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        if (heading := _HEADING.match(line)) and not _BULLET.match(line):
            name = heading.group(1) or heading.group(2) or ""
            title = title or (name if line.lstrip().startswith("#") else None)
            current = _kind(name)
            continue
        if (bullet := _BULLET.match(line)) and current:
            found[current].append(bullet.group(1))
        elif line.strip():
            if current in ("advantage", "statement"):
                found[current].append(line.strip())
            else:
                paragraphs.append(line.strip())
    return title, found, paragraphs


def _first_words(text: str, limit: int = STATEMENT_WORD_LIMIT) -> str:
    words = text.split()
    return " ".join(words[:limit])


def skeleton(text: str, current: Strategy, today: date) -> Strategy:
    """The document's statement and headings in our format, TODO where a person must fill in."""
    title, found, paragraphs = _sections(text[:MAX_DOCUMENT])
    statement = " ".join(found["statement"]) or (paragraphs[0] if paragraphs else "")
    segments = [{"id": _slug(name), "name": name, "in_scope": True,
                 "aliases": [f"{TODO}: how reps name {name}"]} for name in found["segments"]]
    segments += [{"id": _slug(name), "name": name, "in_scope": False,
                  "aliases": [f"{TODO}: how reps name {name}"]} for name in found["out"]]
    tasks = [{"id": _slug(name), "name": name, "description": f"{TODO}: what doing it means",
              "examples": [f"{TODO}: how a rep would report doing it"]} for name in found["tasks"]]
    data: dict[str, Any] = {
        "strategy": {
            "name": title or f"{TODO}: name",
            "statement": _first_words(statement) if statement else f"{TODO}: the strategy in 50 words",
            "objectives": found["objectives"] or [f"{TODO}: a measurable objective"],
            "advantage": " ".join(found["advantage"]) or f"{TODO}: why we win",
            "review_by": (today + timedelta(days=365)).isoformat(),
        },
        "segments": _unique(segments) or [{"id": "todo_segment", "name": f"{TODO}: a segment",
                                           "in_scope": True}],
        "sales_tasks": _unique(tasks) or [{"id": "todo_task", "name": f"{TODO}: a sales task",
                                           "description": f"{TODO}: what doing it means",
                                           "examples": [f"{TODO}: how a rep reports it"]}],
    }
    return _with_current(data, current)


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    return [i for i in items if not (i["id"] in seen or seen.add(i["id"]))]  # type: ignore[func-returns-value]


def _with_current(data: dict[str, Any], current: Strategy) -> Strategy:
    """Validated, with the current cadence (segment overrides for segments still there)."""
    cadence = current.model_dump(mode="json", exclude_defaults=True)["cadence"]
    ids = {s.get("id") for s in data.get("segments") or [] if isinstance(s, dict)}
    cadence["segments"] = {k: v for k, v in cadence.get("segments", {}).items() if k in ids}
    data = {**{k: v for k, v in data.items() if k in ("strategy", "segments", "sales_tasks",
                                                      "glossary")}, "cadence": cadence}
    return parse_strategy(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "draft")


def todos(strategy: Strategy) -> list[str]:
    """Where the draft still says TODO, as key paths: what the admin must fill in (the
    doctor's own check, so the preview and `alignbot strategy check` name the same places)."""
    return [dotted(where) for where in todo_paths(strategy)]


async def draft(text: str, current: Strategy, today: date, settings: Settings,
                prompt: str) -> Draft:
    """An LLM's draft when one is configured and its draft validates; else the skeleton."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if settings.evaluator == "rules" or (key is None and settings.openai_base_url is None):
        return Draft(skeleton(text, current, today), "skeleton")
    from openai import OpenAIError  # only with an LLM configured: openai takes most of a second

    try:
        data = await _ask(text, settings, key or NO_KEY_NEEDED, prompt, today)
        data.setdefault("strategy", {}).setdefault("review_by",
                                                   (today + timedelta(days=365)).isoformat())
        return Draft(_with_current(data, current), "llm")
    except (OpenAIError, TimeoutError, ValueError, KeyError, TypeError, AttributeError,
            StrategyFileError) as exc:
        log.warning("the LLM's strategy draft was not usable (%s); drafting a skeleton",
                    type(exc).__name__)
        return Draft(skeleton(text, current, today), "skeleton", note=type(exc).__name__)


async def _ask(text: str, settings: Settings, key: str, prompt: str, today: date) -> dict[str, Any]:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(api_key=key, base_url=settings.openai_base_url,
                         timeout=settings.openai_timeout, max_retries=settings.openai_max_retries)
    try:
        completion = await client.chat.completions.create(
            model=settings.openai_model, response_format={"type": "json_object"},
            messages=[{"role": "system", "content": prompt.replace("{today}", today.isoformat())},
                      {"role": "user", "content": text[:MAX_DOCUMENT]}])
    finally:
        await client.close()
    content = completion.choices[0].message.content if completion.choices else None
    data = json.loads(content or "")
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data
