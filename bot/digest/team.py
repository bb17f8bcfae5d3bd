"""Who a digest covers and who may see it: the privacy rule, enforced in the core.

A manager's team is everyone reporting to them, directly or through managers below them (a
manager of managers sees the nested teams rolled up). A manager may ask for their own team or a
team nested inside it, never a peer's; reps get no team digest (`/align me` shows their own
figures); admins may see any team or the whole organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.people.members import is_admin
from bot.storage.models import Member

MAX_DEPTH = 20  # a cycle in manager_id (bad data) must not loop forever


class DigestRefused(Exception):
    """The caller may not see this digest; the message says what they can see instead."""


@dataclass(frozen=True)
class DigestScope:
    """The people a digest is about; `manager` None means the whole organisation."""

    manager: Member | None
    members: list[Member]

    @property
    def member_ids(self) -> list[int]:
        return [m.id for m in self.members if m.id is not None]

    @property
    def member_filter(self) -> Sequence[int] | Select[tuple[int]]:
        """What a digest query's `member_id IN (...)` takes: the ids of a team, or for the whole
        organisation the query that found its members (binding 10,000 ids to each of a digest's
        queries cost more than the queries themselves)."""
        return organisation_ids() if self.manager is None else self.member_ids

    @property
    def title(self) -> str:
        return f"{self.manager.name}'s team" if self.manager else "the whole organisation"


async def team_tree(session: AsyncSession, manager: Member) -> list[Member]:
    """Active members reporting to `manager` at any depth, one query per level."""
    found: dict[int, Member] = {}
    level = [manager.id]
    for _ in range(MAX_DEPTH):
        if not level:
            break
        rows = (await session.exec(select(Member).where(
            col(Member.manager_id).in_(level), Member.active == True))).all()  # noqa: E712
        fresh = [m for m in rows if m.id not in found and m.id != manager.id]
        found.update((m.id, m) for m in fresh if m.id is not None)
        level = [m.id for m in fresh]
    return sorted(found.values(), key=lambda m: m.name.lower())


def _in_organisation() -> tuple[Any, ...]:
    return Member.active == True, col(Member.role).in_(("rep", "manager"))  # noqa: E712


def organisation_ids() -> Select[tuple[int]]:
    """The ids of `organisation`'s members, as a subquery."""
    return select(col(Member.id)).where(*_in_organisation())  # type: ignore[return-value]


async def organisation(session: AsyncSession) -> list[Member]:
    """Everyone who answers check-ins (admins who only run the bot are not asked)."""
    rows = (await session.exec(select(Member).where(*_in_organisation()))).all()
    return sorted(rows, key=lambda m: m.name.lower())


async def scope_for(session: AsyncSession, caller: Member, requested: Member | None,
                    whole_org: bool = False) -> DigestScope:
    """The digest `caller` asked for, or `DigestRefused` when it is not theirs to see."""
    admin = is_admin(caller)
    if whole_org:
        if not admin:
            raise DigestRefused("Only admins see the whole organisation. `/align digest` shows"
                                " your own team.")
        return DigestScope(None, await organisation(session))
    own = await team_tree(session, caller)
    target = requested or caller
    if target.id == caller.id:
        if own:
            return DigestScope(caller, own)
        if admin:
            return DigestScope(None, await organisation(session))
        raise DigestRefused("Digests are for managers and cover their reports. `/align me`"
                            " shows your own alignment.")
    if not admin and target.id not in {m.id for m in own}:
        raise DigestRefused(f"You can see digests of your own team only; {target.name} is not"
                            " part of it.")
    team = await team_tree(session, target)
    if not team:
        raise DigestRefused(f"{target.name} has no reports, so there is no team digest.")
    return DigestScope(target, team)
