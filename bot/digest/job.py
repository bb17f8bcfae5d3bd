"""The `digest` scheduled job: a manager's digest of the week up to the run, through the outbox.

`/align schedule add digest "mon 08:00" to=managers` sends each manager their team's digest at
08:00 their time. Someone with no reports gets nothing (reps see their own figures with
`/align me`), except an admin named as the target, who gets the whole organisation's.
"""

from __future__ import annotations

from datetime import datetime

from bot.context import BotContext
from bot.delivery import Outbox
from bot.digest.period import ending
from bot.digest.service import DigestService
from bot.digest.team import DigestRefused, scope_for
from bot.storage.models import Member, Schedule


class DigestJob:
    kind = "digest"

    def __init__(self, ctx: BotContext, outbox: Outbox) -> None:
        self.ctx = ctx
        self.outbox = outbox
        self.service = DigestService(ctx)

    async def run(self, schedule: Schedule, member: Member, occurrence: datetime, key: str) -> bool:
        """Build and send one recipient's digest for the 7 days ending at `occurrence`."""
        if await self.outbox.state_of(key) == "sent":
            return False  # a re-run of an occurrence already delivered: skip the work
        async with self.ctx.db.session() as session:
            try:
                scope = await scope_for(session, member, None)
            except DigestRefused:
                return False
        message = await self.service.message_for(scope, ending(occurrence), member)
        return await self.outbox.deliver(member, key, "digest", message) is not None
