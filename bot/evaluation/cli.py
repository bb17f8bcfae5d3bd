"""`alignbot evaluate` (one answer) and `alignbot eval` (a labeled dataset): the tools for checking
a strategy file's wording against real answers and for measuring an evaluator.

Mistakes (a broken strategy or dataset file, labels naming ids the strategy lacks, an LLM asked for
without settings) end with a readable message and exit code 2.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.config import Settings
from bot.evaluation.base import Evaluator
from bot.evaluation.factory import EvaluatorChoice, EvaluatorConfigError, build_evaluator
from bot.evaluation.feedback import FeedbackTexts, FeedbackWriter, coaching_about
from bot.evaluation.metrics import (
    DatasetError,
    LabeledItem,
    check_ids,
    evaluate_items,
    first_runs,
    item_record,
    load_dataset,
    report_dict,
    score,
)
from bot.evaluation.report import evaluation_lines, first_run_lines, record_line, summary_lines
from bot.evaluation.result import Evaluation, Question
from bot.learning.from_labels import LabelTeacher
from bot.strategy.loader import StrategyFileError, load_strategy
from bot.strategy.schema import Strategy

StrategyOption = Annotated[Path | None, typer.Option(
    "--strategy", help="Strategy YAML file (default: ALIGNBOT_STRATEGY_FILE)")]
EvaluatorOption = Annotated[EvaluatorChoice | None, typer.Option(
    "--evaluator", help="rules, llm, or auto (default: ALIGNBOT_EVALUATOR)")]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
LearnFromOption = Annotated[Path | None, typer.Option(
    "--learn-from", help="Labeled answers (JSONL) to learn from first, exactly as from"
                         " corrections in chat")]


LEARNED_AT = datetime(2000, 1, 1, tzinfo=UTC)  # scratch corrections' date: never read


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _setup(settings: Settings, strategy_file: Path | None,
           choice: EvaluatorChoice | None) -> tuple[Strategy, Evaluator]:
    try:
        strategy = load_strategy(strategy_file or settings.strategy_file)
        return strategy, build_evaluator(settings, choice)
    except (StrategyFileError, EvaluatorConfigError) as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


async def _evaluate_all(evaluator: Evaluator, items: list[LabeledItem],
                        strategy: Strategy) -> list[Evaluation]:
    try:
        return await evaluate_items(evaluator, items, strategy)
    finally:
        close = getattr(evaluator, "aclose", None)
        if close is not None:
            await close()


def evaluate(
    settings: Settings,
    text: Annotated[str, typer.Argument(help="The answer to judge; - reads it from stdin")],
    question: Annotated[Question, typer.Option("--question", "-q", help="strategy, scope or tasks")],
    strategy_file: StrategyOption = None,
    evaluator_choice: EvaluatorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Judge one answer against the strategy and print the verdict and the person's feedback."""
    strategy, evaluator = _setup(settings, strategy_file, evaluator_choice)
    answer = sys.stdin.read() if text == "-" else text
    item = LabeledItem(question=question, answer=answer)
    evaluation = asyncio.run(_evaluate_all(evaluator, [item], strategy))[0]
    writer = FeedbackWriter(FeedbackTexts(settings.prompts_dir / "feedback.yaml"))
    if as_json:
        lines = writer.lines(evaluation, strategy, answer=answer)
        coaching = next((line for line in reversed(lines) if line.startswith("Coaching:")), None)
        verdict = evaluation.model_dump(mode="json")
        verdict["feedback"] = {"title": writer.t.say("title", question), "lines": lines,
                               "coaching": coaching,
                               "coaching_about": coaching_about(evaluation, strategy, answer=answer)}
        typer.echo(json.dumps(verdict, indent=2, ensure_ascii=False))
        return
    typer.echo("\n".join(evaluation_lines(evaluation, strategy)))
    typer.echo("\nFeedback the person gets:\n" + writer.message(evaluation, strategy, answer=answer).text)


def eval_dataset(
    settings: Settings,
    dataset: Annotated[Path, typer.Argument(help="Labeled answers, one JSON object per line")],
    strategy_file: StrategyOption = None,
    evaluator_choice: EvaluatorOption = None,
    as_json: JsonOption = False,
    learn_from: LearnFromOption = None,
) -> None:
    """Run an evaluator over a labeled dataset: per-item predictions, then the figures."""
    strategy, evaluator = _setup(settings, strategy_file, evaluator_choice)
    items = _labeled(dataset, strategy)
    training = _labeled(learn_from, strategy) if learn_from else None
    if training is None:
        evaluations = asyncio.run(_evaluate_all(evaluator, items, strategy))
    else:
        evaluations, learned = asyncio.run(_learn_then_evaluate(evaluator, training, items, strategy))
    records = [item_record(i, e) for i, e in zip(items, evaluations, strict=True)]
    summary: dict[str, Any] = report_dict(score(items, evaluations, strategy))
    fallbacks = sum(1 for e in evaluations if e.fallback_reason)
    if as_json:
        for record in records:
            typer.echo(json.dumps(record, ensure_ascii=False))
        summary["evaluator"] = evaluations[0].evaluator_version if evaluations else None
        summary["fallbacks"] = fallbacks
        summary["first_run"] = first_runs(dataset)
        if training is not None:
            summary["learned_from"] = {"file": str(learn_from), "answers": len(training),
                                       "corrections": learned}
        typer.echo(json.dumps({"summary": summary}, ensure_ascii=False))
        return
    for record in records:
        typer.echo(record_line(record))
    typer.echo("\n".join(summary_lines(summary)))
    typer.echo("\n".join(first_run_lines(first_runs(dataset), summary.get("all", {}))))
    if fallbacks:
        typer.echo(f"\n{fallbacks} of {len(items)} answers fell back to the rules evaluator.")
    if training is not None:
        typer.echo(f"\nLearned from {learn_from}: {learned} corrections of {len(training)} answers"
                   " (as an admin correcting each in chat).")


def _labeled(path: Path, strategy: Strategy) -> list[LabeledItem]:
    try:
        items = load_dataset(path)
    except (DatasetError, OSError) as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits
    problems = check_ids(items, strategy)
    if problems:
        _fail(f"{path}: labels name ids the strategy does not define:\n  "
              + "\n  ".join(problems[:20]))
    return items


async def _learn_then_evaluate(evaluator: Evaluator, training: list[LabeledItem],
                               items: list[LabeledItem],
                               strategy: Strategy) -> tuple[list[Evaluation], int]:
    """Corrections from TRAIN's labels first, then DATA judged with what they taught."""
    try:
        async with LabelTeacher(evaluator, strategy, LEARNED_AT) as teacher:
            learned = await teacher.learn(training)
            return await teacher.judge_all(items), learned
    finally:
        close = getattr(evaluator, "aclose", None)
        if close is not None:
            await close()
