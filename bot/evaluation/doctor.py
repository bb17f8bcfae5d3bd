"""The strategy doctor: what in a valid strategy file the evaluator will struggle with, each with
its line and a suggested fix.

Errors stop a strategy from loading (`bot/strategy/loader.py`); these are warnings: the file works,
but answers will be misread in ways an admin can prevent - an alias that can never match (all stop
words, "US-only") or that matches everything ("company"), an alias two segments share, tasks the
evaluator cannot tell apart (measured by running each task's own examples through it), tasks with
too few examples, segments described by size or place only in prose, and content stages that
neither the buyer's journey nor the segment's buying process knows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.evaluation.descriptors import find_sizes
from bot.evaluation.index import GENERIC_STEMS, strategy_language
from bot.evaluation.places import REGIONS, countries, region_codes
from bot.evaluation.rules import RulesEvaluator
from bot.evaluation.text import WORD, is_content, reading, stem, tokenize
from bot.strategy.loader import Loc, dotted, line_of
from bot.strategy.schema import BUYERS_JOURNEY, Strategy

MIN_EXAMPLES = 3
COMMON_ALIAS_WORDS = frozenset({"company", "companies", "business", "businesses", "customer",
                                "customers", "client", "clients", "firm", "firms", "account",
                                "accounts", "deal", "deals", "lead", "leads", "prospect"})


Finding = tuple[Loc, str, str]  # where, what goes wrong, the fix


@dataclass(frozen=True)
class Advice:
    """One warning: where, what the evaluator will do wrong, and what to change."""

    line: int | None
    where: str
    message: str
    fix: str

    def render(self, file: str) -> str:
        place = f"{file}:{self.line}" if self.line else file
        return f"{place}: warning: {self.where}: {self.message} Fix: {self.fix}"


def diagnose(strategy: Strategy, text: str | None = None) -> list[Advice]:
    """Every warning for a loaded strategy; `text` (its YAML) gives the lines."""
    found: list[Finding] = []
    with reading(strategy_language(strategy)):
        found += _aliases(strategy)
        found += _shared_aliases(strategy)
        found += _prose_only(strategy)
        found += _unknown_regions(strategy)
    found += _few_examples(strategy)
    found += _indistinct_tasks(strategy)
    found += _content_stages(strategy)
    found += _todos(strategy)
    return [Advice(line_of(text, where) if text else None, dotted(where), message, fix)
            for where, message, fix in found]


TODO_MARK = "TODO"  # what a drafted strategy leaves for an admin to fill in (bot/strategy/draft.py)


def todo_paths(strategy: Strategy) -> list[Loc]:
    """Where a strategy still says TODO (a draft's markers for the admin to fill in)."""
    found: list[Loc] = []

    def walk(value: object, where: Loc) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, (*where, key))
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                walk(inner, (*where, index))
        elif isinstance(value, str) and TODO_MARK in value:
            found.append(where)

    walk(strategy.model_dump(mode="json"), ())
    return found


def _todos(strategy: Strategy) -> list[Finding]:
    """A draft's TODO markers: text the evaluator would read as if someone had meant it."""
    found: list[Finding] = []
    data = strategy.model_dump(mode="json")
    for where in todo_paths(strategy):
        value: object = data
        for part in where:
            value = value[part]  # type: ignore[index]
        found.append((where, f"still says {TODO_MARK} (\"{str(value)[:60]}\"), so it is matched as"
                             " written.", "write what your team means there, or remove the entry"))
    return found


def _words(text: str) -> list[str]:
    return [t.word for t in tokenize(text) if t.kind == WORD]


def _aliases(strategy: Strategy) -> list[Finding]:
    found: list[Finding] = []
    for i, segment in enumerate(strategy.segments):
        for j, alias in enumerate(segment.aliases):
            words = _words(alias)
            content = [w for w in words if is_content(w)]
            if not content:
                found.append((("segments", i, "aliases", j),
                              f"alias '{alias}' is only common words, so it can never name the"
                              " segment.",
                              "write it as reps would (\"US companies\"), or use countries: [US]"))
            elif len(content) == 1 and (content[0] in COMMON_ALIAS_WORDS
                                        or stem(content[0]) in GENERIC_STEMS):
                found.append((("segments", i, "aliases", j),
                              f"alias '{alias}' reads as the common word '{content[0]}', so every"
                              " answer that says it would name this segment.",
                              "make it specific (\"US-based company\" -> countries: [US])"))
    return found


def _shared_aliases(strategy: Strategy) -> list[Finding]:
    owners: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for i, segment in enumerate(strategy.segments):
        for j, alias in enumerate([segment.name, *segment.aliases]):
            key = " ".join(stem(w) for w in _words(alias) if is_content(w))
            if key:
                owners[key].append((i, j, segment.id))
    found: list[Finding] = []
    for key, places in owners.items():
        ids = sorted({p[2] for p in places})
        if len(ids) > 1:
            i, j, _ = places[-1]
            found.append((("segments", i, "aliases", max(0, j - 1)),
                          f"'{key}' names several segments ({', '.join(ids)}); the evaluator"
                          " cannot tell which one a rep means.",
                          "keep it on one segment only"))
    return found


def _prose_only(strategy: Strategy) -> list[Finding]:
    found: list[Finding] = []
    for i, segment in enumerate(strategy.segments):
        description = segment.description
        sizes = find_sizes(description)
        if sizes and segment.employees is None:
            size = sizes[0]
            bounds = ", ".join(part for part in (
                f"min: {size.low}" if size.low else "",
                f"max: {size.high}" if size.high < 10**9 else "") if part)
            found.append((("segments", i, "description"),
                          "the size is only in prose; reps who write \"a 30-person shop\" are"
                          " matched more surely with a descriptor.",
                          f"add employees: {{{bounds}}}"))
        named = sorted({p.country for p in countries().find(description, frozenset())}
                       | {name.upper() for name in REGIONS if f" {name} " in f" {description.lower()} "})
        if named and not segment.countries and not segment.regions:
            found.append((("segments", i, "description"),
                          f"places are only in prose ({', '.join(named)}); answers that name a"
                          " town or a country are matched more surely with a descriptor.",
                          "add countries: [...] or regions: [...] (DACH, US-TX, ...)"))
    return found


def _unknown_regions(strategy: Strategy) -> list[Finding]:
    """A region that is no ISO 3166-2 code, named region or country is still read - as written,
    like an alias - but towns and codes inside it are not: the admin should know."""
    return [(("segments", i, "regions", j),
             f"region '{region}' is no ISO 3166-2 code, named region (DACH, EMEA, ...) or country;"
             " it is matched only where an answer writes it as it stands.",
             "use subdivision codes (e.g. MX-ROO) or countries: [...] so towns in it count too")
            for i, segment in enumerate(strategy.segments)
            for j, region in enumerate(segment.regions) if not region_codes(region)]


def _few_examples(strategy: Strategy) -> list[Finding]:
    found: list[Finding] = [(("sales_tasks", i, "examples"),
             f"task '{task.id}' has {len(task.examples)} example(s); with fewer than"
             f" {MIN_EXAMPLES} the evaluator misses ways reps describe it.",
             "add examples written the way reps write (shorthand included)")
            for i, task in enumerate(strategy.sales_tasks) if len(task.examples) < MIN_EXAMPLES]
    return found


def _indistinct_tasks(strategy: Strategy) -> list[Finding]:
    """Run every task's own examples through the evaluator: an example read as another task
    means the two share too much vocabulary."""
    evaluator = RulesEvaluator()
    confused: dict[tuple[str, str], str] = {}
    for task in strategy.sales_tasks:
        for example in task.examples:
            read = evaluator.evaluate_sync("tasks", example, strategy).tasks
            got = set(read.task_ids) if read else set()
            for other in sorted(got - {task.id}):
                confused.setdefault((task.id, other), example)
    found: list[Finding] = []
    index = {t.id: i for i, t in enumerate(strategy.sales_tasks)}
    for (task_id, other), example in confused.items():
        found.append((("sales_tasks", index[task_id], "examples"),
                      f"the example '{example}' of '{task_id}' also reads as '{other}': the two"
                      " tasks share too many words.",
                      f"reword the examples so each names what only '{task_id}' involves"))
    return found


def _content_stages(strategy: Strategy) -> list[Finding]:
    found: list[Finding] = []
    for i, item in enumerate(strategy.content):
        stages = {s.lower() for seg in strategy.segments if seg.id in item.segments
                  and seg.buying_process for s in seg.buying_process.stages}
        stage = item.stage.strip().lower()
        if stage not in BUYERS_JOURNEY and stages and stage not in stages:
            found.append((("content", i, "stage"),
                          f"stage '{item.stage}' is neither a buyer's-journey stage nor a"
                          " buying-process stage of its segments, so it is never suggested at"
                          " the right moment.",
                          f"use one of {', '.join(BUYERS_JOURNEY)} or {', '.join(sorted(stages))}"))
    return found


__all__ = ["Advice", "diagnose"]
