"""`/align ask now`, `/align answer`, `/align answers`: ad-hoc check-ins and editing answers."""

from __future__ import annotations

from bot.bounds import parse_id
from bot.commands import fanout
from bot.commands.context import CommandContext
from bot.commands.errors import UsageError
from bot.commands.registry import Args, CommandSpec
from bot.events import Message
from bot.people.members import MemberDirectory
from bot.storage.models import Member

GROUPS = {"reps": ("rep",), "managers": ("manager",), "all": ("rep", "manager"),
          "everyone": ("rep", "manager")}


async def _audience(cc: CommandContext, who: str | None) -> list[Member]:
    async with cc.ctx.db.session() as session:
        directory = MemberDirectory(session)
        if who is None or who.lower() in GROUPS:
            return await directory.active(GROUPS[(who or "all").lower()])
        member = await cc.resolve(directory, who)
        if not member.active:
            raise UsageError(f"{member.name} was removed from the team; add them back first.")
        return [member]


async def ask_now(cc: CommandContext, args: Args) -> list[Message]:
    confirm = args.get(1)
    if confirm is not None and (confirm.lower() != "confirm" or args.get(0) is None):
        raise UsageError(ASK_NOW.usage_line())
    who = args.get(0) or "all"
    members = await _audience(cc, who)
    if not members:
        return [Message.plain("Nobody to ask: add reps or managers first, e.g. "
                              "`/align team add Dana rep`.")]
    preview = await fanout.guard(cc, f"ask now {who}", len(members), who, confirm=confirm is not None)
    if preview is not None:
        return [preview]
    close_after = cc.ctx.settings.checkin_close_after.as_timedelta()
    report = await cc.checkins.ask_now(members, close_after)
    lines = []
    if report.asked:
        lines.append(f"Asked {len(report.asked)}: {', '.join(report.asked)}. "
                     f"The check-in closes in {cc.ctx.settings.checkin_close_after}.")
    if report.skipped:
        lines.append(f"Skipped {len(report.skipped)}: {'; '.join(report.skipped)}.")
    if report.failed:
        lines.append(f"Could not reach {len(report.failed)}: {'; '.join(report.failed)}.")
    return [Message.plain("\n".join(lines))]


async def answer(cc: CommandContext, args: Args) -> list[Message]:
    member = cc.require_member()
    number_text = args.positional[0]
    number = parse_id(number_text)
    if number is None:
        raise UsageError(ANSWER.usage_line())
    text = " ".join(args.positional[1:])
    if args.options:  # "key=value" inside an answer is just text
        text = " ".join([text, *(f"{k}={v}" for k, v in args.options.items())]).strip()
    return await cc.checkins.edit(member, number, text)


async def answers(cc: CommandContext, args: Args) -> list[Message]:
    return await cc.checkins.current_answers(cc.require_member())


ASK_NOW = CommandSpec(("ask", "now"), "ask now [<member>|reps|managers|all] [confirm]",
                      "Start a check-in right away for someone, all reps, all managers, or everyone"
                      " (asks you to confirm before messaging many people)",
                      "ask now reps", ask_now, admin_only=True, max_args=2)
ANSWER = CommandSpec(("answer",), "answer <1-3> <text>",
                     "Change one of your answers while the check-in is open",
                     "answer 3 mapped the buying committee at Acme", answer, min_args=2)
ANSWERS = CommandSpec(("answers",), "answers", "Show your answers to the open check-in",
                      "answers", answers, max_args=0)
SPECS = (ASK_NOW, ANSWER, ANSWERS)
