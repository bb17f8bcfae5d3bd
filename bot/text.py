"""Making user text safe to store and show: control characters out, length capped, never lost
silently (the caller is told when text was cut)."""

from __future__ import annotations

import re
import unicodedata

ANSWER_LIMIT = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u2028\u2029\ufeff]")
# Characters no input needs and some databases refuse (PostgreSQL rejects NUL in text): C0
# controls except tab and newlines, and DEL. Emoji, right-to-left text and combining marks stay.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """`text` without control characters (tab and newlines kept): safe to store anywhere."""
    return _BINARY.sub("", text)


def has_controls(text: str) -> bool:
    return _BINARY.search(text) is not None


def clean(text: str, limit: int = ANSWER_LIMIT) -> tuple[str, bool]:
    """(normalised text, whether it was cut to `limit` characters)."""
    normal = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    normal = _CONTROL.sub("", normal).strip()
    if len(normal) <= limit:
        return normal, False
    return normal[:limit].rstrip(), True


def shorten(text: str, width: int) -> str:
    """One line of at most `width` characters, for lists and previews; a cut falls between
    words where one is near ("...with Pinecrest's…", not "...with Pinecrest's co…")."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1]
    space = cut.rfind(" ")
    if space >= (width * 2) // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"
