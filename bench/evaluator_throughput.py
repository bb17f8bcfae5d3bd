"""Throughput and memory of the rules evaluator on one core, over the shipped labeled answers.

Owns the figure behind the ">= 2,000 answers/s on one core" target. The headline is answers
the evaluator has not seen: each labeled answer with fresh words added (made-up company names and
a made-up term, new for every answer), so every answer meets words no cache has seen, as live
answers do. For context it also reports a cold pass over the dataset (empty caches) and the
replayed "steady" state (the same answers again, warm caches: an upper bound, not what live
traffic gets), and peak memory as seen by tracemalloc and by the OS (ru_maxrss). Each figure
comes with its wall and CPU time; the load average is printed at the end.

Run: .venv/bin/python bench/evaluator_throughput.py [--evaluations N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.evaluation import index as index_module  # noqa: E402
from bot.evaluation import language  # noqa: E402
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
    language._WALKS.clear()


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


_SYLLABLES = ("ka", "lo", "mer", "vi", "tas", "qu", "ren", "dor", "zi", "pel", "sun", "bra")


def fresh_word(number: int) -> str:
    """A made-up word, different for every number (no stem or index cache has seen it)."""
    letters = []
    while True:
        number, rest = divmod(number, len(_SYLLABLES))
        letters.append(_SYLLABLES[rest])
        if not number:
            break
    return "".join(letters) + "ex"


def fresh_items(items: list[LabeledItem], total: int) -> list[LabeledItem]:
    """`total` answers: the labeled ones in turn, each with three words never used before."""
    out = []
    for number in range(total):
        item = items[number % len(items)]
        a, b, c = (fresh_word(3 * number + k + 1000) for k in range(3))
        text = f"{item.answer} Also met {a.title()} and {b.title()} about {c}."
        out.append(replace(item, answer=text))
    return out


def _timed_cpu(evaluator: RulesEvaluator, items: list[LabeledItem], strategy: Strategy,
               total: int) -> tuple[int, float, float]:
    """Answers done, wall seconds, CPU seconds."""
    cpu = time.process_time()
    done, wall = _timed(evaluator, items, strategy, total)
    return done, wall, time.process_time() - cpu


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
        unseen = fresh_items(items, args.evaluations)
        _clear_caches()
        cold_n, cold_s, _ = _timed_cpu(evaluator, items, strategy, len(items))
        fresh_n, fresh_s, fresh_cpu = _timed_cpu(evaluator, unseen, strategy, len(unseen))
        warm_n, warm_s, _ = _timed_cpu(evaluator, items, strategy, args.evaluations)
        peak = _peak_traced(evaluator, items, strategy)
        rows.append((name, len(items), fresh_n, fresh_n / fresh_s, fresh_n / fresh_cpu,
                     cold_n / cold_s, warm_n / warm_s, peak / 2**20))
    print(f"rules evaluator {evaluator.version}, one core, python {sys.version.split()[0]}")
    print(f"{'dataset':<8} {'items':>5} {'fresh':>7} {'FRESH ans/s':>12} {'per CPU s':>10}"
          f" {'cold ans/s':>11} {'replayed ans/s':>15} {'tracemalloc peak MiB':>21}")
    for name, n, fresh_n, fresh, fresh_per_cpu, cold, warm, peak_mib in rows:
        print(f"{name:<8} {n:>5} {fresh_n:>7,} {fresh:>12,.0f} {fresh_per_cpu:>10,.0f}"
              f" {cold:>11,.0f} {warm:>15,.0f} {peak_mib:>21.2f}")
    print("FRESH: answers with words never seen before (the headline); replayed: the same"
          " answers again, warm caches (an upper bound)")
    cpu = time.process_time() - cpu_start
    print(f"process peak RSS (ru_maxrss): {_maxrss_mib():.1f} MiB; CPU {cpu:.1f} s;"
          f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    accuracy()


if __name__ == "__main__":
    main()
