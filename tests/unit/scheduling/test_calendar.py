"""Working days, holidays, away periods and work hours of a `WorkCalendar`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.calendar import WorkCalendar, WorkingDaysError, parse_working_days

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
JERUSALEM = ZoneInfo("Asia/Jerusalem")

FRI, SAT, SUN, MON, TUE = (date(2026, 3, d) for d in (6, 7, 8, 9, 10))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sun-thu", {6, 0, 1, 2, 3}),
        ("mon,tue,wed", {0, 1, 2}),
        (" Mon - Thu ", {0, 1, 2, 3}),
        ("mon, wed,  fri", {0, 2, 4}),
        ("mon tue", {0, 1}),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("daily", set(range(7))),
        ("fri-mon", {4, 5, 6, 0}),
        ("Monday,Tuesday", {0, 1}),
        ("sat", {5}),
        ("Sun\u2013Thu", {6, 0, 1, 2, 3}),
    ],
)
def test_parse_working_days(text: str, expected: set[int]) -> None:
    assert parse_working_days(text) == frozenset(expected)


@pytest.mark.parametrize(
    ("text", "bad"),
    [("mon-fryday", "fryday"), ("mon,,funday", "funday"), ("", ""), ("1-5", "1"), ("mon-", "")],
)
def test_parse_working_days_names_the_bad_part(text: str, bad: str) -> None:
    with pytest.raises(WorkingDaysError) as error:
        parse_working_days(text)
    assert str(error.value) == (
        f"'{bad}' is not a day; use mon, tue, ... sun, ranges and commas - "
        'e.g. "mon-fri", "sun-thu" or "mon,tue,wed,thu"'
    )


def test_weekends_are_not_working_days() -> None:
    calendar = WorkCalendar(BERLIN)
    assert [calendar.is_working_day(day) for day in (FRI, SAT, SUN, MON)] == [
        True, False, False, True
    ]


def test_holidays_are_not_working_days() -> None:
    calendar = WorkCalendar(BERLIN, holidays={MON})
    assert not calendar.is_working_day(MON)
    assert calendar.is_working_day(TUE)


def test_away_periods_are_inclusive_at_both_ends() -> None:
    calendar = WorkCalendar(BERLIN, away=[(date(2026, 3, 10), date(2026, 3, 12))])
    days = [date(2026, 3, d) for d in range(9, 14)]
    assert [calendar.is_working_day(day) for day in days] == [True, False, False, False, True]
    assert calendar.is_away(date(2026, 3, 10)) and calendar.is_away(date(2026, 3, 12))
    assert not calendar.is_away(date(2026, 3, 13))


def test_a_sunday_to_thursday_week() -> None:
    calendar = WorkCalendar(JERUSALEM, parse_working_days("sun-thu"))
    week = [date(2026, 3, d) for d in range(6, 13)]  # Fri .. Thu
    assert [calendar.is_working_day(day) for day in week] == [
        False, False, True, True, True, True, True
    ]
    assert calendar.next_working_day(date(2026, 3, 5)) == date(2026, 3, 8)  # Thu -> Sun


def test_next_working_day_skips_weekend_holiday_and_away() -> None:
    calendar = WorkCalendar(
        NEW_YORK, holidays={MON}, away=[(date(2026, 3, 10), date(2026, 3, 11))]
    )
    assert calendar.next_working_day(FRI) == date(2026, 3, 12)
    assert calendar.next_working_day(date(2026, 3, 12)) == date(2026, 3, 13)


def test_work_hours_are_utc_and_follow_dst() -> None:
    calendar = WorkCalendar(BERLIN)
    assert calendar.work_hours(date(2026, 3, 27)) == (
        datetime(2026, 3, 27, 8, tzinfo=UTC), datetime(2026, 3, 27, 16, tzinfo=UTC)
    )
    assert calendar.work_hours(date(2026, 3, 30)) == (
        datetime(2026, 3, 30, 7, tzinfo=UTC), datetime(2026, 3, 30, 15, tzinfo=UTC)
    )
    assert calendar.work_hours(date(2026, 3, 29)) is None  # a Sunday


def test_work_hours_containing_a_transition_are_real_time() -> None:
    night = WorkCalendar(NEW_YORK, frozenset(range(7)), work_start=time(1), work_end=time(5))
    start, end = night.work_hours(date(2026, 3, 8)) or (None, None)
    assert start == datetime(2026, 3, 8, 6, tzinfo=UTC)
    assert end == datetime(2026, 3, 8, 9, tzinfo=UTC)  # 3 real hours that spring day


def test_local_date_uses_the_calendar_zone() -> None:
    calendar = WorkCalendar(ZoneInfo("Pacific/Auckland"))
    assert calendar.local_date(datetime(2026, 3, 8, 20, tzinfo=UTC)) == date(2026, 3, 9)


def test_collections_are_frozen_so_the_calendar_is_hashable() -> None:
    holidays = {MON}
    calendar = WorkCalendar(BERLIN, holidays=holidays, away=[(TUE, TUE)])
    holidays.add(TUE)
    assert calendar.holidays == frozenset({MON})
    assert calendar.away == ((TUE, TUE),)
    assert hash(calendar) == hash(WorkCalendar(BERLIN, holidays={MON}, away=[(TUE, TUE)]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"working_days": frozenset()}, "working_days"),
        ({"working_days": frozenset({7})}, "working_days"),
        ({"work_start": time(17), "work_end": time(9)}, "before work_end"),
        ({"work_start": time(9), "work_end": time(9)}, "before work_end"),
        ({"away": [(TUE, MON)]}, "ends before it starts"),
    ],
)
def test_invalid_calendars_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(BERLIN, **kwargs)  # type: ignore[arg-type]


def test_a_calendar_without_working_days_for_years_is_an_error() -> None:
    calendar = WorkCalendar(BERLIN, away=[(date(2026, 1, 1), date(2040, 1, 1))])
    with pytest.raises(ValueError, match="no working day"):
        calendar.next_working_day(date(2026, 1, 1))
    assert calendar.next_working_day(date(2040, 1, 1) - timedelta(days=1)) == date(2040, 1, 2)
