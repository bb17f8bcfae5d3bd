"""Builds one digest: load the team's history (bounded by team and window), compute the
figures, suggest actions, warn admins about the strategy's sell-by date, draw the chart (in a
worker thread: matplotlib is CPU work), and render it as a Message."""

from __future__ import annotations

import asyncio
from datetime import date
from zoneinfo import ZoneInfo

from bot.context import BotContext
from bot.digest.actions import candidates, suggest
from bot.digest.aggregate import compute_from_facts, load_facts
from bot.digest.corrections import corrections_in, rejudged_in
from bot.digest.figures import DigestFigures
from bot.digest.period import Period
from bot.digest.render import Digest, DigestRenderer
from bot.digest.team import DigestScope
from bot.digest.texts import DigestTexts
from bot.events import Message
from bot.leads.metrics import load_lead_figures
from bot.people.members import is_admin, valid_timezone
from bot.storage.models import Member
from bot.strategy.store import version_label


class DigestService:
    """Digests for the core's commands and scheduled jobs."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self.texts = DigestTexts(ctx.settings.prompts_dir)

    async def figures(self, scope: DigestScope, period: Period) -> DigestFigures:
        """Every figure of the digest; queries touch only the scope's members and the window
        (the organisation is its active members, so people who left do not skew it), and add
        and count the answers' derived columns in SQL (bot.digest.aggregate): a whole
        organisation's digest no longer parses every evaluation of the window."""
        members = scope.member_filter
        manager = scope.manager
        manager_id = manager.id if manager is not None else None
        async with self.ctx.db.session() as session:
            facts = await load_facts(session, self.ctx.strategy, members, period, manager_id)
            leads = await load_lead_figures(session, members, period.previous().start,
                                            period.start, period.end, self.ctx.clock.now())
        own = (manager_id, manager.name) if manager is not None and manager_id is not None else None
        return await asyncio.to_thread(compute_from_facts, self.ctx.strategy, scope.title,
                                       scope.members, period, facts, leads, own)  # off the loop

    def sell_by_warning(self, today: date) -> str | None:
        """For admins: the strategy's review date is within the warning window, or past."""
        review_by = self.ctx.strategy.strategy.review_by
        days = (review_by - today).days
        if days < 0:
            return self.texts.say("sell_by.past", date=review_by.isoformat(), days=-days)
        if days <= self.ctx.settings.sell_by_warning_days:
            return self.texts.say("sell_by.near", date=review_by.isoformat(), days=days)
        return None

    async def build(self, scope: DigestScope, period: Period, reader: Member,
                    chart: bool = True) -> Digest:
        figures = await self.figures(scope, period)
        zone = ZoneInfo(valid_timezone(reader.timezone) or "UTC")
        warning = (self.sell_by_warning(self.ctx.clock.now().astimezone(zone).date())
                   if is_admin(reader) else None)
        png = await asyncio.to_thread(_render_chart, figures, self.texts) if chart else None
        shown = suggest(figures, self.texts)
        more = [a for a in candidates(figures, self.texts) if a not in shown]
        async with self.ctx.db.session() as session:
            # The organisation as a subquery, as for the figures: not 10,000 bound ids.
            notes = await corrections_in(session, scope.member_filter, period, self.ctx.strategy)
            rejudged = await rejudged_in(session, scope.member_filter, period)
        return Digest(figures, shown, warning, png, zone, self.ctx.clock.now(), more,
                      corrections=notes, rejudged=rejudged,
                      strategy_version=await version_label(self.ctx.db, self.ctx.strategy.version)
                      if rejudged else self.ctx.strategy.version)

    async def message_for(self, scope: DigestScope, period: Period, reader: Member) -> Message:
        digest = await self.build(scope, period, reader)
        return DigestRenderer(self.texts, self.ctx.strategy).message(digest)


def _render_chart(figures: DigestFigures, texts: DigestTexts) -> bytes:
    """The chart, with matplotlib loaded on the first digest that draws one (half a second that
    every process start, and every CLI call, would otherwise pay)."""
    from bot.digest.chart import render_chart

    return render_chart(figures, texts)
