"""Scoring an evaluator against a labeled dataset: the numbers that say whether it is good enough.

Owns the dataset format (JSONL, one labeled answer per line), turning an `Evaluation` into the
comparable prediction (task ids, segment ids in/out, word limit, components), and the figures:
per-task precision/recall/F1, macro F1, segment in/out accuracy, word-limit accuracy, per split.

Definitions, so figures can be compared across versions:
- Tasks: for items with `expected_tasks`, each task id is a label; TP/FP/FN are summed over items.
  Macro F1 averages F1 over task ids that were expected or predicted at least once.
- Segments: "in"/"out" are the *mentioned* segments split by the strategy's `in_scope` flag,
  whatever the person said about playing there ("we don't sell to government" puts
  public_sector in "out"); an item is correct when both sets equal the expected ones. Whether the
  person said we play there is scored separately as `not_played_accuracy`, on items that carry
  `expected_not_played` (segments stated as NOT played; a segment counts when every mention of
  it says so).
- Word limit and components: for `strategy` items carrying `expected_within_limit` /
  `expected_components`.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.evaluation.base import Evaluator
from bot.evaluation.result import QUESTIONS, Evaluation, Question
from bot.strategy.schema import Strategy

ALL = "all"


class DatasetError(ValueError):
    """A dataset line is malformed; the message names the file and line."""


@dataclass(frozen=True)
class LabeledItem:
    """One labeled answer. `None` means the label is absent (not scored for that figure)."""

    question: Question
    answer: str
    expected_tasks: tuple[str, ...] | None = None
    expected_in: tuple[str, ...] | None = None
    expected_out: tuple[str, ...] | None = None
    expected_not_played: tuple[str, ...] | None = None
    expected_within_limit: bool | None = None
    expected_components: tuple[str, ...] | None = None
    expected_planned: tuple[str, ...] | None = None
    expected_not_done: tuple[str, ...] | None = None
    expected_against: tuple[str, ...] | None = None  # "task:<id>" / "objective:<id>"
    split: str = ALL
    line: int = 0


@dataclass(frozen=True)
class Prediction:
    """What an evaluation says, in the dataset's terms."""

    tasks: tuple[str, ...]
    segments_in: tuple[str, ...]
    segments_out: tuple[str, ...]
    not_played: tuple[str, ...]
    within_limit: bool | None
    components: tuple[str, ...]
    planned: tuple[str, ...] = ()
    not_done: tuple[str, ...] = ()
    against: tuple[str, ...] = ()


@dataclass
class TaskFigures:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class SplitReport:
    """All figures for one split (or for the whole dataset, split "all")."""

    split: str
    items: int = 0
    per_task: dict[str, TaskFigures] = field(default_factory=dict)
    task_items: int = 0
    task_items_exact: int = 0
    segment_items: int = 0
    segment_correct: int = 0
    not_played_items: int = 0
    not_played_correct: int = 0
    limit_items: int = 0
    limit_correct: int = 0
    component_items: int = 0
    component_correct: int = 0
    state_items: int = 0
    false_done: int = 0  # items where something negated, planned or worked against is credited

    @property
    def macro_f1(self) -> float:
        used = [f for f in self.per_task.values() if f.tp + f.fp + f.fn]
        return sum(f.f1 for f in used) / len(used) if used else 0.0

    @property
    def micro_f1(self) -> float:
        total = TaskFigures(
            sum(f.tp for f in self.per_task.values()),
            sum(f.fp for f in self.per_task.values()),
            sum(f.fn for f in self.per_task.values()),
        )
        return total.f1

    @property
    def segment_accuracy(self) -> float:
        return _ratio(self.segment_correct, self.segment_items)

    @property
    def not_played_accuracy(self) -> float:
        return _ratio(self.not_played_correct, self.not_played_items)

    @property
    def word_limit_accuracy(self) -> float:
        return _ratio(self.limit_correct, self.limit_items)

    @property
    def component_accuracy(self) -> float:
        return _ratio(self.component_correct, self.component_items)

    def summary(self) -> dict[str, Any]:
        """Plain figures for printing or JSON."""
        return {
            "split": self.split,
            "items": self.items,
            "macro_f1": round(self.macro_f1, 4),
            "micro_f1": round(self.micro_f1, 4),
            "task_items": self.task_items,
            "task_exact_match": round(_ratio(self.task_items_exact, self.task_items), 4),
            "segment_accuracy": round(self.segment_accuracy, 4),
            "segment_items": self.segment_items,
            "not_played_accuracy": round(self.not_played_accuracy, 4),
            "not_played_items": self.not_played_items,
            "word_limit_accuracy": round(self.word_limit_accuracy, 4),
            "word_limit_items": self.limit_items,
            "component_accuracy": round(self.component_accuracy, 4),
            "component_items": self.component_items,
            "state_items": self.state_items,
            "false_done": self.false_done,
            "per_task": {
                task: {"precision": round(f.precision, 4), "recall": round(f.recall, 4),
                       "f1": round(f.f1, 4), "tp": f.tp, "fp": f.fp, "fn": f.fn}
                for task, f in sorted(self.per_task.items())
            },
        }


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# ----- loading ------------------------------------------------------------------------------


def _ids(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}: must be a list of ids")
    return tuple(value)


def parse_item(data: Any, where: str = "<item>", line: int = 0) -> LabeledItem:
    """Validate one dataset object; raise DatasetError naming `where` on any problem."""
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: each line must be a JSON object")
    question = data.get("question")
    if question not in QUESTIONS:
        raise DatasetError(f"{where}: question must be one of {', '.join(QUESTIONS)}")
    answer = data.get("answer")
    if not isinstance(answer, str):
        raise DatasetError(f"{where}: answer must be a string")
    segments = data.get("expected_segments")
    if segments is not None and not isinstance(segments, dict):
        raise DatasetError(f"{where}: expected_segments must be an object with in/out lists")
    within = data.get("expected_within_limit")
    if within is not None and not isinstance(within, bool):
        raise DatasetError(f"{where}: expected_within_limit must be true or false")

    def optional(key: str) -> tuple[str, ...] | None:
        return _ids(data[key], f"{where}: {key}") if key in data else None

    return LabeledItem(
        question=question,
        answer=answer,
        expected_tasks=optional("expected_tasks"),
        expected_in=_ids(segments.get("in", []), f"{where}: in") if segments is not None else None,
        expected_out=(
            _ids(segments.get("out", []), f"{where}: out") if segments is not None else None
        ),
        expected_not_played=optional("expected_not_played"),
        expected_within_limit=within,
        expected_components=optional("expected_components"),
        expected_planned=optional("expected_planned"),
        expected_not_done=optional("expected_not_done"),
        expected_against=optional("expected_against"),
        split=str(data.get("split", ALL)),
        line=line,
    )


FIRST_RUN = "# first-run:"


def load_dataset(path: str | Path) -> list[LabeledItem]:
    """Read a JSONL dataset; blank lines and `#` comment lines are skipped, problems name the
    line."""
    items: list[LabeledItem] = []
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from None
        items.append(parse_item(data, where, number))
    return items


def first_runs(path: str | Path) -> list[dict[str, Any]]:
    """The figures recorded in a dataset's header the first time an evaluator ran on it
    (`# first-run: {...}` lines), so a report can put today's figures next to them."""
    runs = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        if not raw.startswith("#"):
            break
        if raw.startswith(FIRST_RUN):
            try:
                runs.append(json.loads(raw[len(FIRST_RUN):]))
            except json.JSONDecodeError:
                continue
    return runs


def check_ids(items: Iterable[LabeledItem], strategy: Strategy) -> list[str]:
    """Labels that name task or segment ids the strategy does not define."""
    problems = []
    for item in items:
        for task in item.expected_tasks or ():
            if task not in strategy.task_ids:
                problems.append(f"line {item.line}: unknown task id {task!r}")
        for seg in (*(item.expected_in or ()), *(item.expected_out or ()),
                    *(item.expected_not_played or ())):
            if seg not in strategy.segment_ids:
                problems.append(f"line {item.line}: unknown segment id {seg!r}")
    return problems


# ----- predictions --------------------------------------------------------------------------


def prediction(evaluation: Evaluation) -> Prediction:
    """The comparable prediction an evaluation makes."""
    scope = evaluation.scope
    segments_in = tuple(sorted(scope.ids(in_scope=True))) if scope else ()
    segments_out = tuple(sorted(scope.ids(in_scope=False))) if scope else ()
    not_played: tuple[str, ...] = ()
    if scope:
        said: dict[str, list[bool]] = defaultdict(list)
        for mention in scope.segments:
            said[mention.segment_id].append(mention.stated_as_played)
        not_played = tuple(sorted(s for s, flags in said.items() if not any(flags)))
    statement = evaluation.statement
    tasks = evaluation.tasks
    return Prediction(
        planned=tuple(sorted(tasks.ids_in("planned"))) if tasks else (),
        not_done=tuple(sorted(tasks.ids_in("not_done"))) if tasks else (),
        against=tuple(sorted(tasks.against_ids())) if tasks else (),
        tasks=tuple(sorted(evaluation.tasks.task_ids)) if evaluation.tasks else (),
        segments_in=segments_in,
        segments_out=segments_out,
        not_played=not_played,
        within_limit=statement.within_limit if statement else None,
        components=tuple(sorted(c.component for c in statement.components if c.covered))
        if statement else (),
    )


def item_record(item: LabeledItem, evaluation: Evaluation) -> dict[str, Any]:
    """One item's expected and predicted labels, as a JSON-ready object."""
    pred = prediction(evaluation)
    record: dict[str, Any] = {
        "line": item.line,
        "split": item.split,
        "question": item.question,
        "answer": item.answer,
        "predicted_tasks": list(pred.tasks),
        "predicted_segments": {"in": list(pred.segments_in), "out": list(pred.segments_out)},
        "predicted_not_played": list(pred.not_played),
        "predicted_planned": list(pred.planned),
        "predicted_not_done": list(pred.not_done),
        "predicted_against": list(pred.against),
        "language": evaluation.language,
        "overall": evaluation.overall,
    }
    if item.expected_tasks is not None:
        record["expected_tasks"] = sorted(item.expected_tasks)
        record["tasks_correct"] = set(item.expected_tasks) == set(pred.tasks)
    if item.expected_in is not None:
        record["expected_segments"] = {"in": sorted(item.expected_in),
                                       "out": sorted(item.expected_out or ())}
        record["segments_correct"] = _segments_correct(item, pred)
    if item.expected_not_played is not None:
        record["expected_not_played"] = sorted(item.expected_not_played)
    if pred.within_limit is not None:
        record["predicted_within_limit"] = pred.within_limit
        record["predicted_components"] = list(pred.components)
    if item.expected_within_limit is not None:
        record["expected_within_limit"] = item.expected_within_limit
    if item.expected_components is not None:
        record["expected_components"] = sorted(item.expected_components)
    return record


def _segments_correct(item: LabeledItem, pred: Prediction) -> bool:
    return set(item.expected_in or ()) == set(pred.segments_in) and set(
        item.expected_out or ()
    ) == set(pred.segments_out)


# ----- scoring ------------------------------------------------------------------------------


def _add(report: SplitReport, item: LabeledItem, pred: Prediction, task_ids: Iterable[str]) -> None:
    report.items += 1
    if item.expected_tasks is not None:
        _add_tasks(report, set(item.expected_tasks), set(pred.tasks), task_ids)
    if item.expected_in is not None:
        report.segment_items += 1
        report.segment_correct += _segments_correct(item, pred)
    if item.expected_not_played is not None:
        report.not_played_items += 1
        report.not_played_correct += set(item.expected_not_played) == set(pred.not_played)
    if item.expected_within_limit is not None and pred.within_limit is not None:
        report.limit_items += 1
        report.limit_correct += item.expected_within_limit == pred.within_limit
    if item.expected_components is not None and item.question == "strategy":
        report.component_items += 1
        report.component_correct += set(item.expected_components) == set(pred.components)
    _add_states(report, item, pred)


def _add_states(report: SplitReport, item: LabeledItem, pred: Prediction) -> None:
    """Items that say something was not done, only planned, or worked against a task: the
    evaluator must never credit that task as done (unless the same answer also did it)."""
    if item.expected_planned is None and item.expected_not_done is None and (
            item.expected_against is None):
        return
    report.state_items += 1
    never = {*(item.expected_planned or ()), *(item.expected_not_done or ()),
             *(a.split(":", 1)[1] for a in item.expected_against or () if a.startswith("task:"))}
    never -= set(item.expected_tasks or ())
    report.false_done += bool(never & set(pred.tasks))


def _add_tasks(report: SplitReport, expected: set[str], predicted: set[str],
               task_ids: Iterable[str]) -> None:
    report.task_items += 1
    report.task_items_exact += expected == predicted
    for task in task_ids:
        figures = report.per_task.setdefault(task, TaskFigures())
        figures.tp += task in expected and task in predicted
        figures.fp += task not in expected and task in predicted
        figures.fn += task in expected and task not in predicted


def score(
    items: Sequence[LabeledItem], evaluations: Sequence[Evaluation], strategy: Strategy
) -> dict[str, SplitReport]:
    """Figures for the whole set (key "all") and for each split present."""
    reports: dict[str, SplitReport] = {ALL: SplitReport(ALL)}
    task_ids = sorted(strategy.task_ids)
    for item, evaluation in zip(items, evaluations, strict=True):
        pred = prediction(evaluation)
        _add(reports[ALL], item, pred, task_ids)
        if item.split != ALL:
            report = reports.setdefault(item.split, SplitReport(item.split))
            _add(report, item, pred, task_ids)
    return reports


async def evaluate_items(
    evaluator: Evaluator, items: Sequence[LabeledItem], strategy: Strategy
) -> list[Evaluation]:
    """Run any evaluator (the protocol's async `evaluate`) over the items; results keep the items'
    order. Started together so an LLM evaluator works at its own bounded concurrency."""
    return list(await asyncio.gather(*(evaluator.evaluate(i.question, i.answer, strategy)
                                       for i in items)))


def run(
    evaluator: Evaluator, items: Sequence[LabeledItem], strategy: Strategy
) -> tuple[dict[str, SplitReport], list[dict[str, Any]]]:
    """Evaluate and score in one call (for CLIs and tests): reports and per-item records."""
    evaluations = asyncio.run(evaluate_items(evaluator, items, strategy))
    records = [item_record(i, e) for i, e in zip(items, evaluations, strict=True)]
    return score(items, evaluations, strategy), records


def report_dict(reports: dict[str, SplitReport]) -> dict[str, Any]:
    """All split summaries as one plain dict."""
    return {name: report.summary() for name, report in reports.items()}


__all__ = [
    "ALL",
    "DatasetError",
    "LabeledItem",
    "Prediction",
    "SplitReport",
    "TaskFigures",
    "check_ids",
    "evaluate_items",
    "item_record",
    "load_dataset",
    "parse_item",
    "prediction",
    "report_dict",
    "run",
    "score",
]
