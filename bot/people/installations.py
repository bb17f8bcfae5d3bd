"""Platform installations, OAuth states and which workspace a platform user belongs to.

A platform-neutral service over our own tables, so an adapter's installation store (Slack's
`AsyncInstallationStore`, `AsyncOAuthStateStore`) keeps its records in the bot's database (SQLite
or PostgreSQL, migrated by Alembic) instead of files, and several processes share them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.clock import Clock, as_utc
from bot.storage.database import Database
from bot.storage.models import MemberWorkspace, OAuthState, PlatformInstallation


@dataclass(frozen=True)
class Workspace:
    """Where a platform user lives: the workspace (Slack team) and, for org installs, the org."""

    workspace_id: str
    org_id: str | None = None


class Installations:
    """Reads and writes installations, states and user workspaces for one platform."""

    def __init__(self, db: Database, clock: Clock, platform: str) -> None:
        self.db = db
        self.clock = clock
        self.platform = platform

    # --- installations ------------------------------------------------------------------

    async def save(self, data: dict[str, Any], *, org_id: str | None, workspace_id: str | None,
                   installer_id: str | None, is_org_install: bool) -> None:
        """Record a (re)installation; earlier rows stay as history, the newest one is used."""
        async with self.db.session() as session:
            session.add(PlatformInstallation(
                platform=self.platform, org_id=org_id, workspace_id=workspace_id,
                installer_id=installer_id, is_org_install=is_org_install,
                data=json.dumps(data, default=str), installed_at=self.clock.now()))

    async def find(self, *, org_id: str | None, workspace_id: str | None,
                   installer_id: str | None = None, is_org_install: bool = False) -> dict[str, Any] | None:
        """The newest matching installation's data. An org-wide install is found by org alone."""
        query = select(PlatformInstallation).where(PlatformInstallation.platform == self.platform)
        query = query.where(PlatformInstallation.org_id == org_id) if org_id else query.where(
            col(PlatformInstallation.org_id).is_(None))
        if not (is_org_install and org_id):
            query = query.where(PlatformInstallation.workspace_id == workspace_id)
        if installer_id:
            query = query.where(PlatformInstallation.installer_id == installer_id)
        query = query.order_by(col(PlatformInstallation.installed_at).desc(),
                               col(PlatformInstallation.id).desc()).limit(1)
        async with self.db.session() as session:
            row = (await session.exec(query)).first()
        return json.loads(row.data) if row else None

    async def delete(self, *, org_id: str | None, workspace_id: str | None,
                     installer_id: str | None = None) -> int:
        """Forget installations (app uninstalled, tokens revoked); returns how many rows went."""
        statement = delete(PlatformInstallation).where(
            col(PlatformInstallation.platform) == self.platform,
            col(PlatformInstallation.workspace_id) == workspace_id
            if workspace_id else col(PlatformInstallation.workspace_id).is_(None),
            col(PlatformInstallation.org_id) == org_id
            if org_id else col(PlatformInstallation.org_id).is_(None))
        if installer_id:
            statement = statement.where(col(PlatformInstallation.installer_id) == installer_id)
        async with self.db.session() as session:
            result = await session.exec(statement)
            return int(result.rowcount)

    async def workspaces(self) -> list[Workspace]:
        """Every workspace with an installation (newest first, no repeats)."""
        async with self.db.session() as session:
            rows = (await session.exec(select(PlatformInstallation).where(
                PlatformInstallation.platform == self.platform).order_by(
                col(PlatformInstallation.installed_at).desc()))).all()
        seen: dict[tuple[str | None, str | None], Workspace] = {}
        for row in rows:
            if row.workspace_id and (row.org_id, row.workspace_id) not in seen:
                seen[(row.org_id, row.workspace_id)] = Workspace(row.workspace_id, row.org_id)
        return list(seen.values())

    # --- OAuth states -------------------------------------------------------------------

    async def issue_state(self, state: str, expires_at: datetime) -> None:
        async with self.db.session() as session:
            session.add(OAuthState(platform=self.platform, state=state, expires_at=expires_at))

    async def consume_state(self, state: str) -> bool:
        """True once for a state that was issued and has not expired; it is deleted either way.
        One statement (DELETE ... RETURNING): of two callbacks carrying the same state at once,
        in any processes, only the one whose delete removed the row may go on."""
        async with self.db.session() as session:
            expires = (await session.exec(delete(OAuthState).where(
                col(OAuthState.platform) == self.platform, col(OAuthState.state) == state)
                .returning(col(OAuthState.expires_at)))).scalars().first()
        return expires is not None and as_utc(expires) > self.clock.now()

    # --- which workspace a user is in ---------------------------------------------------

    async def remember(self, user_id: str, where: Workspace) -> None:
        """Note (or correct) the workspace of a user seen in a request or a profile lookup."""
        now = self.clock.now()
        async with self.db.session() as session:
            row = (await session.exec(select(MemberWorkspace).where(
                MemberWorkspace.platform == self.platform, MemberWorkspace.user_id == user_id))).first()
            if row is not None and (row.workspace_id, row.org_id) == (where.workspace_id, where.org_id):
                return
            row = row or MemberWorkspace(platform=self.platform, user_id=user_id,
                                         workspace_id=where.workspace_id, updated_at=now)
            row.workspace_id, row.org_id, row.updated_at = where.workspace_id, where.org_id, now
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:  # a concurrent request recorded it first: same fact
                await session.rollback()

    async def workspace_of(self, user_id: str) -> Workspace | None:
        async with self.db.session() as session:
            row = (await session.exec(select(MemberWorkspace).where(
                MemberWorkspace.platform == self.platform, MemberWorkspace.user_id == user_id))).first()
        return Workspace(row.workspace_id, row.org_id) if row else None
