"""Who a schedule is for: `reps`, `managers`, `all`, one member, or a manager's team.

Stored as a short string on the schedule (`member:<id>`, `team:<id>`) so renaming someone does not
break a schedule, and resolved to the active members at each run, so people added later are
included and people removed are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.bounds import parse_id
from bot.storage.models import Member

GROUPS: dict[str, tuple[str, ...]] = {"reps": ("rep",), "managers": ("manager",),
                                      "all": ("rep", "manager")}


async def members_of(session: AsyncSession, target: str) -> list[Member]:
    """The active members a target names (admins-only members are never asked)."""
    return list((await session.exec(_members(target).order_by(col(Member.id)))).all())


async def count_of(session: AsyncSession, target: str) -> int:
    """How many active members the target names now (counted by the database, not loaded)."""
    query = select(func.count()).select_from(Member).where(*_named_by(target))
    return int((await session.exec(query)).one())


@dataclass(frozen=True, slots=True)
class Person:
    """A target member as turning an occurrence into check-in rows needs them: plain columns,
    since an ORM object per member cost more than the row it becomes."""

    id: int
    timezone: str
    working_days: str
    away_until: date | None
    role: str


async def people_page(session: AsyncSession, target: str, after_id: int, limit: int) -> list[Person]:
    """The next `limit` members of the target with an id above `after_id` (keyset pages by id),
    so a fan-out over the whole organisation holds one page in memory, never everyone."""
    query = select(Member.id, Member.timezone, Member.working_days,  # type: ignore[call-overload]
                   Member.away_until, Member.role).where(*_named_by(target), col(Member.id) > after_id)
    rows = (await session.exec(query.order_by(col(Member.id)).limit(limit))).all()
    return [Person(*row) for row in rows]


async def timezones_of(session: AsyncSession, target: str) -> set[str | None]:
    """The distinct time zones of the target's members (a few names, however many members)."""
    query = select(Member.timezone).where(*_named_by(target)).distinct()
    return set((await session.exec(query)).all())


async def includes(session: AsyncSession, target: str, member_id: int) -> bool:
    """Whether `member_id` is one of the members the target names now."""
    found = await session.exec(_members(target).where(Member.id == member_id))
    return found.first() is not None


def _members(target: str) -> SelectOfScalar[Member]:
    return select(Member).where(*_named_by(target))


def _named_by(target: str) -> tuple[Any, ...]:
    """The conditions on a member row that make it one of the target's active members."""
    active = col(Member.active).is_(True)
    kind, _, ident = target.partition(":")
    if target in GROUPS:
        return active, col(Member.role).in_(GROUPS[target])
    number = parse_id(ident)
    if kind == "member" and number is not None:
        return active, col(Member.id) == number
    if kind == "team" and number is not None:
        return active, col(Member.manager_id) == number, col(Member.role).in_(GROUPS["all"])
    raise ValueError(f"unknown schedule target {target!r}")


async def describe(session: AsyncSession, target: str) -> str:
    """How a target reads in a list: "reps", "Dana", "Sam's team"."""
    kind, _, ident = target.partition(":")
    number = parse_id(ident)
    if kind in ("member", "team") and number is not None:
        member = await session.get(Member, number)
        name = member.name if member else f"member #{ident} (removed)"
        return name if kind == "member" else f"{name}'s team"
    return target
