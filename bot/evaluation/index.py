"""The matching index built from one strategy's own wording, once per strategy version.

Owns everything the rules evaluator learns from a strategy file: which stems point to which sales
task and how strongly (IDF across the strategy's tasks, so words shared by many tasks count less),
the words a task's text uses only in contrast ("not discounts"), the segment names and aliases
(with misspelling tolerance via rapidfuzz), buying-process stages and roles, and the vocabulary of
objectives and advantage. Nothing here is specific to one company: the same code indexes any
valid strategy, and `index_for` caches the result by `Strategy.version`.
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.evaluation.descriptors import Descriptors
from bot.evaluation.language import detect
from bot.evaluation.places import region_codes
from bot.evaluation.text import (
    CLAUSE,
    COMMON_ACRONYMS,
    PACKS,
    SECTORS_FILE,
    SENT,
    SHORTHAND,
    STOP_WORDS,
    WORD,
    Tok,
    _new_tok,
    current_language,
    current_pack,
    describes,
    is_content,
    is_number,
    negation_at,
    reading,
    stem,
    tokenize,
    wordset,
)
from bot.evaluation.words import RARE_BELOW, frequency_in
from bot.strategy.schema import Segment, Strategy

NAME_WEIGHT = 1.0
EXAMPLE_WEIGHT = 0.65
"""Below the match threshold alone: one word seen only in one example is not enough evidence."""
DESCRIPTION_WEIGHT = 0.6
GENERIC_WEIGHT = 0.35
"""Common sales verbs and nouns ("call", "sent", "deal") say little about which task was done."""
CONTEXT_WEIGHT = 0.3
"""Segment and role words in a task's text say where or with whom, not what was done."""
BACKGROUND_WEIGHT = 0.6
"""Words the strategy uses all over (its domain: "compliance", "audit") say little about a task."""
BACKGROUND_FIELDS = 2

_GENERIC_WORDS = wordset(
    """call calls called calling meet meeting meetings send sent sending run ran
    running make made making set setting work worked working start started starting build built
    building complete completed finish finished take took give gave go went going week weeks day
    days today customer customers client clients team teams deal deals account accounts prospect
    prospects lead leads company companies people thing things stuff time new last next first help
    helped talk talked email emails review reviews did do done have had with our their them they
    year years month months hour hours quarter spent spend sign signs signed signing close
    closed report reports request requests demo demos quote quotes quoted quoting order orders
    ordered sell sells sold selling plan plans planned planning update updates updated"""
)
GENERIC_STEMS = frozenset(stem(w) for w in _GENERIC_WORDS)
_PREPARING = frozenset(stem(w) for w in wordset("prep prepare prepared preparing preps"))
PREPARING_WEIGHT = 0.2
"""Getting ready for something says even less about which task than a common sales verb ("QBR
prep" is no "Prepare the security review"); in a statement "halves audit prep" is the advantage
itself, so only task matching weighs it down."""

_COMMON_ALIAS_WORDS = wordset("""company companies business businesses customer customers client
    clients firm firms account accounts deal deals lead leads prospect prospects""")
_BOUNDARY_WORDS = wordset("""outside beyond except excluding außerhalb ausserhalb ausser außer
    fuera excepto salvo hors sauf buiten behalve""")
"""Words that turn a place into everywhere else ("outside UK and Ireland"): they are stop words,
so a phrase that needs one cannot be matched by its content words, which name the opposite."""
_COLLECTIVE_HEADS = wordset(
    "group groups company companies firm firms organization organizations organisation"
    " organisations platform platforms"
)
_MAX_CACHE = 50_000
_COMPOUNDING = frozenset({"de", "nl"})
"""Languages that write a thing and what it is for as one word ("Abrechnungsdemo") and as
several ("Demo für die Abrechnung") alike."""
_LINKS = ("", "s", "es", "n", "en", "e")
"""What may join the parts of a compound ("Abrechnung-s-demo", "Kosten-plan")."""
PART_MIN = 4
PART_COMMON = 3.0
"""Zipf frequency each part of a strategy's compound must have in its language to count as a
word of its own ("Abrechnung", "Demo"; not "Abre" + "chnungsdemo")."""
_CASE_ENDINGS = ("e", "en", "n", "s", "es", "er")
"""Endings that make a word's plural or another case of it in the languages we read."""

KIND_NOUNS = frozenset(stem(w) for w in wordset(
    """brand brands seller sellers shop shops store stores merchant merchants company companies
    business businesses firm firms operator operators provider providers player players customer
    customers account accounts type types folk folks guy guys client clients vendor vendors
    retailer retailers prospect prospects org orgs organization organizations organisation
    organisations outfit outfits owner owners buyer buyers"""
))
"""Nouns that say 'a kind of customer' after a segment's word ("shopify brands", "terminal
operators"): with them, one distinctive word of a segment's name or alias names the segment."""
_PLAIN_MODIFIERS = wordset(
    """small smaller large larger big bigger mid midsize medium tiny huge major minor national
    regional local global international domestic new old other general public private top
    independent north south east west northern southern eastern western american european
    third party market group system platform center centre network size tier part level class
    type based sector space scale multi single site sites non"""
)
"""Size, place and age adjectives and vague nouns: too plain to name a segment on their own."""
_QUALIFIERS = _PLAIN_MODIFIERS | wordset(
    """enterprise enterprises smb smbs sme smes midmarket upmarket downmarket commercial corporate
    startup startups"""
)
"""Size and market tiers: a segment name's qualifiers without its head noun ("mid market" of
'Mid-market manufacturers') say how big, not which kind of customer."""


DERIVED_FACTOR = 0.6
"""A word that shares a task word's stem only through another derivation ('security' for
'secure', 'connection' for 'connect') is weaker evidence of that task."""
_INFLECTIONS = frozenset({"", "e", "ed", "d", "ing", "y", "ied", "ying"})


def _ending(word: str) -> str | None:
    """What a word adds to its stem, without plural or doubled consonant ('ity' in 'security',
    'ing' in 'mapping'); None when the word does not start with its stem."""
    s = stem(word)
    if not (word.isalpha() and s and word.startswith(s)):
        return None
    ending = word[len(s):]
    if ending.endswith("ies"):
        ending = ending[:-3] + "y"
    elif ending.endswith("s"):
        ending = ending[:-1]
    if len(ending) >= 3 and ending[0] == s[-1]:
        ending = ending[1:]
    return ending


_VERB_FAMILY = _INFLECTIONS | {"ate", "ated", "ating", "ation", "ion", "ment"}
"""A verb's inflections and its nominalisations name the same activity ('integrate',
'integration'); 'security' and 'secure' do not."""


def _derived(word: str, endings: set[str] | None) -> float:
    """DERIVED_FACTOR when `word` shares its stem with words of these `endings` only through
    another derivation ('security' and 'secure'; 'busy' and 'business'), else 1.0."""
    ending = _ending(word)
    if endings and ending is not None and ending not in endings and not (
        ending in _VERB_FAMILY and endings & _VERB_FAMILY
    ):
        return DERIVED_FACTOR
    if endings and ending is None and word.isalpha() and not endings & _INFLECTIONS:
        return DERIVED_FACTOR  # "busy" only shares "business"'s stem
    return 1.0


_ADJECTIVE_ENDINGS = ("al", "ic", "ive", "ous", "ful", "less", "able", "ible", "ary", "ern", "ian")


def _stands_alone(word: str) -> bool:
    """A lone conjunct of a segment name that is a noun on its own ('ports' in 'Ports and marine
    terminals'), not a modifier of the shared head ('regional' in 'Regional and community banks')."""
    return (len(word) >= 3 and word.isalpha() and word not in _PLAIN_MODIFIERS
            and not word.endswith(_ADJECTIVE_ENDINGS))


def _clauses(toks: Sequence[Tok]) -> list[list[Tok]]:
    """Word tokens grouped by clause (commas, sentence ends and 'but' separate clauses)."""
    groups: list[list[Tok]] = [[]]
    for tok in toks:
        if tok.kind in (CLAUSE, SENT):
            groups.append([])
        elif tok.kind == WORD:
            groups[-1].append(tok)
    return [g for g in groups if g]


def _content_stems(words: Iterable[str]) -> list[str]:
    return [stem(w) for w in words if is_content(w)]


def _acronym(words: Sequence[str]) -> str:
    return "".join(w[0] for w in words if w and w[0].isalpha())


class PhraseTable:
    """Longest-match lookup of multi-word phrases (as stem tuples) in a stream of stems."""

    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], list[str]] = {}
        self.max_len = 0
        self.longest: dict[str, int] = {}
        self.derived: dict[tuple[str, ...], str] = {}
        """Phrases only derived (not written) so far -> the entry they were derived for."""
        self.shared: set[tuple[str, ...]] = set()
        """Phrases derived for two entries: dropped, and never added again."""
        """First stem -> the most stems a phrase starting with it has: `find` skips the many
        stems no phrase starts with, and tries no longer phrase than can start with one."""

    def add(self, stems: Sequence[str], key: str, *, derived: bool = False) -> None:
        phrase = tuple(stems)
        if not phrase:
            return
        keys = self.phrases.get(phrase)
        if phrase in self.shared:
            return  # a variant several entries derive names none of them
        if keys is None:
            self.phrases[phrase] = [key]
            if derived:
                self.derived[phrase] = key
        elif key not in keys and not derived:
            if self.derived.pop(phrase, None) is not None:
                keys.clear()  # written by the strategy beats a variant derived for another
            keys.append(key)
        elif key not in keys and self.derived.get(phrase) not in (None, key):
            # "law firms" of both "Mid-size Australian law firms" and "Top-tier and global law
            # firms": the kind they share names neither
            del self.phrases[phrase], self.derived[phrase]
            self.shared.add(phrase)
            return
        self.max_len = max(self.max_len, len(phrase))
        self.longest[phrase[0]] = max(self.longest.get(phrase[0], 0), len(phrase))

    def find(self, stems: Sequence[str]) -> list[tuple[int, int, list[str]]]:
        """Non-overlapping (start, end, keys) matches, longest first, left to right."""
        found: list[tuple[int, int, list[str]]] = []
        longest = self.longest
        if longest.keys().isdisjoint(stems):
            return found  # most sentences: no stem starts a phrase (one C-level pass, no loop)
        i, n = 0, len(stems)
        while i < n:
            most = longest.get(stems[i])
            if most is None:
                i += 1
                continue
            for size in range(min(most, n - i), 0, -1):
                keys = self.phrases.get(tuple(stems[i : i + size]))
                if keys:
                    found.append((i, i + size, keys))
                    i += size
                    break
            else:
                i += 1
        return found


@dataclass
class TaskEntry:
    """What the index knows about one sales task."""

    id: str
    critical: bool
    weights: dict[str, float] = field(default_factory=dict)
    anti: set[str] = field(default_factory=set)
    ruled_out: set[str] = field(default_factory=set)  # what working against the task names
    bigrams: set[tuple[str, str]] = field(default_factory=set)
    roles: frozenset[str] = frozenset()
    """Stems of buyer roles the task's name is about ("Get the owner, COO or CFO on board")."""


@dataclass
class AgainstEntry:
    """One way of working against a task or an objective: the stems of a counter-example (or
    of what an objective or a task's text rules out, "no discount-led deals") and their weights."""

    kind: str  # "task" or "objective"
    target: str
    name: str
    weights: dict[str, float] = field(default_factory=dict)
    own: frozenset[str] = frozenset()
    """The task's own words in a counter-example ("PoC" of "PoC zum dritten Mal verlängert"):
    they say which task, not that it is worked against, so they never suffice alone."""


AGAINST_SHARE = 1.5
# What a task's "not ..." / "say no to ..." rules out - working against it - is the thing named,
# not how or why (its negated words still score the task as before, `TaskEntry.anti`):
# "Say no quickly to deals outside our segments so effort goes where we win" rules out nothing
# an answer about "a big deal" or "won the Finlo deal" does. The span stops at a clause of
# purpose or reason, and generic words (deal, call, ...) and manner words never count.
_PURPOSE = wordset("so because where which that unless since while as")
_MANNER_STEMS = frozenset(stem(w) for w in wordset(
    """quick quickly fast faster early soon right fit effort efforts win wins goes go segment
    segments""")) | GENERIC_STEMS


def _ruled_out_stems(words: list[str]) -> list[str]:
    end = next((i for i, w in enumerate(words) if w in _PURPOSE), len(words))
    return [s for s in _content_stems(words[:end]) if not is_number(s) and s not in _MANNER_STEMS]
"""A counter-example's weight, spread over its words: matching about two thirds of them (or a
word an objective rules out on its own) is enough."""


@dataclass
class Doc:
    """An answer read against one strategy: tokens and, per token, its resolved stem."""

    text: str
    toks: list[Tok]
    stems: list[str]


class StrategyIndex:
    """Everything the rules evaluator matches an answer against, for one strategy version."""

    def __init__(self, strategy: Strategy) -> None:
        self.version = strategy.version
        self.words: set[str] = set()
        self.splits: dict[str, tuple[str, str]] = {}
        self.bigram_words: set[tuple[str, str]] = set()
        self.vocab: set[str] = set()
        self.tasks: list[TaskEntry] = []
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.anti_postings: dict[str, list[tuple[int, float]]] = {}
        self.bigram_tasks: dict[tuple[str, str], list[int]] = defaultdict(list)
        self.segments = PhraseTable()
        self.segment_acronyms: dict[str, str] = {}
        self.segment_in_scope = {s.id: s.in_scope for s in strategy.segments}
        self.qualify_tasks: dict[str, tuple[int, ...]] = {}  # language -> tasks that turn away
        self.roles = PhraseTable()
        self.stages = PhraseTable()
        self.processes: dict[str, tuple[list[str], list[str]]] = {}
        self.context_stems: set[str] = set()
        self.objectives: list[tuple[str, set[str]]] = []
        self.against: list[AgainstEntry] = []
        self.against_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.advantage: dict[str, float] = {}
        self._resolved: dict[str, dict[str, str]] = {code: {} for code in PACKS}
        """Per language read, word -> the strategy stem it resolves to: one table per language
        so that `read` looks a word up by itself, not by a (language, word) pair built and
        hashed for every token of every answer."""
        self._lock = threading.Lock()
        self.compound_parts: dict[str, set[tuple[str, str]]] = {}
        """A stem of one part of a task's compound -> (the other part's stem, the compound's):
        both parts said apart ("Rechnung der Kosten") are the compound ("Kostenrechnung")."""
        self.language = strategy_language(strategy)
        self.glossary = glossary_of(strategy)
        with reading(self.language):
            self._build(strategy)

    # ----- building -------------------------------------------------------------------------

    def _learn(self, text: str) -> list[Tok]:
        toks = tokenize(text, self.glossary)
        words = [t for t in toks if t.kind == WORD]
        for tok in words:
            self.words.add(tok.word)
            self.vocab.add(stem(tok.word))
        for a, b in pairwise(words):
            if a.end <= b.start and a.word.isalnum() and b.word.isalnum():
                self.splits.setdefault(a.word + b.word, (a.word, b.word))
                self.bigram_words.add((a.word, b.word))
        return toks

    def _build(self, strategy: Strategy) -> None:
        self._task_endings: dict[tuple[str, int], set[str]] = defaultdict(set)
        self._task_factors: dict[tuple[str, int], float] = {}
        self.generic = self._generic_stems(strategy)
        for segment in strategy.segments:
            self._add_segment(segment)
        self._add_sector_names(strategy)
        self._background = self._background_counts(strategy)
        role_stems = {stem(w) for segment in strategy.segments if segment.buying_process
                      for role in segment.buying_process.roles
                      for w in self._words(role) if is_content(w)} - self.generic
        for task in strategy.sales_tasks:
            entry = TaskEntry(task.id, task.critical)
            entry.roles = frozenset(role_stems.intersection(
                stem(w) for w in self._words(task.name) if is_content(w)))
            self._add_task_text(entry, task.name, NAME_WEIGHT)
            for example in task.examples:
                self._add_task_text(entry, example, EXAMPLE_WEIGHT)
            self._add_task_text(entry, task.description, DESCRIPTION_WEIGHT)
            entry.anti -= set(entry.weights)
            entry.ruled_out -= set(entry.weights)
            self.tasks.append(entry)
        self._build_postings()
        self.task_stems = frozenset(s for entry in self.tasks for s in entry.weights)
        self._build_statement(strategy)
        self._build_against(strategy)
        self.segment_words = self._distinctive_segment_words(strategy)
        self._drop_used_acronyms(strategy)
        self._fuzzy_pool = self._build_fuzzy_pool()
        self._near_pools: dict[tuple[str, int, int], list[str]] = {}
        self._prefixes = self._build_prefixes()
        self._cross = self._build_cross()
        self._add_inflected_segment_phrases()
        self.descriptors = Descriptors.of(strategy).with_vocabulary(self.words)
        for segment in strategy.segments:
            shape = self.descriptors.shapes[segment.id]
            shape.head_stems = frozenset(stem(w) for w in self._words(segment.name)
                                         if is_content(w) and w not in _QUALIFIERS)

    def _drop_used_acronyms(self, strategy: Strategy) -> None:
        """A segment's initials the strategy itself writes with another meaning ("plant GM" as
        a buying role, "68% GM" in an objective) are never read as that segment."""
        core = strategy.strategy
        texts = [core.statement, core.advantage, *(o.text for o in core.objectives)]
        for segment in strategy.segments:
            if segment.buying_process is not None:
                texts += [*segment.buying_process.roles, *segment.buying_process.stages]
        for task in strategy.sales_tasks:
            texts += [task.name, task.description, *task.examples]
        used = {t.word for text in texts for t in tokenize(text, self.glossary) if t.upper}
        for acronym in used & set(self.segment_acronyms):
            del self.segment_acronyms[acronym]

    def _generic_stems(self, strategy: Strategy) -> frozenset[str]:
        """English sales words count as generic in every language: reps borrow them ("call",
        "demo"). So do the strategy's own language's ("gemacht", "llamé"), and another
        language's where the strategy writes them in an example of that language - never by
        stem alone ("terminé" shares one with "terminal") nor when the word is everyday in the
        strategy's own language ("tag" is no German day in an English strategy)."""
        found = set(GENERIC_STEMS) | {stem(w) for w in current_pack().generic_words}
        texts = [text for task in strategy.sales_tasks
                 for text in (task.name, task.description, *task.examples)]
        written = {t.word for text in texts for t in tokenize(text, self.glossary)}
        for code, pack in PACKS.items():
            if code != self.language:
                found.update(stem(w) for w in pack.generic_words & written
                             if frequency_in(w, self.language) < RARE_BELOW)
        return frozenset(found)

    def _add_task_text(self, entry: TaskEntry, text: str, weight: float) -> None:
        for clause in _clauses(self._learn(text)):
            words = [t.word for t in clause]
            for word in words:
                ending = _ending(word)
                if ending is not None:
                    self._task_endings[(stem(word), len(self.tasks))].add(ending)
            cue = negation_at(words, future=False)
            negated = words[cue[1]:] if cue else []
            positive = _content_stems(words[: cue[0]] if cue else words)
            if cue is not None and describes(words, cue):
                # "uncover missed jobs with the office manager": the participle says which
                # jobs; what follows the thing it describes is the task's as usual, and nothing
                # is ruled out (a rep's "missed appts" still meets it as negated words)
                head = next((k for k in range(cue[1], len(words)) if is_content(words[k])),
                            len(words))
                negated = words[cue[1]:head + 1]
                positive += _content_stems(words[head + 1:])
            for s in positive:
                if not is_number(s):
                    entry.weights[s] = max(entry.weights.get(s, 0.0), weight)
            for word in (words[: cue[0]] if cue else words):
                parts = self._parts(word)
                if parts:
                    a, b, whole = stem(parts[0]), stem(parts[1]), stem(word)
                    self.vocab.update((a, b))
                    self.compound_parts.setdefault(a, set()).add((b, whole))
                    self.compound_parts.setdefault(b, set()).add((a, whole))
            entry.bigrams.update(pairwise(positive))
            if cue is not None:
                entry.anti.update(s for s in _content_stems(negated) if not is_number(s))
                if not describes(words, cue):
                    entry.ruled_out.update(_ruled_out_stems(negated))

    def _parts(self, word: str) -> tuple[str, ...]:
        """A compound of the strategy's own language as its two words ("abrechnungsdemo" ->
        "abrechnung", "demo"), each a common word of that language; () for any other word."""
        if self.language not in _COMPOUNDING or len(word) < 2 * PART_MIN or not word.isalpha():
            return ()
        best: tuple[float, tuple[str, ...]] = (0.0, ())
        for i in range(PART_MIN, len(word) - PART_MIN + 1):
            head, rest = word[:i], word[i:]
            for link in _LINKS:
                if not rest.startswith(link) or len(rest) - len(link) < PART_MIN:
                    continue
                tail = rest[len(link):]
                common = min(frequency_in(head, self.language), frequency_in(tail, self.language))
                if common >= PART_COMMON and common > best[0]:
                    best = (common, (head, tail))
        return best[1]

    def _background_counts(self, strategy: Strategy) -> dict[str, int]:
        """In how many non-task fields (roles, stages, statement, ...) each stem appears."""
        core = strategy.strategy
        fields = [core.name, core.statement, core.advantage, *(o.text for o in core.objectives)]
        for segment in strategy.segments:
            fields.append(segment.description)
            if segment.buying_process is not None:
                fields.extend(segment.buying_process.roles)
        fields.extend(item.title for item in strategy.content)
        counts: dict[str, int] = defaultdict(int)
        for text in dict.fromkeys(f.lower() for f in fields):
            for s in set(_content_stems(self._words(text))):
                counts[s] += 1
        return counts

    def _build_postings(self) -> None:
        df: dict[str, int] = defaultdict(int)
        for entry in self.tasks:
            for s in set(entry.weights) | entry.anti:
                df[s] += 1
        n = len(self.tasks)
        norm = math.log(1 + n)
        for i, entry in enumerate(self.tasks):
            for s, weight in entry.weights.items():
                self.postings.setdefault(s, []).append((i, self._term(s, df[s], n, norm) * weight))
            for pair in entry.bigrams:
                self.bigram_tasks[pair].append(i)
            for s in entry.anti:
                self.anti_postings.setdefault(s, []).append((i, self._term(s, df[s], n, norm)))

    def _term(self, s: str, df: int, n: int, norm: float) -> float:
        idf = math.log(1 + n / df) / norm
        if s in _PREPARING:
            idf *= PREPARING_WEIGHT
        elif s in self.generic:
            idf *= GENERIC_WEIGHT
        if s in self.context_stems:
            idf *= CONTEXT_WEIGHT
        if self._background.get(s, 0) >= BACKGROUND_FIELDS:
            idf *= BACKGROUND_WEIGHT
        return idf

    def _add_sector_names(self, strategy: Strategy) -> None:
        """A segment that says it is a sector (prompts/sectors.yaml: "Government and public
        sector") is also named by that sector's general words and initials ("county government",
        "state DOT") - unless the strategy gives one of them to another segment of its own."""
        for sector in SECTORS:
            owners = [s for s in strategy.segments if any(
                _says(self._phrase_words(text), sector.anchors) for text in (s.name, *s.aliases))]
            if len(owners) != 1:
                continue  # no segment of that sector, or two: the strategy's words decide
            owner = owners[0].id
            for name in sector.names:
                stems = tuple(stem(w) for w in self._phrase_words(name))
                if stems and stems not in self.segments.phrases:
                    self.segments.add(stems, owner, derived=True)
            for initials in sector.initials:
                self.segment_acronyms.setdefault(initials.lower(), owner)

    def _phrase_words(self, text: str) -> list[str]:
        return [t.word for t in tokenize(text, self.glossary) if t.kind == WORD and is_content(t.word)]

    def _segment_phrases(self, segment: Segment) -> tuple[list[list[str]], list[list[str]]]:
        """(given, derived) word lists: name and aliases as written, then safe variants."""
        given: list[list[str]] = []
        bounded_name = False
        for n, text in enumerate((segment.name, *segment.aliases)):
            words = [t.word for t in self._learn(text) if t.kind == WORD]
            content = [w for w in words if is_content(w)]
            if any(w in _BOUNDARY_WORDS for w in words):
                # "outside UK and Ireland" must never match "UK and Ireland"
                bounded_name = bounded_name or n == 0
                given.append([])
                continue
            if len(content) == 1 and len(words) > 1 and (
                    content[0] in _COMMON_ALIAS_WORDS or stem(content[0]) in self.generic):
                continue  # "US company" is not "company": the strategy doctor says so
            given.append(content)
        derived: list[list[str]] = []
        name = given[0]
        if bounded_name:
            return [g for g in given if g], []
        if len(name) >= 3:
            head = name[-1]
            derived.extend([*name[i:-1], head] for i in range(1, len(name) - 1))
            derived.extend([w for j, w in enumerate(name) if j != k] for k in range(len(name) - 1))
        derived.extend(self._coordinated(segment.name))
        for words in given:
            if all(w in _QUALIFIERS for w in words[:-1]):
                continue
            if len(words) >= 3 or (
                len(words) == 2 and words[1] in _COLLECTIVE_HEADS and len(words[0]) >= 6
            ):
                derived.append(words[:-1])
        return [g for g in given if g], [d for d in derived if d]

    def _distinctive_segment_words(self, strategy: Strategy) -> dict[str, str]:
        """stem -> segment id for words of exactly one segment's name and aliases that are
        distinctive: not plain adjectives, common sales words, or words of several tasks."""
        owners: dict[str, set[str]] = defaultdict(set)
        for segment in strategy.segments:
            for text in (segment.name, *segment.aliases):
                for word in self._words(text):
                    plain = word in _PLAIN_MODIFIERS or not is_content(word)
                    if len(word) >= 4 and word.isalpha() and not plain:
                        owners[stem(word)].add(segment.id)
        task_df: dict[str, int] = defaultdict(int)
        for entry in self.tasks:
            for s in entry.weights:
                task_df[s] += 1
        return {
            s: next(iter(ids))
            for s, ids in owners.items()
            if len(ids) == 1 and task_df[s] <= 1 and s not in self.generic
            and s not in KIND_NOUNS
        }

    @staticmethod
    def _coordinated(name: str) -> list[list[str]]:
        """'Regional and community banks' also names 'regional banks' and 'community banks';
        'Ports and marine terminals' also names 'ports', 'Oil and gas' names 'oil' and 'gas'."""
        parts: list[list[str]] = [[]]
        for tok in tokenize(name):
            if tok.kind in (CLAUSE, SENT) or tok.word == "and" or tok.word == "&":
                parts.append([])
            elif tok.kind == WORD and is_content(tok.word):
                parts[-1].append(tok.word)
        parts = [p for p in parts if p]
        if len(parts) < 2:
            return []
        alone = [p for p in parts if len(p) == 1 and _stands_alone(p[0])]
        if len(parts[-1]) < 2:
            return alone
        head = parts[-1][-1]
        return [[*p, head] for p in parts[:-1]] + [parts[-1]] + alone

    def _add_segment(self, segment: Segment) -> None:
        given, derived = self._segment_phrases(segment)
        for region in segment.regions:
            if not region_codes(region):
                # a region no code or list knows ("Riviera Maya", "Los Cabos") is matched as
                # written, as reps name the place - never by its initials ("RMS" is no "RM")
                words = [t.word for t in self._learn(region) if t.kind == WORD and is_content(t.word)]
                self.segments.add([stem(w) for w in words], segment.id)
        for words in given:
            self.segments.add([stem(w) for w in words], segment.id)
            self.context_stems.update(stem(w) for w in words)
            # initials of words, not of an abbreviation ("LM-Labor" is no "LL": Laborleitung)
            if len(words) >= 2 and all(w.isalpha() and len(w) >= 3 for w in words):
                acronym = _acronym(words)
                if not (acronym in SHORTHAND or acronym in COMMON_ACRONYMS or acronym in STOP_WORDS):
                    self.segment_acronyms.setdefault(acronym, segment.id)
        for words in derived:
            self.segments.add([stem(w) for w in words], segment.id, derived=True)
        if segment.buying_process is not None:
            self._add_process(segment)

    def _add_process(self, segment: Segment) -> None:
        process_ = segment.buying_process
        assert process_ is not None
        self.processes[segment.id] = (list(process_.stages), list(process_.roles))
        for role in process_.roles:
            words = [t.word for t in self._learn(role) if t.kind == WORD and is_content(t.word)]
            self.roles.add([stem(w) for w in words], role.lower())
            if len(words) >= 2 and len(_acronym(words)) >= 3:
                self.roles.add([_acronym(words)], role.lower(), derived=True)
        for stage in process_.stages:
            words = [t.word for t in self._learn(stage) if t.kind == WORD and is_content(t.word)]
            stems = [stem(w) for w in words]
            self.stages.add(stems, stage.lower())
            for i in range(1, len(stems)):
                tail = stems[i:]
                if len(tail) > 1 or (len(tail[0]) >= 5 and tail[0] not in self.generic):
                    self.stages.add(tail, stage.lower(), derived=True)

    def _build_statement(self, strategy: Strategy) -> None:
        for objective in strategy.strategy.objectives:
            stems = {s for s in _content_stems(self._words(objective.text)) if s not in self.generic}
            self.objectives.append((objective.text, stems))
        elsewhere = set(self.postings) | self.context_stems
        for _, stems in self.objectives:
            elsewhere |= stems
        for s in _content_stems(self._words(strategy.strategy.advantage)):
            if not is_number(s) and s not in self.generic:
                self.advantage[s] = 0.5 if s in elsewhere else 1.0

    def _build_against(self, strategy: Strategy) -> None:
        for task in strategy.sales_tasks:
            for example in task.counter_examples:
                self._add_against("task", task.id, task.name, example)
        for entry in self.tasks:
            if entry.ruled_out:  # one word of a long "not an open-ended free trial" is not enough
                name = strategy.task(entry.id).name
                share = min(1.0, AGAINST_SHARE / len(entry.ruled_out))
                # ... but one with the task's own name word is: a "free pilot" is the free
                # trial ruled out; "pilot" alone is not (it needs a ruled-out word with it)
                own = {s for s in _content_stems(self._words(name))
                       if not is_number(s) and s not in self.generic} - entry.ruled_out
                weights = {s: share for s in entry.ruled_out} | {s: share for s in own}
                self.against.append(AgainstEntry("task", entry.id, name, weights,
                                                 frozenset(own)))
        for number, objective in enumerate(strategy.strategy.objectives, start=1):
            target = objective.id or str(number)
            for example in objective.counter_examples:
                self._add_against("objective", target, objective.text, example)
            ruled_out = self._ruled_out(objective.text)
            if ruled_out:
                self.against.append(AgainstEntry("objective", target, objective.text,
                                                 {s: 1.0 for s in ruled_out}))
        for i, against in enumerate(self.against):
            for s, weight in against.weights.items():
                self.against_postings[s].append((i, weight))

    def _add_against(self, kind: str, target: str, name: str, example: str) -> None:
        # one typed word is one piece of evidence, however many words its shorthand stands
        # for ("RMS" -> revenue management system): its share is not multiplied by them
        groups: dict[int, list[str]] = defaultdict(list)
        for tok in self._learn(example):
            if tok.kind == WORD and is_content(tok.word) and not is_number(tok.word):
                groups[tok.start].append(stem(tok.word))
        stems = list(dict.fromkeys(s for group in groups.values() for s in group))
        if not stems:
            return
        share = AGAINST_SHARE / len({tuple(sorted(set(g))) for g in groups.values()})
        weights = {s: share * (GENERIC_WEIGHT if s in self.generic else 1.0) for s in stems}
        own = frozenset(s for entry in self.tasks if entry.id == target and kind == "task"
                        for s in entry.weights if s in weights)
        self.against.append(AgainstEntry(kind, target, name, weights, own))

    def _ruled_out(self, text: str) -> set[str]:
        """What an objective's own words rule out: the words after a negation ("no
        discount-led deals", "sensors are never free")."""
        found: set[str] = set()
        for clause in _clauses(self._learn(text)):
            words = [t.word for t in clause]
            cue = negation_at(words, future=False)
            if cue is not None and not describes(words, cue):
                found.update(s for s in _content_stems(words[cue[1]:cue[1] + 2])
                             if not is_number(s) and s not in self.generic)
        return found

    def _words(self, text: str) -> list[str]:
        return [t.word for t in self._learn(text) if t.kind == WORD]

    def _build_fuzzy_pool(self) -> dict[str, list[str]]:
        pool: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.words):
            if len(word) >= 5 and word.isalpha() and is_content(word):
                pool[word[0]].append(word)
        return dict(pool)

    def _build_cross(self) -> dict[str, dict[str, str]]:
        """For each other language, its stem of a strategy word -> the strategy's stem: a
        Spanish answer's "llamada" meets the example "llamada de descubrimiento" in a strategy
        whose wording is mostly English."""
        cross: dict[str, dict[str, str]] = {}
        for code in PACKS:
            if code == self.language:
                continue
            with reading(code):
                mapping: dict[str, str] = {}
                for word in self.words:
                    mapping.setdefault(stem(word), word)
            cross[code] = {k: stem(v) for k, v in mapping.items()}
        return cross

    def _add_inflected_segment_phrases(self) -> None:
        """A segment's phrase also under the stem of its words' inflections the strategy
        writes elsewhere ("Konzerne" in a description, "Konzern" as the alias: two stems of one
        word), so a rep's plural names the segment as its singular does."""
        by_stem: dict[str, set[str]] = defaultdict(set)
        for word in self.words:
            by_stem[stem(word)].add(word)
        for phrase, keys in list(self.segments.phrases.items()):
            for k, s in enumerate(phrase):
                others = {stem(w + e) for w in by_stem.get(s, ()) for e in _CASE_ENDINGS
                          if w + e in self.words} | {
                          stem(w[:-len(e)]) for w in by_stem.get(s, ()) for e in _CASE_ENDINGS
                          if w.endswith(e) and w[:-len(e)] in self.words}
                for other in sorted(others - {s}):
                    variant = (*phrase[:k], other, *phrase[k + 1:])
                    for key in keys:
                        self.segments.add(variant, key, derived=True)

    def _build_prefixes(self) -> dict[str, str]:
        seen: dict[str, set[str]] = defaultdict(set)
        for s in self.vocab:
            for k in range(max(5, len(s) - 3), len(s)):
                seen[s[:k]].add(s)
        return {p: next(iter(v)) for p, v in seen.items() if len(v) == 1 and p not in self.vocab}

    # ----- reading answers ------------------------------------------------------------------

    def resolve(self, word: str) -> str:
        """The strategy stem a word of an answer stands for (inflection, typo), else its stem."""
        return self._resolve(current_language(), word)

    def _resolve(self, language: str, word: str) -> str:
        """`resolve` in `language`, the one being read (asked once per answer by `read`)."""
        resolved = self._resolved.get(language)
        if resolved is None:  # not a covered language: read as English (see `reading`)
            with self._lock:
                resolved = self._resolved.setdefault(language, {})
        hit = resolved.get(word)
        if hit is not None:
            return hit
        s = stem(word)
        if s not in self.vocab:
            s = self._cross.get(language, {}).get(s, s)
        if s not in self.vocab and len(word) >= 5 and is_content(word) and word.isalpha():
            s = self._near(s, word) or s
        with self._lock:
            if len(resolved) >= _MAX_CACHE:
                resolved.clear()  # in place: a `read` under way keeps looking in this table
            resolved[word] = s
        return s

    def task_factor(self, word: str, task: int) -> float:
        """1.0 when the word is an inflection of one of this task's words with its stem; less
        when it only shares the stem through another derivation: 'security' meets 'Prepare the
        security review' as written, and 'Secure an executive sponsor' only through 'secure'."""
        key = (word, task)
        factor = self._task_factors.get(key)
        if factor is None:
            factor = _derived(word, self._task_endings.get((stem(word), task)))
            with self._lock:
                if len(self._task_factors) >= _MAX_CACHE:
                    self._task_factors.clear()
                self._task_factors[key] = factor
        return factor

    def _near(self, s: str, word: str) -> str | None:
        for k in range(len(s) - 1, max(4, len(s) - 4), -1):
            if s[:k] in self.vocab:
                return s[:k]
        if s in self._prefixes:
            return self._prefixes[s]
        limit = 1 if len(word) < 8 else 2
        pool = self._near_pool(word[0], len(word), limit)
        if not pool:
            return None
        found = process.extractOne(word, pool, scorer=OSA.distance, score_cutoff=limit)
        return stem(found[0]) if found else None

    def _near_pool(self, first: str, size: int, limit: int) -> list[str]:
        """The fuzzy pool's words for a word of `size` letters: only those whose length is
        within `limit` of it, in the pool's order - a longer or shorter word is further than
        `limit` edits away, so the best match and its ties are the same as over the whole pool,
        and the matcher is not handed the pool's other words for every new word."""
        key = (first, size, limit)
        found = self._near_pools.get(key)
        if found is None:
            found = [w for w in self._fuzzy_pool.get(first, ()) if abs(len(w) - size) <= limit]
            with self._lock:
                if len(self._near_pools) >= _MAX_CACHE:
                    self._near_pools.clear()
                self._near_pools[key] = found
        return found

    def _fix_compounds(self, toks: list[Tok]) -> list[Tok]:
        out: list[Tok] = []
        i, n = 0, len(toks)
        while i < n:
            tok = toks[i]
            if tok.kind == WORD and tok.word not in self.words:
                nxt = toks[i + 1] if i + 1 < n else None
                if nxt is not None and nxt.kind == WORD and tok.word + nxt.word in self.words:
                    out.append(_new_tok(Tok, (tok.word + nxt.word, tok.start, nxt.end, WORD, False)))
                    i += 2
                    continue
                parts = self.splits.get(tok.word)
                if parts is not None:
                    out.extend(_new_tok(Tok, (p, tok.start, tok.end, tok.kind, False)) for p in parts)
                    i += 1
                    continue
            out.append(tok)
            i += 1
        return out

    def _completed(self, text: str, toks: list[Tok]) -> list[Tok]:
        """German and Dutch leave the shared end of compounds to the last one ("Auftrags-,
        Lebensmittel- und Umweltlabore", "supermarkt- en winkelketens"): each cut word is
        read whole, with the last one's end, where the strategy writes that compound."""
        out = list(toks)
        for n, tok in enumerate(toks):
            if tok.kind != WORD or text[tok.end:tok.end + 1] != "-" or (
                    text[tok.end + 1:tok.end + 2] not in (" ", ",", "/")):
                continue
            last = next((t for t in toks[n + 1:n + 8] if t.kind == WORD and is_content(t.word) and (
                text[t.end:t.end + 1] != "-" or text[t.end + 1:t.end + 2].isalpha())), None)
            if last is None:
                continue
            for k in range(2, len(last.word) - 2):
                whole = tok.word + last.word[k:]
                if whole in self.words or stem(whole) in self.vocab:
                    out[n] = _new_tok(Tok, (whole, tok.start, tok.end, WORD, False))
                    break
        return out

    def read(self, text: str) -> Doc:
        """Tokenise an answer and resolve each word against this strategy's vocabulary."""
        toks = self._fix_compounds(tokenize(text, self.glossary))
        if "- " in text or "-," in text:
            toks = self._completed(text, toks)
        language, resolve = current_language(), self._resolve
        resolved = self._resolved.get(language) or {}
        stems = []
        for tok in toks:
            if tok.kind != WORD:
                stems.append("")
                continue
            hit = resolved.get(tok.word)  # most words: resolved before
            stems.append(hit if hit is not None else resolve(language, tok.word))
        return Doc(text, toks, stems)


def glossary_of(strategy: Strategy) -> dict[str, tuple[str, ...]]:
    """The strategy's shorthand, read safely: a key written in capitals ("AL", "DNA") expands
    only where it is written in capitals (so Spanish "al" stays "al"); the expansion is the
    definition's first phrase without its function words and negations ("did not attend (a
    no-show)" -> attend), added to the word rather than replacing it."""
    found: dict[str, tuple[str, ...]] = {}
    for key, value in strategy.glossary.items():
        key = key.strip()
        if " " in key or not key:
            continue
        first = re.split(r"[(,;]| - ", value, maxsplit=1)[0]
        words = [t.word for t in tokenize(first) if t.kind == WORD and is_content(t.word)
                 and negation_at([t.word], future=False) is None]
        if words:
            found[("^" if key.isupper() else "") + key.lower()] = tuple(
                dict.fromkeys([key.lower(), *words]))
    return found


@dataclass(frozen=True)
class Sector:
    """A kind of customer named by general words whatever a strategy calls it (sectors.yaml)."""

    anchors: tuple[tuple[str, ...], ...]
    names: tuple[str, ...]
    initials: tuple[str, ...]


def _sectors(path: Path) -> tuple[Sector, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    if not isinstance(data, dict):
        return ()
    found = []
    for entry in data.values():
        if not isinstance(entry, dict):
            continue
        anchors = tuple(tuple(w for w in str(a).lower().split()) for a in entry.get("anchors") or [])
        found.append(Sector(anchors=tuple(a for a in anchors if a),
                            names=tuple(str(n) for n in entry.get("names") or []),
                            initials=tuple(str(i) for i in entry.get("initials") or [])))
    return tuple(found)


SECTORS = _sectors(SECTORS_FILE)


def _says(words: Sequence[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    """Some phrase occurs in `words`, word for word."""
    return any(tuple(words[i:i + len(p)]) == p for p in phrases for i in range(len(words)))


def strategy_language(strategy: Strategy) -> str:
    """The language a strategy's own wording (task examples, aliases, descriptions) is in."""
    texts = [example for task in strategy.sales_tasks for example in task.examples]
    texts += [task.description for task in strategy.sales_tasks]
    texts += [segment.description for segment in strategy.segments]
    return detect(". ".join(texts), "en").code if texts else "en"


_INDEXES: dict[str, StrategyIndex] = {}
_INDEX_LOCK = threading.Lock()
_MAX_INDEXES = 32


def index_for(strategy: Strategy) -> StrategyIndex:
    """The cached index for this strategy version (built on first use)."""
    version = strategy.version
    found = _INDEXES.get(version)
    if found is not None:
        return found
    built = StrategyIndex(strategy)
    with _INDEX_LOCK:
        if len(_INDEXES) >= _MAX_INDEXES:
            _INDEXES.pop(next(iter(_INDEXES)))
        return _INDEXES.setdefault(version, built)
