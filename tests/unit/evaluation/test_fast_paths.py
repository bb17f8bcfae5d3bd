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
from bot.evaluation import text as text_module
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


_SPECIAL_PARTS = ["w/o", "f/u", "w/", "re:", "R&D", "P&L", "&", "e-mail", "x-ray", "-", "--", "->",
                  "_", "snake_case", "3pl", "2.5", "/", ":", "n/a", "b/c", "(", ")", ",", ".",
                  "\n", "- ", "1.", "•", "demo", "Müller", "don't", "it’s", " ", "42%"]


def _tokens(pattern: re.Pattern[str], text: str) -> list[tuple[str | None, tuple[int, int]]]:
    return [(m.lastgroup, m.span()) for m in pattern.finditer(text)]


def test_the_tokeniser_s_reduced_patterns_read_every_answer_as_the_whole_one() -> None:
    for text in ANSWERS:
        assert _tokens(text_module._token_re(text), text) == _tokens(text_module._TOKEN_RE, text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_SPECIAL_PARTS), max_size=25), st.booleans())
def test_the_tokeniser_s_reduced_patterns_read_generated_text_as_the_whole_one(
        parts: list[str], spaced: bool) -> None:
    text = (" " if spaced else "").join(parts)
    assert _tokens(text_module._token_re(text), text) == _tokens(text_module._TOKEN_RE, text)


def test_the_fuzzy_pool_cut_to_length_finds_what_the_whole_pool_finds() -> None:
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    from bot.evaluation.index import index_for
    from bot.strategy.loader import load_strategy

    checked = 0
    for path in [REPO_ROOT / "examples" / "strategy.yaml", DATA / "strategy_baufuchs.yaml",
                 DATA / "strategy_hotelia.yaml"]:
        index = index_for(load_strategy(path))
        pool_words = [w for pool in index._fuzzy_pool.values() for w in pool]
        # the pool's own words, one letter changed, dropped, added or swapped, and the answers'
        typos = [v for w in pool_words for v in (w[:-1], w + "s", w[:2] + "x" + w[3:],
                                                  w[:1] + w[2] + w[1] + w[3:])]
        for word in [*pool_words, *typos, *WORDS]:
            if len(word) < 5 or not word.isalpha():
                continue
            limit = 1 if len(word) < 8 else 2
            whole = index._fuzzy_pool.get(word[0], [])
            cut = index._near_pool(word[0], len(word), limit)
            found = process.extractOne(word, cut, scorer=OSA.distance, score_cutoff=limit)
            before = process.extractOne(word, whole, scorer=OSA.distance, score_cutoff=limit)
            # the word and its distance (the position is in the list it was handed)
            assert (found and found[:2]) == (before and before[:2])
            checked += 1
    assert checked > 1000


def test_an_english_answer_that_met_someone_needs_no_model() -> None:
    assert language._plainly_english("Also met Kaloex and Viex about the pilot.", "en")
    assert language._plainly_english("met the CFO, want to send the deck even before Friday", "en")
    # Dutch, in ASCII: "met" among Dutch function words, or with no English grammar around it
    assert not language._plainly_english("Gesprek met de inkoper over de offerte gehad", "en")
    assert not language._plainly_english("Demo met Jansen gedaan, offerte volgt maandag", "en")
    assert language.detect("Demo met Jansen gedaan, offerte volgt maandag", "en").code == "nl"
    assert not language._plainly_english("met the CFO and the team", "de")


def test_what_the_english_shortcut_passes_for_met_the_model_reads_as_english() -> None:
    """Every development answer (each of its sentences, and it with an English sentence that
    says "met" added) that the shortcut reads as English only because "met", "want", "even" or
    "plus" count as English among English grammar, the model reads as English too (or is unsure,
    which reads the strategy's English). What the shortcut passed before is not asked again."""
    model = language._identifier()
    texts = []
    for answer in ANSWERS:
        texts += [answer, answer + " Also met the team and the CFO about pricing.",
                  *(s for s in re.split(r"[.\n;!?]+", answer) if len(s.split()) >= 4)]
    passed = 0
    for text in texts:
        if len(text.split()) < language.MIN_WORDS or not language._plainly_english(text, "en"):
            continue
        if not set(text.lower().split()) & language._FOREIGN_ANY:
            continue  # read as English without the model before "met" was English
        code, probability = model.classify(text[:2000])
        assert code == "en" or probability < language.LIKELY, text
        passed += 1
    assert passed > 500


_INJECTION_PARTS = ["ignore", "previous", "instructions", "system", "admin", "developer",
                    "override", "message", "mark", "them", "done", "you are now", "act as a",
                    "pretend to", "all", "every", "sales", "tasks", "as", "completed", "score me",
                    "new rules", "any answer with", "output all", "assistant", ":", "\n", ".",
                    "SYSTEM", "İgnore", "ıgnore", "ſystem", "marK", "MARK ALL", "Demo", "Lechner"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_INJECTION_PARTS), max_size=10),
       st.sampled_from(["", " ", "  ", "\n"]))
@example(["ſystem", ":"], "")  # matched by the pattern's IGNORECASE, not by str.lower
@example(["İgnore", "previous", "instructions"], " ")
def test_the_injection_pre_check_never_skips_what_the_pattern_finds(parts: list[str],
                                                                      glue: str) -> None:
    text = glue.join(parts)
    assert text_module.looks_like_injection(text) == bool(text_module._INJECTION_RE.search(text))


def test_the_injection_pre_check_agrees_on_every_answer_and_its_sentences() -> None:
    texts = [*ANSWERS, *(s for a in ANSWERS for s in re.split(r"[.\n;!?]+", a))]
    assert [text_module.looks_like_injection(t) for t in texts] == [
        bool(text_module._INJECTION_RE.search(t)) for t in texts]


class _Unsearchable:
    def search(self, text: str) -> None:
        raise AssertionError(f"searched {text!r}")


def test_an_answer_without_any_injection_word_is_not_searched(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "_INJECTION_RE", _Unsearchable())
    assert not text_module.looks_like_injection("Demo bei Lechner, Angebot nächste Woche Di")


def _strategy_descriptors(name: str) -> Any:
    from bot.evaluation.index import index_for
    from bot.strategy.loader import load_strategy

    path = REPO_ROOT / "examples" / "strategy.yaml" if name == "example" else (
        DATA / f"strategy_{name}.yaml")
    return index_for(load_strategy(path)).descriptors


def _accounts_one_by_one(found: Any, text: str) -> list[Any]:
    """`Descriptors._accounts` before its word pre-check: every word read, span by span."""
    spans = [(m.start(), m.end() - (2 if m.group().endswith(("'s", "’s")) else 0))
             for m in descriptors._ACCOUNT_WORD.finditer(text)]
    folded = [places.fold(text[a:b]) for a, b in spans]
    out = []
    i = 0
    while i < len(spans):
        if folded[i] not in found.account_first:
            i += 1
            continue
        for size in range(min(found.account_words, len(spans) - i), 0, -1):
            owner = found.accounts.get(" ".join(folded[i:i + size]))
            if owner is not None and (size > 1 or text[spans[i][0]].isupper()):
                out.append(descriptors.Found(owner, spans[i][0], spans[i + size - 1][1],
                                             "account"))
                i += size
                break
        else:
            i += 1
    return out


@pytest.mark.parametrize("name", ["example", "baufuchs", "hotelia", "riegoandes", "vetline"])
def test_the_account_word_pre_check_finds_the_accounts_reading_every_word_finds(
        name: str) -> None:
    found = _strategy_descriptors(name)
    assert found.accounts
    names = sorted(found.accounts)
    extra = [f"{n.title()}'s team, then {n.upper()}’s CFO" for n in names]
    extra += [f"Call with {n.title()}x and x{n}" for n in names]
    for text in [*ANSWERS, *extra]:
        assert found._accounts(text) == _accounts_one_by_one(found, text), text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["Citi's", "Citi’s", "'s", "-", "--", "'", "é", "Ñandú", " ", "  ",
                                 ",", "ﬁ", "x", "O'Neil", "Kessler-Maier", "_", "ß"]), max_size=15))
@example(["'s", "s", "'s"])
def test_account_word_spans_are_where_the_pattern_finds_them(parts: list[str]) -> None:
    for text in ("".join(parts), " ".join(parts), *ANSWERS[:50]):
        words = descriptors._ACCOUNT_WORD.findall(text)
        names = [w[:-2] if w.endswith(("'s", "’s")) else w for w in words]
        assert descriptors._spans(text, words, names) == [
            (m.start(), m.end() - (2 if m.group().endswith(("'s", "’s")) else 0))
            for m in descriptors._ACCOUNT_WORD.finditer(text)]


class _WordsOnly:
    """`_ACCOUNT_WORD` that can list words but not walk them one match at a time."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def findall(self, text: str) -> list[str]:
        return list(self.pattern.findall(text))

    def finditer(self, text: str) -> Any:
        raise AssertionError(f"read word by word: {text!r}")


def test_an_answer_whose_words_start_no_account_is_not_read_word_by_word(
        monkeypatch: pytest.MonkeyPatch) -> None:
    found = _strategy_descriptors("hotelia")
    text = "Visita inherente a una cadena urbana, sin novedades"  # "nh" inside a longer word
    assert not found._accounts(text)
    monkeypatch.setattr(descriptors, "_ACCOUNT_WORD", _WordsOnly(descriptors._ACCOUNT_WORD))
    assert found._accounts(text) == []


class _Unindexable(list[str]):
    """Stems that can be looked through as a whole but not read one position at a time."""

    def __getitem__(self, key: Any) -> Any:
        raise AssertionError("read stem by stem")


def test_a_sentence_with_no_stem_that_starts_a_phrase_is_not_read_stem_by_stem() -> None:
    from bot.evaluation.index import PhraseTable

    table = PhraseTable()
    table.add(["regional", "bank"], "banks")
    assert table.find(_Unindexable(["call", "with", "the", "cfo"])) == []
    assert table.find(["call", "regional", "bank", "cfo"]) == [(1, 3, ["banks"])]


def _phrases_by_every_length(table: Any, stems: list[str]) -> list[Any]:
    """`PhraseTable.find` the slow way: every length tried at every position."""
    found, i = [], 0
    while i < len(stems):
        for size in range(min(table.max_len, len(stems) - i), 0, -1):
            keys = table.phrases.get(tuple(stems[i:i + size]))
            if keys:
                found.append((i, i + size, keys))
                i += size
                break
        else:
            i += 1
    return found


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "x"]), max_size=12))
def test_phrases_are_found_as_trying_every_length_at_every_position_finds(
        stems: list[str]) -> None:
    from bot.evaluation.index import PhraseTable

    table = PhraseTable()
    for n, phrase in enumerate((["a"], ["a", "b"], ["b", "c", "d"], ["c"], ["a", "b", "c", "d"])):
        table.add(phrase, f"k{n}")
    assert table.find(stems) == _phrases_by_every_length(table, stems)


def test_words_are_resolved_once_per_language_and_looked_up_by_the_word_alone() -> None:
    from bot.evaluation.index import StrategyIndex
    from bot.strategy.loader import load_strategy

    strategy = load_strategy(DATA / "strategy_hotelia.yaml")
    index, fresh = StrategyIndex(strategy), StrategyIndex(strategy)
    text = "Llamé al director de Hotel Arenal, demo del PMS el martes"
    with text_module.reading("es"):
        first = index.read(text).stems
        assert index._resolved["es"]  # the Spanish table, keyed by the word alone
        assert index.read(text).stems == first
    with text_module.reading("en"):
        english = index.read(text).stems
    with text_module.reading("es"):  # English resolutions are not Spanish ones
        assert index.read(text).stems == first
    with text_module.reading("en"):
        assert fresh.read(text).stems == english
    assert [fresh.resolve(w) for w in ("llamé", "director")] == [
        index._resolved["en"][w] for w in ("llamé", "director")]


# ----- concessions and phrases (h1, issue 18: German and Spanish answers) --------------------

def _strategies() -> list[Any]:
    from bot.strategy.loader import load_strategy

    return [load_strategy(REPO_ROOT / "examples" / "strategy.yaml"),
            *(load_strategy(p) for p in sorted(DATA.glob("strategy_*.yaml")))]


def test_pricing_targets_are_worked_out_once_per_strategy(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.evaluation import contradictions
    from bot.evaluation.result import TasksResult

    strategies = _strategies()
    expected = [contradictions.pricing_targets(s) for s in strategies]
    contradictions._TARGETS.clear()
    assert [contradictions._pricing_targets_of(s) for s in strategies] == expected
    assert any(expected)

    def counted(strategy: Any) -> Any:
        raise AssertionError("pricing targets worked out again")

    monkeypatch.setattr(contradictions, "pricing_targets", counted)
    for strategy in strategies:  # the evaluator's path: every tasks answer
        contradictions.with_concessions(TasksResult(), strategy, "gave 10% off", per_sentence=True)
    assert [contradictions._pricing_targets_of(s) for s in strategies] == expected


def test_an_equal_strategy_that_is_another_object_gets_its_own_targets() -> None:
    from bot.evaluation import contradictions

    strategy = _strategies()[0]
    copy_ = strategy.model_copy(deep=True)
    assert contradictions._pricing_targets_of(strategy) == contradictions._pricing_targets_of(copy_)
    assert contradictions._TARGETS[id(copy_)][0] is copy_


def _concedes_every_time(text: str) -> bool | None:
    """`concedes` before its word pre-check: the pattern run over every text."""
    from bot.evaluation import contradictions as c

    found = False
    for match in c._CONCESSION.finditer(text):
        found = True
        before = c._CLAUSE.split(text[:match.start()])[-1]
        rest = text[match.end():]
        end = c._CLAUSE.search(rest)
        after = rest[:end.start()] if end else rest
        asked = end is not None and end.group() == "?"
        if not (c._NOT_GIVEN.search(before) or c._NOT_GIVEN_AFTER.search(after) or asked):
            return True
    return False if found else None


def _concession_pattern() -> re.Pattern[str]:
    from bot.evaluation import contradictions

    return contradictions._CONCESSION


@settings(max_examples=2000, deadline=None)
@given(st.from_regex(_concession_pattern()))
def test_every_text_the_concession_pattern_matches_passes_the_pre_check(text: str) -> None:
    """Text made to match `_CONCESSION` (each of its alternatives, any case): whatever the
    pattern, kept in step with its words or not, the pre-check lets it through."""
    from bot.evaluation import contradictions

    if contradictions._CONCESSION.search(text):
        assert contradictions._may_concede(text), text


_CONCESSION_PARTS = ["gave", "Gave", "them", "an", "extra", "15", "%", "percent", "off", "list",
                     "waived", "WAIVED", "threw in", "for free", "free", "months", "3", "Monate",
                     "gratis", "Rabatt", "rabatt", "nachlass", "Preis", "gesenkt", "dto", "dcto",
                     "del 30%", "descuento", "rebajé", "regalé", "regale", "sin coste", "sin",
                     "cargo", "igualé el precio", "bajé el precio", "remise", "rabais",
                     "gratuit", "sans frais", "korting", "zonder kosten", "matched", "price",
                     "price-match", "dropped", "cut", "our", "declined", "asked for", "?", ",",
                     ".", " ", "ſ", "ſin", "K", "İ", "Demo", "Lechner", "no", "held", "the"]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_CONCESSION_PARTS), max_size=12),
       st.sampled_from(["", " ", "  "]))
@example(["ſin", " ", "cargo"], "")  # "ſ" matched as "s" by the pattern's IGNORECASE only
@example(["gave", "them", "an", "extra", "15", "%"], " ")
def test_the_concession_pre_check_never_changes_what_concedes_says(parts: list[str],
                                                                    glue: str) -> None:
    from bot.evaluation import contradictions

    text = glue.join(parts)
    assert contradictions.concedes(text) == _concedes_every_time(text)
    if contradictions._CONCESSION.search(text):
        assert contradictions._may_concede(text)


def test_the_concession_pre_check_agrees_on_every_answer_and_its_clauses() -> None:
    from bot.evaluation import contradictions

    texts = [*ANSWERS, *(s for a in ANSWERS for s in re.split(r"[.\n;!?,]+", a))]
    assert [contradictions.concedes(t) for t in texts] == [_concedes_every_time(t) for t in texts]
    assert any(contradictions.concedes(t) for t in texts)


def test_a_quote_without_any_concession_word_is_not_searched(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.evaluation import contradictions

    class _Unsearchable:
        def finditer(self, text: str) -> Any:
            raise AssertionError(f"searched {text!r}")

    contradictions.concedes.cache_clear()  # asked, not remembered
    monkeypatch.setattr(contradictions, "_CONCESSION", _Unsearchable())
    assert contradictions.concedes("Demo bei Lechner, Angebot nächste Woche Di") is None


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*_INJECTION_PARTS, ".", "\n", "Σ", "ς", "İ"]), max_size=14),
       st.sampled_from(["", " ", "  "]))
def test_an_answer_that_may_not_inject_has_no_part_that_does(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    parts_of = [text[a:b] for a in range(len(text)) for b in range(a + 1, min(len(text), a + 60) + 1)]
    if not text_module.may_inject(text):
        assert not any(text_module.looks_like_injection(p) for p in parts_of)


def test_the_sentences_of_an_answer_without_any_injection_word_are_not_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.evaluation import rules
    from bot.evaluation.index import index_for
    from bot.strategy.loader import load_strategy

    def asked(text: str) -> bool:
        raise AssertionError(f"asked {text!r}")

    index = index_for(load_strategy(DATA / "strategy_baufuchs.yaml"))
    monkeypatch.setattr(rules, "looks_like_injection", asked)
    with text_module.reading("de"):
        reading = rules._read(index, "Demo bei Lechner. Angebot nächste Woche Di")
    assert len(reading.sentences) == 2


def _joined_trying_every_phrase(toks: list[Any]) -> list[Any]:
    """`_join_phrases` before it looked phrases up by their first word: every phrase tried."""
    out, i = [], 0
    while i < len(toks):
        tok = toks[i]
        if tok.kind == text_module.WORD and tok.word in text_module._PHRASE_FIRST:
            for pattern, replacement in text_module._PHRASES:
                n = len(pattern)
                window = toks[i:i + n]
                if len(window) == n and tuple(t.word for t in window) == pattern:
                    out.extend(text_module.Tok(w, tok.start, window[-1].end, text_module.WORD)
                               for w in replacement)
                    i += n
                    break
            else:
                out.append(tok)
                i += 1
            continue
        out.append(tok)
        i += 1
    return out


_PHRASE_WORDS = [*sorted({w for pattern, _ in text_module._PHRASES for w in pattern}),
                 "demo", ",", "and", "und", "Follow", "UP"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PHRASE_WORDS), max_size=14))
def test_phrases_joined_by_first_word_are_those_trying_every_phrase_joins(words: list[str]) -> None:
    raws = text_module._raw_tokens(" ".join(words))
    assert text_module._join_phrases(raws) == _joined_trying_every_phrase(raws)


def test_phrases_joined_by_first_word_on_every_answer() -> None:
    for text in ANSWERS:
        plain = text_module._raw_tokens(text)
        assert text_module._join_phrases(plain) == _joined_trying_every_phrase(plain)
