"""Sell-by reminders: nobody emails you when a strategy expires, so admins are reminded 30, 7
and 1 days before `review_by`, with the evidence for the review - what the team's answers say
since the current version started: how well people state it, how the critical tasks are covered,
how much reported effort went out of scope.

Runs from the tick; each reminder goes once per version, threshold and admin (the outbox key),
and one missed while the bot was down is sent late rather than never.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from bot.context import BotContext
from bot.delivery import Outbox
from bot.digest.figures import articulation, effort, reported_tasks
from bot.digest.history import AnswerFacts, load_history
from bot.events import Message, Text
from bot.people.members import MemberDirectory, is_admin
from bot.port import DeliveryError
from bot.storage.models import Member
from bot.strategy import store
from bot.strategy.schema import Strategy

log = logging.getLogger(__name__)
THRESHOLDS = (30, 7, 1)  # days before review_by
KIND = "strategy"


@dataclass(frozen=True)
class SellByFigures:
    stating: int  # members whose latest statement names objectives, scope and advantage briefly
    stated: int  # members who answered the statement question
    critical: tuple[tuple[str, int], ...]  # (critical task name, members who reported it)
    reporting: int  # members who answered the tasks question
    out_of_scope: int  # reported activities aimed at segments out of scope
    activities: int  # all reported activities


def figures(strategy: Strategy, answers: list[AnswerFacts]) -> SellByFigures:
    by_member: dict[int, list[AnswerFacts]] = defaultdict(list)
    for answer in answers:
        by_member[answer.member_id].append(answer)
    stated = [a for a in (articulation(rows, strategy) for rows in by_member.values())
              if a is not None]
    tasks = {m: reported_tasks(rows) for m, rows in by_member.items()
             if any(a.evaluation.tasks is not None for a in rows)}
    critical = tuple((t.name, sum(t.id in done for done in tasks.values()))
                     for t in strategy.critical_tasks)
    spent = effort(strategy, answers)
    out = spent.out_on + spent.out_off + spent.out_against
    return SellByFigures(sum(a.articulates for a in stated), len(stated), critical, len(tasks), out,
                         spent.total)


def due_threshold(days: int) -> int | None:
    """The reminder due `days` before review_by: the nearest threshold not yet passed."""
    if days < 0:
        return None
    return min((t for t in THRESHOLDS if days <= t), default=None)


class SellByReminders:
    def __init__(self, ctx: BotContext, outbox: Outbox) -> None:
        self.ctx = ctx
        self.outbox = outbox

    async def tick(self) -> int:
        """Send the reminder now due to each admin who has not had it; how many went out."""
        async with self.ctx.db.session() as session:
            row = await store.current_row(session)
        if row is None or row.id is None:
            return 0
        now = self.ctx.clock.now()
        days = (row.review_by - now.date()).days
        threshold = due_threshold(days)
        if threshold is None:
            return 0
        async with self.ctx.db.session() as session:
            admins = [m for m in await MemberDirectory(session).active() if is_admin(m)
                      and m.platform in self.ctx.ports and not m.unreachable]
        todo = [a for a in admins
                if await self.outbox.state_of(self._key(row.id, threshold, a)) is None]
        if not todo:
            return 0
        strategy = store.strategy_of(row)
        since = row.confirmed_at or row.loaded_at
        message = await self.message(strategy, days, since, now)
        sent = 0
        for admin in todo:
            try:
                sent += await self.outbox.deliver(admin, self._key(row.id, threshold, admin), KIND,
                                                  message) is not None
            except DeliveryError as exc:
                log.warning("could not remind admin %s of the sell-by date: %s", admin.id, exc)
        return sent

    @staticmethod
    def _key(row_id: int, threshold: int, admin: Member) -> str:
        return f"strategy-sell-by:{row_id}:{threshold}:{admin.id}"

    async def message(self, strategy: Strategy, days: int, since: datetime, now: datetime) -> Message:
        say = self.ctx.prompts.say
        async with self.ctx.db.session() as session:
            history = await load_history(session, None, since, now)
        found = figures(strategy, history.answers)
        title = say("strategy_sell_by_title", name=strategy.strategy.name, count=days,
                    date=strategy.strategy.review_by)
        lines = [say("strategy_sell_by_stating", stating=found.stating, stated=found.stated),
                 *(say("strategy_sell_by_critical", task=name, members=members,
                       reporting=found.reporting) for name, members in found.critical),
                 say("strategy_sell_by_scope", out=found.out_of_scope, total=found.activities,
                     share=round(100 * found.out_of_scope / found.activities) if found.activities
                     else 0)]
        how = say("strategy_sell_by_how")
        blocks = (Text(title, style="heading"), Text(say("strategy_sell_by_since", date=since.date())),
                  Text("\n".join(f"• {line}" for line in lines)), Text(how, style="muted"))
        return Message(text="\n".join(b.text for b in blocks), blocks=blocks)
