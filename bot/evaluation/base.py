"""The evaluator port: anything that turns (question, answer, strategy) into an Evaluation."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.evaluation.result import Evaluation, Question
from bot.strategy.schema import Strategy


class Evaluator(Protocol):
    """Judges one answer against the strategy. Must not raise for any answer text."""

    name: str
    version: str

    async def evaluate(self, question: Question, answer: str, strategy: Strategy) -> Evaluation:
        ...


@runtime_checkable
class ForgetsAnswers(Protocol):
    """An evaluator that keeps verdicts by answer text (a cache) and can drop one on request."""

    async def forget(self, question: Question, answer: str, strategy_version: str) -> None:
        ...
