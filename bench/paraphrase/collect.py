"""Collect the rules evaluator's task misses on the development sets, with the fragments it read.

Issue 18 feasibility probe (paraphrase): for every tasks answer of each development set, what the
rules evaluator credited as done against the labels, and every fragment it scored - its text,
the task it mapped to (or none) - so that an offline similarity resource can be measured on
exactly the fragments a "no task matched" stage would see. Writes one JSON object per answer.

Run with the project's venv:  PYTHONPATH=. python bench/paraphrase/collect.py OUT.jsonl
(never reads tests/data/holdout/).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.evaluation import rules
from bot.evaluation.metrics import load_dataset, prediction
from bot.evaluation.rules import RulesEvaluator
from bot.strategy.loader import load_strategy

SETS = ["plantsense", "vetline", "baufuchs", "hotelia", "counsel", "laborwerk", "riegoandes",
        "wattwise", "clubstack", "servewell", "flottwerk", "praxident"]
DATA = Path("tests/data")

_seen: list[tuple[str, bool]] = []
_original_fragments = rules._fragments


def _recording_fragments(reading: Any, clause: Any, polarity: Any) -> Any:
    """Every fragment the evaluator scores, in reading order: its text and whether part of it
    is negated, stalled or planned."""
    frags = _original_fragments(reading, clause, polarity)
    _seen.extend((reading.span(f.toks).text, bool(f.negative)) for f in frags)
    return frags


def main(out_path: str) -> None:
    rules._fragments = _recording_fragments  # type: ignore[assignment]
    evaluator = RulesEvaluator()
    with open(out_path, "w", encoding="utf-8") as out:
        for name in SETS:
            strategy = load_strategy(DATA / f"strategy_{name}.yaml")
            tasks = [{"id": t.id, "name": t.name, "description": t.description,
                      "examples": list(t.examples)} for t in strategy.sales_tasks]
            out.write(json.dumps({"set": name, "tasks": tasks}, ensure_ascii=False) + "\n")
            for item in load_dataset(DATA / f"alignment_eval_{name}.jsonl"):
                if item.question != "tasks" or item.expected_tasks is None:
                    continue
                _seen.clear()
                evaluation = evaluator.evaluate_sync(item.question, item.answer, strategy)
                pred = prediction(evaluation)
                result = evaluation.tasks
                matched = {m.evidence.text: m.task_id for m in result.matches} if result else {}
                unmapped = [e.text for e in result.unmapped] if result else []
                out.write(json.dumps({
                    "set": name, "line": item.line, "language": evaluation.language,
                    "answer": item.answer, "expected": sorted(item.expected_tasks),
                    "other_labels": sorted(set(item.expected_planned or ())
                                           | set(item.expected_not_done or ())),
                    "predicted": list(pred.tasks),
                    "fragments": [{"text": t, "task": matched.get(t), "negative": negative,
                                   "unmapped": t in unmapped} for t, negative in _seen],
                }, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
