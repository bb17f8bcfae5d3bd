"""Learned vocabulary: words that corrected answers keep using for one task or segment.

A lesson phrase is one rep's wording of one activity; other answers say the same thing in other
words and never come close enough to it (see `lessons`). Every correction, though, also stores
the whole answer with its corrected labels (the `answer` lesson), and across several corrected
answers a word can stand out: "partners" in two answers labeled "win partner buy-in" and in none
of the corrected answers without it. Such a word becomes a learned cue for that task or segment.

It is derived, never stored on its own: the cues are computed from the `answer` lessons in force
for the reader (the same trust rules as every lesson: a rep's own corrections for their own
answers, everyone's once confirmed, taught by two people, or made by a manager or admin), so
unlearning, forgetting or undoing a correction removes what it taught at once.

Because a word seen in two answers is weak evidence, a cue is used cautiously:

- a task cue maps only an activity the evaluator left unmapped, and only when the activity holds
  cues of exactly one task;
- a segment cue names a segment only in a sentence where the evaluator read none, and only when
  the sentence holds cues of exactly one segment;
- a "not" cue (a word in findings of a task or segment that corrections removed from at least two
  answers, and in no corrected answer labeled with it) drops a later finding of that task or
  segment whose quote holds it - unless the strategy itself uses the word for it.

Words never become cues when they are function words, numbers, names (a capitalised word that
is no everyday word: accounts and people recur across answers but say nothing about the task),
or words the strategy uses for another task or segment (the evaluator already reads those).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.evaluation.result import Evidence, ScopeResult, TasksResult
from bot.evaluation.words import frequency, is_rare
from bot.learning.lessons import (
    FUNCTION_WORDS,
    Change,
    Lesson,
    Teaching,
    add_segment,
    add_task,
    lessons_from_json,
    sentences,
    stem_of,
    strategy_terms,
)
from bot.strategy.schema import Strategy

CueKind = Literal["task", "segment", "not_task", "not_segment"]

SUPPORT = 2
"""Corrected answers that must use a word for a task before it is a cue for it."""
AGAINST = 0
"""Corrected answers without that task or segment that may use the word too."""
COMMON = 5.0
"""Zipf frequency (about once in 100,000 words, in any language we read) from which a word is
too everyday to name anything: "sich", "woche", "next", "call" - seen in two answers by chance,
as the development sets showed ("diese woche ..." read as a needs analysis)."""
MIN_LETTERS = 3
"""Shorter words ("pm", "ok") mean too many things to name anything on their own."""

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?;:\n]\s*$")


@dataclass(frozen=True)
class Cue:
    """One learned word (a stem, or two stems side by side) and what it stands for."""

    kind: CueKind
    target: str  # task or segment id
    term: str  # stem, or "stem stem" for two words side by side
    said: str  # the most common way the answers wrote it: what a person reads and exports
    support: int  # corrected answers it stood in for this target

    @property
    def ident(self) -> str:
        """What a change it made is traced to (`bot.learning.lessons.Change`), and blocked by."""
        return f"cue|{self.kind}|{self.target}|{self.term}"


@dataclass(frozen=True)
class Example:
    """A corrected answer as the vocabulary reads it: its text and its corrected labels."""

    text: str
    question: str
    tasks: tuple[str, ...]
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Removed:
    """A finding a correction removed: the kind (`not_task`/`not_segment`), target and quote."""

    kind: CueKind
    target: str
    quote: str
    sentence: str


def terms(text: str) -> dict[str, str]:
    """Candidate cue terms of a text: stems of its meaningful words and of each two neighbouring
    meaningful words, mapped to how the text wrote them. Names and numbers are left out."""
    found: dict[str, str] = {}
    previous: tuple[str, str] | None = None
    at_start = True
    for match in _WORD.finditer(text):
        raw = match.group()
        lower = raw.lower()
        before = text[:match.start()]
        at_start = not before.strip() or bool(_SENTENCE_END.search(before))
        if lower in FUNCTION_WORDS or any(c.isdigit() for c in lower):
            previous = None
            continue
        if len(lower) < MIN_LETTERS or _is_name(raw, at_start) or frequency(lower) >= COMMON:
            previous = None
            continue
        term = stem_of(lower)
        found.setdefault(term, lower)
        if previous is not None:
            found.setdefault(f"{previous[0]} {term}", f"{previous[1]} {lower}")
        previous = (term, lower)
    return found


def _is_name(word: str, at_start: bool) -> bool:
    """A capitalised word that is no everyday word ("Ardmore", "Kestrel", "BSAVA"): a name, said
    about this account or event, not about the work."""
    return not at_start and word[:1].isupper() and is_rare(word)


@dataclass(frozen=True)
class Vocabulary:
    cues: tuple[Cue, ...] = ()
    _tables: dict[CueKind, dict[str, set[str]]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for cue in self.cues:  # term -> targets, per kind: looked up for every activity judged
            self._tables.setdefault(cue.kind, defaultdict(set))[cue.term].add(cue.target)

    def __bool__(self) -> bool:
        return bool(self.cues)

    def without(self, blocked: frozenset[str]) -> Vocabulary:
        """These cues but those `blocked` names (`bot.learning.vetting`)."""
        if not blocked:
            return self
        return Vocabulary(tuple(cue for cue in self.cues if cue.ident not in blocked))

    def named(self, kind: CueKind, text: str) -> set[str]:
        """The targets whose `kind` cues the text holds."""
        table = self._tables.get(kind)
        if not table:
            return set()
        return {target for term in terms(text) for target in table.get(term, ())}

    def _sources(self, kind: CueKind, target: str, text: str) -> tuple[str, ...]:
        """The cues of `target` the text holds, as `Cue.ident`s."""
        table = self._tables.get(kind) or {}
        return tuple(f"cue|{kind}|{target}|{term}" for term in terms(text)
                     if target in table.get(term, ()))

    def drop(self, tasks: TasksResult | None, scope: ScopeResult,
             trace: list[Change] | None = None) -> None:
        """Drop the findings whose quotes hold a word corrections removed them for."""
        if not self:
            return
        if tasks is not None:
            kept = []
            for match in tasks.matches:
                if match.task_id not in self.named("not_task", match.evidence.text):
                    kept.append(match)
                elif trace is not None and match.state == "done":
                    trace.append(Change(False, "task", match.task_id,
                                        self._sources("not_task", match.task_id, match.evidence.text)))
            tasks.matches = kept
        segments = []
        for mention in scope.segments:
            if mention.segment_id not in self.named("not_segment", mention.evidence.text):
                segments.append(mention)
            elif trace is not None:
                trace.append(Change(False, "segment", mention.segment_id,
                                    self._sources("not_segment", mention.segment_id,
                                                  mention.evidence.text)))
        scope.segments = segments

    def add(self, answer: str, tasks: TasksResult | None, scope: ScopeResult,
            strategy: Strategy, trace: list[Change] | None = None) -> None:
        """Map the unmapped activities, and the sentences naming no segment, that hold the cues
        of exactly one task or segment."""
        if not self:
            return
        if tasks is not None:
            for activity in list(tasks.unmapped):
                named = self.named("task", activity.text) & set(strategy.task_ids)
                if len(named) == 1 and add_task(tasks, task_id := named.pop(), activity) and (
                        trace is not None):
                    trace.append(Change(True, "task", task_id,
                                        self._sources("task", task_id, activity.text)))
        if scope.segments:
            return  # the evaluator read the segment: a word seen in two answers does not overrule it
        for start, end in sentences(answer):
            if any(start <= s.evidence.start < end for s in scope.segments):
                continue
            named = self.named("segment", answer[start:end]) & set(strategy.segment_ids)
            if len(named) == 1 and add_segment(
                    scope, segment_id := named.pop(),
                    Evidence(text=answer[start:end], start=start, end=end), strategy) and (
                    trace is not None):
                trace.append(Change(True, "segment", segment_id,
                                    self._sources("segment", segment_id, answer[start:end])))


def learn(examples: Sequence[Example], removed: Sequence[Removed], strategy: Strategy) -> Vocabulary:
    """The cues in these corrected answers (see the module's docstring for the rules)."""
    seen: dict[str, Example] = {}
    for example in examples:  # the same answer corrected twice is one answer, labeled the latest way
        seen[" ".join(example.text.lower().split())] = example
    answers = [(example, terms(example.text)) for example in seen.values()]
    cues: list[Cue] = []
    task_answers = [(e, t) for e, t in answers if e.question == "tasks"]
    for task in strategy.sales_tasks:
        others = strategy_terms(strategy, "task", task.id)
        cues += _cues("task", task.id, [(t, task.id in e.tasks) for e, t in task_answers], others)
    # An answer naming several segments ("indies and small groups; not corporates") says which
    # words meant which nowhere: only answers with one segment teach segment words.
    work = strategy_terms(strategy, "task", "")
    one_segment = [(e, t) for e, t in answers if len(e.segments) <= 1]
    for segment in strategy.segments:
        # A segment is a kind of customer: words the strategy uses for work ("pilot") are not it.
        others = strategy_terms(strategy, "segment", segment.id) | work
        cues += _cues("segment", segment.id, [(t, segment.id in e.segments) for e, t in one_segment],
                      others)
    cues += _removed_cues(removed, answers, strategy)
    return Vocabulary(tuple(cues))


def _cues(kind: CueKind, target: str, answers: Iterable[tuple[dict[str, str], bool]],
          others: frozenset[str], support: int = SUPPORT) -> list[Cue]:
    with_it: Counter[str] = Counter()
    without: Counter[str] = Counter()
    said: dict[str, Counter[str]] = defaultdict(Counter)
    for found, labeled in answers:
        (with_it if labeled else without).update(found.keys())
        if labeled:
            for term, written in found.items():
                said[term][written] += 1
    return [Cue(kind, target, term, said[term].most_common(1)[0][0], n)
            for term, n in sorted(with_it.items())
            if n >= support and without[term] <= AGAINST and not set(term.split()) <= others]


def _removed_cues(removed: Sequence[Removed], answers: Sequence[tuple[Example, dict[str, str]]],
                  strategy: Strategy) -> list[Cue]:
    """Words in quotes that corrections removed a task or segment from, in two different
    sentences, that no corrected answer labeled with it uses and the strategy never uses for it."""
    quotes: dict[tuple[CueKind, str], dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    contexts: dict[tuple[CueKind, str], set[str]] = defaultdict(set)
    for lesson in removed:
        context = " ".join(lesson.sentence.lower().split())
        if context in contexts[(lesson.kind, lesson.target)]:
            continue
        contexts[(lesson.kind, lesson.target)].add(context)
        for term, form in terms(lesson.quote).items():
            quotes[(lesson.kind, lesson.target)][term][form] += 1
    cues = []
    for (kind, target), found in quotes.items():
        own = strategy_terms(strategy, "task" if kind == "not_task" else "segment", target, own=True)
        labeled = [t for e, t in answers
                   if target in (e.tasks if kind == "not_task" else e.segments)]
        for term, forms in sorted(found.items()):
            n = sum(forms.values())
            if n >= SUPPORT and not set(term.split()) & own and not any(term in t for t in labeled):
                cues.append(Cue(kind, target, term, forms.most_common(1)[0][0], n))
    return cues


def taught_by(rows: Sequence[tuple[int, str]], strategy: Strategy) -> list[tuple[Cue, list[int]]]:
    """The cues these corrections teach together (`(id, lessons JSON)` in id order), each with
    the corrections that taught it: what `/align strategy learned` lists, so that a word can
    be unlearned by removing the corrections behind it, and what two people's agreement on a
    word is read from."""
    lessons = {number: lessons_from_json(raw) for number, raw in rows}
    teaching = Teaching(tuple(lesson for found in lessons.values() for lesson in found))
    return [(cue, [number for number, found in lessons.items()
                   if any(_teaches(cue, lesson) for lesson in found)])
            for cue in teaching.vocabulary(strategy).cues]


def _teaches(cue: Cue, lesson: Lesson) -> bool:
    """This lesson is one of those the cue was learned from."""
    if cue.kind in ("task", "segment"):
        labels = lesson.labels.get("tasks" if cue.kind == "task" else "segments", ())
        return (lesson.kind == "answer" and cue.target in labels
                and (cue.kind == "segment" or lesson.target == "tasks") and cue.term in terms(lesson.phrase))
    return lesson.kind == cue.kind and lesson.target == cue.target and cue.term in terms(lesson.phrase)
