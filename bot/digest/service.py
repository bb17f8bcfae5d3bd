"""Builds one digest: load the team's history (bounded by team and window), compute the
figures, suggest actions, warn admins about the strategy's sell-by date, draw the chart (in a
worker thread: matplotlib is CPU work), and render it as a Message."""

from __future__ import annotations

import asyncio
from datetime import date
from zoneinfo import ZoneInfo

from bot.context import BotContext
from bot.digest.actions import candidates, suggest
from bot.digest.corrections import corrections_in, rejudged_in
from bot.digest.figures import CHART_POINTS, DigestFigures, compute
from bot.digest.history import load_history
from bot.digest.period import Period
from bot.digest.render import Digest, DigestRenderer
from bot.digest.team import DigestScope
from bot.digest.texts import DigestTexts
from bot.events import Message
from bot.leads.metrics import load_leads
from bot.people.members import is_admin, valid_timezone
from bot.storage.models import Member


class DigestService:
    """Digests for the core's commands and scheduled jobs."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self.texts = DigestTexts(ctx.settings.prompts_dir)

    async def figures(self, scope: DigestScope, period: Period) -> DigestFigures:
        """Every figure of the digest; queries touch only the scope's members and the window
        (the organisation is its active members, so people who left do not skew it)."""
        ids = scope.member_ids
        window_start = period.back(CHART_POINTS)[0].start
        async with self.ctx.db.session() as session:
            history = await load_history(session, ids, window_start, period.end,
                                         detail_start=period.previous().start)
            leads = await load_leads(session, ids, period.previous().start, period.end,
                                     self.ctx.clock.now())
            managers = {}
            if scope.manager is not None and scope.manager.id is not None:
                # the digest's own manager answers too: their answers against their reps'
                own = await load_history(session, [scope.manager.id], period.start, period.end)
                managers[scope.manager.id] = (scope.manager.name, own.answers)
        return await asyncio.to_thread(compute, self.ctx.strategy, scope.title, scope.members,
                                       period, history, leads, managers)  # CPU work: off the loop

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
            notes = await corrections_in(session, scope.member_ids, period, self.ctx.strategy)
            rejudged = await rejudged_in(session, scope.member_ids, period)
        return Digest(figures, shown, warning, png, zone, self.ctx.clock.now(), more,
                      corrections=notes, rejudged=rejudged,
                      strategy_version=self.ctx.strategy.version)

    async def message_for(self, scope: DigestScope, period: Period, reader: Member) -> Message:
        digest = await self.build(scope, period, reader)
        return DigestRenderer(self.texts, self.ctx.strategy).message(digest)


def _render_chart(figures: DigestFigures, texts: DigestTexts) -> bytes:
    """The chart, with matplotlib loaded on the first digest that draws one (half a second that
    every process start, and every CLI call, would otherwise pay)."""
    from bot.digest.chart import render_chart

    return render_chart(figures, texts)
