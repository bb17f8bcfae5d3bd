"""The daily failure alert: when messages could not be delivered for good, every admin the bot can
reach gets one message that day saying how many, of which kinds, and pointing to `/align status`
for the details - so a failed fan-out is noticed without anyone reading logs.

Runs on each tick. The outbox key (admin, local date) makes it once per admin and day whichever
process ticks; each alert covers the failures since that admin's previous one.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import col, select

from bot.context import BotContext
from bot.delivery import Outbox
from bot.events import Message
from bot.ops.status import ALERT_KIND, WINDOW, failed_sends
from bot.people.members import MemberDirectory, is_admin
from bot.port import DeliveryError
from bot.scheduling.engine import member_zone
from bot.storage.models import Member, OutboundMessage

log = logging.getLogger(__name__)
PREFIX = "alert:failures:"


def _kinds(kinds: list[str]) -> str:
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]))


class FailureAlerts:
    def __init__(self, ctx: BotContext, outbox: Outbox) -> None:
        self.ctx = ctx
        self.outbox = outbox

    async def tick(self) -> int:
        """Alert the admins who have not been told about today's new failures; returns how many
        alerts went out. A platform failing to carry the alert is logged and tried next tick."""
        now = self.ctx.clock.now()
        failures = await failed_sends(self.ctx, now - WINDOW)
        if not failures:
            return 0
        sent = 0
        for admin in await self._admins():
            key = f"{PREFIX}{admin.id}:{now.astimezone(member_zone(admin)).date().isoformat()}"
            told_today, previous = await self._previous(admin, key)
            if told_today:
                continue
            new = [f for f in failures if previous is None or f.at > previous]
            if not new:
                continue
            since = (previous or now - WINDOW).astimezone(member_zone(admin)).strftime("%a %d %b %H:%M")
            text = self.ctx.prompts.say("alert_failures", count=len(new), since=since,
                                        kinds=_kinds([f"{f.kind} ({f.platform})" for f in new]))
            try:
                sent += await self.outbox.deliver(admin, key, ALERT_KIND, Message.plain(text)) is not None
            except DeliveryError as exc:
                log.warning("could not alert admin %s about failed deliveries: %s", admin.id, exc)
        return sent

    async def _admins(self) -> list[Member]:
        async with self.ctx.db.session() as session:
            members = await MemberDirectory(session).active()
        return [m for m in members if is_admin(m) and m.platform in self.ctx.ports
                and not m.unreachable]

    async def _previous(self, admin: Member, key: str) -> tuple[bool, datetime | None]:
        """Whether today's alert (`key`) went out (or failed for good), and when the previous
        one was sent (None: never), so the next alert covers only what happened since."""
        async with self.ctx.db.session() as session:
            rows = (await session.exec(select(OutboundMessage).where(
                OutboundMessage.member_id == admin.id,
                col(OutboundMessage.key).startswith(f"{PREFIX}{admin.id}:")))).all()
        told = any(row.key == key and row.state != "claimed" for row in rows)
        return told, max((row.sent_at for row in rows if row.key != key and row.sent_at), default=None)
