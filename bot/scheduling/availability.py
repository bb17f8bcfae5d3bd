"""Whether a member can be asked on a local date: their working days, away period, holidays."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.scheduling.calendar import WorkCalendar, WorkingDaysError, parse_working_days
from bot.scheduling.targets import Person
from bot.storage.models import Member

DEFAULT_WORKING_DAYS = frozenset(range(5))


def working_days(member: Member | Person) -> frozenset[int]:
    return _working_days(member.working_days)


@lru_cache(maxsize=256)  # a handful of distinct texts, read for every member of a fan-out
def _working_days(text: str) -> frozenset[int]:
    try:
        return parse_working_days(text)
    except WorkingDaysError:
        return DEFAULT_WORKING_DAYS


def unavailable_reason(member: Member | Person, local_day: date, holidays: Mapping[date, str]) -> str | None:
    """Why the member is not asked on `local_day` (their own calendar date), or None."""
    if member.away_until is not None and local_day <= member.away_until:
        return f"away until {member.away_until.isoformat()}"
    if local_day in holidays:
        return f"holiday: {holidays[local_day]}"
    if local_day.weekday() not in working_days(member):
        return "day off"
    return None


def member_calendar(member: Member, holidays: Iterable[date], work_start: time = time(9),
                    work_end: time = time(17)) -> WorkCalendar:
    """The member's business-time calendar: their zone, working days, the workspace holidays and
    their current time away (from the day it was set to its last day)."""
    try:
        zone = ZoneInfo(member.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    away: tuple[tuple[date, date], ...] = ()
    if member.away_until is not None:
        start = member.away_from or member.away_until
        away = ((min(start, member.away_until), member.away_until),)
    return WorkCalendar(zone, working_days(member), work_start, work_end, frozenset(holidays), away)
