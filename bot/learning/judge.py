"""One answer judged with what people taught the bot: the one path chat, catch-up, re-judging
and `alignbot eval --learn-from` all take, so what is measured is what people get."""

from __future__ import annotations

from collections.abc import Callable

from bot.evaluation.base import Evaluator
from bot.evaluation.result import Evaluation, Question
from bot.learning.lessons import Teaching
from bot.strategy.schema import Strategy


async def judge(evaluator: Evaluator, question: Question, answer: str, strategy: Strategy,
                teaching: Teaching) -> Evaluation:
    """An evaluator that reads examples as examples (the LLM: `reads_examples`) gets the strategy
    with learned examples and aliases in its prompt. The rules evaluator does not: a new example
    shifts its word weights for every task, which on the development sets cost more than it
    taught. The lessons then correct what either still reads the way people corrected it."""
    read_as = teaching.strategy(strategy) if getattr(evaluator, "reads_examples", False) else strategy
    evaluation = await evaluator.evaluate(question, answer, read_as)
    return teaching.adjust(question, answer, evaluation, strategy)


SyncEvaluate = Callable[[Question, str, Strategy], Evaluation]


def judge_sync(evaluate: SyncEvaluate, question: Question, answer: str, strategy: Strategy,
               teaching: Teaching) -> Evaluation:
    """`judge` for an evaluator that judges synchronously (the rules' `evaluate_sync`), which reads
    no examples: for a unit of work on the database's thread (`bot.checkins.answering`)."""
    return teaching.adjust(question, answer, evaluate(question, answer, strategy), strategy)
