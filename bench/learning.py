"""What corrections are worth: each labeled set split in two halves (odd and even lines); each
half is judged without learning and after learning from the other half's labels - through
`LabelTeacher`, the path `alignbot eval --learn-from` and a "Not right?" in chat take.

    python bench/learning.py DATA.jsonl:STRATEGY.yaml [DATA2.jsonl:STRATEGY2.yaml ...]

Prints task macro-F1 and segment exact for each half, before and after, and the change.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluation.metrics import LabeledItem, load_dataset, report_dict, score
from bot.evaluation.rules import RulesEvaluator
from bot.learning.from_labels import LabelTeacher
from bot.strategy.loader import load_strategy
from bot.strategy.schema import Strategy

AT = datetime(2000, 1, 1, tzinfo=UTC)


def _figures(items: list[LabeledItem], evaluations: list, strategy: Strategy) -> tuple[float, float]:
    summary = report_dict(score(items, evaluations, strategy))["all"]
    return summary["macro_f1"], summary["segment_accuracy"]


CPU = {"before": 0.0, "after": 0.0, "answers": 0}
"""CPU seconds judging the test halves without and with what was learned, and their answers."""


async def _half(train: list[LabeledItem], test: list[LabeledItem],
                strategy: Strategy) -> tuple[tuple[float, float], tuple[float, float], int]:
    evaluator = RulesEvaluator()
    for item in test:  # warm the word caches, as the judging after learning finds them
        await evaluator.evaluate(item.question, item.answer, strategy)
    cpu = time.process_time()
    before = [await evaluator.evaluate(i.question, i.answer, strategy) for i in test]
    CPU["before"] += time.process_time() - cpu
    async with LabelTeacher(evaluator, strategy, AT) as teacher:
        learned = await teacher.learn(train)
        await teacher.judge_all(test[:1])  # what was learned is read once, not per answer
        cpu = time.process_time()
        after = await teacher.judge_all(test)
        CPU["after"] += time.process_time() - cpu
    CPU["answers"] += len(test)
    return _figures(test, before, strategy), _figures(test, after, strategy), learned


async def main(pairs: list[str]) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    print(f"{'set':<34} {'half':>4} {'tasks F1 before':>15} {'after':>6} {'segments before':>15}"
          f" {'after':>6} {'corrections':>11}")
    for pair in pairs:
        data, _, strategy_file = pair.partition(":")
        strategy = load_strategy(Path(strategy_file))
        items = load_dataset(Path(data))
        halves = (items[0::2], items[1::2])
        for n, (test, train) in enumerate((halves, halves[::-1]), start=1):
            (tb, sb), (ta, sa), learned = await _half(train, test, strategy)
            print(f"{Path(data).stem:<34} {n:>4} {tb:>15.3f} {ta:>6.3f} {sb:>15.3f} {sa:>6.3f}"
                  f" {learned:>11}")
    if CPU["answers"]:
        per = {k: 1000 * CPU[k] / CPU["answers"] for k in ("before", "after")}
        print(f"\nCPU per answer judged: {per['before']:.2f} ms without learning,"
              f" {per['after']:.2f} ms with it ({per['after'] / per['before'] - 1:+.0%})")
    load = os.getloadavg()
    print(f"\nwall {time.perf_counter() - started:.1f} s, CPU {time.process_time() - cpu:.1f} s,"
          f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
