"""`/align strategy learned|unlearn`: what people's "Not right?" corrections taught the bot.

Admins see every correction and remove one; a manager confirms a rep's correction for everyone
(or undoes it) for people in their team; the export is YAML to merge into the strategy file, so
what was learned in chat can become part of the strategy itself.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import yaml
from sqlmodel import col, select

from bot.commands.context import CommandContext
from bot.commands.errors import PermissionDenied, UsageError
from bot.commands.registry import Args, CommandSpec
from bot.digest.period import PERIOD_EXAMPLES, PeriodError, parse_period
from bot.digest.team import team_tree
from bot.events import Message
from bot.learning import corrections
from bot.learning.describe import describe
from bot.learning.lessons import lessons_from_json
from bot.learning.vocabulary import taught_by
from bot.people.members import is_admin, valid_timezone
from bot.storage.models import Answer, CheckIn, Correction, Member
from bot.strategy.schema import Strategy
from bot.strategy.store import version_label

SHOWN = 20
ACTION = "correction"  # digest buttons: correction:undo:<id>, correction:confirm:<id>


def _parse_id(text: str | None) -> int:
    number = (text or "").lstrip("#")
    if not number.isdigit() or len(number) > 9:
        raise UsageError("Give the correction's number, e.g. `/align strategy unlearn 12` (see"
                         " `/align strategy learned`).")
    return int(number)


async def _authors(cc: CommandContext, rows: list[Correction]) -> dict[int, str]:
    async with cc.ctx.db.session() as session:
        found = {}
        for author_id in {r.author_id for r in rows}:
            member = await session.get(Member, author_id)
            found[author_id] = member.name if member and not member.forgotten_at else "someone"
        return found


async def _team_ids(cc: CommandContext, caller: Member) -> set[int] | None:
    """Whose corrections the caller may see and confirm: everyone's for admins (None), their
    team's (nested teams included) for managers."""
    if is_admin(caller):
        return None
    if caller.role != "manager":
        raise PermissionDenied("Only managers (for their team) and admins can see what the bot"
                               " learned from corrections.")
    async with cc.ctx.db.session() as session:
        return {m.id for m in await team_tree(session, caller) if m.id is not None} | {caller.id or 0}


async def learned(cc: CommandContext, args: Args) -> list[Message]:
    caller = cc.require_member()
    authors = await _team_ids(cc, caller)
    rows = await corrections.listing(cc.ctx.db, authors=authors)
    if not rows:
        removed = len(await corrections.listing(cc.ctx.db, authors=authors, include_undone=True))
        return [Message.plain(cc.ctx.prompts.say("learned_none_in_force", count=removed) if removed
                              else cc.ctx.prompts.say("learned_none"))]
    names = await _authors(cc, rows)
    shown = rows[-SHOWN:]
    counts = corrections.counts(rows)
    lines = [f"{len(rows)} correction(s): {counts['taught']} teach everyone, {counts['own']} apply"
             " to their author's answers until a manager or admin confirms them."]
    lines += [describe(r, names[r.author_id], cc.ctx.strategy) for r in reversed(shown)]
    if len(rows) > SHOWN:
        lines.append(f"(and {len(rows) - SHOWN} older)")
    lines += learned_words(rows, cc.ctx.strategy)
    lines.append("Confirm one for everyone: `/align strategy learned confirm <n>`. Remove one:"
                 " `/align strategy unlearn <n>`. As YAML for the strategy file:"
                 " `/align strategy learned export`.")
    return [Message.plain("\n".join(lines))]


def learned_words(rows: list[Correction], strategy: Strategy) -> list[str]:
    """The words these corrections' answers taught together, one line each with the corrections
    behind it: a word is unlearned by removing those (`/align strategy unlearn <n>`)."""
    found = taught_by([(row.id or 0, row.lessons) for row in rows], strategy)
    if not found:
        return []
    names = {**{t.id: t.name for t in strategy.sales_tasks}, **{s.id: s.name for s in strategy.segments}}
    lines = [f"Words corrected answers keep using, learned as cues ({len(found)}):"]
    for cue, numbers in found[:SHOWN]:
        meaning = {"task": "means", "segment": "names", "not_task": "does not mean",
                   "not_segment": "does not name"}[cue.kind]
        lines.append(f"\"{cue.said}\" {meaning} {names.get(cue.target, cue.target)}"
                     f" (from {', '.join(f'#{n}' for n in numbers)})")
    if len(found) > SHOWN:
        lines.append(f"(and {len(found) - SHOWN} more)")
    return lines


async def _editable(cc: CommandContext, number: int) -> tuple[Member, Correction]:
    caller = cc.require_member()
    row = await corrections.get(cc.ctx.db, number)
    allowed = await _team_ids(cc, caller)
    if row is None or (allowed is not None and row.author_id not in allowed):
        raise UsageError(f"There is no correction #{number} you can change (see"
                         " `/align strategy learned`).")
    return caller, row


async def confirm(cc: CommandContext, args: Args) -> list[Message]:
    caller, row = await _editable(cc, _parse_id(args.get(0)))
    if row.status == corrections.TAUGHT:
        return [Message.plain(f"Correction #{row.id} already teaches everyone.")]
    await corrections.set_status(cc.ctx.db, row.id or 0, corrections.TAUGHT, caller, cc.ctx.clock.now())
    return [Message.plain(f"Confirmed correction #{row.id}: I read answers this way for everyone"
                          " from now on.")]


async def unlearn(cc: CommandContext, args: Args) -> list[Message]:
    caller, row = await _editable(cc, _parse_id(args.get(0)))
    if row.status == corrections.UNDONE:
        return [Message.plain(f"Correction #{row.id} was already removed.")]
    await corrections.set_status(cc.ctx.db, row.id or 0, corrections.UNDONE, caller, cc.ctx.clock.now())
    if row.answer_id is not None and cc.reviewer is not None:
        await cc.reviewer.review(row.answer_id)  # the corrected answer goes back to my own reading
    return [Message.plain(f"Removed correction #{row.id}: it teaches nothing from now on, and the"
                          " answer it corrected is judged again without it.")]


async def on_button(cc: CommandContext, target: str) -> list[Message]:
    """A digest's Undo or Confirm button: the same as the command, with the same checks."""
    verb, _, number = target.partition(":")
    args = Args((number,), {})
    if verb == "undo":
        return await unlearn(cc, args)
    if verb == "confirm":
        return await confirm(cc, args)
    return [Message.plain("That button is no longer active. Type `/align help` for options.")]


def export_yaml(rows: list[Correction], strategy: Strategy) -> str:
    """Learned examples and aliases in the strategy file's own shape, for an admin to merge."""
    tasks: dict[str, list[str]] = {}
    segments: dict[str, list[str]] = {}
    for row in rows:
        if row.status != corrections.TAUGHT:
            continue
        for lesson in lessons_from_json(row.lessons):
            if lesson.kind == "task" and lesson.target in strategy.task_ids:
                tasks.setdefault(lesson.target, []).append(lesson.phrase)
            elif lesson.kind == "segment" and lesson.target in strategy.segment_ids:
                segments.setdefault(lesson.target, []).append(lesson.phrase)
    taught = [(row.id or 0, row.lessons) for row in rows if row.status == corrections.TAUGHT]
    for cue, _ in taught_by(taught, strategy):  # learned words: a task's example, a segment's alias
        if cue.kind == "task":
            tasks.setdefault(cue.target, []).append(cue.said)
        elif cue.kind == "segment":
            segments.setdefault(cue.target, []).append(cue.said)
    data = {
        "sales_tasks": [{"id": k, "examples": list(dict.fromkeys(v))} for k, v in tasks.items()],
        "segments": [{"id": k, "aliases": list(dict.fromkeys(v))} for k, v in segments.items()],
    }
    return yaml.safe_dump({k: v for k, v in data.items() if v}, allow_unicode=True, sort_keys=False)


async def export(cc: CommandContext, args: Args) -> list[Message]:
    rows = await corrections.listing(cc.ctx.db)
    text = export_yaml(rows, cc.ctx.strategy)
    if not text.strip() or text.strip() == "{}":
        return [Message.plain("Nothing learned teaches everyone yet, so there is nothing to export.")]
    return [Message.plain("Learned examples and aliases, to merge into the strategy file (add them"
                          " to the same ids' `examples` and `aliases`):\n```\n" + text + "```")]


MAX_REJUDGE = 5000  # answers in one command; a longer period is split by the admin


async def rejudge(cc: CommandContext, args: Args) -> list[Message]:
    """Judge a period's answers again under the current strategy version, on purpose: after a
    strategy change an admin may want last month read by today's strategy. Nobody is messaged;
    digests of the period say how many answers were re-judged."""
    me = cc.require_member()
    zone = ZoneInfo(valid_timezone(me.timezone) or "UTC")
    try:
        period = parse_period(" ".join(args.positional), cc.ctx.clock.now(), zone)
    except PeriodError as exc:
        raise UsageError(f"{exc}\n{REJUDGE.usage_line()}") from None
    async with cc.ctx.db.session() as session:
        ids = [i for i in (await session.exec(
            select(Answer.id).join(CheckIn, col(CheckIn.id) == col(Answer.checkin_id))
            .where(col(CheckIn.occurrence_at) >= period.start, col(CheckIn.occurrence_at) < period.end)
            .order_by(col(Answer.id)).limit(MAX_REJUDGE + 1))).all() if i is not None]
    if len(ids) > MAX_REJUDGE:
        raise UsageError(f"{period.label} holds more than {MAX_REJUDGE} answers; re-judge a shorter"
                         " period at a time.")
    if not ids:
        return [Message.plain(f"No answers in {period.label} to re-judge.")]
    if cc.reviewer is None:
        raise UsageError("Re-judging is not available here.")
    done = sum([await cc.reviewer.review(i, under_current=True) is not None for i in ids])
    version = await version_label(cc.ctx.db, cc.ctx.strategy.version)
    return [Message.plain(f"Re-judged {done} of {len(ids)} answers from {period.label} under the"
                          f" current strategy version {version}. Nobody was messaged; digests of"
                          " that period say so.")]


REJUDGE = CommandSpec(
    ("strategy", "rejudge"), "strategy rejudge <period>",
    f"Judge a period's answers again under the current strategy version; period: {PERIOD_EXAMPLES}",
    "strategy rejudge last 4 weeks", rejudge, admin_only=True, min_args=1)

SPECS = (
    REJUDGE,
    CommandSpec(("strategy", "learned"), "strategy learned",
                "What corrections taught the bot (managers: their team's; admins: everyone's)",
                "strategy learned", learned, max_args=0),
    CommandSpec(("strategy", "learned", "confirm"), "strategy learned confirm <n>",
                "Make a rep's correction teach everyone (managers for their team, admins)",
                "strategy learned confirm 3", confirm, min_args=1, max_args=1),
    CommandSpec(("strategy", "learned", "export"), "strategy learned export",
                "What was learned, as YAML examples and aliases to merge into the strategy file",
                "strategy learned export", export, admin_only=True, max_args=0),
    CommandSpec(("strategy", "unlearn"), "strategy unlearn <n>",
                "Remove what one correction taught (managers for their team, admins)",
                "strategy unlearn 3", unlearn, min_args=1, max_args=1),
)
