"""Business-time arithmetic: weekends, holidays, away periods, DST and off-hours starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.business_time import (
    add_business_time,
    business_minutes_between,
    next_working_instant,
)
from bot.scheduling.calendar import WorkCalendar, parse_working_days
from bot.scheduling.when import local_to_utc
from bot.strategy.durations import Duration

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
JERUSALEM = ZoneInfo("Asia/Jerusalem")
NY = WorkCalendar(NEW_YORK)
HOLIDAY_MONDAY = WorkCalendar(NEW_YORK, holidays={date(2026, 3, 9)})


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall-clock time as the aware UTC instant it names."""
    return local_to_utc(datetime(year, month, day, hour, minute), tz)


def ny(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return at(NEW_YORK, 2026, month, day, hour, minute)


def add(start: datetime, duration: str, calendar: WorkCalendar = NY) -> datetime:
    return add_business_time(start, Duration.parse(duration), calendar)


# --- minutes and hours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (ny(3, 2, 10), "2h", ny(3, 2, 12)),  # within one day
        (ny(3, 2, 13), "4h", ny(3, 2, 17)),  # ends exactly at close: same day
        (ny(3, 2, 16), "2h", ny(3, 3, 10)),  # spills into the next morning
        (ny(3, 2, 9), "8h", ny(3, 2, 17)),
        (ny(3, 2, 9), "9h", ny(3, 3, 10)),
        (ny(3, 2, 9), "40h", ny(3, 6, 17)),  # a whole working week
        (ny(3, 2, 10, 15), "45m", ny(3, 2, 11)),
        (ny(3, 2, 10), "0m", ny(3, 2, 10)),
    ],
)
def test_working_minutes_within_the_week(start: datetime, duration: str, expected: datetime) -> None:
    assert add(start, duration) == expected


def test_over_a_weekend_and_the_march_dst_change() -> None:
    # Fri 16:00 EST + 2h -> Mon 10:00 EDT; the spring-forward hour on Sunday does not count.
    assert add(ny(3, 6, 16), "2h") == ny(3, 9, 10) == datetime(2026, 3, 9, 14, tzinfo=UTC)


def test_over_a_weekend_and_the_november_dst_change() -> None:
    assert add(ny(10, 30, 16), "2h") == ny(11, 2, 10) == datetime(2026, 11, 2, 15, tzinfo=UTC)


def test_over_a_holiday() -> None:
    assert add(ny(3, 6, 16), "2h", HOLIDAY_MONDAY) == ny(3, 10, 10)


def test_over_an_away_period() -> None:
    away = WorkCalendar(NEW_YORK, away=[(date(2026, 3, 9), date(2026, 3, 11))])
    assert add(ny(3, 6, 16), "2h", away) == ny(3, 12, 10)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (ny(3, 3, 7), ny(3, 3, 9, 30)),  # before opening: counts from 09:00
        (ny(3, 3, 18), ny(3, 4, 9, 30)),  # after closing: counts from the next morning
        (ny(3, 3, 17), ny(3, 4, 9, 30)),  # exactly at close is outside [09:00, 17:00)
        (ny(3, 7, 12), ny(3, 9, 9, 30)),  # Saturday: counts from Monday 09:00 (EDT)
        (ny(3, 3, 9), ny(3, 3, 9, 30)),  # exactly at opening is inside
    ],
)
def test_a_start_outside_working_hours_counts_from_the_next_opening(
    start: datetime, expected: datetime
) -> None:
    assert add(start, "30m") == expected


def test_zero_outside_hours_moves_to_the_next_opening() -> None:
    assert add(ny(3, 7, 12), "0h") == ny(3, 9, 9)


def test_berlin_over_both_dst_changes() -> None:
    berlin = WorkCalendar(BERLIN)
    assert add(at(BERLIN, 2026, 3, 27, 16), "2h", berlin) == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert add(at(BERLIN, 2026, 10, 23, 16), "2h", berlin) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_sunday_to_thursday_week_over_a_friday_dst_change() -> None:
    # Israel moves its clocks on Friday 27 March 2026, a day off in a Sun-Thu week.
    israel = WorkCalendar(JERUSALEM, parse_working_days("sun-thu"))
    start = at(JERUSALEM, 2026, 3, 26, 16)  # Thu 16:00 +02:00
    assert add(start, "2h", israel) == at(JERUSALEM, 2026, 3, 29, 10)  # Sun 10:00 +03:00
    assert add(start, "2h", israel) == datetime(2026, 3, 29, 7, tzinfo=UTC)
    assert business_minutes_between(start, at(JERUSALEM, 2026, 3, 29, 10), israel) == 120


def test_a_dst_change_inside_work_hours_counts_real_time() -> None:
    night = WorkCalendar(NEW_YORK, frozenset(range(7)), work_start=time(1), work_end=time(5))
    spring, autumn = date(2026, 3, 8), date(2026, 11, 1)
    day = timedelta(days=1)
    assert business_minutes_between(ny(3, 8), ny(3, 8) + day, night) == 180  # 01:00-05:00 is 3h
    assert business_minutes_between(ny(11, 1), ny(11, 2), night) == 300  # and 5h in autumn
    assert add(at(NEW_YORK, 2026, 3, 8, 1), "4h", night) == at(NEW_YORK, 2026, 3, 9, 2)
    assert night.work_hours(spring) is not None and night.work_hours(autumn) is not None


# --- days and weeks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "calendar", "expected"),
    [
        (ny(3, 6, 16), "1d", NY, ny(3, 9, 16)),  # Fri 16:00 -> Mon 16:00 (across DST)
        (ny(3, 6, 16), "1d", HOLIDAY_MONDAY, ny(3, 10, 16)),  # Monday off -> Tue 16:00
        (ny(3, 2, 10), "3d", NY, ny(3, 5, 10)),
        (ny(3, 2, 10), "5d", NY, ny(3, 9, 10)),
        (ny(3, 7, 11), "1d", NY, ny(3, 10, 9)),  # Sat: clamps to Mon 09:00, +1d = Tue 09:00
        (ny(3, 3, 16, 59), "1d", NY, ny(3, 4, 16, 59)),
        (ny(3, 3, 17), "1d", NY, ny(3, 5, 9)),  # 17:00 is Wed 09:00 in business time
        (ny(3, 3, 7), "1d", NY, ny(3, 4, 9)),  # before opening clamps to 09:00
        (ny(3, 3, 10), "0d", NY, ny(3, 3, 10)),
        (ny(3, 3, 10), "1w", NY, ny(3, 10, 10)),  # same weekday and time next week (EDT)
        (ny(3, 3, 10), "2w", NY, ny(3, 17, 10)),
        (ny(3, 3, 10), "1w", HOLIDAY_MONDAY, ny(3, 11, 10)),  # a day off pushes it one day
    ],
)
def test_working_days_and_weeks(
    start: datetime, duration: str, calendar: WorkCalendar, expected: datetime
) -> None:
    assert add(start, duration, calendar) == expected


def test_days_over_an_away_period() -> None:
    away = WorkCalendar(NEW_YORK, away=[(date(2026, 3, 9), date(2026, 3, 10))])
    assert add(ny(3, 6, 16), "1d", away) == ny(3, 11, 16)


def test_a_week_is_the_calendars_number_of_working_days() -> None:
    israel = WorkCalendar(JERUSALEM, parse_working_days("sun-thu"))
    thursday = at(JERUSALEM, 2026, 3, 26, 10)
    assert add(thursday, "1w", israel) == at(JERUSALEM, 2026, 4, 2, 10)
    four_days = WorkCalendar(NEW_YORK, parse_working_days("mon-thu"))
    assert add(ny(3, 2, 10), "1w", four_days) == ny(3, 9, 10)
    assert add(ny(3, 2, 10), "4d", four_days) == ny(3, 9, 10)


def test_berlin_day_over_spring_forward() -> None:
    berlin = WorkCalendar(BERLIN)
    assert add(at(BERLIN, 2026, 3, 27, 16), "1d", berlin) == datetime(2026, 3, 30, 14, tzinfo=UTC)


# --- minutes between ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "calendar", "expected"),
    [
        (ny(3, 2, 10), ny(3, 2, 12), NY, 120),
        (ny(3, 6, 16), ny(3, 9, 10), NY, 120),  # weekend and DST
        (ny(3, 6, 16), ny(3, 10, 10), HOLIDAY_MONDAY, 120),
        (ny(3, 9, 10), ny(3, 6, 16), NY, -120),  # reversed
        (ny(3, 7), ny(3, 8, 23), NY, 0),  # a weekend
        (ny(3, 3, 18), ny(3, 4, 8), NY, 0),  # overnight
        (ny(3, 2), ny(3, 9), NY, 5 * 8 * 60),  # a whole week
        (ny(3, 2, 10), ny(3, 2, 10), NY, 0),
        (ny(3, 2, 10), ny(3, 2, 10, 1) + timedelta(seconds=59), NY, 1),  # rounds down
        (ny(3, 2, 7), ny(3, 2, 9, 30), NY, 30),
    ],
)
def test_business_minutes_between(
    a: datetime, b: datetime, calendar: WorkCalendar, expected: int
) -> None:
    assert business_minutes_between(a, b, calendar) == expected


# --- properties over a span with weekends, DST, a holiday and an away period -------------

BUSY = WorkCalendar(
    NEW_YORK,
    holidays={date(2026, 3, 9)},
    away=[(date(2026, 3, 18), date(2026, 3, 20))],
)
STARTS = [ny(3, 4) + timedelta(minutes=97 * i) for i in range(0, 400)]  # 4 Mar .. 31 Mar


@pytest.mark.parametrize("duration", ["1m", "59m", "2h", "8h", "13h", "40h"])
def test_adding_minutes_then_measuring_gives_them_back(duration: str) -> None:
    minutes = Duration.parse(duration).minutes
    for start in STARTS:
        end = add(start, duration, BUSY)
        assert business_minutes_between(start, end, BUSY) == minutes, start
        local = end.astimezone(NEW_YORK)
        assert BUSY.is_working_day(local.date()) and time(9) < local.time() <= time(17), start


@pytest.mark.parametrize("duration", ["1d", "3d", "1w"])
def test_adding_days_lands_on_a_working_day_at_the_clamped_time(duration: str) -> None:
    for start in STARTS:
        clamped = next_working_instant(start, BUSY).astimezone(NEW_YORK)
        end = add(start, duration, BUSY).astimezone(NEW_YORK)
        assert end.time() == clamped.time(), start
        assert BUSY.is_working_day(end.date()), start
        between = [
            clamped.date() + timedelta(days=n)
            for n in range(1, (end.date() - clamped.date()).days)
        ]
        working = sum(BUSY.is_working_day(day) for day in between) + 1
        assert working == (5 if duration == "1w" else int(duration[0])), start


def test_next_working_instant() -> None:
    assert next_working_instant(ny(3, 3, 10), NY) == ny(3, 3, 10)
    assert next_working_instant(ny(3, 7, 10), NY) == ny(3, 9, 9)
    assert next_working_instant(ny(3, 6, 17), HOLIDAY_MONDAY) == ny(3, 10, 9)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2026, 3, 2, 10), Duration(1, "h"), NY)
    with pytest.raises(ValueError, match="aware"):
        business_minutes_between(ny(3, 2), datetime(2026, 3, 3), NY)
