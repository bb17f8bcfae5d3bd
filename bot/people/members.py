"""The team directory: who the bot knows, their roles, managers and how to reach them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.events import MemberProfile, MemberRef
from bot.storage.models import Member
from bot.text import strip_controls

ROLES = ("rep", "manager", "admin")


def is_admin(member: Member) -> bool:
    return member.admin or member.platform_admin or member.role == "admin"


def valid_timezone(name: str | None) -> str | None:
    """The zone name if zoneinfo knows it, else None (platform profiles sometimes send junk)."""
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


@dataclass(frozen=True)
class TeamChange:
    member: Member
    created: bool


class MemberDirectory:
    """Queries and changes to members, inside the caller's session."""

    def __init__(self, session: AsyncSession, default_timezone: str = "UTC") -> None:
        self.session = session
        self.default_timezone = default_timezone

    async def by_ref(self, ref: MemberRef) -> Member | None:
        result = await self.session.exec(
            select(Member).where(Member.platform == ref.platform,
                                 Member.platform_user_id == ref.user_id)
        )
        return result.first()

    async def by_id(self, member_id: int) -> Member | None:
        return await self.session.get(Member, member_id)

    async def count(self) -> int:
        result = await self.session.exec(select(func.count()).select_from(Member))
        return int(result.one())

    async def find(self, reference: str, platform: str | None = None) -> list[Member]:
        """Members an admin may mean by `reference`: exact id, email or name (case-insensitive)."""
        text = reference.strip().lstrip("@").lower()
        query = select(Member).where(
            or_(func.lower(Member.name) == text, func.lower(Member.email) == text,
                func.lower(Member.platform_user_id) == text)
        )
        if platform:
            query = query.where(Member.platform == platform)
        return list((await self.session.exec(query.order_by(col(Member.id)))).all())

    async def active(self, roles: Sequence[str] = ROLES) -> list[Member]:
        query = select(Member).where(Member.active == True, col(Member.role).in_(roles))  # noqa: E712
        return list((await self.session.exec(query.order_by(Member.name))).all())

    async def all(self) -> list[Member]:
        return list((await self.session.exec(select(Member).order_by(Member.name))).all())

    async def reports(self, manager: Member) -> list[Member]:
        query = select(Member).where(Member.manager_id == manager.id, Member.active == True)  # noqa: E712
        return list((await self.session.exec(query.order_by(Member.name))).all())

    async def upsert_profile(self, profile: MemberProfile, now: datetime) -> TeamChange:
        """Record what a platform told us about someone, keeping admin-set fields. Names and
        emails are stored without control characters and within the columns' lengths (a
        platform profile is input like any other)."""
        name = strip_controls(profile.name).strip()[:200]
        email = strip_controls(profile.email).strip()[:320] if profile.email else None
        member = await self.by_ref(profile.ref)
        created = member is None
        if member is None:
            member = Member(platform=profile.ref.platform, platform_user_id=profile.ref.user_id,
                            name=name or profile.ref.user_id, created_at=now, updated_at=now,
                            timezone=valid_timezone(profile.timezone) or self.default_timezone)
        member.name = name or member.name
        member.email = email or member.email
        member.platform_admin = profile.is_platform_admin
        member.unreachable = None  # the platform just described them: reachable again
        zone = valid_timezone(profile.timezone)
        if zone and not member.timezone_overridden:
            member.timezone = zone
        member.updated_at = now
        self.session.add(member)
        await self.session.flush()
        return TeamChange(member, created)

    async def set_role(self, member: Member, role: str, manager: Member | None,
                       now: datetime, created: bool) -> None:
        """Apply `team add`: admin is granted on top of an existing rep/manager role (so a sales
        manager can also administer the bot); rep/manager decide which questions someone gets."""
        if role == "admin":
            member.admin = True
            if created or not member.active:
                member.role = "admin"
        else:
            member.role = role
        if manager is not None:
            member.manager_id = manager.id
        member.active = True
        member.updated_at = now
        self.session.add(member)
        await self.session.flush()
