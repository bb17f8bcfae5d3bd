"""`/align strategy ...`: show the strategy everyone is aligning to; reload it after edits."""

from __future__ import annotations

from datetime import date

from bot.commands.context import CommandContext
from bot.commands.registry import Args, CommandSpec
from bot.evaluation.doctor import diagnose
from bot.events import Fact, FactList, Message, Text
from bot.strategy.loader import StrategyFileError, load_strategy
from bot.strategy.schema import Strategy
from bot.strategy.store import record_version

SELL_BY_WARNING_DAYS = 30
MAX_ADVICE = 8  # doctor's warnings shown in chat; the rest with `alignbot strategy check`


def sell_by_note(strategy: Strategy, today: date) -> str | None:
    """A warning when the strategy's review date is near or past: strategies expire silently."""
    days = (strategy.strategy.review_by - today).days
    if days < 0:
        return (f"⚠ This strategy's sell-by date ({strategy.strategy.review_by}) passed {-days} days"
                " ago. Review it with your leadership team and update the file.")
    if days <= SELL_BY_WARNING_DAYS:
        return f"⚠ This strategy is due for review in {days} days ({strategy.strategy.review_by})."
    return None


def strategy_message(strategy: Strategy, today: date) -> Message:
    core = strategy.strategy
    in_scope = [s.name for s in strategy.segments if s.in_scope]
    out_scope = [s.name for s in strategy.segments if not s.in_scope]
    tasks = [f"{t.name}{' (critical)' if t.critical else ''}" for t in strategy.sales_tasks]
    facts = (
        Fact("Objectives", "; ".join(o.text for o in core.objectives)),
        Fact("Advantage", core.advantage),
        Fact("We play in", ", ".join(in_scope)),
        Fact("We do not play in", ", ".join(out_scope) or "-"),
        Fact("Sales tasks", "; ".join(tasks)),
        Fact("Review by", str(core.review_by)),
    )
    blocks: list[Text | FactList] = [Text(core.name, style="heading"), Text(core.statement),
                                     FactList(facts)]
    note = sell_by_note(strategy, today)
    if note:
        blocks.append(Text(note))
    text = "\n".join([core.name, core.statement, *(f"{f.label}: {f.value}" for f in facts),
                      *([note] if note else [])])
    return Message(text=text, blocks=tuple(blocks))


async def strategy_show(cc: CommandContext, args: Args) -> list[Message]:
    return [strategy_message(cc.ctx.strategy, cc.ctx.clock.now().date())]


async def strategy_reload(cc: CommandContext, args: Args) -> list[Message]:
    path = cc.ctx.settings.strategy_file
    try:
        strategy = load_strategy(path)
    except StrategyFileError as exc:
        return [Message.plain(f"The strategy file was NOT reloaded; the bot keeps the current"
                              f" version. {exc}")]
    if strategy.version == cc.ctx.strategy.version:
        return [Message.plain(f"{path} is unchanged (version {strategy.version}).")]
    await record_version(cc.ctx.db, strategy, str(path), cc.ctx.clock.now())
    cc.ctx.strategy = strategy
    loaded = (f"Loaded strategy '{strategy.strategy.name}' version {strategy.version} from {path}."
              " New check-ins use it.")
    advice = diagnose(strategy, path.read_text(encoding="utf-8"))
    if not advice:
        return [Message.plain(loaded)]
    shown = [a.render(path.name) for a in advice[:MAX_ADVICE]]
    more = f"\n(and {len(advice) - MAX_ADVICE} more: `alignbot strategy check`)" if len(
        advice) > MAX_ADVICE else ""
    return [Message.plain(f"{loaded}\nThe strategy doctor has {len(advice)} warning(s):\n"
                          + "\n".join(f"• {line}" for line in shown) + more)]


SPECS = (
    CommandSpec(("strategy", "show"), "strategy show",
                "Show the strategy: statement, objectives, segments, sales tasks, review date",
                "strategy show", strategy_show, max_args=0),
    CommandSpec(("strategy", "reload"), "strategy reload",
                "Re-read the strategy file after editing it (keeps the old one if it has errors)",
                "strategy reload", strategy_reload, admin_only=True, max_args=0),
)
