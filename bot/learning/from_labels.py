"""Learning from a labeled dataset as if an admin had corrected each answer in chat.

`alignbot eval DATA --learn-from TRAIN.jsonl` measures what corrections are worth: each training
answer is judged with what was learned so far, and where the verdict differs from its labels a
correction is saved - through `corrections.save` into a scratch database, the very path a "Not
right?" in chat takes - before DATA is judged with everything learned.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.evaluation.base import Evaluator
from bot.evaluation.metrics import LabeledItem
from bot.evaluation.result import Evaluation
from bot.learning import corrections
from bot.learning.judge import judge
from bot.learning.lessons import Labels
from bot.storage.database import Database
from bot.storage.models import Member
from bot.strategy.schema import Strategy


def labels_of(item: LabeledItem, read: Labels) -> Labels:
    """The item's labels where it has them, what was read where it does not (not corrected)."""
    tasks = read.tasks
    if item.question == "tasks" and item.expected_tasks is not None:
        tasks = item.expected_tasks
    segments = read.segments
    if item.expected_in is not None or item.expected_out is not None:
        segments = (*(item.expected_in or ()), *(item.expected_out or ()))
    return Labels(tuple(tasks), tuple(segments))


class LabelTeacher:
    """A scratch database with one admin who corrects every training answer."""

    def __init__(self, evaluator: Evaluator, strategy: Strategy, now: datetime) -> None:
        self.evaluator = evaluator
        self.strategy = strategy
        self.now = now
        self._dir = tempfile.TemporaryDirectory(prefix="alignbot-learn-")
        self.db = Database(f"sqlite:///{Path(self._dir.name) / 'learn.db'}")
        self.admin = Member(platform="eval", platform_user_id="labels", name="labels",
                            role="admin", created_at=now, updated_at=now)

    async def __aenter__(self) -> LabelTeacher:
        await self.db.migrate()
        async with self.db.session() as session:
            session.add(self.admin)
            await session.flush()
            await session.refresh(self.admin)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.db.dispose()
        self._dir.cleanup()

    async def learn(self, items: Sequence[LabeledItem]) -> int:
        """Correct each training answer the way its labels say; the number of corrections."""
        saved = 0
        for item in items:
            evaluation = await self.judge(item)
            correction = await corrections.save(
                self.db, author=self.admin, answer_id=None, question=item.question,
                answer=item.answer, evaluation=evaluation,
                corrected=labels_of(item, Labels.of(evaluation)), strategy=self.strategy,
                now=self.now)
            saved += correction is not None
        return saved

    async def judge(self, item: LabeledItem) -> Evaluation:
        teaching = await corrections.teaching_for(self.db, self.admin.id, self.strategy)
        return await judge(self.evaluator, item.question, item.answer, self.strategy, teaching)

    async def judge_all(self, items: Sequence[LabeledItem]) -> list[Evaluation]:
        teaching = await corrections.teaching_for(self.db, self.admin.id, self.strategy)
        return [await judge(self.evaluator, i.question, i.answer, self.strategy, teaching)
                for i in items]
