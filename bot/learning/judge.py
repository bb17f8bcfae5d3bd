"""One answer judged with what people taught the bot: the one path chat, catch-up, re-judging
and `alignbot eval --learn-from` all take, so what is measured is what people get."""

from __future__ import annotations

from bot.evaluation.base import Evaluator
from bot.evaluation.result import Evaluation, Question
from bot.learning.lessons import Teaching
from bot.strategy.schema import Strategy


async def judge(evaluator: Evaluator, question: Question, answer: str, strategy: Strategy,
                teaching: Teaching) -> Evaluation:
    """The evaluator reads the strategy with learned examples and aliases (so an LLM sees them in
    its prompt too); the lessons then correct what it still reads the way people corrected."""
    evaluation = await evaluator.evaluate(question, answer, teaching.strategy(strategy))
    return teaching.adjust(question, answer, evaluation, strategy)
