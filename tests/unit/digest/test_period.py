"""The period grammar of `/align digest`: defaults, weeks, days, months and date ranges in the
caller's zone, each compared with the period of the same length before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.period import PeriodError, ending, parse_period

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def test_the_default_is_the_last_week_compared_with_the_one_before() -> None:
    period = parse_period("", NOW, NY)
    assert (period.start, period.end) == (NOW - timedelta(days=7), NOW)
    assert period.previous().end == period.start and period.previous().length == timedelta(days=7)
    assert parse_period("last week", NOW, NY) == period == ending(NOW)


@pytest.mark.parametrize(("text", "days"), [("last 4 weeks", 28), ("past 2 weeks", 14),
                                            ("last 10 days", 10), ("last day", 1)])
def test_last_n_weeks_or_days(text: str, days: int) -> None:
    period = parse_period(text, NOW, NY)
    assert period.end == NOW and period.length == timedelta(days=days)


def test_a_month_and_a_date_range_are_local_midnights() -> None:
    march = parse_period("2026-03", NOW, NY)
    assert march.start == datetime(2026, 3, 1, 5, tzinfo=UTC)  # EST
    assert march.end == datetime(2026, 4, 1, 4, tzinfo=UTC)  # EDT after 8 March
    assert march.label == "March 2026"
    december = parse_period("2025-12", NOW, NY)
    assert december.end == datetime(2026, 1, 1, 5, tzinfo=UTC)
    span = parse_period("2026-02-16..2026-02-22", NOW, ZoneInfo("UTC"))
    assert (span.start, span.end) == (datetime(2026, 2, 16, tzinfo=UTC), datetime(2026, 2, 23, tzinfo=UTC))
    assert parse_period("2026-02-16 to 2026-02-22", NOW, ZoneInfo("UTC")) == span
    assert [p.start.day for p in span.back(3)] == [2, 9, 16]


@pytest.mark.parametrize(("text", "message"), [
    ("fortnight", "I can't read the period"), ("2026-13", "not a month"),
    ("2026-02-30..2026-03-02", "does not exist"), ("2026-03-10..2026-03-01", "ends before"),
    ("last 60 weeks", "1 to 366 days"), ("last 0 days", "1 to 366 days")])
def test_unreadable_periods_say_what_to_type(text: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(text, NOW, NY)
