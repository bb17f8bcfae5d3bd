"""The time window a digest covers, and the one it is compared with.

A small grammar people can type after `/align digest`: "last week" (the default: the 7 days
ending now), "last 4 weeks", "last 10 days", a month "2026-03", or dates
"2026-03-01..2026-03-15" (inclusive, in the caller's zone). Every period is compared with the
period of the same length just before it, so "better or worse" is always like for like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.bounds import DATE_RANGE, EARLIEST, LATEST, date_in_range

MAX_DAYS = 366
PERIOD_EXAMPLES = ('"last week" (default), "last 4 weeks", "last 10 days", "2026-03" or '
                   '"2026-03-01..2026-03-15"')
_LAST = re.compile(r"^(?:last|past)\s+(?:(\d+)\s+)?(week|weeks|day|days)$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|to)\s*(\d{4}-\d{2}-\d{2})$")


class PeriodError(ValueError):
    """The text is not a period we read; the message shows what to type."""


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, with the words that describe it."""

    start: datetime
    end: datetime
    label: str

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - self.length, self.start, f"the {self._days()} before")

    def back(self, count: int) -> list[Period]:
        """`count` consecutive periods of this length ending with this one, oldest first."""
        periods = [self]
        for _ in range(count - 1):
            periods.insert(0, periods[0].previous())
        return periods

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def _days(self) -> str:
        days = round(self.length / timedelta(days=1))
        return "week" if days == 7 else f"{days} days"


def ending(end: datetime, days: int = 7, label: str = "the last week") -> Period:
    """The `days` days that end at `end` (a scheduled digest: the week up to its run)."""
    return Period(end - timedelta(days=days), end, label)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def parse_period(text: str, now: datetime, zone: ZoneInfo) -> Period:
    """Read a period typed by a person; `now` ends the "last ..." forms."""
    words = " ".join(text.lower().split())
    if not words:
        return ending(now)
    if match := _LAST.match(words):
        count = int(match.group(1)) if match.group(1) and len(match.group(1)) <= 4 else (
            1 if not match.group(1) else MAX_DAYS + 1)  # thousands of weeks: refused below
        days = count * (7 if match.group(2).startswith("week") else 1)
        if days > MAX_DAYS:
            raise PeriodError(f"A digest covers 1 to {MAX_DAYS} days; try {PERIOD_EXAMPLES}.")
        return _checked(ending(now, days, f"the last {words.split(maxsplit=1)[1]}"))
    if match := _MONTH.match(words):
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2026-03")
        if not EARLIEST.year <= year <= LATEST.year:
            raise PeriodError(f"'{text}' is outside the dates a digest covers ({DATE_RANGE})")
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        return Period(_local_midnight(first, zone), _local_midnight(following, zone),
                      first.strftime("%B %Y"))
    if match := _RANGE.match(words):
        try:
            first, last = (date.fromisoformat(match.group(i)) for i in (1, 2))
        except ValueError:
            raise PeriodError(f"'{text}' has a date that does not exist") from None
        if last < first:
            raise PeriodError(f"'{text}' ends before it starts")
        if not (date_in_range(first) and date_in_range(last)):
            raise PeriodError(f"'{text}' is outside the dates a digest covers ({DATE_RANGE})")
        return _checked(Period(_local_midnight(first, zone),
                               _local_midnight(last + timedelta(days=1), zone),
                               f"{first.isoformat()} to {last.isoformat()}"))
    raise PeriodError(f"I can't read the period '{text}'. Try {PERIOD_EXAMPLES}.")


def _checked(period: Period) -> Period:
    if period.length > timedelta(days=MAX_DAYS) or period.length <= timedelta(0):
        raise PeriodError(f"A digest covers 1 to {MAX_DAYS} days; try {PERIOD_EXAMPLES}.")
    return period
