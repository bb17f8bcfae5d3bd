"""The `<when>` of a schedule: parsing it into a `Recurrence` and computing its occurrences.

This module owns the wall-clock semantics of schedules. A recurrence names *local* wall-clock
times ("weekdays 09:00"); occurrences are computed per member time zone and returned as aware
UTC instants, so the scheduler can compare them with the clock and key idempotent sends on them.

Accepted forms (case-insensitive, extra spaces tolerated, an optional "at" before the time):

- days + time: ``weekdays 09:00``, ``daily 9:00``, ``every day 17:30``, ``mon,thu 16:30``,
  ``mon-fri 9am``, ``tue 2:30pm``, ``sun-thu 8:00`` (ranges may wrap around the week end);
- the same with a week interval: ``fri 15:00 every 2 weeks`` (or ``every other week``);
- nth weekday of the month: ``1st mon of month 10:00``, ``2nd tue of month 9:00``,
  ``last fri of month 16:00`` (1st to 4th, or last);
- a standard 5-field cron expression: ``0 9 * * 1-5`` (minute hour day-of-month month
  day-of-week; day-of-week 0 and 7 are Sunday, as in crontab(5); when both day fields are
  restricted a day matching either fires, as in Vixie cron);
- a short interval, for jobs such as the lead sync: ``every 15m``, ``every 30 minutes``,
  ``every hour``, ``every 2h`` - read as the cron ``*/15 * * * *`` or ``0 */2 * * *`` (the
  interval divides an hour or a day, so the runs stay on the clock's marks).

Daylight saving (wall-clock semantics):

- a 09:00 schedule fires at 09:00 local time on both sides of a transition;
- a local time that does not exist (spring-forward gap) fires once, at the first valid instant
  after the gap (the transition itself: 02:30 on the New York spring day fires at 03:00 EDT);
  several wall times inside one gap collapse into that one occurrence;
- a local time that occurs twice (fall-back) fires once, at its first occurrence (fold=0).

Occurrences are deterministic, strictly increasing and never duplicated. Date and time
generation uses python-dateutil's rrule on naive local times; the mapping of those wall times to
instants is `local_to_utc`. APScheduler 3's `CronTrigger.from_crontab` is deliberately not used:
it reads day-of-week 0 as Monday ("1-5" would mean Tue-Sat) and works on aware times, which is
what makes cron skip or double-run across DST.
"""

from __future__ import annotations

import calendar as _stdcal
import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil import rrule as rr

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ALIASES: dict[str, int] = {
    **{name: index for index, name in enumerate(DAY_NAMES)},
    **{name: index for index, name in enumerate(_FULL_DAY_NAMES)},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAY_GROUPS: dict[str, frozenset[int]] = {
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
}
_ORDINALS: dict[str, int] = {
    "1st": 1, "first": 1, "2nd": 2, "second": 2, "3rd": 3, "third": 3,
    "4th": 4, "fourth": 4, "last": -1,
}
_ORDINAL_TEXT: dict[int, str] = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}

_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm)?$")
_INTERVAL = re.compile(r"\bevery\s+(\S+)\s+weeks?\b|\bevery\s+week\b")
_MONTHLY = re.compile(
    r"^(?P<nth>\S+)\s+(?P<day>\S+)\s+of\s+(?:the\s+|each\s+|every\s+)?month"
    r"(?:\s+(?:at\s+)?(?P<time>\S+))?$"
)
_CRON_START = re.compile(r"^[\d*][\d*/,\-]*$")
_FILLER = {"at", "on", "every", "each"}
_DASHES = re.compile("[\u2010-\u2015\u2212]")  # typographic dashes that chat clients insert
_HORIZON_YEARS = 30
_ALL_DAYS = frozenset(range(7))
_ALL_MONTH_DAYS = frozenset(range(1, 32))
_ALL_MONTHS = frozenset(range(1, 13))

EXAMPLE_DAYS = '"mon,thu 16:30"'
EXAMPLE_TIME = "09:00 or 4:30pm"
EXAMPLE_CRON = '"0 9 * * 1-5"'
EXAMPLE_MONTHLY = '"1st mon of month 10:00"'


class WhenError(ValueError):
    """A `<when>` the user wrote that we cannot read; the message says what to write instead."""


class DayError(ValueError):
    """A day list with a part that is not a day; `token` is that part, for the caller's message."""

    def __init__(self, token: str) -> None:
        super().__init__(f"'{token}' is not a day")
        self.token = token


# --- days and times of day ---------------------------------------------------------------


def parse_day_set(text: str) -> frozenset[int]:
    """Read "mon-fri", "sun-thu", "mon,wed,fri", "weekdays", "daily" into weekdays (0 = Monday).

    Ranges are inclusive and may wrap around the end of the week ("fri-mon" is Fri, Sat, Sun,
    Mon). Raises `DayError` naming the first part that is not a day.
    """
    days: set[int] = set()
    for item in re.split(r"[,\s]+", re.sub(r"\s*-\s*", "-", _DASHES.sub("-", text).lower())):
        days |= _day_item(item) if item else set()
    if not days:
        raise DayError(text)
    return frozenset(days)


def _day_item(item: str) -> frozenset[int]:
    if item in _DAY_GROUPS:
        return _DAY_GROUPS[item]
    if "-" in item:
        first, _, last = item.partition("-")
        start, end = _day_index(first), _day_index(last)
        return frozenset((start + offset) % 7 for offset in range((end - start) % 7 + 1))
    return frozenset({_day_index(item)})


def _day_index(token: str) -> int:
    name = token.strip()
    if name not in _DAY_ALIASES and name.endswith("s") and name[:-1] in _DAY_ALIASES:
        name = name[:-1]  # "mondays"
    if name not in _DAY_ALIASES:
        raise DayError(token)
    return _DAY_ALIASES[name]


def parse_time_of_day(token: str) -> time:
    """Read "09:00", "9:00", "17:30", "9am", "2:30pm", "12am" (midnight) into a time.

    A bare number ("9") is refused: it is unclear whether it means 09:00 or 21:00.
    """
    text = token.strip().lower().replace(" ", "")
    match = _TIME.match(text)
    if not match or (match.group(2) is None and match.group(3) is None):
        raise _time_error(token)
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise _time_error(token)
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _time_error(token)
    return time(hour, minute)


def _time_error(token: str) -> WhenError:
    return WhenError(f"'{token}' is not a time of day; e.g. {EXAMPLE_TIME}")


def _day_error(token: str) -> WhenError:
    return WhenError(
        f"'{token}' is not a day; use mon, tue, ... sun, weekdays or daily - e.g. {EXAMPLE_DAYS}"
    )


def _days_text(days: frozenset[int], *, canonical: bool) -> str:
    """Days as "weekdays", "every day", "Mon, Thu", "Sun-Thu"; canonical: "daily", "sun-thu"."""
    for group in ("daily", "weekdays", "weekends"):
        if days == _DAY_GROUPS[group]:
            return group if canonical or group != "daily" else "every day"
    parts = []
    for first, length in _day_runs(days):
        names = [DAY_NAMES[(first + offset) % 7] for offset in range(length)]
        parts.append(f"{names[0]}-{names[-1]}" if length >= 3 else ",".join(names))
    text = ",".join(parts)
    return text if canonical else ", ".join(_title_day(part) for part in text.split(","))


def _day_runs(days: frozenset[int]) -> list[tuple[int, int]]:
    """Runs of consecutive days (wrapping Sun->Mon) as (first day, length), Monday-first."""
    runs = []
    for first in sorted(day for day in days if (day - 1) % 7 not in days):
        length = 1
        while (first + length) % 7 in days:
            length += 1
        runs.append((first, length))
    return runs


def _title_day(part: str) -> str:
    return "-".join(name.title() for name in part.split("-"))


# --- wall clock -> instant ---------------------------------------------------------------


def local_to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The aware UTC instant that the naive wall-clock time `local` names in `tz`.

    An ambiguous time (fall-back) gives its first occurrence (fold=0); a time that does not exist
    (spring-forward gap) gives the first valid instant after the gap, i.e. the transition.
    """
    if local.tzinfo is not None:
        raise ValueError(f"expected a naive local wall-clock time, got {local!r}")
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == local:
        return first
    return _gap_end(local, tz)


def _gap_end(local: datetime, tz: ZoneInfo) -> datetime:
    """The transition instant ending the gap that swallowed `local` (binary search, 1 s steps)."""
    # In a gap, fold=1 applies the later offset (an instant before the transition) and fold=0
    # the earlier one (an instant after it); the transition lies between the two.
    low = int(local.replace(tzinfo=tz, fold=1).timestamp())
    high = int(local.replace(tzinfo=tz, fold=0).timestamp())
    after = datetime.fromtimestamp(high, tz).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")


# --- recurrences -------------------------------------------------------------------------


class Recurrence(ABC):
    """When a schedule fires, in local wall-clock terms; parse one with `parse_when`."""

    @property
    @abstractmethod
    def text(self) -> str:
        """A canonical `<when>` that `parse_when` reads back into an equal recurrence."""

    @abstractmethod
    def describe(self) -> str:
        """A readable description, e.g. "weekdays at 09:00"."""

    @abstractmethod
    def _rule(self, lower: datetime) -> rr.rrulebase:
        """The naive local wall times of this recurrence, covering everything from `lower`."""

    def occurrences_between(
        self, start_utc: datetime, end_utc: datetime, tz: ZoneInfo
    ) -> list[datetime]:
        """Occurrences in `tz` with start_utc <= occurrence < end_utc, as aware UTC datetimes."""
        _require_aware("start_utc", start_utc)
        _require_aware("end_utc", end_utc)
        instants = itertools.takewhile(lambda t: t < end_utc, self._instants(start_utc, tz))
        return [instant for instant in instants if instant >= start_utc]

    def next_occurrences(self, after_utc: datetime, tz: ZoneInfo, count: int) -> list[datetime]:
        """The first `count` occurrences in `tz` strictly after `after_utc`, as aware UTC.

        Fewer are returned only if the recurrence does not fire within 30 years.
        """
        _require_aware("after_utc", after_utc)
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        instants = (t for t in self._instants(after_utc, tz) if t > after_utc)
        return list(itertools.islice(instants, count))

    def _instants(self, from_utc: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        """Ascending, distinct UTC instants of this recurrence, from about a day before from_utc.

        Wall-clock to UTC mapping is monotonic, so the sequence stays sorted; gap times that
        collapse onto one transition instant are yielded once.
        """
        # Start a day early: a wall time inside a gap maps forward, possibly past from_utc.
        lower = from_utc.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
        horizon = lower + timedelta(days=366 * _HORIZON_YEARS)
        previous: datetime | None = None
        for local in self._rule(lower).xafter(lower, inc=True):
            if local > horizon:
                return
            instant = local_to_utc(local, tz)
            if instant != previous:
                previous = instant
                yield instant


@dataclass(frozen=True)
class WeeklyRecurrence(Recurrence):
    """On some weekdays at one time, every week or every `every_weeks` weeks.

    With an interval, `anchor_date` (the date the schedule was created) fixes the cadence: the
    first occurrence is on the first listed weekday on or after the anchor, then every
    `every_weeks` weeks (weeks start on Monday); nothing fires before the anchor. Weekly
    recurrences without an interval ignore the anchor.
    """

    days: frozenset[int]
    at: time
    every_weeks: int = 1
    anchor_date: date | None = None

    @property
    def text(self) -> str:
        interval = f" every {self.every_weeks} weeks" if self.every_weeks > 1 else ""
        return f"{_days_text(self.days, canonical=True)} {self.at:%H:%M}{interval}"

    def describe(self) -> str:
        days = _days_text(self.days, canonical=False)
        if self.every_weeks == 1:
            return f"{days} at {self.at:%H:%M}"
        return f"every {self.every_weeks} weeks on {days} at {self.at:%H:%M}"

    def _rule(self, lower: datetime) -> rr.rrulebase:
        start = self._cadence_start() if self.every_weeks > 1 else lower
        return _wall_times(
            rr.WEEKLY, start, self.at, interval=self.every_weeks, byweekday=sorted(self.days)
        )

    def _cadence_start(self) -> datetime:
        if self.anchor_date is None:
            raise ValueError(f"'{self.text}' needs an anchor_date to keep its week cadence")
        first = self.anchor_date
        while first.weekday() not in self.days:
            first += timedelta(days=1)
        return datetime.combine(first, time())


@dataclass(frozen=True)
class MonthlyRecurrence(Recurrence):
    """The nth (1-4) or last (-1) given weekday of every month, at one time."""

    nth: int
    weekday: int
    at: time

    @property
    def text(self) -> str:
        return f"{_ORDINAL_TEXT[self.nth]} {DAY_NAMES[self.weekday]} of month {self.at:%H:%M}"

    def describe(self) -> str:
        day = DAY_NAMES[self.weekday].title()
        return f"{_ORDINAL_TEXT[self.nth]} {day} of the month at {self.at:%H:%M}"

    def _rule(self, lower: datetime) -> rr.rrulebase:
        weekday = rr.weekdays[self.weekday](self.nth)
        return _wall_times(rr.MONTHLY, lower, self.at, byweekday=weekday)


def _wall_times(
    freq: Literal[1, 2, 3],  # rr.MONTHLY, rr.WEEKLY, rr.DAILY
    start: datetime,
    at: time | None = None,
    *,
    interval: int = 1,
    hours: list[int] | None = None,
    minutes: list[int] | None = None,
    months: list[int] | None = None,
    bymonthday: list[int] | None = None,
    byweekday: list[int] | rr.weekday | None = None,
) -> rr.rrule:
    """Naive local wall times from `start` on: at `at`, or at every `hours` x `minutes`."""
    return rr.rrule(
        freq,
        dtstart=start,
        interval=interval,
        wkst=rr.MO,
        byhour=[at.hour] if at is not None else hours,
        byminute=[at.minute] if at is not None else minutes,
        bysecond=0,
        bymonth=months,
        bymonthday=bymonthday,
        byweekday=byweekday,
    )


# --- cron --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] stands for low + i


_CRON_FIELDS = (
    _CronField("minute", 0, 59),
    _CronField("hour", 0, 23),
    _CronField("day-of-month", 1, 31),
    _CronField("month", 1, 12, _MONTH_NAMES),
    _CronField("day-of-week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")),
)


@dataclass(frozen=True)
class CronRecurrence(Recurrence):
    """A standard 5-field cron expression, evaluated on local wall-clock time."""

    expression: str
    minutes: frozenset[int] = field(compare=False)
    hours: frozenset[int] = field(compare=False)
    days_of_month: frozenset[int] = field(compare=False)
    months: frozenset[int] = field(compare=False)
    weekdays: frozenset[int] = field(compare=False)  # 0 = Monday, as everywhere in this package
    dom_restricted: bool = field(compare=False)
    dow_restricted: bool = field(compare=False)

    @property
    def text(self) -> str:
        return self.expression

    def describe(self) -> str:
        times = sorted(time(h, m) for h in self.hours for m in self.minutes)
        if len(times) > 4 or (self.days_of_month, self.months) != (_ALL_MONTH_DAYS, _ALL_MONTHS):
            return f'cron "{self.expression}"'
        at = ", ".join(f"{t:%H:%M}" for t in times)
        return f"{_days_text(self.weekdays, canonical=False)} at {at} (cron \"{self.expression}\")"

    def _rule(self, lower: datetime) -> rr.rrulebase:
        def daily(
            bymonthday: frozenset[int] = self.days_of_month,
            byweekday: frozenset[int] = self.weekdays,
        ) -> rr.rrule:
            return _wall_times(
                rr.DAILY,
                lower,
                hours=sorted(self.hours),
                minutes=sorted(self.minutes),
                months=sorted(self.months),
                bymonthday=sorted(bymonthday),
                byweekday=sorted(byweekday),
            )

        if not (self.dom_restricted and self.dow_restricted):
            return daily()  # Vixie cron: with a '*' day field, both day fields must match
        union = rr.rruleset()  # both restricted: a day matching either field fires
        union.rrule(daily(byweekday=_ALL_DAYS))
        union.rrule(daily(bymonthday=_ALL_MONTH_DAYS))
        return union



def parse_cron(expression: str) -> CronRecurrence:
    """Read a 5-field cron expression ("0 9 * * 1-5") into a `CronRecurrence`."""
    parts = expression.lower().split()
    if len(parts) != 5:
        raise WhenError(
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
            f"'{expression}' has {len(parts)} - e.g. {EXAMPLE_CRON}"
        )
    minutes, hours, doms, months, dows = (
        _cron_field(part, spec) for part, spec in zip(parts, _CRON_FIELDS, strict=True)
    )
    recurrence = CronRecurrence(
        expression=" ".join(parts),
        minutes=minutes,
        hours=hours,
        days_of_month=doms,
        months=months,
        weekdays=frozenset((day - 1) % 7 for day in dows),
        dom_restricted=not parts[2].startswith("*"),
        dow_restricted=not parts[4].startswith("*"),
    )
    _check_cron_can_fire(recurrence)
    return recurrence


def _cron_field(text: str, spec: _CronField) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        values |= _cron_item(item, spec)
    return frozenset(values)


def _cron_item(item: str, spec: _CronField) -> set[int]:
    span, slash, step_text = item.partition("/")
    if slash and not (step_text.isdigit() and int(step_text) > 0):
        raise _cron_error(item, spec)
    step = int(step_text) if slash else 1
    if span == "*":
        low, high = spec.low, spec.high
    elif "-" in span:
        first, _, last = span.partition("-")
        low, high = _cron_value(first, item, spec), _cron_value(last, item, spec)
    else:
        low = _cron_value(span, item, spec)
        high = spec.high if slash else low
    if low > high:
        raise _cron_error(item, spec)
    return set(range(low, high + 1, step))


def _cron_value(token: str, item: str, spec: _CronField) -> int:
    if token in spec.names:
        return spec.low + spec.names.index(token)
    if not token.isdigit() or not spec.low <= int(token) <= spec.high:
        raise _cron_error(item, spec)
    return int(token)


def _cron_error(item: str, spec: _CronField) -> WhenError:
    allowed = f"{spec.low}-{spec.high}"
    if spec.names:
        allowed += f" or {spec.names[0]}-{spec.names[-2 if spec.name == 'day-of-week' else -1]}"
    return WhenError(
        f"'{item}' is not valid in the cron {spec.name} field; use {allowed}, '*', lists (1,15), "
        f"ranges (1-5) or steps (*/15) - e.g. {EXAMPLE_CRON}"
    )


def _check_cron_can_fire(cron: CronRecurrence) -> None:
    if cron.dom_restricted and cron.dow_restricted:
        return  # either day field may match, and every weekday occurs in every month
    if any(d <= _stdcal.monthrange(2024, m)[1] for m in cron.months for d in cron.days_of_month):
        return  # 2024 is a leap year: day 29 of February counts
    raise WhenError(
        f"cron \"{cron.expression}\" never fires: none of its months has those days of the month"
    )


# --- parse_when --------------------------------------------------------------------------


def parse_when(text: str, anchor_date: date | None = None) -> Recurrence:
    """Read the `<when>` of `/align schedule add` into a `Recurrence`.

    `anchor_date` (the date the schedule was created) is kept by "every N weeks" recurrences to
    fix their cadence; other forms ignore it. Raises `WhenError` with a message for the user.
    """
    normal = _normalise(text)
    if not normal:
        raise WhenError(f"the schedule needs a when, e.g. {EXAMPLE_DAYS} or {EXAMPLE_CRON}")
    if _CRON_START.match(normal.split()[0]):  # a time of day has ':' or am/pm; cron has neither
        return parse_cron(normal)
    if every := _EVERY.match(normal):
        return parse_cron(_every_as_cron(every))
    every_weeks, rest = _split_interval(normal)
    if re.search(r"\bmonth\b", rest):
        if every_weeks != 1:
            raise WhenError(
                f"'every N weeks' does not go with a day of the month - e.g. {EXAMPLE_MONTHLY}"
            )
        return _parse_monthly(rest)
    return _parse_weekly(rest, every_weeks, anchor_date)


_EVERY = re.compile(r"^every\s*(\d+)?\s*(m|mins?|minutes?|h|hrs?|hours?)$")


def _every_as_cron(match: re.Match[str]) -> str:
    """"every 15m" as "*/15 * * * *", "every 2h" as "0 */2 * * *"."""
    amount = int(match.group(1) or 1)
    if match.group(2).startswith("m"):
        if amount >= 60 or 60 % amount:
            raise WhenError(f"every {amount} minutes does not divide an hour; use 5, 10, 15, 20"
                            f" or 30 minutes, or a cron - e.g. {EXAMPLE_CRON}")
        return f"*/{amount} * * * *"
    if amount >= 24 or 24 % amount:
        raise WhenError(f"every {amount} hours does not divide a day; use 1, 2, 3, 4, 6, 8 or 12"
                        f" hours, or a cron - e.g. {EXAMPLE_CRON}")
    return f"0 */{amount} * * *" if amount > 1 else "0 * * * *"


def _normalise(text: str) -> str:
    lowered = " ".join(_DASHES.sub("-", str(text)).lower().split())
    lowered = re.sub(r"\s*([,\-])\s*", r"\1", lowered)
    lowered = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", lowered)
    lowered = re.sub(r"\bevery\s?day\b|\beach\s+day\b", "daily", lowered)
    return re.sub(r"\bevery\s+weekdays?\b", "weekdays", lowered)


def _split_interval(text: str) -> tuple[int, str]:
    match = _INTERVAL.search(text)
    if match is None:
        return 1, text
    rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())
    amount = match.group(1)
    if amount is None:
        return 1, rest
    if amount == "other":
        return 2, rest
    if not amount.isdigit() or not 1 <= int(amount) <= 52:
        raise WhenError(
            f"'every {amount} weeks' is not a week interval; use a number from 1 to 52 - "
            f'e.g. "fri 15:00 every 2 weeks"'
        )
    return int(amount), rest


def _parse_monthly(text: str) -> MonthlyRecurrence:
    match = _MONTHLY.match(text)
    if match is None:
        raise WhenError(f"'{text}' is not a monthly day; write it like {EXAMPLE_MONTHLY}")
    nth = _ORDINALS.get(match["nth"])
    if nth is None:
        raise WhenError(
            f"'{match['nth']}' is not a week of the month; use 1st, 2nd, 3rd, 4th or last - "
            f"e.g. {EXAMPLE_MONTHLY}"
        )
    try:
        weekday = _day_index(match["day"])
    except DayError as error:
        raise WhenError(
            f"'{error.token}' is not a day; use mon, tue, ... sun - e.g. {EXAMPLE_MONTHLY}"
        ) from None
    if match["time"] is None:
        raise _missing_time(text, EXAMPLE_MONTHLY)
    return MonthlyRecurrence(nth=nth, weekday=weekday, at=parse_time_of_day(match["time"]))


def _parse_weekly(text: str, every_weeks: int, anchor_date: date | None) -> WeeklyRecurrence:
    tokens = [token for token in text.split() if token not in _FILLER]
    times = [token for token in tokens if token[:1].isdigit()]
    day_tokens = [token for token in tokens if not token[:1].isdigit()]
    for token in times:
        if token in _ORDINALS:
            raise WhenError(f"a monthly day needs 'of month' - e.g. {EXAMPLE_MONTHLY}")
    if not day_tokens:
        raise WhenError(
            f"'{text}' does not say which days; add days before the time - e.g. {EXAMPLE_DAYS}"
        )
    try:
        days = parse_day_set(",".join(day_tokens))
    except DayError as error:
        raise _day_error(error.token) from None
    if not times:
        raise _missing_time(text, f'"{",".join(day_tokens)} 09:00"')
    if len(times) > 1:
        raise WhenError(
            f"'{text}' has {len(times)} times of day; a schedule has one - add a second schedule "
            f"or use a cron expression like \"0 9,17 * * 1-5\""
        )
    at = parse_time_of_day(times[0])
    anchor = anchor_date if every_weeks > 1 else None  # equal rules compare equal
    return WeeklyRecurrence(days=days, at=at, every_weeks=every_weeks, anchor_date=anchor)


def _missing_time(text: str, example: str) -> WhenError:
    return WhenError(f"'{text}' has no time of day; add one - e.g. {example}")
