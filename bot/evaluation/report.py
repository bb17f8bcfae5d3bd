"""Plain-text renderings of evaluations and dataset figures for the `alignbot evaluate` and
`alignbot eval` commands: what a person tuning a strategy file or an evaluator needs to read at a
glance (ids, confidences, evidence spans, per-task figures), which the chat feedback hides."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.evaluation.result import Evaluation
from bot.strategy.schema import Strategy


def _pct(value: float) -> str:
    return f"{value:.2f}"


def evaluation_lines(evaluation: Evaluation, strategy: Strategy) -> list[str]:
    """One evaluation, every finding with its evidence."""
    lines = [f"Evaluator: {evaluation.evaluator} {evaluation.evaluator_version}"
             f" (strategy version {evaluation.strategy_version})"]
    if evaluation.fallback_reason:
        lines.append(f"Fell back to the rules: {evaluation.fallback_reason}")
    scores = ", ".join(f"{k} {_pct(v)}" for k, v in evaluation.scores.items())
    lines.append(f"Overall alignment: {_pct(evaluation.overall)}" + (f" ({scores})" if scores else ""))
    if evaluation.question == "tasks" and evaluation.tasks is not None:
        tasks = evaluation.tasks
        lines.append("Sales tasks:")
        lines += [f"  {m.task_id} ({strategy.task(m.task_id).name}), confidence"
                  f" {_pct(m.confidence)}: \"{m.evidence.text}\"" for m in tasks.matches] or ["  none"]
        lines += _evidence_list("Off-strategy (maps to no task)", (e.text for e in tasks.unmapped))
        lines += _evidence_list("Not done or planned", (e.text for e in tasks.negated))
        lines += _evidence_list("Critical tasks missing", tasks.critical_missing, quote=False)
    if evaluation.question == "strategy" and evaluation.statement is not None:
        statement = evaluation.statement
        verdict = "within" if statement.within_limit else "OVER"
        lines.append(f"Words: {statement.word_count} ({verdict} the {statement.word_limit}-word limit)")
        for component in statement.components:
            evidence = "; ".join(f'"{e.text}"' for e in component.evidence)
            lines.append(f"  {component.component}: {'covered' if component.covered else 'missing'}"
                         + (f" - {evidence}" if evidence else ""))
    if evaluation.scope is not None and evaluation.scope.segments:
        lines.append("Segments:")
        for mention in evaluation.scope.segments:
            scope = "in scope" if mention.in_scope else "OUT of scope"
            said = "said we play there" if mention.stated_as_played else "said we do not play there"
            lines.append(f"  {mention.segment_id}: {scope}, {said}, confidence"
                         f" {_pct(mention.confidence)}: \"{mention.evidence.text}\"")
        for process in evaluation.scope.processes:
            named = process.stages_mentioned + process.roles_mentioned
            if named or evaluation.question == "scope":
                lines.append(f"  buying process of {process.segment_id}: named"
                             f" {', '.join(named) or 'nothing'}; missing roles"
                             f" {', '.join(process.roles_missing) or 'none'}; missing stages"
                             f" {', '.join(process.stages_missing) or 'none'}")
    return lines


def _evidence_list(title: str, items: Iterable[str], quote: bool = True) -> list[str]:
    shown = [f'"{i}"' if quote else i for i in items]
    return [f"{title}: {', '.join(shown)}"] if shown else []


def record_line(record: dict[str, Any]) -> str:
    """One dataset item: its verdicts, marked ✗ where they differ from the labels."""
    parts = [f"line {record['line']}", record["question"]]
    if "expected_tasks" in record:
        mark = "ok" if record["tasks_correct"] else "✗"
        parts.append(f"tasks {mark} {record['predicted_tasks']}"
                     + ("" if record["tasks_correct"] else f" expected {record['expected_tasks']}"))
    if "expected_segments" in record:
        mark = "ok" if record["segments_correct"] else "✗"
        predicted = record["predicted_segments"]
        parts.append(f"segments {mark} in={predicted['in']} out={predicted['out']}"
                     + ("" if record["segments_correct"] else
                        f" expected in={record['expected_segments']['in']}"
                        f" out={record['expected_segments']['out']}"))
    if "expected_within_limit" in record:
        ok = record.get("predicted_within_limit") == record["expected_within_limit"]
        parts.append(f"word limit {'ok' if ok else '✗'}")
    return " | ".join(parts)


def summary_lines(summary: dict[str, dict[str, Any]]) -> list[str]:
    """Figures per split (all, tune, heldout, ...), then per-task precision/recall/F1 for all."""
    lines = ["", f"{'split':<10}{'items':>6}{'macro F1':>10}{'segments':>10}{'word limit':>12}"]
    for name, figures in summary.items():
        lines.append(f"{name:<10}{figures['items']:>6}{figures['macro_f1']:>10.3f}"
                     f"{figures['segment_accuracy']:>10.3f}{figures['word_limit_accuracy']:>12.3f}")
    per_task = summary.get("all", {}).get("per_task", {})
    if per_task:
        lines += ["", f"{'task':<34}{'precision':>10}{'recall':>8}{'F1':>7}{'tp':>5}{'fp':>5}{'fn':>5}"]
        lines += [f"{task:<34}{f['precision']:>10.3f}{f['recall']:>8.3f}{f['f1']:>7.3f}"
                  f"{f['tp']:>5}{f['fp']:>5}{f['fn']:>5}" for task, f in per_task.items()]
    return lines


def first_run_lines(runs: list[dict[str, Any]], now: dict[str, Any]) -> list[str]:
    """The figures recorded the first time an evaluator ran on this set, next to today's: the
    honest measure of how the evaluator does on answers nobody tuned it on."""
    if not runs or not now:
        return []
    lines = ["", "first run vs now (task macro F1, segment in/out exact):"]
    for run in runs:
        lines.append(f"  {run.get('date', '?')} {run.get('evaluator', '?'):<14}"
                     f" {run.get('macro_f1', 0):.3f}  {run.get('segment_accuracy', 0):.3f}")
    lines.append(f"  {'now':<10} {'':<14} {now.get('macro_f1', 0):.3f}  {now.get('segment_accuracy', 0):.3f}"
                 f"  (false done: {now.get('false_done', 0)} of {now.get('state_items', 0)})")
    return lines
