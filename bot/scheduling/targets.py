"""Who a schedule is for: `reps`, `managers`, `all`, one member, or a manager's team.

Stored as a short string on the schedule (`member:<id>`, `team:<id>`) so renaming someone does not
break a schedule, and resolved to the active members at each run, so people added later are
included and people removed are not.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Member

GROUPS: dict[str, tuple[str, ...]] = {"reps": ("rep",), "managers": ("manager",),
                                      "all": ("rep", "manager")}


async def members_of(session: AsyncSession, target: str) -> list[Member]:
    """The active members a target names (admins-only members are never asked)."""
    query = select(Member).where(col(Member.active).is_(True))
    kind, _, ident = target.partition(":")
    if target in GROUPS:
        query = query.where(col(Member.role).in_(GROUPS[target]))
    elif kind == "member" and ident.isdigit():
        query = query.where(Member.id == int(ident))
    elif kind == "team" and ident.isdigit():
        query = query.where(Member.manager_id == int(ident), col(Member.role).in_(GROUPS["all"]))
    else:
        raise ValueError(f"unknown schedule target {target!r}")
    return list((await session.exec(query.order_by(col(Member.id)))).all())


async def describe(session: AsyncSession, target: str) -> str:
    """How a target reads in a list: "reps", "Dana", "Sam's team"."""
    kind, _, ident = target.partition(":")
    if kind in ("member", "team") and ident.isdigit():
        member = await session.get(Member, int(ident))
        name = member.name if member else f"member #{ident} (removed)"
        return name if kind == "member" else f"{name}'s team"
    return target
