"""Lessons: what a correction teaches the evaluator, and how it is used on the next answers.

A correction says "you read tasks A, B and segment X; it was tasks A, C". The difference becomes
lessons bound to a task or segment id:

- `task` / `segment`: a phrase from the answer that means this task or segment (for a segment:
  the account's name, or the item of a list of segments that named none the bot read). The
  LLM gets it in its prompt (a task example, a segment alias); an answer sentence that holds
  most of the phrase's words, or reads nearly like it letter by letter (the rep's shorthand
  with a typo or another account), maps to it even when the evaluator's own reading would not.
  The rules evaluator also reads the answer with it as an example or alias, through its own
  index, as it reads the strategy's examples (`Teaching._add_taught`).
- `not_task` / `not_segment`: what the bot mapped wrongly, with the sentence it stood in; a later
  finding in a sentence that close is dropped, and once two corrections removed it from
  different sentences, the words their quotes share no longer credit it anywhere.
- `answer`: the whole answer with the corrected labels, so the same words (or nearly: pasted
  again with a typo fixed) get the same verdict. Across several corrected answers these also
  teach words ("walkdown" in two answers corrected to the discovery call): see
  `bot.learning.vocabulary`, applied here after the lessons above.

Lessons are keyed by id, so they carry over to a new strategy version while the id still exists.
Everything here is deterministic and offline: chat corrections and `alignbot eval --learn-from`
go through exactly these functions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Literal

from bot.evaluation.places import countries
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
from bot.evaluation.text import PACKS, stem
from bot.strategy.schema import Strategy

if TYPE_CHECKING:
    from bot.learning.vocabulary import Vocabulary

LessonKind = Literal["task", "not_task", "segment", "not_segment", "answer"]
MAX_PHRASE = 200
MAX_SENTENCE_WORDS = 25  # a longer sentence is not one thing said about one segment
SAME_SENTENCE = 0.6  # word overlap (Jaccard) at which a sentence counts as the one corrected
KEYWORD_SUPPORT = 2  # corrections that must use a word for one task before it names the task
HOLDS_PHRASE = 0.75  # share of a learned phrase's words a sentence must hold to match it
MIN_PHRASE_WORDS = 2
MAX_ITEM_WORDS = 4  # words of an item in a list of segments ("mid-size food processors")
LOOKS_ALIKE = 0.8  # character-trigram cosine at which a sentence is a learned phrase reworded
SAME_ANSWER = 0.9  # ... and a whole answer one already corrected (typos, a word changed)
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

    @property
    def ident(self) -> str:
        """What a change this lesson made is traced to (`Change.sources`), and blocked by."""
        return "|".join(self.key())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lesson:
        return cls(kind=data["kind"], target=data["target"], phrase=data.get("phrase", ""),
                   context=data.get("context", ""), labels=dict(data.get("labels") or {}))


@dataclass(frozen=True)
class Change:
    """A finding the lessons added or dropped, and what taught it: lesson idents, learned
    words (`kw|task|stem`) and learned cues (`Cue.ident`). `Teaching.adjust` traces them so
    that a lesson can be checked against the other corrected answers (`bot.learning.vetting`)."""

    added: bool
    kind: Literal["task", "segment"]
    target: str
    sources: tuple[str, ...]


def lessons_to_json(lessons: Iterable[Lesson]) -> str:
    return json.dumps([asdict(lesson) for lesson in lessons], ensure_ascii=False)


def lessons_from_json(raw: str) -> list[Lesson]:
    try:
        return [Lesson.from_dict(item) for item in json.loads(raw or "[]")]
    except (ValueError, KeyError, TypeError):
        return []  # a row written by a later version we cannot read teaches nothing


# --- words -----------------------------------------------------------------------------------


_FUNCTION_WORDS = frozenset().union(*(pack.stop_words for pack in PACKS.values()))
FUNCTION_WORDS = _FUNCTION_WORDS
"""Function words of every language we read: never a lesson's or a learned cue's word."""


def stem_of(word: str) -> str:
    """A lower-case word's stem, as `words` stems it (so learned cues and phrases compare)."""
    return stem(word)


@lru_cache(maxsize=8192)
def words(text: str) -> frozenset[str]:
    """Stems of the meaningful words (function words of every language we read left out), for
    comparing phrases however they are inflected."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower())
                     if (len(w) > 1 or w.isdigit()) and w not in _FUNCTION_WORDS)


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


@lru_cache(maxsize=8192)
def _trigrams(text: str) -> tuple[Counter[str], float]:
    padded = f" {normalized(text)} "
    grams = Counter(padded[i:i + 3] for i in range(len(padded) - 2))
    return grams, sum(n * n for n in grams.values()) ** 0.5


def alike(a: str, b: str) -> float:
    """How alike two texts read, letter by letter (cosine of character trigrams): a rep's
    phrasing taught once is still recognised with a typo, an inflection or a word changed
    ("disco w/ the PM" / "disco with PM"), which whole-word matching misses."""
    (ga, na), (gb, nb) = _trigrams(a), _trigrams(b)
    if not na or not nb:
        return 0.0
    # over the trigrams both hold (a set intersection, in C): most texts compared share few
    return sum(ga[g] * gb[g] for g in ga.keys() & gb.keys()) / (na * nb)


# --- drawing lessons from a correction ------------------------------------------------------


def draw(question: Question, answer: str, evaluation: Evaluation, corrected: Labels,
         strategy: Strategy) -> list[Lesson]:
    """The lessons in the difference between what the evaluator read and the person's labels."""
    read = Labels.of(evaluation)
    lessons: list[Lesson] = []
    tasks = evaluation.tasks or TasksResult()
    kept = {m.evidence.start for m in tasks.matches if m.task_id in corrected.tasks}
    free = [e for e in tasks.unmapped if e.start not in kept] or _unused_sentences(answer, tasks, kept)
    added = [t for t in corrected.tasks if t not in read.tasks and t in strategy.task_ids]
    for task_id in added:
        phrase = _best_phrase(free, _task_words(strategy, task_id), alone=len(added) == 1)
        if phrase:
            lessons.append(Lesson("task", task_id, phrase[:MAX_PHRASE]))
    for match in tasks.matches:
        if match.task_id in read.tasks and match.task_id not in corrected.tasks:
            lessons.append(Lesson("not_task", match.task_id, match.evidence.text[:MAX_PHRASE],
                                  _sentence_of(answer, match.evidence)[:MAX_PHRASE * 2]))
    scope = evaluation.scope or ScopeResult()
    named = {s.evidence.start for s in scope.segments if s.segment_id in corrected.segments}
    new_segments = [s for s in corrected.segments
                    if s not in read.segments and s in strategy.segment_ids]
    if len(new_segments) == 1:  # with several, which words meant which is anyone's guess
        for phrase in _segment_phrases(answer, named, evaluation.language):
            lessons.append(Lesson("segment", new_segments[0], phrase))
    for mention in scope.segments:
        if mention.segment_id in read.segments and mention.segment_id not in corrected.segments:
            lessons.append(Lesson("not_segment", mention.segment_id, mention.evidence.text[:MAX_PHRASE],
                                  _sentence_of(answer, mention.evidence)[:MAX_PHRASE * 2]))
    changed = set(corrected.tasks) != set(read.tasks) or set(corrected.segments) != set(read.segments)
    if lessons or changed:  # the answer itself reads as corrected, even when no words
        # in it name what was added ("ran discovery with Ledgerly" + "business case"): else the
        # person is told their answer was re-read and sees the same reading
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


def _best_phrase(candidates: Sequence[Evidence], about: frozenset[str], *, alone: bool) -> str | None:
    """The candidate sharing most words with the task; with none sharing any, the only
    candidate when this is the only task added (else nothing: a wrong example teaches harm)."""
    scored = [(len(words(e.text) & about), -e.start, e) for e in candidates]
    best = max(scored, key=lambda s: s[:2], default=None)
    if best is not None and best[0] > 0:
        return best[2].text.strip()
    return candidates[0].text.strip() if alone and len(candidates) == 1 else None


_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:&\s+|of\s+|de\s+)?[A-Z0-9][\w'’.-]*)*")
_COMPANY = re.compile(r"(?i)\b(?:inc|llc|ltd|gmbh|ag|kg|sa|sl|bv|nv|plc|corp|co|group|holding|"
                      r"bank|partners)\b\.?|&")
_CAPITALISED_NOUNS = frozenset({"de"})  # every noun starts with a capital: a name needs more


def _names(sentence: str, language: str | None) -> list[str]:
    """Company-like names in a sentence: several capitalised words ("Pacific Crest Beverage"),
    or a legal form or "&" ("Hollis & Kane", "Feldmann GmbH"); never the capital a sentence
    starts with, nor shorthand such as GM or RFP."""
    found = []
    for match in _NAME.finditer(sentence):
        name = match.group().strip(" .")
        words_in = name.split()
        at_start = match.start() == len(sentence) - len(sentence.lstrip())
        if at_start:
            words_in = words_in[1:]
            name = " ".join(words_in)
        company = bool(_COMPANY.search(name))
        if not words_in or (len(words_in) < 2 and not company) or (name.isupper() and len(name) <= 4):
            continue
        if language in _CAPITALISED_NOUNS and not company:
            continue
        found.append(name[:MAX_PHRASE])
    return found


_LIST_ITEM = re.compile(r"\s*(?:[,;/+]|\s&\s|\b(?:and|und|et|y|e|or|oder|o|ou)\b)\s*", re.I)


def _left_in_list(sentence: str, named: list[int]) -> list[str]:
    """In a sentence listing segments ("F&B, packaging, co-packers, dairies"), the one item
    that named none the bot read: the phrase that named the segment it missed. Nothing when
    more than one item is left (which named it would be a guess)."""
    items = [sentence[a:b] for a, b in _list_items(sentence)]
    if any(len(words(item)) > MAX_ITEM_WORDS for item in items):
        return []  # a sentence cut at its commas, not a list of names
    left = [item for (a, b), item in zip(_list_items(sentence), items, strict=True)
            if not any(a <= n < b for n in named) and words(item)]
    if len(left) != 1 or any(countries().find(left[0], frozenset())):
        return []  # which item named it is a guess; a place ("in the US and Canada") is none
    return left


def _list_items(sentence: str) -> list[tuple[int, int]]:
    """The spans of a list's items, stripped ("F&B, packaging and dairies."); none when the
    sentence is not a list of at least three."""
    items, start = [], 0
    for match in [*_LIST_ITEM.finditer(sentence), None]:
        end = match.start() if match else len(sentence)
        item = sentence[start:end]
        stripped = item.strip(" .:!?()\"'")
        if stripped:
            at = start + item.index(stripped)
            items.append((at, at + len(stripped)))
        start = match.end() if match else start
    return items if len(items) >= 3 else []


def _segment_phrases(answer: str, named: set[int], language: str | None) -> list[str]:
    """From the sentences that name no kept segment: company names (an account belongs to its
    segment every week) and, for a one-sentence answer ("mostly regional credit unions"), the
    sentence itself, matched again only by a sentence that says nearly the same. In a longer
    answer which sentence meant the segment is a guess, and guesses taught wrong segments."""
    names: list[str] = []
    phrases: list[str] = []
    spans = sentences(answer)
    for start, end in spans:
        if any(start <= n < end for n in named):
            phrases += _left_in_list(answer[start:end], [n - start for n in named if start <= n < end])
            continue
        if named:  # the segments were named in a list; a name elsewhere is a competitor's
            continue
        sentence = answer[start:end]
        names += [name for name in _names(sentence, language)
                  if words(name) and not any(w.isdigit() for w in words(name))]
        if len(spans) == 1 and len(words(sentence)) <= MAX_SENTENCE_WORDS:
            phrases.append(sentence.strip()[:MAX_PHRASE * 2])
    # One name is the account; with several, the others are as likely a competitor or a
    # partner ("lost Norbrook to Tremor IQ"), and a competitor taught as a segment misplaces
    # every answer that names it.
    return (list(dict.fromkeys(names)) if len(set(names)) == 1 else []) + phrases


# --- using lessons -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Teaching:
    """The lessons in force for one reader of the strategy (everyone's, plus a rep's own)."""

    lessons: tuple[Lesson, ...] = ()
    blocked: frozenset[str] = frozenset()
    """Learned words and cues (idents) that changed correct readings of corrected answers:
    never applied (see `bot.learning.vetting`; the lessons themselves are left out)."""

    def __bool__(self) -> bool:
        return bool(self.lessons)

    def without(self, blocked: Iterable[str]) -> Teaching:
        """These lessons without the lessons, learned words and cues `blocked` names."""
        out = self.blocked | frozenset(blocked)
        return Teaching(tuple(lesson for lesson in self.lessons if lesson.ident not in out), out)

    @cached_property
    def fingerprint(self) -> str:  # every answer judged asks for it (the learned words' cache key)
        raw = lessons_to_json(sorted(self.lessons, key=Lesson.key))
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    @cached_property
    def blocked_fingerprint(self) -> str:
        return hashlib.sha256("\n".join(sorted(self.blocked)).encode()).hexdigest()[:12]

    @cached_property
    def wording(self) -> tuple[Lesson, ...]:
        """The lessons that teach a task's or segment's wording: learned examples and aliases."""
        return tuple(lesson for lesson in self.lessons if lesson.kind in ("task", "segment"))

    @cached_property
    def wording_fingerprint(self) -> str:
        """The key of the strategy these lessons teach: only examples and aliases change it, so
        a correction that removes a finding or relabels an answer builds no new index."""
        raw = lessons_to_json(sorted(self.wording, key=Lesson.key))
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    def strategy(self, strategy: Strategy, *, work_words: bool = False) -> Strategy:
        """The strategy with learned examples and aliases added (for the evaluator only: its
        version differs, so caches keyed by version learn too; verdicts keep the real one).
        With `work_words` a learned example holds only the words that could name the work
        (`example_text`), for the rules evaluator, which weighs every word of an example; an
        LLM reads the phrase as the person wrote it."""
        return _taught(strategy, self, work_words) if self.wording else strategy

    def adjust(self, question: Question, answer: str, evaluation: Evaluation,
               strategy: Strategy, taught: Evaluation | None = None, *,
               trace: list[Change] | None = None, remember: bool = True) -> Evaluation:
        """The evaluator's verdict with the lessons applied, scored again, under `strategy`'s
        own version. `taught` is the same evaluator's reading of the answer under
        `self.strategy(strategy)` (learned phrases as examples and aliases, read with the
        stemming, glossary and fuzzy matching the strategy's own examples get): the tasks and
        segments people taught that it finds are added (see `_add_taught`). `trace` collects
        what each lesson changed; without `remember` an answer someone corrected is read as
        any other (not as they labeled it), as the vetting of lessons reads them."""
        if not self:
            return evaluation.model_copy(update={"strategy_version": strategy.version})
        tasks = evaluation.tasks.model_copy(deep=True) if evaluation.tasks else None
        scope = (evaluation.scope or ScopeResult()).model_copy(deep=True)
        remembered = self._remembered(question, answer) if remember else None
        if remembered is not None:
            tasks, scope = _relabel(answer, tasks, scope, remembered, strategy, self.lessons)
        else:
            vocabulary = self.vocabulary(strategy)
            vocabulary.drop(tasks, scope, trace)
            self._add_learned(answer, tasks, scope, strategy, trace)
            if taught is not None:
                self._add_taught(taught, tasks, scope, strategy, trace)
            vocabulary.add(answer, tasks, scope, strategy, trace)
            # last: a sentence a person corrected away from a task gets it back from no lesson
            self._drop_corrected(answer, tasks, scope, trace)
        if tasks is not None:
            tasks.critical_missing = critical_missing(strategy, tasks.task_ids)
        scores, overall = compute_scores(question, strategy, tasks=tasks, scope=scope,
                                         statement=evaluation.statement)
        return evaluation.model_copy(update={"tasks": tasks, "scope": scope, "scores": scores,
                                             "overall": overall, "strategy_version": strategy.version})

    def vocabulary(self, strategy: Strategy) -> Vocabulary:
        """The words these lessons' corrected answers keep using for one task or segment (see
        `bot.learning.vocabulary`): computed once per set of lessons and strategy version."""
        key = (strategy.version, self.fingerprint, self.blocked_fingerprint)
        found = _VOCABULARIES.get(key)
        if found is None:
            from bot.learning.vocabulary import Example, Removed, learn  # it reads this module

            examples = [Example(lesson.phrase, lesson.target, tuple(lesson.labels.get("tasks", ())),
                                tuple(lesson.labels.get("segments", ())))
                        for lesson in self.lessons if lesson.kind == "answer"]
            removed = [Removed(lesson.kind, lesson.target, lesson.phrase, lesson.context)
                       for lesson in self.lessons if lesson.kind in ("not_task", "not_segment")]
            found = learn(examples, removed, strategy).without(self.blocked)
            if len(_VOCABULARIES) >= _MAX_TAUGHT:
                _VOCABULARIES.pop(next(iter(_VOCABULARIES)))
            _VOCABULARIES[key] = found
        return found

    @cached_property
    def _answers(self) -> tuple[tuple[Lesson, str], ...]:
        """The corrected answers, latest first, each with its normalized text."""
        return tuple((lesson, normalized(lesson.phrase)) for lesson in reversed(self.lessons)
                     if lesson.kind == "answer")

    def _remembered(self, question: Question, answer: str) -> Labels | None:
        """The labels a person gave these words, or nearly these (the same answer pasted again
        with a typo fixed or a word changed): the latest such correction."""
        said = normalized(answer)
        for lesson, was in self._answers:
            if lesson.target != question:
                continue
            if was == said or (min(len(was), len(said)) >= 0.75 * max(len(was), len(said))  # else
                               and alike(lesson.phrase, answer) >= SAME_ANSWER):  # never that alike
                return Labels(tuple(lesson.labels.get("tasks", ())), tuple(lesson.labels.get("segments", ())))
        return None

    def _drop_corrected(self, answer: str, tasks: TasksResult | None, scope: ScopeResult,
                        trace: list[Change] | None = None) -> None:
        wrong = [lesson for lesson in self.lessons if lesson.kind in ("not_task", "not_segment")]
        if not wrong:
            return

        refuted = _refuted(wrong)

        def corrected(kind: str, target: str, evidence: Evidence) -> tuple[str, ...]:
            """The lessons that remove this finding (none: it stays)."""
            sentence = _sentence_of(answer, evidence)
            here = words(sentence)
            quoted = words(evidence.text)
            theirs = [lesson for lesson in wrong if lesson.kind == kind and lesson.target == target]
            refuting = [said for said in refuted.get((kind, target), ()) if said <= quoted]
            if refuting:
                return tuple(lesson.ident for lesson in theirs
                             if any(said <= words(lesson.phrase) for said in refuting))
            return tuple(lesson.ident for lesson in theirs
                         if _overlap(here, words(lesson.context)) >= SAME_SENTENCE
                         or alike(sentence, lesson.context) >= LOOKS_ALIKE)

        if tasks is not None:
            kept_tasks = []
            for match in tasks.matches:
                sources = corrected("not_task", match.task_id, match.evidence)
                if not sources:
                    kept_tasks.append(match)
                elif trace is not None and match.state == "done":
                    trace.append(Change(False, "task", match.task_id, sources))
            tasks.matches = kept_tasks
        kept_segments = []
        for mention in scope.segments:
            sources = corrected("not_segment", mention.segment_id, mention.evidence)
            if not sources:
                kept_segments.append(mention)
            elif trace is not None:
                trace.append(Change(False, "segment", mention.segment_id, sources))
        scope.segments = kept_segments

    def keywords(self, strategy: Strategy) -> dict[str, str]:
        """Words people's corrections kept using for one task and no other, at least twice, that
        the strategy itself never uses (rep shorthand such as "disco" or "walkdown"): word ->
        task id. They name the task in an activity the evaluator could not map."""
        known = _strategy_words(strategy)
        seen: dict[str, Counter[str]] = defaultdict(Counter)
        for lesson in self.lessons:
            if lesson.kind == "task":
                for word in words(lesson.phrase) - known:
                    if not word.isdigit():
                        seen[word][lesson.target] += 1
        return {word: task_id for word, tasks in seen.items()
                if len(tasks) == 1 and sum(tasks.values()) >= KEYWORD_SUPPORT
                and f"kw|{(task_id := next(iter(tasks)))}|{word}" not in self.blocked}

    def _add_learned(self, answer: str, tasks: TasksResult | None, scope: ScopeResult,
                     strategy: Strategy, trace: list[Change] | None = None) -> None:
        if tasks is not None and tasks.unmapped:
            keywords = self.keywords(strategy)
            for activity in list(tasks.unmapped):
                said = [w for w in words(activity.text) if w in keywords]
                named = {keywords[w] for w in said}
                if len(named) == 1 and (task_id := named.pop()) in strategy.task_ids and (
                        add_task(tasks, task_id, activity) and trace is not None):
                    trace.append(Change(True, "task", task_id,
                                        tuple(f"kw|{task_id}|{w}" for w in sorted(said))))
        spans = [(s, e, words(answer[s:e])) for s, e in sentences(answer)]
        for lesson in self.lessons:
            if lesson.kind not in ("task", "segment"):
                continue
            evidence = _found(answer, spans, lesson)
            if evidence is None:
                continue
            added = False
            if lesson.kind == "task" and tasks is not None and lesson.target in strategy.task_ids:
                added = add_task(tasks, lesson.target, evidence)
            elif lesson.kind == "segment" and lesson.target in strategy.segment_ids:
                added = add_segment(scope, lesson.target, evidence, strategy)
            if added and trace is not None:
                trace.append(Change(True, lesson.kind, lesson.target, (lesson.ident,)))

    def reads_taught(self, answer: str, strategy: Strategy) -> bool:
        """Whether the answer holds a word people taught (`_taught_words`). Without one, the
        reading under the taught strategy can add nothing (`_add_taught` keeps only findings
        holding such words), so it is not made: the second reading is most of what learning
        costs per answer."""
        key = (strategy.version, self.wording_fingerprint)
        every = _EVERY_TAUGHT_WORD.get(key)
        if every is None:
            if len(_EVERY_TAUGHT_WORD) >= _MAX_TAUGHT:
                _EVERY_TAUGHT_WORD.clear()
            every = _EVERY_TAUGHT_WORD[key] = frozenset().union(
                *self._taught_words("task", strategy).values(),
                *self._taught_words("segment", strategy).values())
        return not every.isdisjoint(words(answer))

    def _taught_words(self, kind: Literal["task", "segment"],
                      strategy: Strategy) -> dict[str, frozenset[str]]:
        """Per task (or segment) people taught wording for: the stems of that wording the
        strategy does not already use for it - what a finding must hold to be theirs."""
        key = (strategy.version, self.wording_fingerprint, kind)
        cached = _TAUGHT_WORDS.get(key)
        if cached is None:
            if len(_TAUGHT_WORDS) >= 4 * _MAX_TAUGHT:
                _TAUGHT_WORDS.clear()
            cached = _TAUGHT_WORDS[key] = self._taught_words_now(kind, strategy)
        return cached

    def _taught_words_now(self, kind: Literal["task", "segment"],
                          strategy: Strategy) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for lesson in self.wording:
            if kind == "segment" and len(words(lesson.phrase)) < MIN_PHRASE_WORDS:
                continue  # a one-word alias names its segment only as an item of a list (`_found`)
            if lesson.kind == kind:
                found[lesson.target] |= words(
                    example_text(lesson.phrase, strategy) if kind == "task"
                    else lesson.phrase)
        return {target: frozenset(said - strategy_terms(strategy, kind, target, own=True))
                for target, said in found.items()}

    def _taught_by(self, kind: Literal["task", "segment"], target: str, evidence: Evidence,
                   strategy: Strategy) -> tuple[str, ...]:
        """The lessons whose wording a finding of the second reading holds."""
        held = words(evidence.text) - strategy_terms(strategy, kind, target, own=True)
        return tuple(lesson.ident for lesson in self.wording
                     if lesson.kind == kind and lesson.target == target
                     and held & words(example_text(lesson.phrase, strategy) if kind == "task"
                                      else lesson.phrase))

    def _add_taught(self, taught: Evaluation, tasks: TasksResult | None, scope: ScopeResult,
                    strategy: Strategy, trace: list[Change] | None = None) -> None:
        """What the evaluator read with the learned examples and aliases that it did not read
        without them: a task or segment people taught, found in words that hold some of what
        they taught (so never a finding the shifted word weights alone made). Only additions:
        what the strategy's own wording reads stays as it was, so teaching one task cannot
        take another away."""
        if tasks is not None and taught.tasks is not None:
            learned = self._taught_words("task", strategy)
            for match in taught.tasks.matches:
                own = learned.get(match.task_id)
                if (match.state != "done" or not own or match.task_id not in strategy.task_ids
                        or any(m.task_id == match.task_id for m in tasks.matches)):
                    continue
                ev = match.evidence
                if not words(ev.text) & own or any(
                        m.evidence.start < ev.end and ev.start < m.evidence.end for m in tasks.matches):
                    continue  # not what they taught, or words the strategy's own wording read
                if add_task(tasks, match.task_id, match.evidence) and trace is not None:
                    trace.append(Change(True, "task", match.task_id,
                                        self._taught_by("task", match.task_id, ev, strategy)))
        if taught.scope is not None:
            learned = self._taught_words("segment", strategy)
            for mention in taught.scope.segments:
                if (mention.segment_id not in learned or mention.segment_id not in strategy.segment_ids
                        or any(s.segment_id == mention.segment_id for s in scope.segments)):
                    continue
                ev = mention.evidence
                if not words(ev.text) & learned[mention.segment_id] or any(
                        s.evidence.start < ev.end and ev.start < s.evidence.end for s in scope.segments):
                    continue  # not what they taught, or the strategy's own words named another there
                scope.segments.append(mention.model_copy())
                if trace is not None:
                    trace.append(Change(True, "segment", mention.segment_id,
                                        self._taught_by("segment", mention.segment_id, ev, strategy)))


def example_text(phrase: str, strategy: Strategy) -> str:
    """A learned phrase as a task example: the words in it that could name work, in their
    order - as a learned word is chosen (`bot.learning.vocabulary.terms`: no function words,
    numbers, names or words as everyday as "semana", "viene"), nor the words the strategy uses
    for its segments ("SHK", "Elektro"). The account, the count and the week were this
    answer's; the wording of the work is what recurs."""
    from bot.learning.vocabulary import terms  # it reads this module

    segments = strategy_terms(strategy, "segment", "")
    return " ".join(written for term, written in terms(phrase).items()
                    if " " not in term and term not in segments)


def _found(answer: str, spans: Sequence[tuple[int, int, frozenset[str]]],
           lesson: Lesson) -> Evidence | None:
    """Where the answer says what a learned phrase says: a sentence holding most of its words,
    or reading nearly like it. A one-word phrase would match far too much that way; a
    segment's one-word alias ("packaging", learned from a list of segments) is matched only
    as a whole item of a list."""
    phrase = words(lesson.phrase)
    if len(phrase) < MIN_PHRASE_WORDS:
        if lesson.kind != "segment" or not phrase:
            return None
        said = normalized(lesson.phrase)
        for start, end, _ in spans:
            for a, b in _list_items(answer[start:end]):
                if normalized(answer[start + a:start + b]) == said:
                    return Evidence(text=answer[start + a:start + b], start=start + a, end=start + b)
        return None
    for start, end, held in spans:
        if _holds(held, phrase) or alike(answer[start:end], lesson.phrase) >= LOOKS_ALIKE:
            return Evidence(text=answer[start:end], start=start, end=end)
    return None


def _refuted(wrong: Sequence[Lesson]) -> dict[tuple[str, str], set[frozenset[str]]]:
    """Words that two corrections removed a task or segment from in different
    sentences ("sent the pricing sheet to Ledgerly", "... to Banko"): the words their quotes
    share ("sent pricing sheet") no longer credit it in any sentence. One correction only
    unlearns its own sentence: it may be about that sentence alone."""
    quoted: dict[tuple[str, str], list[frozenset[str]]] = defaultdict(list)
    for lesson in wrong:
        said = words(lesson.phrase)
        if len(said) >= MIN_PHRASE_WORDS and said not in quoted[(lesson.kind, lesson.target)]:
            quoted[(lesson.kind, lesson.target)].append(said)
    refuted: dict[tuple[str, str], set[frozenset[str]]] = defaultdict(set)
    for key, quotes in quoted.items():
        for i, first in enumerate(quotes):
            agreeing = [first & other for other in quotes[i + 1:]
                        if len(first & other) >= MIN_PHRASE_WORDS]
            refuted[key].update(agreeing)
    return refuted


_STRATEGY_WORDS: dict[str, frozenset[str]] = {}


def _strategy_words(strategy: Strategy) -> frozenset[str]:
    found = _STRATEGY_WORDS.get(strategy.version)
    if found is None:
        found = _STRATEGY_WORDS[strategy.version] = _words_of(strategy)
    return found


def _words_of(strategy: Strategy) -> frozenset[str]:
    texts = [strategy.strategy.statement, strategy.strategy.advantage,
             *(o.text for o in strategy.strategy.objectives)]
    for task in strategy.sales_tasks:
        texts += [task.name, task.description, *task.examples, *task.counter_examples]
    for segment in strategy.segments:
        texts += [segment.name, segment.description, *segment.aliases]
    return words(" ".join(texts))


def strategy_terms(strategy: Strategy, kind: Literal["task", "segment"], target: str, *,
                   own: bool = False) -> frozenset[str]:
    """Stems the strategy uses for the other tasks (or segments) than `target` - or, with `own`,
    for `target` itself: a word the strategy already gives to another is no cue learned for
    this one, and a word it gives to this one is never unlearned for it by corrections."""
    key = (strategy.version, kind, target, own)
    found = _STRATEGY_TERMS.get(key)
    if found is None:
        if kind == "task":
            texts = [" ".join([t.name, t.description, *t.examples]) for t in strategy.sales_tasks
                     if (t.id == target) == own]
        else:
            texts = [" ".join([s.name, s.description, *s.aliases]) for s in strategy.segments
                     if (s.id == target) == own]
        if len(_STRATEGY_TERMS) > 4096:
            _STRATEGY_TERMS.clear()
        joined = " ".join(texts)  # "in-house" also as "in house": a person may write it either way
        found = _STRATEGY_TERMS[key] = words(joined) | words(joined.replace("-", " "))
    return found


_STRATEGY_TERMS: dict[tuple[str, str, str, bool], frozenset[str]] = {}


def add_task(tasks: TasksResult, task_id: str, evidence: Evidence) -> bool:
    """The task done, as a person said; and so not worked against in the same answer (the
    evaluator's "against" reading of it was the very misreading corrected). Whether it was
    not done before."""
    tasks.against = [a for a in tasks.against if not (a.kind == "task" and a.target == task_id)]
    if task_id in tasks.task_ids or any(m.task_id == task_id for m in tasks.matches):
        return False
    tasks.matches.append(TaskMatch(task_id=task_id, confidence=0.9, evidence=evidence))
    tasks.unmapped = [u for u in tasks.unmapped
                      if not (evidence.start <= u.start < evidence.end)]
    return True


def add_segment(scope: ScopeResult, segment_id: str, evidence: Evidence, strategy: Strategy) -> bool:
    """The segment named, as a person said; whether it was not read before."""
    if any(s.segment_id == segment_id for s in scope.segments):
        return False
    scope.segments.append(SegmentMention(segment_id=segment_id,
                                         in_scope=strategy.segment(segment_id).in_scope,
                                         confidence=0.9, evidence=evidence))
    return True


def _relabel(answer: str, tasks: TasksResult | None, scope: ScopeResult, labels: Labels,
             strategy: Strategy, lessons: Sequence[Lesson]) -> tuple[TasksResult | None, ScopeResult]:
    """The verdict a person gave these exact words: their labels, with the evaluator's evidence
    where it found the same, the learned phrase where it is in the answer, and no quote at all
    where neither is (quoting another sentence would credit the wrong words)."""
    if tasks is not None:
        tasks.matches = [m for m in tasks.matches if m.task_id in labels.tasks]
        for task_id in labels.tasks:
            if task_id in strategy.task_ids:
                add_task(tasks, task_id, _phrase_in(answer, "task", task_id, lessons))
    scope.segments = [s for s in scope.segments if s.segment_id in labels.segments]
    for segment_id in labels.segments:
        if segment_id in strategy.segment_ids:
            add_segment(scope, segment_id, _phrase_in(answer, "segment", segment_id, lessons), strategy)
    return tasks, scope


def _phrase_in(answer: str, kind: str, target: str, lessons: Sequence[Lesson]) -> Evidence:
    for lesson in lessons:
        if lesson.kind == kind and lesson.target == target and lesson.phrase:
            start = answer.find(lesson.phrase)
            if start >= 0:
                return Evidence(text=lesson.phrase, start=start, end=start + len(lesson.phrase))
    return Evidence(text="", start=0, end=0)


_TAUGHT: dict[tuple[str, str, bool], Strategy] = {}
_VOCABULARIES: dict[tuple[str, str, str], Vocabulary] = {}
_MAX_TAUGHT = 32
_TAUGHT_WORDS: dict[tuple[str, str, str], dict[str, frozenset[str]]] = {}
_EVERY_TAUGHT_WORD: dict[tuple[str, str], frozenset[str]] = {}


def _taught(strategy: Strategy, teaching: Teaching, work_words: bool) -> Strategy:
    key = (strategy.version, teaching.wording_fingerprint, work_words)
    found = _TAUGHT.get(key)
    if found is not None:
        return found
    data = strategy.model_dump(mode="json")
    for task in data["sales_tasks"]:
        learned = [text for lesson in teaching.wording
                   if lesson.kind == "task" and lesson.target == task["id"]
                   and (text := example_text(lesson.phrase, strategy) if work_words else lesson.phrase)]
        task["examples"] = list(dict.fromkeys([*task["examples"], *learned]))
    for segment in data["segments"]:
        learned = [lesson.phrase for lesson in teaching.wording
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
