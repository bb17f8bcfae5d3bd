"""`assess`/`is_substantive`: what counts as saying something, in any language, and why not."""

from __future__ import annotations

import pytest

from bot.evaluation.substance import MAX_CHARS_LOOKED_AT, assess, is_substantive


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"), ("   \n\t", "empty"),
    ("-", "punctuation"), ("...", "punctuation"), ("?!", "punctuation"), ("— / —", "punctuation"),
    ("🙂", "emoji"), ("👍👍 🚀", "emoji"), ("✅", "emoji"), ("¯\\_(ツ)_/¯", "one_word"),
    ("n/a", "placeholder"), ("N.A.", "placeholder"), ("idk", "placeholder"), ("TBD", "placeholder"),
    ("nothing.", "placeholder"), ("keine Ahnung", "placeholder"), ("same as last week", "placeholder"),
    ("calls", "one_word"), ("Demos!", "one_word"), ("звонки", "one_word"), ("工作", "one_word"),
    ("asdfghjkl qwerty zxcvb", "keyboard_mash"), ("asdfgh", "keyboard_mash"),
    ("jfkdlsjfkl sdkfj", "keyboard_mash"), ("qwertz uiop", "keyboard_mash"),
    ("aaaaaa", "repetition"), ("lol lol lol", "repetition"), ("calls calls", "repetition"),
])
def test_non_substantive_text_says_why(text: str, reason: str) -> None:
    verdict = assess(text)
    assert verdict.reason == reason
    assert not verdict and not is_substantive(text)


@pytest.mark.parametrize("text", [
    "cold calling dentists all week, CRM cleanup",
    "ran disco w/ Ledgerly (fintech) on their SOC2 gaps",
    "We make mid-market fintechs audit-ready in half the time.",
    "power tower typewriter pretty quiet proper",  # words typed on one keyboard row
    "Kundentermine mit drei Regionalbanken",
    "звонки клиентам и демо",
    "拜访了三家银行客户",  # Chinese: no spaces, counted in characters
    "営業電話をかけました",
    "SOC2 RFP",  # acronyms are not mash
    "2 demos",
])
def test_substantive_text_in_any_language(text: str) -> None:
    assert assess(text).reason is None and is_substantive(text)


def test_one_word_fragments_may_be_allowed_but_never_garbage() -> None:
    assert assess("demos", allow_one_word=True).substantive
    assert not assess("demos").substantive
    for garbage in ("asdfghjkl", "🙂", "-", "n/a"):
        assert not assess(garbage, allow_one_word=True).substantive, garbage


def test_a_long_answer_is_judged_on_its_opening_so_every_answer_costs_the_same() -> None:
    """Cheap enough to run on every answer however long (checked without a stopwatch): only the
    first MAX_CHARS_LOOKED_AT characters are read, so a megabyte of real words after 207
    characters of keyboard mash does not change the verdict, nor the work done for it."""
    mash = "asdfghjkl qwerty zxcvb " * 9  # 207 characters
    assert MAX_CHARS_LOOKED_AT == 200
    assert assess(mash + "cold calling dentists all week, CRM cleanup " * 25_000).reason \
        == "keyboard_mash"
    assert assess("cold calling dentists all week, CRM cleanup " * 25_000).substantive
