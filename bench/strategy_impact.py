"""How long a strategy proposal's impact takes: the rules evaluator judging the newest 400
answers (the cap) under the current and a proposed version, as the preview does - and how long
the event loop (acks, other people's messages) waits meanwhile, the work being in a thread.

    .venv/bin/python bench/strategy_impact.py
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time

from bot.config import REPO_ROOT
from bot.evaluation.rules import RulesEvaluator
from bot.strategy.edits import Edit, apply
from bot.strategy.impact import MAX_ANSWERS, _judge_sync, mapping
from bot.strategy.loader import load_strategy


async def main() -> None:
    current = load_strategy(REPO_ROOT / "examples" / "strategy.yaml")
    proposed = apply(current, Edit("task", {}, "map_buying_committee", "remove"))
    rows = [json.loads(line) for line in
            (REPO_ROOT / "tests" / "data" / "alignment_eval.jsonl").read_text().splitlines()]
    answers = list(itertools.islice(itertools.cycle(rows), MAX_ANSWERS))
    evaluator = RulesEvaluator()
    for strategy in (current, proposed):  # warm the per-version index, as a running bot has it
        await evaluator.evaluate("tasks", "warm up", strategy)
    pairs = [(row["question"], row["answer"]) for row in answers]
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:  # what an ack waits for: the loop's longest stall
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    start = time.perf_counter()
    ticking = asyncio.create_task(ticker())
    verdicts = await asyncio.to_thread(_judge_sync, evaluator, pairs, current, proposed)
    took = time.perf_counter() - start
    done.set()
    await ticking
    changed = sum(mapping(a, current)[0] != mapping(b, proposed)[0] for a, b in verdicts)
    print(f"{len(answers)} answers x 2 versions: {took:.2f} s ({1000 * took / len(answers):.1f} ms"
          f" per answer), {changed} map differently; event loop's longest stall meanwhile"
          f" {1000 * max(lags):.0f} ms")

if __name__ == "__main__":
    asyncio.run(main())
