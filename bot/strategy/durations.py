"""Durations as strategy authors write them ("30m", "4h", "2d", "1w").

A duration keeps its unit because cadence durations count *business* time: "2d" means two of the
owner's working days, not 48 hours, so converting to a timedelta here would lose meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer

Unit = Literal["m", "h", "d", "w"]
_PATTERN = re.compile(r"^\s*(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)\s*$", re.I)
_UNIT_ALIASES: dict[str, Unit] = {"m": "m", "h": "h", "d": "d", "w": "w"}
_MINUTES: dict[Unit, int] = {"m": 1, "h": 60, "d": 1440, "w": 10080}


class DurationError(ValueError):
    """A duration string the user wrote that we cannot read."""


@dataclass(frozen=True, order=True)
class Duration:
    """An amount of time with the unit it was written in."""

    amount: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _PATTERN.match(str(text))
        if not match:
            raise DurationError(
                f"'{text}' is not a duration; write a whole number and a unit, like 30m, 4h, 2d or 1w"
            )
        return cls(int(match.group(1)), _UNIT_ALIASES[match.group(2)[0].lower()])

    @property
    def minutes(self) -> int:
        """Length in minutes, reading days as 24 h (wall-clock) - use business time for cadence."""
        return self.amount * _MINUTES[self.unit]

    def as_timedelta(self) -> timedelta:
        """Wall-clock length: right for reminders and close windows, not for business-time SLAs."""
        return timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def _coerce(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DurationError(f"{value!r} is not a duration; write it like 30m, 4h, 2d or 1w")
    if isinstance(value, int):
        raise DurationError(f"'{value}' has no unit; write it like {value}h or {value}d")
    return Duration.parse(value)


DurationField = Annotated[Duration, BeforeValidator(_coerce), PlainSerializer(str, return_type=str)]
