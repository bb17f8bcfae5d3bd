"""The injectable clock: the one place the core asks what time it is.

Code that needs "now" takes a `Clock`, so tests drive time with `ManualClock` instead of sleeping
or patching `datetime`, and the console can jump ahead with `OffsetClock`. Every clock returns
aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


@runtime_checkable
class AdjustableClock(Clock, Protocol):
    """A clock that can be moved (`ManualClock`, `OffsetClock`): the console's /advance, tests."""

    def set(self, when: datetime) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to: `advance` forward, or `set` to any instant."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (not negative; use `set` to go back) and return the new now."""
        _check_forward(delta)
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when` (aware; kept as UTC)."""
        self._now = as_utc(when)


class OffsetClock:
    """The real clock shifted by an offset: it keeps ticking, and `set`/`advance` move it.

    Used by the console adapter so `/advance 3d` lets a person try days of schedules in minutes.
    """

    def __init__(self, offset: timedelta = timedelta(), base: Clock | None = None) -> None:
        self._base: Clock = base or SystemClock()
        self._offset = offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (not negative) and return the new now."""
        _check_forward(delta)
        self._offset += delta
        return self.now()

    def set(self, when: datetime) -> None:
        """Make now() read `when` at this moment; the clock keeps ticking from there."""
        self._offset = as_utc(when) - self._base.now()


def as_utc(value: datetime) -> datetime:
    """`value` converted to UTC; refuses naive datetimes, whose zone would be a guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"clock times must be aware datetimes, got {value!r}")
    return value.astimezone(UTC)


def _check_forward(delta: timedelta) -> None:
    if delta < timedelta():
        raise ValueError(f"advance() only moves forward, got {delta}; use set() to go back")
