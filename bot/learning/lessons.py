"""Lessons: what a correction teaches the evaluator, and how it is used on the next answers.

A correction says "you read tasks A, B and segment X; it was tasks A, C". The difference becomes
lessons bound to a task or segment id:

- `task` / `segment`: a phrase from the answer that means this task or segment. It is added to
  the strategy the evaluator reads (a task example, a segment alias), so the rules evaluator's
  index and the LLM's prompt both see it, and an answer sentence that holds the phrase's words
  maps to it even when the evaluator's own reading would not.
- `not_task` / `not_segment`: what the bot mapped wrongly, with the sentence it stood in; a later
  finding in a sentence that close is dropped.
- `answer`: the whole answer with the corrected labels, so the same words get the same verdict.

Lessons are keyed by id, so they carry over to a new strategy version while the id still exists.
Everything here is deterministic and offline: chat corrections and `alignbot eval --learn-from`
go through exactly these functions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

from bot.evaluation.result import (
    Evaluation,
    Evidence,
    Question,
    ScopeResult,
    SegmentMention,
    TaskMatch,
    TasksResult,
)
from bot.evaluation.scoring import compute_scores, critical_missing
from bot.evaluation.text import STOP_WORDS, stem
from bot.strategy.schema import Strategy

LessonKind = Literal["task", "not_task", "segment", "not_segment", "answer"]
MAX_PHRASE = 200
MAX_ALIAS_WORDS = 4
SAME_SENTENCE = 0.6  # word overlap (Jaccard) at which a sentence counts as the one corrected
HOLDS_PHRASE = 0.75  # share of a learned phrase's words a sentence must hold to match it
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True)
class Labels:
    """What an answer says, in the terms a person corrects: tasks done and segments named."""

    tasks: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    @classmethod
    def of(cls, evaluation: Evaluation) -> Labels:
        tasks = tuple(evaluation.tasks.task_ids) if evaluation.tasks else ()
        scope = evaluation.scope or ScopeResult()
        return cls(tasks, tuple(dict.fromkeys(s.segment_id for s in scope.segments)))

    def to_json(self) -> str:
        return json.dumps({"tasks": list(self.tasks), "segments": list(self.segments)})

    @classmethod
    def from_json(cls, raw: str) -> Labels:
        data = json.loads(raw or "{}")
        return cls(tuple(data.get("tasks") or ()), tuple(data.get("segments") or ()))


@dataclass(frozen=True)
class Lesson:
    kind: LessonKind
    target: str  # task or segment id; the question for `answer`
    phrase: str
    context: str = ""
    labels: dict[str, list[str]] = field(default_factory=dict)  # for `answer`

    def key(self) -> tuple[str, str, str]:
        """Two people made the same correction when their lessons share this key."""
        return (self.kind, self.target, " ".join(sorted(words(self.phrase))))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lesson:
        return cls(kind=data["kind"], target=data["target"], phrase=data.get("phrase", ""),
                   context=data.get("context", ""), labels=dict(data.get("labels") or {}))


def lessons_to_json(lessons: Iterable[Lesson]) -> str:
    return json.dumps([asdict(lesson) for lesson in lessons], ensure_ascii=False)


def lessons_from_json(raw: str) -> list[Lesson]:
    try:
        return [Lesson.from_dict(item) for item in json.loads(raw or "[]")]
    except (ValueError, KeyError, TypeError):
        return []  # a row written by a later version we cannot read teaches nothing


# --- words -----------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def words(text: str) -> frozenset[str]:
    """Stems of the meaningful words, for comparing phrases however they are inflected."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower())
                     if (len(w) > 1 or w.isdigit()) and w not in STOP_WORDS)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _holds(sentence: frozenset[str], phrase: frozenset[str]) -> bool:
    """The sentence says what the phrase says: it holds most of the phrase's words (all of a
    short phrase's)."""
    if not phrase:
        return False
    needed = len(phrase) if len(phrase) <= 2 else HOLDS_PHRASE * len(phrase)
    return len(sentence & phrase) >= needed


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of the answer (simple: the corrected sentence only needs finding again)."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[start:match.start()].strip():
            spans.append((start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _sentence_of(text: str, evidence: Evidence) -> str:
    for start, end in sentences(text):
        if start <= evidence.start < end or (evidence.start == evidence.end == start):
            return text[start:end]
    return evidence.text


def normalized(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


# --- drawing lessons from a correction ------------------------------------------------------


def draw(question: Question, answer: str, evaluation: Evaluation, corrected: Labels,
         strategy: Strategy) -> list[Lesson]:
    """The lessons in the difference between what the evaluator read and the person's labels."""
    read = Labels.of(evaluation)
    lessons: list[Lesson] = []
    tasks = evaluation.tasks or TasksResult()
    kept = {m.evidence.start for m in tasks.matches if m.task_id in corrected.tasks}
    free = [e for e in tasks.unmapped if e.start not in kept] or _unused_sentences(answer, tasks, kept)
    for task_id in corrected.tasks:
        if task_id not in read.tasks and task_id in strategy.task_ids:
            phrase = _best_phrase(free, _task_words(strategy, task_id)) or answer
            lessons.append(Lesson("task", task_id, phrase[:MAX_PHRASE]))
    for match in tasks.matches:
        if match.task_id in read.tasks and match.task_id not in corrected.tasks:
            lessons.append(Lesson("not_task", match.task_id, match.evidence.text[:MAX_PHRASE],
                                  _sentence_of(answer, match.evidence)[:MAX_PHRASE * 2]))
    scope = evaluation.scope or ScopeResult()
    named = {s.evidence.start for s in scope.segments if s.segment_id in corrected.segments}
    for segment_id in corrected.segments:
        if segment_id not in read.segments and segment_id in strategy.segment_ids:
            for alias in _aliases(answer, named, strategy):
                lessons.append(Lesson("segment", segment_id, alias))
    for mention in scope.segments:
        if mention.segment_id in read.segments and mention.segment_id not in corrected.segments:
            lessons.append(Lesson("not_segment", mention.segment_id, mention.evidence.text[:MAX_PHRASE],
                                  _sentence_of(answer, mention.evidence)[:MAX_PHRASE * 2]))
    if lessons:
        lessons.append(Lesson("answer", question, answer[:2000], labels={
            "tasks": list(corrected.tasks), "segments": list(corrected.segments)}))
    return _distinct(lessons)


def _distinct(lessons: list[Lesson]) -> list[Lesson]:
    return list({lesson.key(): lesson for lesson in lessons}.values())


def _task_words(strategy: Strategy, task_id: str) -> frozenset[str]:
    task = strategy.task(task_id)
    return words(" ".join([task.name, task.description, *task.examples]))


def _unused_sentences(answer: str, tasks: TasksResult, kept: set[int]) -> list[Evidence]:
    """Sentences holding no finding that stays: where an activity the bot missed must be."""
    used = [(m.evidence.start, m.evidence.end) for m in tasks.matches if m.evidence.start in kept]
    return [Evidence(text=answer[s:e], start=s, end=e) for s, e in sentences(answer)
            if not any(s <= a < e for a, _ in used)]


def _best_phrase(candidates: Sequence[Evidence], about: frozenset[str]) -> str | None:
    """The candidate sharing most words with the task (the first when none does)."""
    if not candidates:
        return None
    return max(candidates, key=lambda e: (len(words(e.text) & about), -e.start)).text.strip()


def _aliases(answer: str, named: set[int], strategy: Strategy) -> list[str]:
    """Short runs of meaningful words from the sentences that name no kept segment: the words
    the person used for the segment ("regional credit unions"), learned as aliases."""
    known = words(" ".join(s.name + " " + " ".join(s.aliases) for s in strategy.segments))
    runs: list[str] = []
    for start, end in sentences(answer):
        if any(start <= n < end for n in named):
            continue
        current: list[str] = []
        for word in [*_WORD.findall(answer[start:end]), ""]:
            if word and word.lower() not in STOP_WORDS and (len(word) > 1 or word.isdigit()):
                current.append(word)
                continue
            if current and not words(" ".join(current)) <= known:
                runs.append(" ".join(current[:MAX_ALIAS_WORDS]))
            current = []
    return runs[:3]


# --- using lessons -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Teaching:
    """The lessons in force for one reader of the strategy (everyone's, plus a rep's own)."""

    lessons: tuple[Lesson, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.lessons)

    @property
    def fingerprint(self) -> str:
        raw = lessons_to_json(sorted(self.lessons, key=Lesson.key))
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    def strategy(self, strategy: Strategy) -> Strategy:
        """The strategy with learned examples and aliases added (for the evaluator only: its
        version differs, so caches keyed by version learn too; verdicts keep the real one)."""
        return _taught(strategy, self) if self else strategy

    def adjust(self, question: Question, answer: str, evaluation: Evaluation,
               strategy: Strategy) -> Evaluation:
        """The evaluator's verdict with the lessons applied, scored again, under `strategy`'s
        own version."""
        if not self:
            return evaluation.model_copy(update={"strategy_version": strategy.version})
        tasks = evaluation.tasks.model_copy(deep=True) if evaluation.tasks else None
        scope = (evaluation.scope or ScopeResult()).model_copy(deep=True)
        remembered = self._remembered(question, answer)
        if remembered is not None:
            tasks, scope = _relabel(answer, tasks, scope, remembered, strategy)
        else:
            self._drop_corrected(answer, tasks, scope)
            self._add_learned(answer, tasks, scope, strategy)
        if tasks is not None:
            tasks.critical_missing = critical_missing(strategy, tasks.task_ids)
        scores, overall = compute_scores(question, strategy, tasks=tasks, scope=scope,
                                         statement=evaluation.statement)
        return evaluation.model_copy(update={"tasks": tasks, "scope": scope, "scores": scores,
                                             "overall": overall, "strategy_version": strategy.version})

    def _remembered(self, question: Question, answer: str) -> Labels | None:
        said = normalized(answer)
        for lesson in reversed(self.lessons):
            if lesson.kind == "answer" and lesson.target == question and normalized(lesson.phrase) == said:
                return Labels(tuple(lesson.labels.get("tasks", ())), tuple(lesson.labels.get("segments", ())))
        return None

    def _drop_corrected(self, answer: str, tasks: TasksResult | None, scope: ScopeResult) -> None:
        wrong = [lesson for lesson in self.lessons if lesson.kind in ("not_task", "not_segment")]
        if not wrong:
            return

        def corrected(kind: str, target: str, evidence: Evidence) -> bool:
            here = words(_sentence_of(answer, evidence))
            return any(lesson.kind == kind and lesson.target == target
                       and _overlap(here, words(lesson.context)) >= SAME_SENTENCE for lesson in wrong)

        if tasks is not None:
            tasks.matches = [m for m in tasks.matches
                             if not corrected("not_task", m.task_id, m.evidence)]
        scope.segments = [s for s in scope.segments
                          if not corrected("not_segment", s.segment_id, s.evidence)]

    def _add_learned(self, answer: str, tasks: TasksResult | None, scope: ScopeResult,
                     strategy: Strategy) -> None:
        spans = [(s, e, words(answer[s:e])) for s, e in sentences(answer)]
        for lesson in self.lessons:
            if lesson.kind not in ("task", "segment"):
                continue
            phrase = words(lesson.phrase)
            for start, end, held in spans:
                if not _holds(held, phrase):
                    continue
                evidence = Evidence(text=answer[start:end], start=start, end=end)
                if lesson.kind == "task" and tasks is not None and lesson.target in strategy.task_ids:
                    _add_task(tasks, lesson.target, evidence)
                elif lesson.kind == "segment" and lesson.target in strategy.segment_ids:
                    _add_segment(scope, lesson.target, evidence, strategy)
                break


def _add_task(tasks: TasksResult, task_id: str, evidence: Evidence) -> None:
    if task_id in tasks.task_ids or any(m.task_id == task_id for m in tasks.matches):
        return
    tasks.matches.append(TaskMatch(task_id=task_id, confidence=0.9, evidence=evidence))
    tasks.unmapped = [u for u in tasks.unmapped
                      if not (evidence.start <= u.start < evidence.end)]


def _add_segment(scope: ScopeResult, segment_id: str, evidence: Evidence, strategy: Strategy) -> None:
    if any(s.segment_id == segment_id for s in scope.segments):
        return
    scope.segments.append(SegmentMention(segment_id=segment_id,
                                         in_scope=strategy.segment(segment_id).in_scope,
                                         confidence=0.9, evidence=evidence))


def _relabel(answer: str, tasks: TasksResult | None, scope: ScopeResult, labels: Labels,
             strategy: Strategy) -> tuple[TasksResult | None, ScopeResult]:
    """The verdict a person gave these exact words: their labels, the evaluator's evidence
    where it found the same, the whole answer where it did not."""
    whole = Evidence(text=answer[:MAX_PHRASE], start=0, end=min(len(answer), MAX_PHRASE))
    if tasks is not None:
        tasks.matches = [m for m in tasks.matches if m.task_id in labels.tasks]
        for task_id in labels.tasks:
            if task_id in strategy.task_ids:
                _add_task(tasks, task_id, whole)
    scope.segments = [s for s in scope.segments if s.segment_id in labels.segments]
    for segment_id in labels.segments:
        if segment_id in strategy.segment_ids:
            _add_segment(scope, segment_id, whole, strategy)
    return tasks, scope


_TAUGHT: dict[tuple[str, str], Strategy] = {}
_MAX_TAUGHT = 32


def _taught(strategy: Strategy, teaching: Teaching) -> Strategy:
    key = (strategy.version, teaching.fingerprint)
    found = _TAUGHT.get(key)
    if found is not None:
        return found
    data = strategy.model_dump(mode="json")
    for task in data["sales_tasks"]:
        learned = [lesson.phrase for lesson in teaching.lessons
                   if lesson.kind == "task" and lesson.target == task["id"]]
        task["examples"] = list(dict.fromkeys([*task["examples"], *learned]))
    for segment in data["segments"]:
        learned = [lesson.phrase for lesson in teaching.lessons
                   if lesson.kind == "segment" and lesson.target == segment["id"]]
        segment["aliases"] = list(dict.fromkeys([*segment.get("aliases", []), *learned]))
    taught = Strategy.model_validate(data)
    if len(_TAUGHT) >= _MAX_TAUGHT:
        _TAUGHT.pop(next(iter(_TAUGHT)))
    _TAUGHT[key] = taught
    return taught


def in_force(lessons: Iterable[Lesson], strategy: Strategy) -> Teaching:
    """The lessons whose task or segment still exists in this strategy version."""
    kept = [lesson for lesson in lessons
            if lesson.kind == "answer"
            or (lesson.kind in ("task", "not_task") and lesson.target in strategy.task_ids)
            or (lesson.kind in ("segment", "not_segment") and lesson.target in strategy.segment_ids)]
    return Teaching(tuple(kept))
