"""Business-time arithmetic for lead follow-up cadence ("follow up within 4h", "every 2d").

It owns what a cadence duration means on a `WorkCalendar`:

- working time is the half-open window [work_start, work_end) of each working day, in the
  calendar's zone; its length is real elapsed time (a DST change inside work hours makes that
  day's window shorter or longer, one outside work hours changes nothing);
- a start outside working time (before hours, after hours, on a day off) first moves to the next
  working-hours start - this "clamped start" is where every duration begins;
- ``m`` / ``h``: that many working minutes after the clamped start. The result may be exactly a
  work_end ("4h after 13:00" is 17:00 the same day), never later than the window it ends in;
- ``d``: the same local time of day as the clamped start, on the Nth working day after the
  clamped start's day. "1d after Friday 16:00" is Monday 16:00 when Monday is a working day
  (Tuesday 16:00 if Monday is a holiday); "1d after Saturday 11:00" is Tuesday 09:00 (the start
  clamps to Monday 09:00). A start exactly at work_end counts as the next working day's start,
  which is the same point in business time;
- ``w``: one week is as many working days as the calendar has per week (5 for Mon-Fri or
  Sun-Thu, 4 for a four-day week), so "1w" lands on the same weekday and time next week unless
  days off intervene, which push it later like they push "d".

Business minutes are whole minutes (rounded down) of working time between two instants.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from bot.scheduling.calendar import WorkCalendar
from bot.scheduling.when import local_to_utc
from bot.strategy.durations import Duration


def add_business_time(start_utc: datetime, duration: Duration, calendar: WorkCalendar) -> datetime:
    """The aware UTC instant `duration` of business time after `start_utc` (see module doc)."""
    start = next_working_instant(start_utc, calendar)
    if duration.unit in ("m", "h"):
        return _add_working_minutes(start, duration.minutes, calendar)
    days = duration.amount * (len(calendar.working_days) if duration.unit == "w" else 1)
    return _add_working_days(start, days, calendar)


def next_working_instant(at_utc: datetime, calendar: WorkCalendar) -> datetime:
    """`at_utc` if it falls in working time, else the next working-hours start (aware UTC)."""
    _require_aware(at_utc)
    for window_start, window_end in _windows(at_utc, calendar):
        if at_utc < window_end:
            return max(at_utc, window_start)
    raise AssertionError("unreachable: _windows is endless")  # pragma: no cover


def business_minutes_between(a_utc: datetime, b_utc: datetime, calendar: WorkCalendar) -> int:
    """Whole working minutes (rounded down) from a_utc to b_utc; negative if b_utc is earlier."""
    _require_aware(a_utc)
    _require_aware(b_utc)
    if b_utc < a_utc:
        return -business_minutes_between(b_utc, a_utc, calendar)
    total = timedelta()
    for window_start, window_end in _windows(a_utc, calendar):
        if window_start >= b_utc:
            break
        overlap = min(window_end, b_utc) - max(window_start, a_utc)
        total += max(overlap, timedelta())
    return int(total.total_seconds() // 60)


def _add_working_minutes(start: datetime, minutes: int, calendar: WorkCalendar) -> datetime:
    remaining = timedelta(minutes=minutes)
    for window_start, window_end in _windows(start, calendar):
        cursor = max(start, window_start)
        if cursor >= window_end:
            continue
        if remaining <= window_end - cursor:
            return cursor + remaining
        remaining -= window_end - cursor
    raise AssertionError("unreachable: _windows is endless")  # pragma: no cover


def _add_working_days(start: datetime, days: int, calendar: WorkCalendar) -> datetime:
    local = start.astimezone(calendar.tz)
    day = local.date()
    for _ in range(days):
        day = calendar.next_working_day(day)
    return local_to_utc(datetime.combine(day, local.time()), calendar.tz)


def _windows(from_utc: datetime, calendar: WorkCalendar) -> Iterator[tuple[datetime, datetime]]:
    """Working-hours windows (UTC) of the working days from from_utc's local date on, endless."""
    for day in calendar.working_days_from(calendar.local_date(from_utc)):
        window = calendar.work_hours(day)
        if window is not None:
            yield window


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {value!r}")
