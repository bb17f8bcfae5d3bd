"""A member's working calendar: which local days are working days and when work hours are.

It owns availability (working weekdays, daily work hours, holidays, away periods) in the member's
own time zone, so schedules can skip days off and business-time arithmetic
(`bot.scheduling.business_time`) can count only working time. Pure values, no I/O: the caller
loads holidays and away periods from wherever they live.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.scheduling.when import DayError, local_to_utc, parse_day_set

MAX_SEARCH_DAYS = 3660  # ten years without a working day means the calendar is wrong
_EXAMPLE = '"mon-fri", "sun-thu" or "mon,tue,wed,thu"'


class WorkingDaysError(ValueError):
    """A list of working days the user wrote that we cannot read."""


@lru_cache(maxsize=256)  # a fan-out reads every member's days; most share a few spellings
def parse_working_days(text: str) -> frozenset[int]:
    """Read "mon-fri", "sun-thu", "mon,tue,wed" (also "weekdays", "daily") into 0 = Monday days."""
    try:
        return parse_day_set(text)
    except DayError as error:
        raise WorkingDaysError(
            f"'{error.token}' is not a day; use mon, tue, ... sun, ranges and commas - "
            f"e.g. {_EXAMPLE}"
        ) from None


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours in one time zone, with holidays and inclusive away periods.

    `working_days` uses 0 = Monday. Work hours are [work_start, work_end) on the same local date
    (no overnight shifts). `holidays` and `away` are local dates; they are stored as a frozenset
    and a tuple, so a calendar is hashable and cannot change under the scheduler.
    """

    tz: ZoneInfo
    working_days: frozenset[int] = frozenset(range(5))
    work_start: time = time(9)
    work_end: time = time(17)
    holidays: AbstractSet[date] = frozenset()
    away: Sequence[tuple[date, date]] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "working_days", frozenset(self.working_days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "away", tuple((start, end) for start, end in self.away))
        self._validate()

    def _validate(self) -> None:
        if not self.working_days or not self.working_days <= frozenset(range(7)):
            days = sorted(self.working_days)
            raise ValueError(f"working_days must be a non-empty subset of 0..6, got {days}")
        if not self.work_start < self.work_end:
            raise ValueError(f"work_start {self.work_start} is not before work_end {self.work_end}")
        for start, end in self.away:
            if start > end:
                raise ValueError(f"away period {start}..{end} ends before it starts")

    def is_away(self, local_date: date) -> bool:
        """True inside any away period (both ends inclusive)."""
        return any(start <= local_date <= end for start, end in self.away)

    def is_working_day(self, local_date: date) -> bool:
        """True on a working weekday that is neither a holiday nor inside an away period."""
        return (
            local_date.weekday() in self.working_days
            and local_date not in self.holidays
            and not self.is_away(local_date)
        )

    def next_working_day(self, local_date: date) -> date:
        """The first working day strictly after `local_date`."""
        return next(self.working_days_from(local_date + timedelta(days=1)))

    def working_days_from(self, local_date: date) -> Iterator[date]:
        """Working days from `local_date` (inclusive) on; raises after MAX_SEARCH_DAYS days off."""
        idle = 0
        day = local_date
        while True:
            if self.is_working_day(day):
                idle = 0
                yield day
            else:
                idle += 1
                if idle > MAX_SEARCH_DAYS:
                    raise ValueError(f"no working day in the {MAX_SEARCH_DAYS} days after {day}")
            day += timedelta(days=1)

    def work_hours(self, local_date: date) -> tuple[datetime, datetime] | None:
        """The UTC instants of work start and end on `local_date`, or None if it is a day off.

        The local times go through `local_to_utc`: a DST gap moves them to the end of the gap, an
        ambiguous time takes its first occurrence, and the window's length is real elapsed time.
        """
        if not self.is_working_day(local_date):
            return None
        start = local_to_utc(datetime.combine(local_date, self.work_start), self.tz)
        end = local_to_utc(datetime.combine(local_date, self.work_end), self.tz)
        return start, end

    def local_date(self, instant: datetime) -> date:
        """The calendar date of an aware instant in this calendar's zone."""
        return instant.astimezone(self.tz).date()
