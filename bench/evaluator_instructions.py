"""Instructions per fresh answer of the rules evaluator, counted by callgrind: the figure that
machine load does not change.

Owns the load-independent twin of `evaluator_throughput.py`'s headline. On a shared machine CPU
seconds move by tens of percent between runs of the same code, so a change of a few percent can
only be told by counting instructions. For each set, the evaluator judges `--warm` fresh answers
(each labeled answer with three made-up words, as in `evaluator_throughput.py`), then callgrind is
switched on for the next `--measured` ones and off again; the table shows the instructions per
answer in between. Needs valgrind (`callgrind_control` too). Each set takes a minute or more: the
gazetteer and the strategy index are built under valgrind.

Run: .venv/bin/python bench/evaluator_instructions.py [--sets example,baufuchs] [--warm 500]
     [--measured 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _switch(state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True,
                   capture_output=True)


def drive(name: str, warm: int, measured: int) -> None:
    """Inside valgrind: warm up, then judge the measured answers with callgrind switched on."""
    from bench.evaluator_throughput import SETS, fresh_items
    from bot.evaluation.metrics import load_dataset
    from bot.evaluation.rules import RulesEvaluator
    from bot.strategy.loader import load_strategy

    _, strategy_path, data_path = next(s for s in SETS if s[0] == name)
    strategy = load_strategy(strategy_path)
    answers = fresh_items(load_dataset(data_path), warm + measured)
    evaluator = RulesEvaluator()
    for item in answers[:warm]:
        evaluator.evaluate_sync(item.question, item.answer, strategy)
    _switch("on")
    for item in answers[warm:]:
        evaluator.evaluate_sync(item.question, item.answer, strategy)
    _switch("off")


def count(name: str, warm: int, measured: int) -> int:
    """Instructions callgrind counted while `measured` answers of `name` were judged."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--drive", name, "--warm", str(warm),
             "--measured", str(measured)],
            check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        for line in out.read_text().splitlines():
            if line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"callgrind wrote no totals for {name}")


def main() -> None:
    from bench.evaluator_throughput import SETS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default=",".join(s[0] for s in SETS))
    parser.add_argument("--warm", type=int, default=500)
    parser.add_argument("--measured", type=int, default=300)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args.drive, args.warm, args.measured)
        return
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        sys.exit("valgrind is missing: apt-get install valgrind")
    print(f"instructions per fresh answer, {args.measured} after {args.warm} (callgrind,"
          " PYTHONHASHSEED=0)")
    for name in args.sets.split(","):
        total = count(name, args.warm, args.measured)
        print(f"{name:<10} {total / args.measured:>12,.0f}")


if __name__ == "__main__":
    main()
