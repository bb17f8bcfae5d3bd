"""The injectable clocks: system, manual and offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.clock import AdjustableClock, Clock, ManualClock, OffsetClock, SystemClock

START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def test_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert before <= now <= datetime.now(UTC)


def test_manual_clock_only_moves_when_told() -> None:
    clock = ManualClock(START)
    assert clock.now() == clock.now() == START
    assert clock.advance(timedelta(hours=3)) == START + timedelta(hours=3)
    assert clock.now() == START + timedelta(hours=3)
    clock.set(START - timedelta(days=1))
    assert clock.now() == START - timedelta(days=1)


def test_manual_clock_keeps_utc_whatever_zone_it_is_given() -> None:
    clock = ManualClock(datetime(2026, 3, 2, 9, tzinfo=ZoneInfo("America/New_York")))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC
    clock.set(datetime(2026, 3, 2, 19, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


def test_manual_clock_refuses_naive_times_and_going_back_with_advance() -> None:
    with pytest.raises(ValueError, match="aware"):
        ManualClock(datetime(2026, 3, 2))
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))
    assert clock.now() == START


def test_offset_clock_follows_its_base_shifted() -> None:
    base = ManualClock(START)
    clock = OffsetClock(base=base)
    assert clock.now() == START
    assert clock.advance(timedelta(days=2)) == START + timedelta(days=2)
    base.advance(timedelta(minutes=5))  # real time keeps passing
    assert clock.now() == START + timedelta(days=2, minutes=5)
    clock.set(START + timedelta(days=10))
    assert clock.now() == START + timedelta(days=10)
    assert clock.offset == timedelta(days=10) - timedelta(minutes=5)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(timedelta(seconds=-1))


def test_which_clocks_can_be_moved() -> None:
    assert isinstance(ManualClock(START), AdjustableClock)
    assert isinstance(OffsetClock(), AdjustableClock)
    assert not isinstance(SystemClock(), AdjustableClock)
    assert all(isinstance(c, Clock) for c in (SystemClock(), ManualClock(START), OffsetClock()))
