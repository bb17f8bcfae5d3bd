"""`/align status`: for admins, what failed and whether the bot is healthy (see `bot.ops.status`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands.context import CommandContext
from bot.commands.registry import Args, CommandSpec
from bot.evaluation.base import Evaluator
from bot.events import Message
from bot.ops.status import StatusReport, gather
from bot.people.members import valid_timezone


async def status(cc: CommandContext, args: Args) -> list[Message]:
    zone = ZoneInfo(valid_timezone(cc.caller.timezone if cc.caller else None) or "UTC")
    report = StatusReport(cc.ctx.prompts, zone, cc.ctx.settings.tick_seconds)
    gathered = await gather(cc.ctx)
    gathered.evaluator = describe(cc.evaluator)
    return [report.message(gathered)]


def describe(evaluator: Evaluator | None) -> str:
    """The evaluator judging answers, as an admin needs to know it: the rules alone, or the LLM
    (which model, with the rules as fallback and its time budget per answer)."""
    if evaluator is None:
        return ""
    if evaluator.name == "llm":  # its module (and openai) is loaded only when the LLM is in use
        from bot.evaluation.llm import LLMEvaluator

        assert isinstance(evaluator, LLMEvaluator)
        return (f"llm ({evaluator.model}), rules {evaluator.fallback.version} as fallback after"
                f" {evaluator.deadline:g} s")
    return f"{evaluator.name} {evaluator.version} (offline, no LLM configured)"


STATUS = CommandSpec(
    ("status",), "status",
    "Deliveries that failed (by kind and platform), people the bot cannot reach, LLM fallbacks and"
    " the scheduler's last tick, over the last 24 hours", "status", status, admin_only=True,
    max_args=0)
SPECS = (STATUS,)
