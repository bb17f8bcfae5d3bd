"""Telling people a new strategy version is current: managers get one message with what changed
in words; reps get the new statement at their next check-in (so the change reaches them where
they are asked to state it, not as one more broadcast)."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlmodel import col, select

from bot.context import BotContext
from bot.delivery import Outbox
from bot.events import Message, Text
from bot.people.members import MemberDirectory
from bot.port import DeliveryError
from bot.storage.models import CheckIn, StrategyVersion
from bot.strategy.changes import Changes
from bot.strategy.store import load_version

log = logging.getLogger(__name__)
KIND = "strategy"
MAX_LINES = 12  # the manager's message stays one screen; `/align strategy diff` has the rest


def _ranked(found: Changes) -> list[str]:
    """What a manager acts on first: tasks added or removed, segments moved, the statement."""
    def rank(line: str) -> int:
        for number, start in enumerate(("Sales task added", "Sales task removed", "Segment moved",
                                        "Segment added", "Segment removed", "New statement")):
            if line.startswith(start):
                return number
        return 9
    return sorted(found.lines, key=rank)


def manager_message(ctx: BotContext, row: StrategyVersion, found: Changes) -> Message:
    say = ctx.prompts.say
    title = say("strategy_news_title", number=row.id, name=row.name)
    lines = [f"• {line}" for line in _ranked(found)[:MAX_LINES]]
    if len(found.lines) > MAX_LINES:
        lines.append(say("strategy_news_more", count=len(found.lines) - MAX_LINES))
    why = say("strategy_proposal_why", reason=row.reason) if row.reason else ""
    body = "\n".join(lines) or say("strategy_changes_none")
    blocks = (Text(title, style="heading"), Text(body), *((Text(why),) if why else ()),
              Text(say("strategy_news_coach"), style="muted"))
    return Message(text="\n".join(b.text for b in blocks), blocks=blocks)


async def tell_managers(ctx: BotContext, outbox: Outbox, row: StrategyVersion, found: Changes) -> int:
    """One message per active manager (once, whatever retries: the outbox key); how many went."""
    async with ctx.db.session() as session:
        managers = [m for m in await MemberDirectory(session).active(("manager",))
                    if m.platform in ctx.ports and not m.unreachable]
    message = manager_message(ctx, row, found)
    sent = 0
    for manager in managers:
        try:
            sent += await outbox.deliver(manager, f"strategy-news:{row.id}:{manager.id}", KIND,
                                         message) is not None
        except DeliveryError as exc:
            log.warning("could not tell manager %s about strategy version %s: %s", manager.id,
                        row.id, exc)
    return sent


async def with_new_statement(ctx: BotContext, checkin: CheckIn, message: Message) -> Message:
    """The check-in invitation, led by the new statement when the member's previous check-in
    was asked under a strategy that said something else."""
    async with ctx.db.session() as session:
        previous = (await session.exec(
            select(CheckIn.strategy_version).where(CheckIn.member_id == checkin.member_id,
                                                   col(CheckIn.id) != checkin.id,
                                                   col(CheckIn.created_at) <= checkin.created_at)
            .order_by(col(CheckIn.created_at).desc(), col(CheckIn.id).desc()).limit(1))).first()
    if previous is None or previous == checkin.strategy_version:
        return message
    before = await load_version(ctx.db, previous)
    now = await load_version(ctx.db, checkin.strategy_version)
    if before is None or now is None or before.strategy.statement == now.strategy.statement:
        return message
    note = ctx.prompts.say("strategy_news_rep", statement=now.strategy.statement)
    return replace(message, text=f"{note}\n{message.text}", blocks=(Text(note), *message.blocks))
