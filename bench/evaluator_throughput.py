"""Throughput and memory of the rules evaluator on one core, over the shipped labeled answers.

Owns the figure behind the ">= 2,000 answers/s on one core" target: it replays the dataset
(about 10,000 evaluations), reports a cold pass (empty caches, first sight of every word) and
the steady state, and peak memory as seen by tracemalloc and by the OS (ru_maxrss).

Run: .venv/bin/python bench/evaluator_throughput.py [--evaluations N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.evaluation import index as index_module  # noqa: E402
from bot.evaluation.metrics import LabeledItem, first_runs, load_dataset, run  # noqa: E402
from bot.evaluation.rules import RulesEvaluator  # noqa: E402
from bot.evaluation.text import _stem  # noqa: E402
from bot.strategy.loader import load_strategy  # noqa: E402
from bot.strategy.schema import Strategy  # noqa: E402

SETS = (
    ("example", ROOT / "examples/strategy.yaml", ROOT / "tests/data/alignment_eval.jsonl"),
    ("other", ROOT / "tests/data/strategy_other.yaml", ROOT / "tests/data/alignment_eval_other.jsonl"),
    ("baufuchs", ROOT / "tests/data/strategy_baufuchs.yaml",
     ROOT / "tests/data/alignment_eval_baufuchs.jsonl"),  # German, segments by place
    ("hotelia", ROOT / "tests/data/strategy_hotelia.yaml",
     ROOT / "tests/data/alignment_eval_hotelia.jsonl"),  # Spanish
)
DATA = ROOT / "tests/data"


def accuracy_sets() -> list[tuple[str, Path, Path]]:
    """Every labeled set whose header records a first run, held-out ones included."""
    found = []
    for data in sorted([*DATA.glob("alignment_eval_*.jsonl"), *DATA.glob("holdout/*.jsonl")]):
        name = data.stem.removeprefix("alignment_eval_")
        strategy = data.parent / f"strategy_{name}.yaml"
        if first_runs(data) and strategy.exists():
            found.append((name, strategy, data))
    return found


def accuracy() -> None:
    """Each set's first-run figures next to today's (task macro F1, segment in/out exact)."""
    evaluator = RulesEvaluator()
    print(f"\n{'set':<22} {'first run':>10} {'F1':>6} {'seg':>6} {'now F1':>7} {'seg':>6}"
          f" {'false done':>11}")
    for name, strategy_path, data_path in accuracy_sets():
        first = first_runs(data_path)[0]
        reports, _ = run(evaluator, load_dataset(data_path), load_strategy(strategy_path))
        now = reports["all"]
        print(f"{name:<22} {first.get('date', '?'):>10} {first.get('macro_f1', 0):>6.3f}"
              f" {first.get('segment_accuracy', 0):>6.3f} {now.macro_f1:>7.3f}"
              f" {now.segment_accuracy:>6.3f} {now.false_done:>5} of {now.state_items:<4}")


def _clear_caches() -> None:
    index_module._INDEXES.clear()
    _stem.cache_clear()


def _timed(evaluator: RulesEvaluator, items: list[LabeledItem], strategy: Strategy,
           total: int) -> tuple[int, float]:
    done = 0
    start = time.perf_counter()
    while done < total:
        for item in items:
            evaluator.evaluate_sync(item.question, item.answer, strategy)
            done += 1
            if done >= total:
                break
    return done, time.perf_counter() - start


def _peak_traced(evaluator: RulesEvaluator, items: list[LabeledItem], strategy: Strategy) -> int:
    _clear_caches()
    tracemalloc.start()
    for item in items:
        evaluator.evaluate_sync(item.question, item.answer, strategy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def _maxrss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=10_000)
    args = parser.parse_args()
    evaluator = RulesEvaluator()
    rows = []
    cpu_start = time.process_time()
    for name, strategy_path, data_path in SETS:
        strategy = load_strategy(strategy_path)
        items = load_dataset(data_path)
        _clear_caches()
        cold_n, cold_s = _timed(evaluator, items, strategy, len(items))
        warm_n, warm_s = _timed(evaluator, items, strategy, args.evaluations)
        peak = _peak_traced(evaluator, items, strategy)
        rows.append((name, len(items), cold_n / cold_s, warm_n, warm_n / warm_s, peak / 2**20))
    print(f"rules evaluator {evaluator.version}, one core, python {sys.version.split()[0]}")
    header = f"{'dataset':<8} {'items':>5} {'cold ans/s':>11} {'evals':>7} {'steady ans/s':>13}"
    print(header + f" {'tracemalloc peak MiB':>21}")
    for name, n, cold, evals, warm, peak_mib in rows:
        print(f"{name:<8} {n:>5} {cold:>11,.0f} {evals:>7,} {warm:>13,.0f} {peak_mib:>21.2f}")
    cpu = time.process_time() - cpu_start
    print(f"process peak RSS (ru_maxrss): {_maxrss_mib():.1f} MiB; CPU {cpu:.1f} s;"
          f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    accuracy()


if __name__ == "__main__":
    main()
