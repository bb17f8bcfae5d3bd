"""How common a word is in everyday language, from wordfreq's offline frequency lists.

Several judgements hinge on "is this a word people use anyway?": an account's first name alone
("Carrick" for Carrick Hollis Lawyers) is a safe key only when it is not an everyday word
("Summit", "Harvest"); a misspelt alias may be forgiven only when the typo is not itself a word.
A hand list cannot answer that for five languages; wordfreq's lists (Zipf scale: 3 is about once
per million words, 6 once per thousand) can, offline.
"""

from __future__ import annotations

from functools import lru_cache

LANGUAGES = ("en", "de", "es", "fr", "nl")
RARE_BELOW = 3.5
"""Zipf frequency under which a word is rare in every language we read (about 3 per million)."""


@lru_cache(maxsize=65536)
def frequency(word: str) -> float:
    """The word's highest Zipf frequency in the languages we read (0 when unknown)."""
    from wordfreq import zipf_frequency  # 0.15 s to import: only once a word is looked up

    lower = word.lower()
    return max(zipf_frequency(lower, lang) for lang in LANGUAGES)


@lru_cache(maxsize=65536)
def frequency_in(word: str, language: str) -> float:
    """The word's Zipf frequency in one language."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word.lower(), language))


def is_rare(word: str) -> bool:
    """Not an everyday word in any language we read: a name, most likely."""
    return frequency(word) < RARE_BELOW


__all__ = ["RARE_BELOW", "frequency", "frequency_in", "is_rare"]
