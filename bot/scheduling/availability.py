"""Whether a member can be asked on a local date: their working days, away period, holidays."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.scheduling.calendar import WorkingDaysError, parse_working_days
from bot.storage.models import Member

DEFAULT_WORKING_DAYS = frozenset(range(5))


def working_days(member: Member) -> frozenset[int]:
    try:
        return parse_working_days(member.working_days)
    except WorkingDaysError:
        return DEFAULT_WORKING_DAYS


def unavailable_reason(member: Member, local_day: date, holidays: Mapping[date, str]) -> str | None:
    """Why the member is not asked on `local_day` (their own calendar date), or None."""
    if member.away_until is not None and local_day <= member.away_until:
        return f"away until {member.away_until.isoformat()}"
    if local_day in holidays:
        return f"holiday: {holidays[local_day]}"
    if local_day.weekday() not in working_days(member):
        return "day off"
    return None
