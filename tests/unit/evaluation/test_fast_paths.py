"""The rules evaluator's shortcuts give exactly what the slow way gave: the C stemmers stem as
the pure-Python ones, the word-at-a-time language detection scores as py3langid's own walk, the
gazetteer's longest-name limit finds the same places, and the headcount pre-check never skips a
headcount. Each is compared with the slow way on the shipped labeled answers and generated text.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from typing import Any

import pytest
import snowballstemmer
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.config import REPO_ROOT
from bot.evaluation import descriptors, language, places
from bot.evaluation.text import PACKS

DATA = REPO_ROOT / "tests" / "data"


def _answers() -> list[str]:
    """Every answer of the development sets (not the held-out ones)."""
    found = []
    for path in sorted(DATA.glob("alignment_eval*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                found.append(str(json.loads(line).get("answer", "")))
    return found


ANSWERS = _answers()
WORDS = sorted({w for a in ANSWERS for w in re.findall(r"[^\W_]+", a.lower())})


def _pure_python(algorithm: str) -> Any:
    module = importlib.import_module(f"snowballstemmer.{algorithm}_stemmer")
    return getattr(module, f"{algorithm.title()}Stemmer")()


def test_stems_come_from_snowballs_c_stemmers() -> None:
    import Stemmer  # PyStemmer: a dependency, so snowballstemmer hands out its stemmers

    assert isinstance(snowballstemmer.stemmer("german"), Stemmer.Stemmer)


@pytest.mark.parametrize("code", sorted(PACKS))
def test_the_c_stemmer_stems_every_word_as_the_pure_python_one(code: str) -> None:
    from wordfreq import top_n_list

    algorithm = PACKS[code].stemmer
    fast, slow = snowballstemmer.stemmer(algorithm), _pure_python(algorithm)
    words = [*WORDS, *top_n_list(code, 20_000), "zürich", "straße", "übermäßig", "niño"]
    assert [fast.stemWord(w) for w in words] == [slow.stemWord(w) for w in words]


def _library_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(language.COVERED) + list(language.NEIGHBOURS))
    return identifier


def test_word_walks_score_answers_as_py3langids_own_walk() -> None:
    ours, theirs = language._identifier(), _library_identifier()
    assert type(ours).__name__ == "WordWalkIdentifier"
    language._WALKS.clear()
    texts = [*ANSWERS, "", " ", "  two  spaces ", "ÜBER ALLES", "x" * 2500]
    for _ in range(2):  # walked, then remembered
        assert [ours.classify(t) for t in texts] == [theirs.classify(t) for t in texts]
        assert language._WALKS


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*WORDS[:400], " ", "  ", "\n", "É", "ß", "-", "42"]),
                max_size=40))
def test_word_walks_score_generated_text_as_py3langid(words: list[str]) -> None:
    text = " ".join(words)
    assert language._identifier().classify(text) == _THEIRS.classify(text)


_THEIRS = _library_identifier()


class _EveryLength(dict[str, int]):
    """A `longest` that lets every word start a name of the gazetteer's most words: the old way."""

    def get(self, key: str, default: Any = None) -> int:  # type: ignore[override]
        return 4


def test_the_longest_name_limit_finds_the_places_trying_every_length_finds() -> None:
    ours = places.gazetteer()
    every = copy.copy(ours)
    every.longest = _EveryLength()
    codes = frozenset({"DE", "AT", "CH", "ES", "MX", "CO", "US", "NL", "BE"})
    home = frozenset({"DE", "AT", "CH"})
    extra = ["Sankt Gallen und Frankfurt am Main, dann Rio de Janeiro", "New York City, Los Angeles",
             "Bosnia and Herzegovina", "Buenos Aires y Ciudad de México", "Western Europe, DACH",
             "Latin America and the Middle East", "Kunden im Nahen Osten und Naher Osten"]
    for text in [*ANSWERS, *extra]:
        assert list(ours.find(text, codes, home=home)) == list(every.find(text, codes, home=home))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["5", "1.200", "50k", "12", "+", "-", "‐", " ", "", "to", "bis",
                                 "unter", "over", "staff", "Mitarbeiter", "empleados", "MA", "ma",
                                 "people", "Firma", "K", "2-3", "x", "ha", "habitaciones", "beds",
                                 "o más", "or more"]), max_size=12))
@example(["50k", "+", "staff"])  # a space between "k" and "+"
@example(["2", "to", "5K", "‐", "Mitarbeiter"])
def test_no_headcount_is_skipped_by_the_pre_check(parts: list[str]) -> None:
    for text in ("".join(parts), " ".join(parts)):
        for unit, pattern in descriptors._SIZES.items():
            if pattern.search(text):
                assert descriptors._SIZE_TAILS[unit].search(text)


def test_the_pre_check_passes_every_headcount_of_the_answers() -> None:
    for text in ANSWERS:
        for unit, pattern in descriptors._SIZES.items():
            if pattern.search(text):
                assert descriptors._SIZE_TAILS[unit].search(text), text
