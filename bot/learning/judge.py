"""One answer judged with what people taught the bot: the one path chat, catch-up, re-judging
and `alignbot eval --learn-from` all take, so what is measured is what people get."""

from __future__ import annotations

import asyncio

from bot.evaluation.base import Evaluator
from bot.evaluation.result import Evaluation, Question
from bot.learning.lessons import Teaching
from bot.learning.vetting import SyncEvaluate, already_vetted, vetted
from bot.strategy.schema import Strategy


async def judge(evaluator: Evaluator, question: Question, answer: str, strategy: Strategy,
                teaching: Teaching) -> Evaluation:
    """An evaluator that reads examples as examples (the LLM: `reads_examples`) gets the strategy
    with learned examples and aliases in its prompt. The rules evaluator reads the answer twice:
    under the strategy as written, which decides, and under the strategy with the learned
    examples and aliases, whose findings of what people taught are added (a new example shifts
    the word weights of every task, which on the development sets cost more than it taught
    when that reading decided). The lessons then correct what either still reads the way
    people corrected it. For an evaluator that can judge synchronously the lessons are first
    vetted against the answers people corrected (`bot.learning.vetting`), and the second reading
    is made only for an answer holding a word people taught."""
    if getattr(evaluator, "reads_examples", False):
        evaluation = await evaluator.evaluate(question, answer, teaching.strategy(strategy))
        return teaching.adjust(question, answer, evaluation, strategy)
    evaluate_sync = getattr(evaluator, "evaluate_sync", None)
    if evaluate_sync is not None:  # lessons that misread other corrected answers are left out
        known = already_vetted(teaching, strategy, evaluate_sync)
        teaching = known if known is not None else await asyncio.to_thread(
            vetted, teaching, strategy, evaluate_sync)  # off the event loop: see vetting
    evaluation = await evaluator.evaluate(question, answer, strategy)
    taught = (await evaluator.evaluate(question, answer, teaching.strategy(strategy, work_words=True))
              if teaching.wording and teaching.reads_taught(answer, strategy) else None)
    return teaching.adjust(question, answer, evaluation, strategy, taught)


def judge_sync(evaluate: SyncEvaluate, question: Question, answer: str, strategy: Strategy,
               teaching: Teaching) -> Evaluation:
    """`judge` for an evaluator that judges synchronously (the rules' `evaluate_sync`), which reads
    no examples: for a unit of work on the database's thread (`bot.checkins.answering`)."""
    teaching = vetted(teaching, strategy, evaluate)
    taught = (evaluate(question, answer, teaching.strategy(strategy, work_words=True))
              if teaching.wording and teaching.reads_taught(answer, strategy) else None)
    return teaching.adjust(question, answer, evaluate(question, answer, strategy), strategy, taught)
