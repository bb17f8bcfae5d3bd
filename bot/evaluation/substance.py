"""Is there anything in this text? A cheap, dependency-free gate before any judgement.

Check-in answers are free text, and people in a hurry type "asdf", "🙂", "-", "idk" or a single
word ("calls"). Counted as effort, such text ranks as the team's de facto strategy; scored, it
drags or props up averages. `assess` says whether a text carries content and, if not, why, so
the digest can leave it out of effort and evaluators can skip or flag it.

Language-neutral by construction: it looks at Unicode categories, word counts and keyboard
layout, not at an English vocabulary (the short list of placeholders is the only words it knows,
and they are the ones people type in any language: "n/a", "idk", "tbd", "-"). Scripts written
without spaces (Chinese, Japanese, Thai...) count characters instead of words. It runs in
microseconds: no regex backtracking, no model, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Reason = Literal["empty", "punctuation", "emoji", "placeholder", "one_word", "keyboard_mash",
                 "repetition"]

# What people type when they have nothing to say; compared after lower-casing and removing
# punctuation and spaces, so "N/A", "n.a." and "n / a" are one entry.
PLACEHOLDERS = frozenset({
    "na", "idk", "dunno", "tbd", "tba", "none", "nothing", "nil", "null", "nope", "no",
    "yes", "ok", "okay", "k", "x", "xx", "xxx", "test", "testing", "asdf", "todo", "same",
    "sameaslastweek", "seeabove", "nocomment", "pass", "skip", "lol", "hmm", "meh", "whatever",
    "nichts", "keineahnung", "rien", "nada", "niente", "无", "なし",
})
# Keyboard rows of the common Latin layouts (QWERTY, QWERTZ, AZERTY), both directions.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiopü", "asdfghjklöä", "yxcvbnm",
         "azertyuiop", "qsdfghjklm", "wxcvbn", "1234567890")
_ROW_PAIRS = frozenset(pair for row in _ROWS for i in range(len(row) - 1)
                       for pair in (row[i:i + 2], row[i + 1] + row[i]))
_VOWELS = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ")
MASH_RUN_SHARE = 0.8  # of a word's letter pairs that sit side by side on a keyboard row
MIN_CONTINUOUS_CHARS = 4
MAX_CHARS_LOOKED_AT = 200  # a substantive answer in a script written without spaces
_CONTINUOUS_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR", "TIBETAN")
# A character `str.isalnum()` accepts is one `\w` matches, but for "_": runs of them are the
# words, the rest is what `squashed` drops - in C, not character by character in Python.
_ALNUM = re.compile(r"[^\W_]")
_WORD = re.compile(r"[^\W_]+")
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Substance:
    """The verdict: `reason` says why a text is not substantive (None when it is)."""

    reason: Reason | None

    @property
    def substantive(self) -> bool:
        return self.reason is None

    def __bool__(self) -> bool:
        return self.substantive


def is_substantive(text: str) -> bool:
    """True when `text` says something: at least two real words (or, in a script written
    without spaces, a few characters), not a placeholder, emoji, punctuation or keyboard mash."""
    return assess(text).substantive


def assess(text: str, *, allow_one_word: bool = False) -> Substance:
    """Why `text` is not substantive, or Substance(None) when it is. `allow_one_word` is for
    fragments already cut out of a longer answer (one item of a list: "demos"), where a single
    word is normal; whole answers need more than one."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return Substance("empty")
    has_letters = _ALNUM.search(text) is not None
    if not has_letters:
        symbols = any(_is_symbol(ch) for ch in text)
        return Substance("emoji" if symbols else "punctuation")
    head = text[:MAX_CHARS_LOOKED_AT]  # the verdict never needs more: long text is not one word
    squashed = _NOT_ALNUM.sub("", head.casefold())
    if squashed in PLACEHOLDERS:
        return Substance("placeholder")
    if len(set(squashed)) <= 2 and len(squashed) >= 3:
        return Substance("repetition")  # "aaaa", "lol lol lol" is caught by the word rules
    words = _WORD.findall(head)
    if _is_mash(words):
        return Substance("keyboard_mash")
    if len({w.casefold() for w in words}) == 1 and len(words) > 1:
        return Substance("repetition")
    if len(words) < 2 and not allow_one_word and not _continuous(head):
        return Substance("one_word")
    return Substance(None)


def _is_symbol(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk", "Sm", "Sc", "Cs") or ord(ch) > 0x1F000


def _continuous(text: str) -> bool:
    """Enough characters of a script written without spaces to be more than one word."""
    if text.isascii():
        return False
    return sum(_is_continuous(ch) for ch in text) >= MIN_CONTINUOUS_CHARS


def _is_continuous(ch: str) -> bool:
    if ord(ch) < 0x0E00:  # below Thai: every script there is written with spaces
        return False
    return unicodedata.name(ch, "").startswith(_CONTINUOUS_SCRIPTS)


def _is_mash(words: list[str]) -> bool:
    """Most Latin-letter words are runs along a keyboard row ("asdfgh", "qwerty") or long
    strings with no vowel ("jkdfslkj"); or every one is a short run or has no vowel, one of them
    a run ("asdf jkl qwer", "asdf jklö"). Acronyms (upper case) and digits are not mash."""
    latin = [w for w in words if _is_latin(w) and w.isalpha() and not w.isupper()]
    if not latin or len(latin) * 2 < len(words):
        return False
    if len(latin) == len(words) > 1 and all(_short_mash(w.lower()) for w in latin) and any(
            _row_run(w.lower()) for w in latin):
        return True
    needed = (len(latin) + 1) // 2  # at least half of them mashed
    mashed = clean = 0
    for word in latin:  # decided as soon as the rest cannot change it
        if _mashed_word(word.lower()):
            mashed += 1
            if mashed >= needed:
                return True
        else:
            clean += 1
            if clean > len(latin) - needed:
                return False
    return False


def _is_latin(word: str) -> bool:
    """Written in Latin letters, accented ones included ("jklö"), not another script."""
    return all(ch < "\u0250" for ch in word)


MIN_SHORT_RUN = 3


def _row_run(word: str) -> bool:
    """Three or more keys next to each other along one row, in one direction ("asdf", "jkl",
    "qwer", "fdsa")."""
    if len(word) < MIN_SHORT_RUN:
        return False
    return any(word in row or word in row[::-1] for row in _ROWS)


def _short_mash(word: str) -> bool:
    """A short word typed without meaning: a run along a row, or three letters or more with no
    vowel ("jkl", "sdfg")."""
    return _row_run(word) or (len(word) >= MIN_SHORT_RUN and _VOWELS.isdisjoint(word))


def _mashed_word(word: str) -> bool:
    if len(word) < 5:
        return False
    if _VOWELS.isdisjoint(word):
        return True
    pairs = [word[i:i + 2] for i in range(len(word) - 1)]
    return sum(p in _ROW_PAIRS for p in pairs) >= MASH_RUN_SHARE * len(pairs)
