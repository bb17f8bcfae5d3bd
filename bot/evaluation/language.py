"""Which language an answer (or a strategy) is written in, offline.

European sales teams answer in their own language; the rules evaluator reads the languages it has
a pack for (`COVERED`: English built in, the others from prompts/languages/). py3langid's model is
loaded once, on first use, and asked to choose among those and a few neighbours, so a German
answer is German and a Portuguese one is recognised as a language we do not read - in which case
the feedback says so instead of judging it wrongly. Short or ambiguous text (a rep's "disco w/
EB, sent SOC2 report") is read in the strategy's own language.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from bot.evaluation.text import PACKS, wordset

try:  # Counter's own C counting loop, without Counter's layers around it
    from collections import _count_elements  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a Python without the private helper
    def _count_elements(mapping: dict[int, int], iterable: list[int]) -> None:
        for element in iterable:
            mapping[element] = mapping.get(element, 0) + 1

COVERED = frozenset(PACKS)
NEIGHBOURS = ("it", "pt", "pl", "sv", "da", "no", "cs")
"""Languages we do not read but must recognise rather than mistake for one we do."""
SURE = 0.9
"""Probability above which an answer is taken to be in a language we do not read."""
LIKELY = 0.7
"""Probability above which an answer is read in the detected (covered) language."""
MIN_WORDS = 4


@dataclass(frozen=True)
class Detected:
    code: str
    covered: bool
    probability: float

    @property
    def name(self) -> str:
        return PACKS[self.code].name if self.code in PACKS else NAMES.get(self.code, self.code)


NAMES = {"it": "Italian", "pt": "Portuguese", "pl": "Polish", "sv": "Swedish", "da": "Danish",
         "no": "Norwegian", "cs": "Czech"}

_IDENTIFIER: Any = None
_LOCK = threading.Lock()
_WALKS: dict[tuple[Any, ...], tuple[int, tuple[int, ...]]] = {}
"""(automaton state, a word) -> (state after the word and the space after it, features it
passed), and (state, a text's last word, None) -> the same without a space: py3langid's walk
over an answer's bytes, one word at a time (see `_identifier`)."""
WALKS_KEPT = 32768
"""Remembered word walks (a few MB); all are forgotten when there are more."""


def _identifier() -> Any:
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _LOCK:
            if _IDENTIFIER is None:
                from py3langid.langid import MODEL_FILE

                identifier = _identifier_class().from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(sorted(COVERED) + list(NEIGHBOURS))
                _IDENTIFIER = identifier
    return _IDENTIFIER


def _identifier_class() -> Any:
    """py3langid's identifier, walking its byte automaton a word at a time and remembering each
    word's walk: the walk was three quarters of detecting an answer's language, and answers are
    mostly words seen before. The features come out in the same order as from the library's own
    walk, so the scores are the same to the last bit. A py3langid without the walk this relies on
    gets its own identifier."""
    from py3langid import langid

    base = langid.LanguageIdentifier
    if not hasattr(base, "_raw_score") or not hasattr(langid, "visit_counts"):
        return base

    class WordWalkIdentifier(base):  # type: ignore[misc, valid-type]
        _rows: tuple[Any, Any] | None = None

        def _raw_score(self, text: bytes) -> Any:
            features = _features(self.tk_nextmove, self._rowbase, self.tk_output, text)
            if not features:
                return super()._raw_score(b"")  # the library's score for a text without any
            visits: dict[int, int] = {}
            _count_elements(visits, features)  # what Counter(features) holds, without its layers
            return self._sparse_score(visits, self._table())

        def _table(self) -> Any:
            """The model's feature rows for the chosen languages as one float32 row per
            feature, side by side in memory: the library keeps them in float16 column by
            column, so an answer's few hundred features touched memory all over the table and
            were converted on every answer. The product reads the same float32 values (float16
            converts exactly), so the scores are the same to the last bit."""
            rows = self._rows
            if rows is None or rows[0] is not self.nb_ptc:
                import numpy as np

                rows = self._rows = (self.nb_ptc,
                                     np.ascontiguousarray(self.nb_ptc, dtype=np.float32))
            return rows[1]

    return WordWalkIdentifier


def _features(moves: Any, rows: list[int], output: Any, text: bytes) -> list[int]:
    """The automaton's features over `text`, in order: py3langid's `visit_counts` walk, a word
    (with the space after it) at a time, each word's walk from the state it starts in kept -
    under the word itself, without a copy of it with its space made for every word; the last
    word, which has no space after it, under a key of its own."""
    walks = _WALKS
    state = 0
    features: list[int] = []
    extend = features.extend
    words = text.split(b" ")
    last = words.pop()  # `split` always gives one
    for word in words:
        walk = walks.get((state, word))
        if walk is None:
            walk = _walk(moves, rows, output, state, word + b" ", (state, word))
        state = walk[0]
        extend(walk[1])
    walk = walks.get((state, last, None))
    if walk is None:
        walk = _walk(moves, rows, output, state, last, (state, last, None))
    extend(walk[1])
    return features


def _walk(moves: Any, rows: list[int], output: Any, state: int, chunk: bytes,
          key: tuple[Any, ...]) -> tuple[int, tuple[int, ...]]:
    """The automaton's walk over `chunk` from `state`: where it ends and the features it
    passed, remembered under `key`."""
    found = []
    for byte in chunk:
        state = moves[rows[state] + byte]
        feature = output[state]
        if feature >= 0:
            found.append(feature)
    walk = (state, tuple(found))
    if len(_WALKS) >= WALKS_KEPT:
        _WALKS.clear()
    _WALKS[key] = walk
    return walk


def _plainly_english(text: str, default: str) -> bool:
    """An English answer to an English strategy needs no model: no letter beyond ASCII and no
    word that only another covered language uses as a function word - or only such words that
    are everyday English too ("met the CFO", "want"), among English grammar ("the", "and")."""
    if default != "en" or not text.isascii():
        return False
    words = set(text.lower().split())
    foreign = words & _FOREIGN_ANY
    if not foreign:
        return True
    return foreign <= _ENGLISH_TOO and len(words & _ENGLISH_GRAMMAR) >= 2


_FOREIGN_ONLY = {code: pack.stop_words - PACKS["en"].stop_words
                 - frozenset({"a", "an", "die", "man", "also", "hat", "war", "bin", "son", "door"})
                 for code, pack in PACKS.items() if code != "en"}
_FOREIGN_ANY = frozenset().union(*_FOREIGN_ONLY.values())
_ENGLISH_TOO = frozenset({"met", "want", "even", "plus"})
"""Function words of another language (Dutch "met", "want", "even"; French "plus") that are
everyday English words: with English grammar around them they say nothing against English. The
most common is "met" ("met the CFO"), which alone sent most English answers to the model."""
_ENGLISH_GRAMMAR = wordset("""the and with about to for they them their from after this that
    our at by but would should could what which who were has""")
"""English function words that no other covered language writes the same way."""


def detect(text: str, default: str = "en") -> Detected:
    """The language to read `text` in; `default` (the strategy's) when unsure."""
    if len(text.split()) < MIN_WORDS or _plainly_english(text, default):
        return Detected(default, True, 0.0)
    code, probability = _identifier().classify(text[:2000])
    code, probability = str(code), float(probability)
    if code in COVERED and probability >= LIKELY:
        return Detected(code, True, probability)
    if code not in COVERED and probability >= SURE:
        return Detected(code, False, probability)
    return Detected(default, True, probability)


__all__ = ["COVERED", "Detected", "detect"]
