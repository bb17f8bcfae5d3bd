"""What the learning tests share: the example strategy, a fixed instant, and a `LabelTeacher` -
the path a "Not right?" in chat and `alignbot eval --learn-from` take - on a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.evaluation.metrics import LabeledItem
from bot.evaluation.rules import RulesEvaluator
from bot.learning.from_labels import LabelTeacher
from bot.strategy.loader import load_strategy

AT = datetime(2026, 12, 7, tzinfo=UTC)
STRATEGY = load_strategy(Path(__file__).resolve().parents[3] / "examples" / "strategy.yaml")


@pytest.fixture
async def teacher() -> AsyncIterator[LabelTeacher]:
    async with LabelTeacher(RulesEvaluator(), STRATEGY, AT) as teaching:
        yield teaching


def tasks(answer: str, *task_ids: str) -> LabeledItem:
    """A tasks answer labeled with the tasks a manager reads in it."""
    return LabeledItem("tasks", answer, expected_tasks=task_ids)
