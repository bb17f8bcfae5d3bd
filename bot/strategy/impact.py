"""What a proposed strategy does to recent answers: the evaluator judges each stored answer of
the last weeks under the current and the proposed version, and answers whose mapping differs
(other tasks, other segments or scope, other statement components) are counted, two quoted.

The same evaluator judges both sides, so only the strategy change shows, not an evaluator
upgrade since the answers were first judged.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.evaluation.base import Evaluator
from bot.evaluation.result import Evaluation
from bot.evaluation.rules import RulesEvaluator
from bot.storage.database import Database
from bot.storage.models import Answer
from bot.strategy.schema import Strategy
from bot.text import shorten

WINDOW = timedelta(weeks=4)
MAX_ANSWERS = 400  # the newest; a preview must come back in seconds, also with an LLM
MAX_QUOTE = 100


@dataclass(frozen=True)
class Example:
    answer: str
    before: str
    after: str


@dataclass(frozen=True)
class Impact:
    judged: int  # answers re-judged
    changed: int  # of those, mapped differently
    examples: tuple[Example, ...]
    capped: bool  # more answers in the window than were judged


def mapping(evaluation: Evaluation, strategy: Strategy) -> tuple[tuple[str, ...], str]:
    """What an answer maps to: ids to compare (a renamed task maps the same) and words to show -
    tasks done and worked against, segments and whether in scope, or statement components."""
    if evaluation.tasks is not None:
        names = {t.id: t.name for t in strategy.sales_tasks}
        done, against = evaluation.tasks.task_ids, evaluation.tasks.against_ids()
        words = ", ".join(names.get(i, i) for i in done) or "no sales task"
        if against:
            words += "; against: " + ", ".join(a.name for a in evaluation.tasks.against)
        return (*done, "|", *against), words
    if evaluation.scope is not None:
        segments = {s.id: s.name for s in strategy.segments}
        seen = list(dict.fromkeys((m.segment_id, m.in_scope) for m in evaluation.scope.segments))
        words = ", ".join(f"{segments.get(i, i)} ({'in' if inside else 'out of'} scope)"
                          for i, inside in seen) or "no segment"
        return tuple(f"{i}:{inside}" for i, inside in seen), words
    if evaluation.statement is not None:
        covered = [c.component for c in evaluation.statement.components if c.covered]
        return tuple(covered), "states " + (", ".join(covered) or "none of objectives, scope, advantage")
    return (), "nothing"


def _quote(text: str) -> str:
    return shorten(text, MAX_QUOTE)


async def impact(db: Database, evaluator: Evaluator, current: Strategy, proposed: Strategy,
                 now: datetime) -> Impact:
    """Re-judge the last four weeks' answers under both versions."""
    async with db.session() as session:
        rows = (await session.exec(
            select(Answer.question, Answer.text).where(col(Answer.created_at) >= now - WINDOW)
            .order_by(col(Answer.created_at).desc()).limit(MAX_ANSWERS + 1))).all()
    capped = len(rows) > MAX_ANSWERS
    pairs = [(q, text) for q, text in rows[:MAX_ANSWERS]]
    if isinstance(evaluator, RulesEvaluator):  # CPU only: judged off the event loop (~30 ms each)
        verdicts = await asyncio.to_thread(_judge_sync, evaluator, pairs, current, proposed)
    else:  # an LLM: network-bound, on the loop (cached by answer and version)
        verdicts = [(await evaluator.evaluate(q, text, current),  # type: ignore[arg-type]
                     await evaluator.evaluate(q, text, proposed)) for q, text in pairs]  # type: ignore[arg-type]
    changed, examples = 0, list[Example]()
    for (_, text), (old, new) in zip(pairs, verdicts, strict=True):
        before, was_words = mapping(old, current)
        after, now_words = mapping(new, proposed)
        if before != after:
            changed += 1
            if len(examples) < 2:
                examples.append(Example(_quote(text), was_words, now_words))
    return Impact(len(pairs), changed, tuple(examples), capped)


def _judge_sync(evaluator: RulesEvaluator, pairs: list[tuple[str, str]], current: Strategy,
                proposed: Strategy) -> list[tuple[Evaluation, Evaluation]]:
    return [(evaluator.evaluate_sync(q, text, current),  # type: ignore[arg-type]
             evaluator.evaluate_sync(q, text, proposed)) for q, text in pairs]  # type: ignore[arg-type]
