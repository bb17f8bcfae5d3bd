"""Telling admins about people the bot cannot message yet, instead of skipping them silently.

A platform reports an unreachable member by raising `DeliveryError` (the outbox records the
failure) and calling `UnreachableNotices.report`, which messages every active admin on that
platform once per person and day (the outbox key makes the notice itself idempotent).
"""

from __future__ import annotations

import logging

from bot.context import BotContext
from bot.delivery import Outbox
from bot.events import MemberRef, Message
from bot.people.members import MemberDirectory, is_admin
from bot.port import DeliveryError

log = logging.getLogger(__name__)
NOTICE_PREFIX = "unreachable:"


class UnreachableNotices:
    def __init__(self, ctx: BotContext, outbox: Outbox) -> None:
        self.ctx = ctx
        self.outbox = outbox

    async def report(self, about: MemberRef, reason: str) -> int:
        """Notify the admins who can be reached; returns how many notices went out."""
        async with self.ctx.db.session() as session:
            directory = MemberDirectory(session)
            person = await directory.by_ref(about)
            admins = [m for m in await directory.active() if is_admin(m)
                      and m.platform == about.platform and m.platform_user_id != about.user_id]
        name = person.name if person else about.user_id
        text = self.ctx.prompts.say("member_unreachable", name=name, platform=about.platform,
                                    reason=reason)
        day = self.ctx.clock.now().date().isoformat()
        sent = 0
        for admin in admins:
            key = f"{NOTICE_PREFIX}{about.platform}:{about.user_id}:{admin.id}:{day}"[:200]
            try:
                sent += await self.outbox.deliver(admin, key, "notice", Message.plain(text)) is not None
            except DeliveryError as exc:
                log.warning("could not tell admin %s that %s is unreachable: %s", admin.id,
                            about.user_id, exc)
        if not admins:
            log.warning("%s on %s is unreachable and no admin can be told: %s", name,
                        about.platform, reason)
        return sent
