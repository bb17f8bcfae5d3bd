"""Vetting lessons against the answers people corrected: a lesson that would change correct
readings of other corrected answers is not applied.

Every correction stores its answer with the labels a person gave it (the `answer` lesson). Those
answers are the only readings we know to be right, so before lessons are used they are tried on
them: each corrected answer is read as any new answer would be - by the evaluator, then with all
the lessons in force, but not as its own labels say (`Teaching.adjust(remember=False)`) - and
every finding a lesson, learned word or cue added or dropped is checked against that answer's
labels. What made more wrong changes than right ones (a phrase that also stands in answers
labeled otherwise, an account name that is a competitor's, a "not" that removes a task another
answer was corrected to) is left out of the teaching, for every reader alike.

This is what kept learning from making a set worse than without it: a lesson drawn from one
answer is a guess about the next, and the other corrected answers are the cheapest evidence
against a wrong guess. The check runs once per set of lessons (the same key as the learned
words), through the very `adjust` that judges answers, so chat and `alignbot eval --learn-from`
read the same vetted lessons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from bot.evaluation.result import Evaluation, Question
from bot.learning.lessons import Change, Teaching, normalized
from bot.strategy.schema import Strategy

SyncEvaluate = Callable[[Question, str, Strategy], Evaluation]

_VETTED: dict[tuple[str, str, str], Teaching] = {}
_MAX_VETTED = 32


def _key(teaching: Teaching, strategy: Strategy, evaluate: SyncEvaluate) -> tuple[str, str, str]:
    return (strategy.version, teaching.fingerprint, getattr(evaluate, "__qualname__", ""))


def already_vetted(teaching: Teaching, strategy: Strategy, evaluate: SyncEvaluate) -> Teaching | None:
    """The vetted lessons when this set was vetted before (or needs none), else None: the
    caller on the event loop then vets in a worker thread - one evaluator run per corrected
    answer, about a second at 500 corrections, is too long to hold every other chat up."""
    if not teaching:
        return teaching
    return _VETTED.get(_key(teaching, strategy, evaluate))


def vetted(teaching: Teaching, strategy: Strategy, evaluate: SyncEvaluate) -> Teaching:
    """`teaching` without what changes correct readings of corrected answers (see above)."""
    found = already_vetted(teaching, strategy, evaluate)
    if found is not None:
        return found
    key = _key(teaching, strategy, evaluate)
    answers = {normalized(lesson.phrase): lesson for lesson in teaching.lessons
               if lesson.kind == "answer"}  # the latest labels of each answer
    right: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    taught = teaching.strategy(strategy, work_words=True) if teaching.wording else None
    for lesson in answers.values():
        question: Question = lesson.target  # type: ignore[assignment]
        labels = {"task": set(lesson.labels.get("tasks", ())),
                  "segment": set(lesson.labels.get("segments", ()))}
        trace: list[Change] = []
        teaching.adjust(question, lesson.phrase, evaluate(question, lesson.phrase, strategy), strategy,
                        evaluate(question, lesson.phrase, taught)
                        if taught is not None and teaching.reads_taught(lesson.phrase, strategy) else None,
                        trace=trace, remember=False)
        for change in trace:
            if change.kind == "task" and question != "tasks":
                continue
            good = (change.target in labels[change.kind]) == change.added
            (right if good else wrong).update(set(change.sources))
    blocked = {source for source, n in wrong.items() if n >= right[source]}
    found = teaching.without(blocked) if blocked else teaching
    if len(_VETTED) >= _MAX_VETTED:
        _VETTED.pop(next(iter(_VETTED)))
    _VETTED[key] = found
    return found
