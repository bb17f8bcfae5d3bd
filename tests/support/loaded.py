"""The repository's own prompts and example strategy, read once per test process.

Building a core read and parsed five YAML files (prompts and strategy, about 65 ms of CPU) for
every one of the thousand-odd tests that start one. Both results are immutable (the strategy
is a frozen model, the prompts only answer lookups) and no test edits the repository's files,
so those two are shared; any other folder or file (a test's own) is read afresh every time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.config import REPO_ROOT
from bot.prompts import Prompts
from bot.strategy.loader import load_strategy
from bot.strategy.schema import Strategy

REPO_PROMPTS = REPO_ROOT / "prompts"
EXAMPLE_STRATEGY = REPO_ROOT / "examples" / "strategy.yaml"


@cache
def _repo_prompts() -> Prompts:
    return Prompts(REPO_PROMPTS)


@cache
def _example_strategy() -> Strategy:
    return load_strategy(EXAMPLE_STRATEGY)


def prompts_from(directory: Path) -> Prompts:
    return _repo_prompts() if Path(directory) == REPO_PROMPTS else Prompts(directory)


def strategy_from(file: Path) -> Strategy:
    return _example_strategy() if Path(file) == EXAMPLE_STRATEGY else load_strategy(file)
