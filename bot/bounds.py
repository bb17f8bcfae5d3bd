"""The ranges typed values must fall in before they reach the database or date arithmetic.

Python's integers and dates are wider than what the databases and the calendar code handle: an id
of 23 digits overflows SQLite's and PostgreSQL's integers (a driver error, "something went wrong"),
`str.isdigit()` is true for "²" which `int()` refuses, and a date in year 9999 overflows the first
day added to it. Inputs are checked here, once, and refused with a message instead.
"""

from __future__ import annotations

from datetime import date, datetime

MAX_ID = 2**31 - 1  # the largest id of an INTEGER primary key on PostgreSQL (SQLite's is wider)
EARLIEST = date(1970, 1, 1)  # dates people and senders may give: nothing older is real here,
LATEST = date(2999, 12, 31)  # and nothing later leaves room for "next week" arithmetic
DATE_RANGE = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


def parse_id(text: str) -> int | None:
    """The id `text` names ("42" or "#42"), or None if it is not one a database row can have."""
    digits = text.strip().lstrip("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 10:
        return None
    value = int(digits)
    return value if 0 < value <= MAX_ID else None


def date_in_range(value: date) -> bool:
    """Whether a date (or a datetime's date, in its own zone: converting one in year 9999 to UTC
    may itself overflow) is one the bot computes with."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST
