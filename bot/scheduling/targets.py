"""Who a schedule is for: `reps`, `managers`, `all`, one member, or a manager's team.

Stored as a short string on the schedule (`member:<id>`, `team:<id>`) so renaming someone does not
break a schedule, and resolved to the active members at each run, so people added later are
included and people removed are not.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.bounds import parse_id
from bot.storage.models import Member

GROUPS: dict[str, tuple[str, ...]] = {"reps": ("rep",), "managers": ("manager",),
                                      "all": ("rep", "manager")}


async def members_of(session: AsyncSession, target: str) -> list[Member]:
    """The active members a target names (admins-only members are never asked)."""
    return list((await session.exec(_members(target).order_by(col(Member.id)))).all())


async def includes(session: AsyncSession, target: str, member_id: int) -> bool:
    """Whether `member_id` is one of the members the target names now."""
    found = await session.exec(_members(target).where(Member.id == member_id))
    return found.first() is not None


def _members(target: str) -> SelectOfScalar[Member]:
    query = select(Member).where(col(Member.active).is_(True))
    kind, _, ident = target.partition(":")
    if target in GROUPS:
        return query.where(col(Member.role).in_(GROUPS[target]))
    number = parse_id(ident)
    if kind == "member" and number is not None:
        return query.where(Member.id == number)
    if kind == "team" and number is not None:
        return query.where(Member.manager_id == number, col(Member.role).in_(GROUPS["all"]))
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
