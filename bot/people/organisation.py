"""Which organisation this deployment serves: one, on each platform.

The team directory, the strategy and the schedules are one organisation's. A second company
installing the app (Slack public distribution) or messaging it (another Teams tenant) would land in
the first one's data, so everything from outside the organisation is refused. The organisation is
ALIGNBOT_ORGANISATION (ids of a Slack Enterprise Grid org or workspaces, Teams tenants) or, when
that is empty, whatever installs or writes first: the `organisations` row's primary key lets only
one "first" win, across processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.context import BotContext
from bot.storage.database import DatabaseUnavailable
from bot.storage.models import Organisation
from bot.storage.replays import first_time

log = logging.getLogger(__name__)
REFUSAL_SCOPE = "refused"  # `inbound_events` rows: who was told today that they were refused


class OrganisationRefused(Exception):
    """An install or request from outside the organisation this deployment serves."""


class Organisations:
    """`admits(platform, ids)`: whether a request naming these ids (e.g. a Slack Grid org and
    workspace) belongs to the organisation served; fixes it on first use when none is set."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self._fixed: dict[str, str] = {}  # per platform, once read: it never changes

    def configured(self) -> set[str]:
        return {part.strip() for part in self.ctx.settings.organisation.split(",") if part.strip()}

    async def admits(self, platform: str, ids: Iterable[str | None]) -> bool:
        """True when one of `ids` is the organisation's; the first caller on a platform with
        nothing configured fixes it to its first id (an org id before a workspace id)."""
        named = [i for i in ids if i]
        configured = self.configured()
        if configured:
            return any(i in configured for i in named)
        fixed = self._fixed.get(platform)
        if fixed is None:
            try:
                fixed = await self._fix(platform, named[0] if named else None)
            except DatabaseUnavailable as exc:
                # Not known yet and cannot be read: let the request on - with the database down
                # it stores nothing anyway, and the next request asks again.
                log.warning("could not read which organisation this deployment serves: %s", exc)
                return True
        return fixed is not None and fixed in named

    async def _fix(self, platform: str, first: str | None) -> str | None:
        async with self.ctx.db.session() as session:
            row = await session.get(Organisation, platform)
            if row is None and first is not None:
                session.add(Organisation(platform=platform, org_id=first[:64],
                                         fixed_at=self.ctx.clock.now()))
                try:
                    await session.flush()
                except IntegrityError:  # another process fixed it first
                    await session.rollback()
                else:
                    log.warning("this deployment now serves %s organisation %s only (first seen;"
                                " set ALIGNBOT_ORGANISATION to choose)", platform, first)
                    self._fixed[platform] = first[:64]
                    return first[:64]
                row = (await session.exec(select(Organisation).where(
                    Organisation.platform == platform))).first()
        if row is not None:
            self._fixed[platform] = row.org_id
            return row.org_id
        return None

    async def first_refusal_today(self, platform: str, where: str) -> bool:
        """Whether `where` (a conversation outside the organisation) has not been told yet
        today that it is refused: the sender must learn why, once, not after every message.
        Recorded in `inbound_events`, so two processes tell it once between them."""
        day = self.ctx.clock.now().date().isoformat()
        return await first_time(self.ctx.db, f"{platform}-{REFUSAL_SCOPE}", f"{day}:{where}",
                                self.ctx.clock.now())

