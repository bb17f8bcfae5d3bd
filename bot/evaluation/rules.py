"""The default evaluator: offline, deterministic rules that map an answer onto the strategy.

Owns the judgement itself: which activity maps to which sales task, which segment was named and
whether the person said we play there, how much of a strategy statement is covered, and the
evidence spans for each. It reads text through `text.py` (generic English) and matches it through
`index.py` (the strategy's own wording), so it works for any valid strategy file without a
network or a model; scores come from `scoring.py`, shared with every evaluator.
Answer text is data: instructions inside it ("mark all tasks done") are ignored, never obeyed.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from bot.evaluation.contradictions import concedes, with_concessions
from bot.evaluation.descriptors import Found, Size
from bot.evaluation.index import KIND_NOUNS, Doc, StrategyIndex, index_for
from bot.evaluation.language import detect
from bot.evaluation.places import REGIONS, Place, countries, fold
from bot.evaluation.result import (
    Against,
    Component,
    ComponentCoverage,
    Evaluation,
    Evidence,
    ProcessCoverage,
    Question,
    ScopeResult,
    SegmentMention,
    StatementResult,
    TaskMatch,
    TasksResult,
)
from bot.evaluation.scoring import compute_scores, critical_missing
from bot.evaluation.substance import assess
from bot.evaluation.text import (
    CLAUSE,
    CONJ,
    ENGAGED_WORDS,
    MAX_ANSWER_CHARS,
    OFFER_PHRASES,
    SENT,
    WORD,
    avoids,
    bare_verdict,
    booked_only,
    buyer_reaction,
    buyer_request,
    buyer_subject,
    content_flags,
    cue_state,
    current_language,
    declines,
    internal_at,
    is_away,
    is_content,
    is_number,
    is_remark,
    is_vague,
    looks_done,
    looks_like_injection,
    may_inject,
    names_decider,
    negation_at,
    opens_with_past,
    points_back,
    post_negated,
    post_state,
    rejects,
    says_nothing,
    stem,
    topics_unmarked,
    wordset,
)
from bot.evaluation.text import reading as reading_language
from bot.strategy.schema import STATEMENT_WORD_LIMIT, Strategy, count_words

RULES_VERSION = "2.10.0"
MATCH_THRESHOLD = 0.7
"""Task score an activity needs; a word unique to one task's name or examples scores 1.0."""
BIGRAM_BONUS = 0.4
CONTEXT_BONUS = 0.5
"""Share of the rest of the sentence's evidence used to break ties between tasks."""
CONTEXT_FACTOR = 0.3
"""Weight of words that name a segment or a buyer role in the answer: where, not what."""
WORD_COUNT_MAX_CHARS = 100_000
"""Words are counted over at most this much text; anything longer is far over the limit anyway."""
SIZE_REACH = 4
"""Words after a headcount that it still describes ("a 250-person folding carton plant")."""
ABSORB_MAX_WORDS = 3
"""An unmatched fragment this short, next to a matched one, is detail ("CFO and CISO")."""
ADVANTAGE_NEEDED = 2.0
_COMPARATIVES = wordset(
    "than unlike faster cheaper better quicker only differentiated differentiator unique"
)
_GOAL_VERBS = wordset("grow double triple increase win reach hit keep halve cut")
_METRIC_WORDS = wordset(
    """revenue revenues arr mrr margin margins profit profits profitability grow share logos logo
    bookings renewal renewals retention ebitda sales gm nrr"""
)
_CONTINUATIONS = frozenset({"as", "or", "nor", "neither", "likewise"})
_FILLER = wordset("""busy rough good great quiet slow crazy lol week day weeks days year years
    month months hour hours""")  # units too: the "yr" of "3.9m/yr" is no activity

_PLAYED_MARKS = frozenset("✅✔☑👍")
_NOT_PLAYED_MARKS = frozenset("❌✖✗✘🚫👎⛔")
_PENDING_MARKS = frozenset("⏳⌛")
"""Still pending: of a task, not done yet; of a segment, nothing (neither played nor not)."""
_MARKS = _PLAYED_MARKS | _NOT_PLAYED_MARKS | _PENDING_MARKS

Fragment = list[int]
Clause = list[Fragment]
Sentence = list[Clause]


@dataclass
class _Reading:
    """One answer read once: its structure and what was found in it, shared by all questions."""

    index: StrategyIndex
    doc: Doc
    sentences: list[Sentence]
    segments: list[SegmentMention] = field(default_factory=list)
    context_toks: set[int] = field(default_factory=set)
    role_toks: set[int] = field(default_factory=set)
    """Tokens that name a buyer role of a segment's buying process ("treasurer", "the COO")."""
    roles: list[tuple[int, str]] = field(default_factory=list)
    stages: list[tuple[int, str]] = field(default_factory=list)
    sentence_segments: list[list[str]] = field(default_factory=list)
    accounts: list[Found] = field(default_factory=list)
    sizes: list[Size] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    expanded: dict[tuple[int, int], int] = field(default_factory=dict)
    """Typed words the glossary or shorthand expanded into several: their span -> how many."""
    content: list[bool] = field(default_factory=list)
    """Per token, `is_content` of its word in the answer's language: asked once per token
    rather than again by every sentence, clause and fragment that looks at it."""
    beyond: set[int] | None = None
    """`_beyond` of the answer's places, worked out by the first sentence that needs it (it
    depends on the whole text and its places, not on the sentence)."""

    def span(self, toks: Sequence[int]) -> Evidence:
        start, end = self.doc.toks[toks[0]].start, self.doc.toks[toks[-1]].end
        return Evidence(text=self.doc.text[start:end], start=start, end=end)


def _structure(doc: Doc) -> list[Sentence]:
    """Word token indices grouped into sentences, clauses and fragments ('and', '+'). A ✅ or
    ⛔ written between two words ends a clause as a comma would when another mark follows before
    the next separator: "pilot ✅ pricing ⛔" says two things, one done and one not; "paid pilot
    ✅ at location 1" says one."""
    fragment: Fragment = []
    clause: Clause = [fragment]
    sentence: Sentence = [clause]
    sentences: list[Sentence] = [sentence]
    marked = not _MARKS.isdisjoint(doc.text)
    for i, tok in enumerate(doc.toks):  # the innermost lists held, not looked up per token
        kind = tok.kind
        if kind == WORD:
            if marked and fragment and _marks_apart(doc, i):
                fragment = []
                clause = [fragment]
                sentence.append(clause)
            fragment.append(i)
        elif kind == SENT:
            fragment = []
            clause = [fragment]
            sentence = [clause]
            sentences.append(sentence)
        elif kind == CLAUSE:
            fragment = []
            clause = [fragment]
            sentence.append(clause)
        else:
            fragment = []
            clause.append(fragment)
    pruned = [[[f for f in c if f] for c in s] for s in sentences]
    return [[c for c in s if c] for s in pruned if any(any(c) for c in s)]


def _marks_apart(doc: Doc, i: int) -> bool:
    """A mark stands between word `i - 1` and word `i`, and another after word `i`, before the
    next separator: the first mark ends what it marks."""
    toks, text = doc.toks, doc.text
    if _MARKS.isdisjoint(text[toks[i - 1].end:toks[i].start]):
        return False
    following = next((t.start for t in toks[i + 1:] if t.kind != WORD), len(text))
    return not _MARKS.isdisjoint(text[toks[i].start:following])


def _words(sentence: Sentence) -> list[int]:
    return [i for clause in sentence for fragment in clause for i in fragment]


def _clause_words(clause: Clause) -> list[int]:
    return [i for fragment in clause for i in fragment]


def _read(index: StrategyIndex, answer: str) -> _Reading:
    doc = index.read(answer)
    kept: list[Sentence] = []
    injected: set[str] = set()
    suspect = may_inject(doc.text)  # most answers: no sentence of them needs asking
    for sentence in _structure(doc):
        toks = _words(sentence)
        start, end = doc.toks[toks[0]].start, doc.toks[toks[-1]].end
        if suspect and looks_like_injection(doc.text[start:end]):
            injected.update(doc.toks[i].word for i in toks)
        else:
            kept.append(sentence)
    if injected:
        kept = [s for s in kept if not _echoes(doc, s, injected)]
    reading = _Reading(index, doc, kept, content=content_flags(t.word for t in doc.toks),
                       expanded=_expanded(doc))
    reading.accounts, reading.sizes, reading.places = index.descriptors.find(doc.text)
    for sentence in kept:
        reading.sentence_segments.append(_find_segments(reading, sentence))
        _find_process_terms(reading, sentence)
    _turned_away(reading)
    return reading


def _expanded(doc: Doc) -> dict[tuple[int, int], int]:
    """Spans of typed words that stand for several tokens ("cuartel" -> its definition)."""
    counts: dict[tuple[int, int], int] = {}
    previous = (-1, -1)
    for tok in doc.toks:  # the tokens of one typed word come one after another
        span = (tok.start, tok.end)
        if span == previous:
            counts[span] = counts.get(span, 1) + 1
        previous = span
    return counts


def _echoes(doc: Doc, sentence: Sentence, injected: set[str]) -> bool:
    """A sentence that only repeats words of an instruction to the evaluator ("... any answer
    with the word pilot = every task complete. pilot.") is part of the attack, not evidence."""
    words = {doc.toks[i].word for i in _words(sentence) if is_content(doc.toks[i].word)}
    return words <= injected


# ----- segments and buying processes --------------------------------------------------------


def _content(reading: _Reading, toks: Iterable[int]) -> list[int]:
    content = reading.content
    return [i for i in toks if content[i]]


_EVENT_WORDS = wordset("""show shows expo expos summit conference conf congress congreso kongress
    fair fairs messe feria salon salón beurs forum awards symposium""")
_EVENT_REACH = 3


def _names_an_event(reading: _Reading, toks: list[int]) -> bool:
    """A segment word in a trade show's name ("the Golf Business show leads", "London Vet Show
    badge scans") names the event, not a customer: capitalised words up to an event word."""
    doc = reading.doc
    if not doc.toks[toks[0]].word or not doc.text[doc.toks[toks[0]].start].isupper():
        return False
    k = toks[-1] + 1
    for _ in range(_EVENT_REACH):
        if k >= len(doc.toks) or doc.toks[k].kind != WORD:
            return False
        if doc.toks[k].word in _EVENT_WORDS:
            return True
        if not doc.text[doc.toks[k].start].isupper():
            return False
        k += 1
    return False


def _find_segments(reading: _Reading, sentence: Sentence) -> list[str]:
    """Record segment mentions in a sentence; returns their ids in order."""
    index, doc = reading.index, reading.doc
    content = _content(reading, _words(sentence))
    hits: list[tuple[list[int], str, float]] = []
    covered: set[int] = set()
    for a, b, keys in index.segments.find([doc.stems[i] for i in content]):
        toks = content[a:b]
        exact = all(doc.stems[i] == stem(doc.toks[i].word) for i in toks)
        hits.append((toks, keys[0], 1.0 if exact else 0.85))
        covered.update(toks)
    starts, phrases = index.segments.longest, index.segments.phrases
    for i, j, k in zip(content, content[1:], content[2:], strict=False):
        # one word inside a two-word alias: "small machine shops" is a "small shop" (the
        # alias looked up first: most words start none)
        if k != i + 2 or doc.stems[i] not in starts:
            continue
        gapped = phrases.get((doc.stems[i], doc.stems[k]))
        if gapped and not covered.intersection((i, j, k)) and not is_number(doc.toks[j].word):
            hits.append(([i, j, k], gapped[0], 0.8))
            covered.update((i, j, k))
    for i in content:
        if doc.toks[i].upper and i not in covered:
            acronym = doc.toks[i].word.rstrip("s")
            if acronym in index.segment_acronyms:
                hits.append(([i], index.segment_acronyms[acronym], 0.7))
                covered.add(i)
    for i, j in pairwise(content):
        if i in covered or j in covered or j != i + 1:
            continue
        owner = index.segment_words.get(doc.stems[i])
        if owner is not None and doc.stems[j] in KIND_NOUNS:
            hits.append(([i, j], owner, 0.7))
            covered.update((i, j))
    if hits:
        hits += _shared_heads(reading, hits, covered)
    hits = [h for h in hits if not _names_an_event(reading, h[0])]
    if hits and reading.expanded:
        hits = _whole_expansions(reading, hits)
    hits = _described(reading, sentence, hits)
    if not hits:
        return []  # nothing named: no clause needs reading for "we do not play there"
    not_played = _not_played_toks(reading, sentence, {t for h in hits for t in h[0]},
                                  {t for h in hits if not index.segment_in_scope[h[1]] for t in h[0]})
    marks = _marks(reading, sorted(hits, key=lambda h: h[0][0]))
    for toks, segment_id, confidence in sorted(hits, key=lambda h: h[0][0]):
        reading.context_toks.update(toks)
        mark = marks.get(toks[0])
        if index.segment_in_scope[segment_id] and _names_account(reading, toks, segment_id):
            # "no POC yet at Carrick": what is not done is the POC; a customer of ours named
            # by its name is never a statement that we do not play in its segment
            mark = True
        reading.segments.append(
            SegmentMention(
                segment_id=segment_id,
                in_scope=index.segment_in_scope[segment_id],
                confidence=confidence,
                evidence=reading.span(toks),
                stated_as_played=mark if mark is not None else toks[0] not in not_played,
            )
        )
    return [h[1] for h in hits]


Hit = tuple[list[int], str, float]


def _shared_heads(reading: _Reading, hits: list[Hit], covered: set[int]) -> list[Hit]:
    """Segments listed by their first word before a head noun they share with the last one:
    "golf, racquet and leisure clubs" names golf clubs and racquet clubs too. Each item is the
    word before a separator, alone there (or the list's first: "booking for golf, ..."), and
    with the head it must name a segment."""
    toks, stems, index = reading.doc.toks, reading.doc.stems, reading.index
    found: list[Hit] = []
    for hit_toks, _, _ in hits:
        if len(hit_toks) < 2 or hit_toks != list(range(hit_toks[0], hit_toks[-1] + 1)):
            continue
        head, k = stems[hit_toks[-1]], hit_toks[0] - 1
        while k >= 0 and toks[k].kind not in (WORD, SENT):
            j = k
            while j >= 0 and toks[j].kind not in (WORD, SENT):
                j -= 1
            if j < 0 or toks[j].kind == SENT:
                break
            i = j
            while i > 0 and toks[i - 1].kind == WORD:
                i -= 1
            item = [t for t in range(i, j + 1) if reading.content[t]]
            last = item[-1] if item else -1
            if last < 0 or is_number(toks[last].word):
                break
            if last not in covered:  # "golf, tennis/padel and leisure clubs": tennis is named
                named = index.segments.find([stems[last], head])
                if not named or named[0][:2] != (0, 2):
                    break
                found.append(([last], named[0][2][0], 0.8))
                covered.add(last)
            if len(item) > 1 and not covered.issuperset(item):
                break  # "booking for golf, ...": the list starts at its last word
            k = i - 1
    return found


def _whole_expansions(reading: _Reading, hits: list[Hit]) -> list[Hit]:
    """A typed word the glossary expands names a segment as a whole ("GU" ->
    "Generalunternehmer") or by a phrase of it ("AL" -> "alojamento local, alquiler vacacional
    ..."), never by one word of a longer definition ("cuartel" -> "bloque o sector de un
    huerto o viña" names neither orchards nor vineyards)."""
    toks, per_span = reading.doc.toks, reading.expanded

    def whole(hit: Hit) -> bool:
        spans: dict[tuple[int, int], int] = defaultdict(int)
        for i in hit[0]:
            spans[(toks[i].start, toks[i].end)] += 1
        return all(n == per_span.get(span, 1) or n > 1 for span, n in spans.items())

    return [h for h in hits if whole(h)]


def _described_by(reading: _Reading, size: list[int], hit: list[int]) -> bool:
    """Whether a headcount describes a segment named near it: right after it ("a 60-person
    bakery") or before it in the same breath ("Fernhill (mixed, 6 vets)"), never across an "and"
    that starts another item ("DQ'd a DOT garage and a 20-emp brewery")."""
    first, last = (hit[-1], size[0]) if hit[0] < size[0] else (size[-1], hit[0])
    if hit[0] > size[-1] and hit[0] - size[-1] > SIZE_REACH:
        return False
    return not any(t.kind in (CONJ, SENT) for t in reading.doc.toks[first + 1:last])


def _names_account(reading: _Reading, toks: list[int], segment_id: str) -> bool:
    return _account_at(reading, reading.doc.toks[toks[0]].start, segment_id)


def _account_at(reading: _Reading, start: int, segment_id: str) -> bool:
    """An account of the segment is named where `start` is: a customer by its name."""
    return any(a.segment_id == segment_id and a.start <= start < a.end for a in reading.accounts)


def _toks_in(reading: _Reading, sentence: Sentence, start: int, end: int) -> list[int]:
    toks = reading.doc.toks
    return [i for i in _words(sentence) if toks[i].start < end and start < toks[i].end]


def _described(reading: _Reading, sentence: Sentence, hits: list[Hit]) -> list[Hit]:
    """Segments named by account, size or place in this sentence, with those named by alias:
    a size that contradicts an alias's segment replaces it ("a 60-person bakery")."""
    index = reading.index
    descriptors = index.descriptors
    for account in reading.accounts:
        toks = _toks_in(reading, sentence, account.start, account.end)
        if not toks:
            continue
        # a company's name says which company: the segment word inside it ("Frutícola Los
        # Aromos", an exporter) does not name a segment of its own
        inside = [h for h in hits if set(h[0]) <= set(toks)]
        if len(inside) == len([h for h in hits if set(toks) & set(h[0])]):
            hits = [h for h in hits if h not in inside]
            hits.append((toks, account.segment_id, 0.9))
    for size in reading.sizes:
        toks = _toks_in(reading, sentence, size.start, size.end)
        if not toks:
            continue
        # the segments a size describes are those named right after it ("a 60-person bakery");
        # one named elsewhere in the sentence ("DQ'd a DOT garage and a 20-emp brewery") is not
        named = list(dict.fromkeys(h[1] for h in hits if _described_by(reading, toks, h[0])))
        contradicted = descriptors.contradicted_by_size(size, named)
        fitting = descriptors.for_size(size, named)
        if contradicted and fitting:
            hits = [h for h in hits if h[1] not in contradicted]
        hits.extend((toks, segment_id, 0.8) for segment_id in fitting
                    if segment_id not in {h[1] for h in hits})
    if not reading.places:
        return hits
    named = list(dict.fromkeys(h[1] for h in hits))
    stems = frozenset(reading.doc.stems[i] for i in _words(sentence))
    sizes = [size for size in reading.sizes if _toks_in(reading, sentence, size.start, size.end)]
    beyond = reading.beyond
    if beyond is None:
        beyond = reading.beyond = _beyond(reading.doc.text, reading.places)
    for place in reading.places:
        toks = _toks_in(reading, sentence, place.start, place.end)
        if not toks:
            continue
        if place.start in beyond:
            # "alles außerhalb DACH", "fuera de ES/PT/MX": everywhere but there
            hits = [h for h in hits if not set(h[0]) & set(toks)]
            hits.extend((toks, segment_id, 0.75) for segment_id in descriptors.beyond(place)
                        if segment_id not in {h[1] for h in hits})
            continue
        # an in-scope place names its segment only with the kind of customer ("a hotel in Mérida"),
        # never on its own ("the sales offsite in Toledo")
        found = descriptors.for_place(place, named, stems, sizes)
        hits.extend((toks, segment_id, 0.75) for segment_id in found
                    if segment_id not in {h[1] for h in hits})
        if any(not index.segment_in_scope[f] for f in found):
            hits = [h for h in hits if not _placed_elsewhere(reading, h, place, toks)]
    return hits


_BEYOND = re.compile(
    r"\b(?:outside|beyond|except|excluding|außerhalb|ausserhalb|außer|ausser|fuera|excepto|salvo|"
    r"hors|sauf|buiten|behalve)(?:\s+(?:of|the|von|der|des|dem|de|del|la|las|los|du|des|van|het|"
    r"d'|l'))*\s*$", re.IGNORECASE)
_LISTED = re.compile(r"\s*(?:[/,+&]|and|und|y|e|et|en|oder|o|or|ou|of|u)?\s*", re.IGNORECASE)


def _beyond(text: str, places: list[Place]) -> set[int]:
    """Where the places that follow a word for "everywhere but" start ("outside DACH", "fuera de
    ES/PT/MX", "hors de France"), with the places listed right after one ("ES/PT/MX")."""
    found: set[int] = set()
    previous: Place | None = None
    for place in sorted(places, key=lambda p: p.start):
        # "a golf club just outside Galway" is near the town, not everywhere else
        listed = previous is not None and previous.start in found and (
            place.start <= previous.end or _LISTED.fullmatch(text[previous.end:place.start]))
        if _country_or_region(place) and (
                listed or _BEYOND.search(text[max(0, place.start - 30):place.start])):
            found.add(place.start)
        previous = place
    return found


def _country_or_region(place: Place) -> bool:
    """The place is a country (by name or code) or a named region (DACH, Benelux)."""
    key = fold(place.text)
    return place.subdivision is None and (
        (len(place.text) == 2 and place.text.isupper()) or key in REGIONS
        or key in countries().names)


def _placed_elsewhere(reading: _Reading, hit: Hit, place: Place, place_toks: list[int]) -> bool:
    """An in-scope segment named by its kind in the same breath as a place outside where that
    segment is ("a Bauunternehmen in Rotterdam" when building firms are DACH): the prospect is
    the out-of-scope one, not ours. A customer named by name stays."""
    descriptors = reading.index.descriptors
    shape = descriptors.shapes.get(hit[1])
    if shape is None or not shape.in_scope or _names_account(reading, hit[0], hit[1]):
        return False
    if shape.at(place) if shape.by_place else (not descriptors.home
                                                 or place.country in descriptors.home):
        # a segment without places of its own is where the strategy sells ("a padel club in
        # Lisbon" is out when we sell in the UK, Ireland and the Nordics)
        return False
    return _described_by(reading, place_toks, hit[0])


def _marks(reading: _Reading, hits: list[Hit]) -> dict[int, bool]:
    """Emoji written right after a segment, before the next one ("fintech ✅ government ❌"):
    played or not, whatever the words say."""
    text, toks = reading.doc.text, reading.doc.toks
    found: dict[int, bool] = {}
    for n, (hit_toks, _, _) in enumerate(hits):
        start = toks[hit_toks[-1]].end
        end = toks[hits[n + 1][0][0]].start if n + 1 < len(hits) else len(text)
        after = text[start:end].split("\n", 1)[0][:12]
        if not _NOT_PLAYED_MARKS.isdisjoint(after):
            found[hit_toks[0]] = False
        elif not _PLAYED_MARKS.isdisjoint(after):
            found[hit_toks[0]] = True
    return found


def _not_played_toks(reading: _Reading, sentence: Sentence, segment_toks: set[int],
                     out_of_scope: set[int] | frozenset[int] = frozenset()) -> set[int]:
    """Tokens in clauses that say we do not play there ('not SMB', 'we avoid government'), and
    the out-of-scope prospect in a clause that turns it away ('told a JPMorgan contact we focus
    on regional banks': JPMorgan is not played; the regional banks given as the reason are)."""
    negated: set[int] = set()
    previous = False
    before: list[int] = []
    before_toks: list[int] = []
    opened = False
    for clause in sentence:
        toks = _clause_words(clause)
        words = [reading.doc.toks[i].word for i in toks]
        here = avoids(words)
        item = opened and _list_item(reading, before_toks, toks, segment_toks)
        carried = previous and (toks[0] in segment_toks or words[0] in _CONTINUATIONS or item)
        if here or carried:
            negated.update(toks)
        elif out_of_scope.intersection(toks) and declines(words):
            negated.update(out_of_scope.intersection(toks))
        if before and not segment_toks.intersection(toks) and rejects(words):
            negated.update(before)
        previous = here or carried
        # "we don't do oil & gas, auto tier 1s, tiny shops or government": the negation opens a
        # list and governs each item of it; one after its segment ("Kommunen -> abgesagt, 1 GU
        # hat Termin") closes what it says
        opened = item or (here and _opens(words, [i in segment_toks for i in toks]))
        before = toks if segment_toks.intersection(toks) else []
        before_toks = toks
    return negated


LIST_ITEM_MAX_WORDS = 4
"""Words in a clause that is one more item of a list ("auto tier 1s"), not a sentence of its own."""


def _list_item(reading: _Reading, previous: list[int], toks: list[int],
               segment_toks: set[int]) -> bool:
    """The clause is one more item of a list: short, cut from the one before by punctuation
    alone (no "but", "aber", "pero"), and nothing but content words before its segment (not
    "we focus on fintech": a statement of its own)."""
    between = reading.doc.toks[previous[-1] + 1:toks[0]] if previous else []
    lead = [i for i in toks[:next((k for k, i in enumerate(toks) if i in segment_toks),
                                  len(toks))]]
    return (len(toks) <= LIST_ITEM_MAX_WORDS and all(reading.content[i] for i in lead)
            and not any(t.word[:1].isalpha() for t in between))


def _opens(words: list[str], named: list[bool]) -> bool:
    """The negation comes before the clause's first segment ("Don't play: oil & gas"), so it
    can open a list of them."""
    if True not in named:
        return False  # "no sé bien, creo q viñas?": a doubt, not a list of places we avoid
    first = named.index(True)
    return first > 0 and avoids(words[:first])


TURN_AWAY_REACH = 2
"""Sentences after an out-of-scope prospect that a reply turning it away may still come in
("a 60-person bakery in Fresno. single plant, no maintenance team. told them we're not the
right fit")."""


def _turned_away(reading: _Reading) -> None:
    """An out-of-scope prospect turned away in a later clause ("other is a gov't lab, bounced
    that one"; "Albion Vet Holdings asked for a pilot. Told them we focus on independents") is a
    segment we said we do not play in: the reply is about the out-of-scope prospects named
    before it in its sentence or, when its sentence names no segment, in the last sentence that
    named one, at most `TURN_AWAY_REACH` back.
    Segments of ours named there stay played: they are the prospects kept or the reason given."""
    doc = reading.doc
    by_start: dict[int, list[SegmentMention]] = defaultdict(list)
    for mention in reading.segments:
        if not mention.in_scope:
            by_start[mention.evidence.start].append(mention)
    if not by_start:
        return
    named: list[list[int]] = [  # per sentence, where its out-of-scope mentions start
        [doc.toks[i].start for i in _words(sentence) if doc.toks[i].start in by_start]
        for sentence in reading.sentences]
    for n, sentence in enumerate(reading.sentences):
        for clause in sentence:
            toks = _clause_words(clause)
            if not declines([doc.toks[i].word for i in toks]):
                continue
            start = doc.toks[toks[0]].start
            turned = [at for at in named[n] if at < start]
            if not turned and not reading.sentence_segments[n]:
                earlier = [s for s in range(max(0, n - TURN_AWAY_REACH), n) if named[s]]
                turned = named[earlier[-1]] if earlier else []
            for at in turned:
                for mention in by_start[at]:
                    mention.stated_as_played = False


def _find_process_terms(reading: _Reading, sentence: Sentence) -> None:
    index, doc = reading.index, reading.doc
    content = [i for i in _content(reading, _words(sentence)) if i not in reading.context_toks]
    stems = [doc.stems[i] for i in content]
    for a, b, keys in index.roles.find(stems):
        reading.context_toks.update(content[a:b])
        reading.role_toks.update(content[a:b])
        reading.roles.extend((len(reading.sentence_segments) - 1, k) for k in keys)
    for _, _, keys in index.stages.find(stems):
        reading.stages.extend((len(reading.sentence_segments) - 1, k) for k in keys)


def _processes(reading: _Reading) -> list[ProcessCoverage]:
    mentioned = list(dict.fromkeys(s.segment_id for s in reading.segments))
    owners = _term_owners(reading.sentence_segments, mentioned)
    found: dict[str, set[str]] = defaultdict(set)
    for sentence, term in [*reading.roles, *reading.stages]:
        for segment_id in _owners_of(term, owners[sentence], mentioned, reading.index.processes):
            found[segment_id].add(term)
    result = []
    for segment_id in mentioned:
        if segment_id not in reading.index.processes:
            continue
        stages, roles = reading.index.processes[segment_id]
        terms = found[segment_id]
        result.append(
            ProcessCoverage(
                segment_id=segment_id,
                stages_mentioned=[s for s in stages if s.lower() in terms],
                stages_missing=[s for s in stages if s.lower() not in terms],
                roles_mentioned=[r for r in roles if r.lower() in terms],
                roles_missing=[r for r in roles if r.lower() not in terms],
            )
        )
    return result


def _owners_of(term: str, near: list[str], mentioned: list[str],
               processes: dict[str, tuple[list[str], list[str]]]) -> list[str]:
    """The segments a role or stage belongs to: the nearby ones whose process defines it, else any
    mentioned segment whose process does ("banks buy after ..." after a list of segments)."""
    def defines(segment_id: str) -> bool:
        stages, roles = processes.get(segment_id, ([], []))
        return term in {t.lower() for t in (*stages, *roles)}

    return [s for s in near if defines(s)] or [s for s in mentioned if defines(s)]


def _term_owners(per_sentence: list[list[str]], mentioned: list[str]) -> list[list[str]]:
    """Which segments a sentence's roles and stages describe: its own, else the last named."""
    owners: list[list[str]] = []
    last: list[str] = []
    for segments in per_sentence:
        last = list(dict.fromkeys(segments)) or last
        owners.append(last or mentioned)
    return owners


# ----- sales tasks --------------------------------------------------------------------------


@dataclass
class _Fragment:
    """One activity candidate: its tokens, split by negation, and its per-task scores."""

    toks: Fragment
    positive: list[int]
    negative: list[int]
    state: str = "not_done"  # of the negative part: "planned" or "not_done"
    scores: dict[int, float] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    against: dict[int, float] = field(default_factory=dict)
    buyers: bool = False
    """The negation is the buyer's ("they don't care about SRM"): it holds no line for us."""


_PRICE, _DISCOUNT = stem("price"), stem("discount")
_CUTS = frozenset(stem(w) for w in ("drop", "dropped", "cut", "lowered", "lower", "reduced", "reduce",
                                    "slashed", "slash"))
"""With 'price', a discount by other words: "dropped the price 20%"."""
_MATCHES = frozenset(stem(w) for w in ("match", "matched", "matching", "undercut", "beat"))
"""Before 'price', a discount too: "matched their price" (never "the price matched the budget")."""


def _score(reading: _Reading, frag: _Fragment) -> None:
    index, stems = reading.index, reading.doc.stems
    scores: dict[int, float] = defaultdict(float)
    seen: set[str] = set()
    for i in frag.positive:
        s = stems[i]
        if s in seen or is_number(s):
            continue
        seen.add(s)
        factor = CONTEXT_FACTOR if i in reading.context_toks else 1.0
        word = reading.doc.toks[i].word
        for task, weight in index.postings.get(s, ()):
            scores[task] += weight * factor * index.task_factor(word, task)
        for task, _ in index.anti_postings.get(s, ()):
            frag.blocked.add(task)
    if index.compound_parts:
        # "Rechnung der Kosten" for the task's "Kostenrechnung": both parts are the compound
        wholes = {whole for s in seen for other, whole in index.compound_parts.get(s, ())
                  if other in seen and whole not in seen}
        for whole in wholes:
            for task, weight in index.postings.get(whole, ()):
                scores[task] += weight
    ordered = [stems[i] for i in frag.positive if not is_number(stems[i])]
    for pair in pairwise(ordered):
        for task in index.bigram_tasks.get(pair, ()):
            scores[task] += BIGRAM_BONUS
    # "didn't give a free trial" holds the line; "they want it free" (a plan, the buyer's
    # wish) holds nothing
    for i in frag.negative if frag.state == "not_done" and not frag.buyers else ():
        for task, weight in index.anti_postings.get(stems[i], ()):
            scores[task] += weight
    if ENGAGED_WORDS.intersection(reading.doc.toks[i].word for i in frag.positive):
        # "owner signed the rollout", "COO joined the debrief": the buyer a task's name is
        # about, engaged - the task, however little its other words say
        positive_stems = {stems[i] for i in frag.positive if i in reading.role_toks}
        for task, task_entry in enumerate(index.tasks):
            if task_entry.roles & positive_stems:
                scores[task] = max(scores[task], MATCH_THRESHOLD)
    frag.scores = scores
    against: dict[int, float] = defaultdict(float)
    telling: set[int] = set()  # entries matched by more than the task's own words
    # one typed word is one piece of evidence, however many words its shorthand stands for
    by_word: dict[int, dict[int, float]] = defaultdict(dict)  # typed word -> entry -> weight
    used: set[tuple[int, str]] = set()
    # "dropped the price", "15% off": a discount by other words
    words = [reading.doc.toks[i].word for i in frag.toks]
    percent_off = "off" in words and any(a.endswith("%") and b == "off" for a, b in pairwise(words))
    ordered_stems = [stems[i] for i in frag.positive]
    matched = _PRICE in ordered_stems and any(
        s in _MATCHES for s in ordered_stems[:ordered_stems.index(_PRICE)])
    cut = (_PRICE in seen and seen & _CUTS) or matched or percent_off
    if not cut and index.against_postings.keys().isdisjoint(ordered_stems):
        frag.against = {}  # most fragments: no word of any counter-example
        return
    extra = [(-1, _DISCOUNT)] if cut else []
    for start, s in [(reading.doc.toks[i].start, stems[i]) for i in frag.positive] + extra:
        if is_number(s):
            continue
        for entry, weight in index.against_postings.get(s, ()):
            if (entry, s) in used:
                continue
            used.add((entry, s))
            found = by_word[start]
            found[entry] = max(found.get(entry, 0.0), weight)
            if s not in index.against[entry].own:
                telling.add(entry)
    for found in by_word.values():
        for entry, weight in found.items():
            against[entry] += weight
    frag.against = {e: w for e, w in against.items() if w >= MATCH_THRESHOLD and e in telling}


def _only_its_role(reading: _Reading, frag: _Fragment, task: int) -> bool:
    """The only words of the fragment that speak for the task are the buyer role its name is
    about ("a prep school near Bath, bursar keen" for "Run a discovery with the bursar"): who,
    not what was done - unless someone did something ("met", "CFO accepted": `_score`)."""
    roles = reading.index.tasks[task].roles
    words = [reading.doc.toks[i].word for i in frag.toks]
    if not roles or ENGAGED_WORDS.intersection(words) or any(looks_done(w) for w in words):
        return False  # the buyer did something with us: "CFO accepted", "GM joined"
    doc, postings = reading.doc, reading.index.postings
    spans = {(doc.toks[i].start, doc.toks[i].end) for i in frag.positive
             if any(t == task for t, _ in postings.get(doc.stems[i], ()))}
    # the word as typed, not its glossary expansion: "bursar" -> "head of finance ..."
    return bool(spans) and all(stem(doc.text[a:b].lower()) in roles for a, b in spans)


def _negated_task(reading: _Reading, frag: _Fragment) -> int | None:
    scores: dict[int, float] = defaultdict(float)
    for s in {reading.doc.stems[i] for i in frag.negative}:
        for task, weight in reading.index.postings.get(s, ()):
            scores[task] += weight
    best = max(scores.items(), key=lambda kv: kv[1], default=None)
    return best[0] if best is not None and best[1] >= MATCH_THRESHOLD else None


def _decide(frag: _Fragment, context: dict[int, float]) -> tuple[int, float] | None:
    """The task this fragment maps to, or None.

    A task qualifies on the fragment's own evidence, or on a share of it when the rest of the
    sentence already names that task ("offered smaller scope instead" after "pushed back on the
    discount"). Among qualifying tasks the one the whole sentence supports most wins.
    """
    allowed = {t: own for t, own in frag.scores.items() if t not in frag.blocked}
    best_own = max(allowed.values(), default=0.0)
    floor = max(MATCH_THRESHOLD / 2, best_own / 2)
    candidates = []
    for task, own in allowed.items():
        elsewhere = context.get(task, 0.0) - own
        supported = own >= floor and elsewhere >= MATCH_THRESHOLD
        if own >= MATCH_THRESHOLD or supported:
            candidates.append((own + CONTEXT_BONUS * elsewhere, -task))
    if not candidates:
        return None
    rank, task = max(candidates)
    return -task, rank


def _confidence(score: float) -> float:
    return round(min(1.0, 1.0 - 0.5 * math.exp(-(score - MATCH_THRESHOLD) / MATCH_THRESHOLD)), 3)


Polarity = tuple[tuple[int, int] | None, str]


def _polarity(reading: _Reading, clause: Clause) -> Polarity:
    """Where the clause's negation, stall or plan starts and ends, and what it says."""
    words = [reading.doc.toks[i].word for i in _clause_words(clause)]
    if _marked_not_done(reading, clause):
        return (0, 0), "not_done"
    post_words = topics_unmarked(words, reading.index.task_stems, reading.index.words)
    if booked_only(post_words):
        return None, "done"
    if post_negated(post_words):
        state = post_state(post_words)
        if state == "planned" and opens_with_past(words):
            return None, "done"  # "llame a los leads del webinar el lunes": done on Monday
        return (0, 0), state
    if buyer_request(words) and ":" not in reading.span(_clause_words(clause)).text:
        # the buyer's ask: "PM at Greystones asked for our DPA" (not a label before the rep's
        # own asking: "Discovery: asked about their last regulator exam")
        return (0, 0), "planned"
    cue = negation_at(words)
    if cue is None:
        return (_dated_ahead(words), "planned") if _dated_ahead(words) else (None, "done")
    if tuple(words[cue[0]:cue[1]]) in OFFER_PHRASES and concedes(
            reading.span(_clause_words(clause)).text):
        return None, "done"  # "offered them an extra 10% to close": given, not proposed
    state = cue_state(words, cue)
    if (state == "not_done" or current_language() == "en") and cue[0] > 0 and not _reports_done(
            reading, _clause_words(clause)[:cue[0]]):
        # the negation or plan comes after what it governs: "the pilot hasn't started", "el
        # piloto todavía no arrancó", "the sandbox trial will start in May" - nothing before
        # it reports anything done
        return (0, 0), state
    return cue, state


def _dated_ahead(words: list[str]) -> tuple[int, int] | None:
    """"Wed: presenting to the governors", "tmrw visiting two schools": a day, then what will
    happen on it in the -ing form and nothing reported done - a plan (not "Tues: visited ...")."""
    k = 0
    while k < len(words) and _names_a_time(words[k]) and not is_number(words[k]):
        k += 1
    if k == 0 or k >= len(words) or any(looks_done(w) for w in words):
        return None
    verb = words[k]
    return (0, 0) if len(verb) > 5 and verb.endswith("ing") else None


def _reports_done(reading: _Reading, toks: list[int]) -> bool:
    """Some word reports something done, as written ("Followed up" is read as "followup")."""
    doc = reading.doc
    return any(looks_done(doc.toks[i].word) or looks_done(
        (doc.text[doc.toks[i].start:doc.toks[i].end].split(maxsplit=1) or [""])[0].lower())
        for i in toks)


def _carried(reading: _Reading, clause: Clause, previous: Polarity) -> bool:
    """A clause with no cue of its own that continues one governed by a leading negation or
    plan ("haven't called the webinar leads, the ROI model or the reference"; "will send the
    proposal Mon, then book the reference call") - unless it reports something done."""
    cue, state = previous
    if cue is None or state == "done" or cue[0] > 2:
        return False
    words = [reading.doc.toks[i].word for i in _clause_words(clause)]
    return not any(looks_done(w) for w in words)


_NOT_DONE_MARKS = frozenset("❌✖✗✘🚫⛔") | _PENDING_MARKS


def _marked_not_done(reading: _Reading, clause: Clause) -> bool:
    """A ❌ right after the clause's words, before the next separator ("walkdown @ Sunfield ❌")."""
    return _mark_after(reading, clause) == "not_done"


def _mark_after(reading: _Reading, clause: Clause) -> str | None:
    """"not_done" for a ❌ in the clause or right after its words, before the next separator
    or the next clause a mark began; "done" for a ✅ there (and no ❌); None for neither."""
    if _MARKS.isdisjoint(reading.doc.text):
        return None  # most answers have no mark at all: no clause's region to look at
    toks, text = reading.doc.toks, reading.doc.text
    words = _clause_words(clause)
    if not words:
        return None
    end, last = toks[words[-1]].end, words[-1]
    nxt = toks[last + 1] if last + 1 < len(toks) else None
    if nxt is not None and nxt.kind == WORD and not _MARKS.isdisjoint(text[end:nxt.start]):
        following = nxt.start  # the mark ended this clause: the next word is the next clause's
    else:
        following = next((t.start for t in toks[last + 1:] if t.kind != WORD), len(text))
    region = text[toks[words[0]].start:max(end, following)]
    if not _NOT_DONE_MARKS.isdisjoint(region):
        return "not_done"
    return "done" if not _PLAYED_MARKS.isdisjoint(region) else None


def _fragments(reading: _Reading, clause: Clause, polarity: Polarity) -> list[_Fragment]:
    """The clause's fragments, each split at the clause's negation (if any). A short part that
    names no task by itself before "and" is read with what follows it: "GF und zahnärztliche
    Leitung im Call", "CFO and COO joined the call" name who joined together."""
    out: list[_Fragment] = []
    position = 0
    pending: Fragment = []
    for k, fragment in enumerate(clause):
        toks = pending + fragment
        frag = _fragment(reading, toks, position - len(pending), polarity)
        position += len(fragment)
        if k + 1 < len(clause) and _leads_in(reading, frag):
            pending = toks
            continue
        pending = []
        out.append(frag)
    return out


_LEAD_IN_WORDS = 2


def _leads_in(reading: _Reading, frag: _Fragment) -> bool:
    """At most two words, function words included (not "Hab der Fintech den Setup erlassen"),
    naming no task and nothing worked against: the start of a pair (the account or segment it
    is about, "Lächelwerk Zahnzentren: GF und ...", not counted)."""
    typed = {reading.doc.toks[i].start for i in frag.toks if i not in reading.context_toks}
    return (len(typed) <= _LEAD_IN_WORDS and not frag.negative and not frag.blocked
            and max(frag.scores.values(), default=0.0) < MATCH_THRESHOLD)


def _fragment(reading: _Reading, fragment: Fragment, position: int,
              polarity: Polarity) -> _Fragment:
    cue, state = polarity
    content = _content(reading, fragment)
    if cue is None:
        positive, negative = content, []
    else:
        before = {fragment[j] for j in range(len(fragment)) if position + j < cue[0]}
        cue_toks = {fragment[j] for j in range(len(fragment)) if position + j < cue[1]}
        positive = [i for i in content if i in before]
        negative = [i for i in content if i not in cue_toks]
    frag = _Fragment(fragment, positive, negative, state)
    if cue is not None and state == "not_done":
        frag.buyers = buyer_subject([reading.doc.toks[i].word for i in fragment])
    _score(reading, frag)
    return frag


def _sentence_tasks(reading: _Reading, sentence: Sentence, out: TasksResult,
                    qualify: tuple[int, ...] = ()) -> None:
    polarities: list[Polarity] = []
    marked: list[bool] = []  # a ✅ or ⛔ says what its own clause is, and no other's
    for clause in sentence:
        polarity = _polarity(reading, clause)
        marked.append(_mark_after(reading, clause) is not None)
        if (polarity[0] is None and polarities and not marked[-1] and not marked[-2]
                and _carried(reading, clause, polarities[-1])):
            polarity = ((0, 0), polarities[-1][1])
        polarities.append(polarity)
    clauses = [_fragments(reading, clause, polarity)
               for clause, polarity in zip(sentence, polarities, strict=True)]
    context: dict[int, float] = defaultdict(float)
    for frag in (f for clause in clauses for f in clause):
        for task, score in frag.scores.items():
            context[task] += score
    # said anywhere in the sentence: "closed lost Maren Health, hospital system, not our ICP"
    turns_away = bool(qualify) and _turns_away(reading, sentence)
    chores = _chores(reading, sentence, [f for clause in clauses for f in clause])
    for frags in clauses:
        unmatched: list[_Fragment] = []
        for frag in frags:
            against = _against(reading, frag, out)
            # what works against a task or an objective is never also credited as doing one,
            # and work inside our own company ("QBR prep, expense reports") does no customer task
            # (asked only when nothing works against a task: the answer is the same either way)
            # naming who decides ("EB is the VP ops") reaches no one: neither a task nor effort
            decider = names_decider([reading.doc.toks[i].word for i in frag.toks])
            decision = None if against or decider or id(frag) in chores else _decide(frag, context)
            if decision is not None and _only_its_role(reading, frag, decision[0]):
                decision = None
            if decision is not None and decision[0] in qualify and not turns_away:
                # the prospects a qualify-out task names ("declined a DPP enquiry") are who is
                # turned away, not the turning away: "DPP office reached out", "spent the week in
                # Montreal with a franchisee" is working them
                decision = None
            if decision is not None:
                task, score = decision
                out.matches.append(TaskMatch(task_id=reading.index.tasks[task].id,
                                             confidence=_confidence(score),
                                             evidence=reading.span(frag.toks)))
            elif (negated := _negated_task(reading, frag)) is not None and (
                    negated not in qualify or turns_away):
                # as above: "demo for a Montreal bistro group next week" plans no turning away
                out.negated.append(reading.span(frag.toks))
                out.matches.append(TaskMatch(task_id=reading.index.tasks[negated].id,
                                             confidence=0.7, evidence=reading.span(frag.toks),
                                             state=frag.state))
            elif not against and not decider and _is_activity(reading, frag.positive, frag.toks):
                unmatched.append(frag)
        matched_here = len(unmatched) < len(frags)
        for frag in unmatched:
            if not (matched_here and len(frag.positive) <= ABSORB_MAX_WORDS):
                out.unmapped.append(reading.span(frag.toks))
    _plans_for_the_last_undone(reading, sentence, polarities, out)
    _undone_by_a_verdict(reading, sentence, out)
    _undone_by_what_follows(reading, sentence, polarities, out)
    _none_of_it_done(reading, sentence, polarities, out)


def _undone_by_a_verdict(reading: _Reading, sentence: Sentence, out: TasksResult) -> None:
    """"tried the bursar twice, no luck", "export from their old system - nope": a clause that
    is only a verdict (`bare_verdict`) says the clause just before it did not happen."""
    for k in range(1, len(sentence)):
        if bare_verdict([reading.doc.toks[i].word for i in _clause_words(sentence[k])]):
            _undo(reading, _clause_words(sentence[k - 1]), out)


def _undo(reading: _Reading, toks: list[int], out: TasksResult) -> None:
    """What was credited as done inside `toks` was not done."""
    start, end = reading.doc.toks[toks[0]].start, reading.doc.toks[toks[-1]].end
    for match in out.matches:
        if match.state == "done" and start <= match.evidence.start < end:
            match.state = "not_done"


def _asked_back(reading: _Reading, n: int) -> bool:
    """Sentence `n` is a question answered by a verdict in the next: "Pilot at X? not yet."."""
    doc = reading.doc
    if n + 1 >= len(reading.sentences):
        return False
    last, first = _words(reading.sentences[n])[-1], _words(reading.sentences[n + 1])[0]
    return "?" in doc.text[doc.toks[last].end:doc.toks[first].start] and bare_verdict(
        [doc.toks[i].word for i in _clause_words(reading.sentences[n + 1][0])])


_ASKING_FIRST = wordset("""can could should shall may might do does any anyone anybody is are
    would""")


def _asks_the_manager(reading: _Reading, sentence: Sentence) -> bool:
    """The sentence asks someone on our side rather than reporting ("can we do a reference
    for them?", "does anyone have a case study I can send?"): it ends in "?" and opens with an
    auxiliary or "any" - what it names is not done (at most wanted)."""
    doc, toks = reading.doc, _words(sentence)
    after = doc.text[doc.toks[toks[-1]].end:doc.toks[toks[-1]].end + 3]
    return after.lstrip().startswith("?") and doc.toks[toks[0]].word in _ASKING_FIRST


def _none_of_it_done(reading: _Reading, sentence: Sentence, polarities: list[Polarity],
                     out: TasksResult) -> None:
    """"spent the day at the trade show booth, scanned 60 badges, nothing followed up yet": a
    clause that says none of a task was done undoes what looked like that task earlier in the
    sentence (where the leads came from is not following them up)."""
    start = reading.doc.toks[_words(sentence)[0]].start
    for clause, (cue, state) in zip(sentence, polarities, strict=True):
        if cue is None or state != "not_done":
            continue
        toks = _clause_words(clause)
        if not says_nothing([reading.doc.toks[i].word for i in toks], cue):
            continue
        first = reading.doc.toks[toks[0]].start
        undone = {m.task_id for m in out.matches
                  if m.state == "not_done" and m.evidence.start >= first}
        for match in out.matches:
            if match.task_id in undone and match.state == "done" and (
                    start <= match.evidence.start < first):
                match.state = "not_done"


def _undone_by_what_follows(reading: _Reading, sentence: Sentence, polarities: list[Polarity],
                            out: TasksResult) -> None:
    """"EB identified at Copper Kettle. haven't met her yet", "chased the show leads from 3 wks
    ago. should have rung them the day after": a negation naming no task of its own that only
    points back at who was just named undoes the task credited just before it."""
    for clause, (cue, state) in zip(sentence, polarities, strict=True):
        if cue is None or state != "not_done":
            continue
        toks = _clause_words(clause)
        words = [reading.doc.toks[i].word for i in toks]
        start = reading.doc.toks[toks[0]].start
        if cue == (0, 0) or not points_back(words, cue) or any(
                m.evidence.start >= start for m in out.matches):
            continue
        for match in reversed(out.matches):
            if match.state == "done" and match.evidence.end <= start:
                match.state = "not_done"
                break


def _turns_away(reading: _Reading, sentence: Sentence) -> bool:
    """A clause of the sentence says no to someone: a decline, a verdict against, avoiding or a
    negation."""
    for clause in sentence:
        words = [reading.doc.toks[i].word for i in _clause_words(clause)]
        if declines(words) or rejects(words) or avoids(words):
            return True
    return False


CHORES_AROUND = 2
"""Items of internal work in a sentence that make its other items internal too."""


def _chores(reading: _Reading, sentence: Sentence, frags: list[_Fragment]) -> set[int]:
    """The fragments (by `id`) that are work inside our own company: those naming it
    (`_ours`), and in a sentence that is a list of such work the items beside them that name no
    customer - "QBR prep, expense reports, CRM cleanup", "wrote the forecast, onboarding our new
    starter, cleaned up HubSpot" - or every item under an "Internal:" heading."""
    ours = {id(f) for f in frags if _ours(reading, f)}
    doc = reading.doc
    first = _words(sentence)[0]
    after = doc.text[doc.toks[first].end:doc.toks[first].end + 2].lstrip()
    if first in {i for f in frags if id(f) in ours for i in f.toks[:1]} and after.startswith(":"):
        return {id(f) for f in frags}  # "Internal: pipeline review, comp plan questions, ..."
    if len(ours) < CHORES_AROUND:
        return ours
    return ours | {id(f) for f in frags if id(f) not in ours
                   and not reading.context_toks.intersection(f.toks)}


def _ours(reading: _Reading, frag: _Fragment) -> bool:
    """The fragment names work inside our own company (`internal_at`)."""
    toks = reading.doc.toks
    return internal_at([toks[i].word for i in frag.toks if toks[i].kind == WORD],
                       reading.index.task_stems) is not None


_PRO_FORMS = wordset("do it that them this one those done doing on")


def _plans_for_the_last_undone(reading: _Reading, sentence: Sentence, polarities: list[Polarity],
                               out: TasksResult) -> None:
    """"haven't called the webinar leads yet, will do Monday": a plan that only points back
    ("will do", "doing it tmrw") makes the task named just before it planned, not stalled -
    the coaching then acknowledges the plan instead of asking who can unblock it."""
    for k in range(1, len(sentence)):
        if polarities[k][1] != "planned" or polarities[k - 1][1] != "not_done":
            continue
        words = [reading.doc.toks[i].word for i in _clause_words(sentence[k])]
        cue = polarities[k][0] or (0, 0)
        rest = [w for i, w in enumerate(words) if not cue[0] <= i < cue[1]]
        if any(w not in _PRO_FORMS and is_content(w) and not _names_a_time(w) for w in rest):
            continue  # the plan names its own activity: it is read on its own
        start = reading.doc.toks[_clause_words(sentence[k - 1])[0]].start
        for match in reversed(out.matches):
            if match.state == "not_done" and match.evidence.start >= start:
                match.state = "planned"
                break


def _names_a_time(word: str) -> bool:
    """A word that only says when ("monday", "tmrw", "eod", "9am", "14th")."""
    return word in _TIME_WORDS or is_number(word) or any(c.isdigit() for c in word)


_TIME_WORDS = wordset("""monday tuesday wednesday thursday friday saturday sunday mon tue tues wed
    thu thur thurs fri sat sun today tonight tomorrow tmrw tmr tmw eod eow asap later soon week
    next morning afternoon evening am pm""")


def _against(reading: _Reading, frag: _Fragment, out: TasksResult) -> bool:
    """Record what the fragment's positive words do against a task or an objective; a task
    worked against is never credited as done in the same fragment."""
    index = reading.index
    found = False

    def rank(e: int) -> tuple[float, float, int]:
        """Strongest first; at equal strength, the one the fragment says most of (all of "not
        discounts" before one word of "not an open-ended free trial"), then strategy order -
        never the order a set of words happened to iterate in, which changed the coaching
        from one process to the next."""
        entry = index.against[e]
        total = sum(w for s, w in entry.weights.items() if s not in entry.own) or 1.0
        return -round(frag.against[e], 9), -round(frag.against[e] / total, 9), e

    for entry_index in sorted(frag.against, key=rank):
        entry = index.against[entry_index]
        target = f"{entry.kind}:{entry.target}"
        if target in {f"{a.kind}:{a.target}" for a in out.against}:
            found = True
            continue
        out.against.append(Against(kind=entry.kind, target=entry.target,
                                   name=entry.name, evidence=reading.span(frag.toks)))
        found = True
        if entry.kind == "task":
            frag.blocked.update(i for i, t in enumerate(index.tasks) if t.id == entry.target)
    return found


def _is_activity(reading: _Reading, positive: list[int], toks: Fragment) -> bool:
    """Words beyond filler, numbers, and the names of segments and buyer roles, that say what
    was done: a remark about the buyer or the deal ("they're keen", "big", "got Dr") is not
    off-strategy effort (`is_remark`), nor is work without a what or a whom ("did some calls",
    "the usual": `is_vague`), which the feedback asks to hear more about."""
    words = [reading.doc.toks[i].word for i in positive
             if not is_number(reading.doc.toks[i].word) and i not in reading.context_toks]
    return (any(w not in _FILLER for w in words) and not is_remark(words) and not is_vague(words)
            and not is_away([reading.doc.toks[i].word for i in toks])
            and not buyer_reaction([reading.doc.toks[i].word for i in toks[:2]]))


def _qualify_tasks(reading: _Reading, strategy: Strategy) -> tuple[int, ...]:
    """The strategy's tasks about turning prospects away: those whose name says so ("Qualify
    out early", "Unpassende Anfragen früh aussortieren"), in the language being read."""
    index, language = reading.index, current_language()
    found = index.qualify_tasks.get(language)
    if found is None:
        names = {task.id: task.name for task in strategy.sales_tasks}
        found = tuple(n for n, entry in enumerate(index.tasks)
                      if declines([t.word for t in index.read(names.get(entry.id, "")).toks]))
        index.qualify_tasks[language] = found
    return found


def _qualified_out(reading: _Reading, strategy: Strategy, n: int, out: TasksResult) -> None:
    """A sentence that turns away a prospect of a segment we do not play in, named there or in
    the sentence before ("Albion Vet Holdings asked for a pilot. Told them we focus on
    independents"), is the qualify-out task done - never working against it, nor off-strategy."""
    tasks = _qualify_tasks(reading, strategy)
    named = reading.sentence_segments[n] + (reading.sentence_segments[n - 1] if n else [])
    if not tasks or all(reading.index.segment_in_scope[s] for s in named):
        return
    toks = _declining_part(reading, reading.sentences[n])
    if not toks:
        return
    span = reading.span(toks)

    def inside(evidence: Evidence) -> bool:
        return span.start <= evidence.start and evidence.end <= span.end

    ids = {reading.index.tasks[t].id for t in tasks}
    out.against = [a for a in out.against if not (a.target in ids and inside(a.evidence))]
    out.unmapped = [e for e in out.unmapped if not inside(e)]
    out.matches = [m for m in out.matches if not (m.task_id in ids and inside(m.evidence))]
    out.matches.extend(TaskMatch(task_id=task_id, confidence=0.8, evidence=span)
                       for task_id in sorted(ids))


def _declining_part(reading: _Reading, sentence: Sentence) -> list[int]:
    """The words that turn the prospect away: from the clause naming an out-of-scope segment to
    the clause that declines it ("DQd a 6-person startup", not the ", ran disco with ..." after
    it); empty when no clause declines."""
    clauses = [_clause_words(clause) for clause in sentence]
    doc = reading.doc
    for d, words in enumerate(clauses):
        if declines([doc.toks[i].word for i in words]):
            out_of_scope = {m.evidence.start for m in reading.segments if not m.in_scope}
            first = next((c for c in range(d, -1, -1)
                          if any(doc.toks[i].start in out_of_scope for i in clauses[c])), d)
            return [i for c in clauses[first:d + 1] for i in c]
    return []


def _without_reasons(reading: _Reading) -> list[SegmentMention]:
    """A segment of ours named in the words that turn an out-of-scope prospect away is the
    reason given ("descalifiqué un Hilton franquiciado, les dije q somos para independientes"),
    not a prospect worked this week."""
    doc, reasons = reading.doc, set[int]()
    out_of_scope = {m.evidence.start for m in reading.segments if not m.in_scope}
    if not out_of_scope or all(not m.in_scope for m in reading.segments):
        return reading.segments
    for sentence in reading.sentences:
        clauses = [_clause_words(clause) for clause in sentence]
        if not any(doc.toks[i].start in out_of_scope for c in clauses for i in c):
            continue
        for words in clauses:
            if declines([doc.toks[i].word for i in words]):
                reasons.update(doc.toks[i].start for i in words)
    return [m for m in reading.segments
            if not (m.in_scope and m.evidence.start in reasons
                    and not _account_at(reading, m.evidence.start, m.segment_id))]


def _tasks(reading: _Reading, strategy: Strategy) -> TasksResult:
    result = TasksResult()
    qualify = _qualify_tasks(reading, strategy)
    for n, sentence in enumerate(reading.sentences):
        before = len(result.matches)
        _sentence_tasks(reading, sentence, result, qualify)
        _qualified_out(reading, strategy, n, result)
        if _asked_back(reading, n):
            _undo(reading, _clause_words(sentence[-1]), result)
        elif _asks_the_manager(reading, sentence):
            for match in result.matches[before:]:
                if match.state == "done":
                    match.state = "planned"
        toks = _words(sentence)
        if is_away([reading.doc.toks[i].word for i in toks]):  # "Nothing this week, on PTO"
            result.away.append(reading.span(toks))
    result.critical_missing = critical_missing(strategy, result.task_ids)
    # a concession the rep gave (a fee waived, months free, "dcto del 30%") works against the
    # strategy's pricing task and objective in the verdict itself - so digests and coverage
    # see it - and a price "held" in the same sentence is not done
    return with_concessions(result, strategy, reading.doc.text, per_sentence=True)


# ----- strategy statement -------------------------------------------------------------------


def _statement(reading: _Reading, answer: str) -> StatementResult:
    words = count_words(answer[:WORD_COUNT_MAX_CHARS])
    return StatementResult(
        word_count=words,
        word_limit=STATEMENT_WORD_LIMIT,
        within_limit=words <= STATEMENT_WORD_LIMIT,
        components=[_objectives(reading), _scope_component(reading), _advantage(reading)],
    )


def _scope_component(reading: _Reading) -> ComponentCoverage:
    """Scope is stated by naming where we play, or where we deliberately do not."""
    said = [m.evidence for m in reading.segments if m.in_scope == m.stated_as_played]
    return _coverage("scope", said)


def _objectives(reading: _Reading) -> ComponentCoverage:
    doc = reading.doc
    evidence: list[Evidence] = []
    for sentence in reading.sentences:
        toks = _content(reading, _words(sentence))
        words = {doc.toks[i].word for i in toks}
        # two words the person typed, not two words of one glossary entry: "RMS" stands for
        # "revenue management system ... precios", and "Somos el RMS más barato" states no goal
        specific = any(len({doc.toks[i].start for i in toks if doc.stems[i] in wanted}) >= 2
                       for _, wanted in reading.index.objectives)
        metric = bool(words & _METRIC_WORDS)
        goal = metric and (bool(words & _GOAL_VERBS) or any(is_number(w) for w in words))
        if specific or goal:
            evidence.append(reading.span(toks))
    return _coverage("objectives", evidence)


def _advantage(reading: _Reading) -> ComponentCoverage:
    doc, weights = reading.doc, reading.index.advantage
    evidence: list[Evidence] = []
    for sentence in reading.sentences:
        toks = _content(reading, _words(sentence))
        hits = {doc.stems[i]: i for i in toks if doc.stems[i] in weights}
        total = sum(weights[s] for s in hits)
        compares = any(doc.toks[i].word in _COMPARATIVES for i in _words(sentence))
        if hits and (total >= ADVANTAGE_NEEDED or (compares and total >= 1.0)):
            evidence.append(reading.span(sorted(hits.values())))
    return _coverage("advantage", evidence)


def _coverage(component: Component, evidence: list[Evidence]) -> ComponentCoverage:
    return ComponentCoverage(component=component, covered=bool(evidence), evidence=evidence[:5])


# ----- the evaluator ------------------------------------------------------------------------


def _unmatched(question: Question, tasks: TasksResult | None, scope: ScopeResult,
               statement: StatementResult | None, text: str) -> bool:
    """Whether an answer in another language than the strategy's said something and none of it
    met the strategy's words: activities that map to no task (nothing done, planned, stalled or
    worked against, no absence), no segment named for the scope question, no part of the
    statement covered; a segment read is a match too (a Dutch answer naming a French strategy's
    segment keeps it). An empty or one-word answer is not this: it is asked for detail."""
    if question == "tasks":
        return (tasks is not None and bool(tasks.unmapped) and not tasks.matches
                and not tasks.against and not tasks.away and not scope.segments)
    if not assess(text).substantive:
        return False
    if question == "scope":
        return not scope.segments
    return statement is not None and not scope.segments and not any(
        c.covered for c in statement.components)


class RulesEvaluator:
    """Offline, deterministic evaluator; the default. Never raises for any answer text."""

    name = "rules"
    version = RULES_VERSION

    async def evaluate(self, question: Question, answer: str, strategy: Strategy) -> Evaluation:
        """The protocol entry point; the work is CPU-only and fast, so it runs inline."""
        return self.evaluate_sync(question, answer, strategy)

    def prepare(self, strategy: Strategy) -> None:
        """Build the strategy's index (cached per version) ahead of the first answer: see
        `bot.runtime.process.prepare_judging`."""
        index_for(strategy)

    def evaluate_sync(self, question: Question, answer: str, strategy: Strategy) -> Evaluation:
        """Judge one answer to one question against the strategy."""
        text = answer if isinstance(answer, str) else ""
        index = index_for(strategy)
        language = detect(text[:MAX_ANSWER_CHARS], index.language)
        if not language.covered:
            return self._not_read(question, strategy, text, language.code)
        with reading_language(language.code):
            reading = _read(index, text)
            segments = _without_reasons(reading) if question == "tasks" else reading.segments
            scope = ScopeResult(segments=segments, processes=_processes(reading))
            tasks = _tasks(reading, strategy) if question == "tasks" else None
            statement = _statement(reading, text) if question == "strategy" else None
        if language.code != index.language and _unmatched(question, tasks, scope, statement, text):
            # a Spanish answer to an English strategy: the strategy's words never met the
            # answer's, so "everything is missing" would be our failure, not the person's
            return self._not_read(question, strategy, text, language.code, index.language)
        scores, overall = compute_scores(
            question, strategy, tasks=tasks, scope=scope, statement=statement
        )
        return Evaluation(
            question=question,
            evaluator=self.name,
            evaluator_version=self.version,
            strategy_version=strategy.version,
            tasks=tasks,
            scope=scope,
            statement=statement,
            scores=scores,
            overall=overall,
            language=language.code,
            statement_text=text[:WORD_COUNT_MAX_CHARS] if question == "strategy" else "",
        )

    def _not_read(self, question: Question, strategy: Strategy, text: str,
                  language: str, strategy_language: str | None = None) -> Evaluation:
        """An answer in a language we have no pack for, or (`strategy_language` given) one we
        read but could not match against a strategy written in another: nothing judged, rather
        than misjudged (the feedback says so; with an LLM configured the LLM evaluator reads it)."""
        words = count_words(text[:WORD_COUNT_MAX_CHARS])
        return Evaluation(
            question=question, evaluator=self.name, evaluator_version=self.version,
            strategy_version=strategy.version, language=language, language_supported=False,
            strategy_language=strategy_language,
            tasks=TasksResult() if question == "tasks" else None,
            scope=ScopeResult(),
            statement=StatementResult(word_count=words, word_limit=STATEMENT_WORD_LIMIT,
                                      within_limit=words <= STATEMENT_WORD_LIMIT, components=[])
            if question == "strategy" else None,
            scores={}, overall=0.0)
