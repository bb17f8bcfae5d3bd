"""Scores every evaluator computes the same way from its findings, so results compare on one scale.

Evaluators differ in how they *find* things (rules, LLM); they must not differ in how findings
become numbers, or a digest would mix incomparable figures. So an evaluator builds its
`TasksResult` / `ScopeResult` / `StatementResult` and calls `compute_scores`; it never invents
scores of its own. Every score is in 0..1 and rounded so equal findings give equal numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.evaluation.result import (
    Evaluation,
    ProcessCoverage,
    Question,
    ScopeResult,
    StatementResult,
    TasksResult,
)
from bot.strategy.schema import Strategy

_DIGITS = 3


def _ratio(part: int, whole: int, *, empty: float = 0.0) -> float:
    """part/whole in 0..1, with an explicit value for 'nothing to measure'."""
    return round(part / whole, _DIGITS) if whole else empty


def critical_missing(strategy: Strategy, task_ids: Iterable[str]) -> list[str]:
    """Critical task ids the answer did not mention, in strategy order (a finding, not a score)."""
    mentioned = set(task_ids)
    return [t.id for t in strategy.critical_tasks if t.id not in mentioned]


def tasks_scores(tasks: TasksResult, strategy: Strategy) -> dict[str, float]:
    """critical_coverage: share of critical tasks mentioned (1.0 when none are critical);
    focus: share of mentioned activities that map to a task rather than to nothing."""
    critical = [t.id for t in strategy.critical_tasks]
    mentioned = set(tasks.task_ids)
    covered = sum(c in mentioned for c in critical)
    activities = len(tasks.matches) + len(tasks.unmapped)
    return {
        "critical_coverage": _ratio(covered, len(critical), empty=1.0),
        "focus": _ratio(len(tasks.matches), activities),
    }


def _process_ratio(process: ProcessCoverage) -> float:
    named = len(process.stages_mentioned) + len(process.roles_mentioned)
    return named / (named + len(process.stages_missing) + len(process.roles_missing) or 1)


def scope_scores(scope: ScopeResult) -> dict[str, float]:
    """scope_clarity: share of segment mentions that agree with the strategy (in-scope segments
    played, out-of-scope ones avoided); buying_process: mean share of the defined stages and roles
    named for the segments the person plays in."""
    mentions = scope.segments
    agreeing = sum(m.in_scope == m.stated_as_played for m in mentions)
    process = (
        round(sum(map(_process_ratio, scope.processes)) / len(scope.processes), _DIGITS)
        if scope.processes
        else 0.0
    )
    return {"scope_clarity": _ratio(agreeing, len(mentions)), "buying_process": process}


def statement_scores(statement: StatementResult) -> dict[str, float]:
    """brevity: 1.0 within the word limit, shrinking with every word over it (0 for no words);
    components: share of objectives/scope/advantage covered."""
    words = statement.word_count
    if words == 0:
        brevity = 0.0
    elif statement.within_limit:
        brevity = 1.0
    else:
        brevity = round(statement.word_limit / words, _DIGITS)
    covered = sum(c.covered for c in statement.components)
    return {"brevity": brevity, "components": _ratio(covered, len(statement.components))}


def compute_scores(
    question: Question,
    strategy: Strategy,
    *,
    tasks: TasksResult | None = None,
    scope: ScopeResult | None = None,
    statement: StatementResult | None = None,
) -> tuple[dict[str, float], float]:
    """The scores for the section that answers `question`, and `overall` as their mean."""
    scores: dict[str, float] = {}
    if question == "tasks" and tasks is not None:
        scores = tasks_scores(tasks, strategy)
    elif question == "scope" and scope is not None:
        scores = scope_scores(scope)
    elif question == "strategy" and statement is not None:
        scores = statement_scores(statement)
    overall = round(sum(scores.values()) / len(scores), _DIGITS) if scores else 0.0
    return scores, overall


def rescore(evaluation: Evaluation, strategy: Strategy) -> Evaluation:
    """The same evaluation with scores recomputed from its findings (for evaluators and tests)."""
    scores, overall = compute_scores(
        evaluation.question,
        strategy,
        tasks=evaluation.tasks,
        scope=evaluation.scope,
        statement=evaluation.statement,
    )
    return evaluation.model_copy(update={"scores": scores, "overall": overall})
