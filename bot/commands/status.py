"""`/align status`: for admins, what failed and whether the bot is healthy (see `bot.ops.status`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands.context import CommandContext
from bot.commands.registry import Args, CommandSpec
from bot.events import Message
from bot.ops.status import StatusReport, gather
from bot.people.members import valid_timezone


async def status(cc: CommandContext, args: Args) -> list[Message]:
    zone = ZoneInfo(valid_timezone(cc.caller.timezone if cc.caller else None) or "UTC")
    report = StatusReport(cc.ctx.prompts, zone, cc.ctx.settings.tick_seconds)
    return [report.message(await gather(cc.ctx))]


STATUS = CommandSpec(
    ("status",), "status",
    "Deliveries that failed (by kind and platform), people the bot cannot reach, LLM fallbacks and"
    " the scheduler's last tick, over the last 24 hours", "status", status, admin_only=True,
    max_args=0)
SPECS = (STATUS,)
