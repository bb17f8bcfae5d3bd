"""Bounds on what an inbound request can make the bot parse: JSON of bounded size and depth.

Python's JSON decoder recurses once per nesting level: a body of 100,000 `[` fails deep inside it
with a RecursionError (a 500 and a traceback per request, anonymous or not), and a merely deep
one is walked again by every model that deserializes it. `parse_json` turns both into a
ValueError with a message a sender can act on, so handlers answer 400.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # far beyond any real activity or payload (Adaptive Card values: under 10)


def parse_json(data: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The decoded document; ValueError (with why) if it is not JSON or nests deeper than
    `max_depth` arrays and objects."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise ValueError(f"the body is nested too deeply (at most {max_depth} levels)") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    if _containers_at_most(data, max_depth):
        return document  # fewer brackets than levels allowed: no need to walk it (most acks)
    if depth(document) > max_depth:
        raise ValueError(f"the body is nested too deeply (at most {max_depth} levels)")
    return document


def _containers_at_most(data: bytes | str, most: int) -> bool:
    """Whether `data` has at most `most` opening brackets, in strings or not: then nothing in it
    nests deeper than that. Counted in C, where `depth` walks the document in Python."""
    if isinstance(data, str):
        return data.count("{") + data.count("[") <= most
    return data.count(b"{") + data.count(b"[") <= most


def depth(document: Any) -> int:
    """How many arrays and objects nest in `document` (0 for a scalar), without recursion."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, level = pending.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        pending.extend((child, level + 1) for child in children)
    return deepest
