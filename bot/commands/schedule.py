"""`/align schedule ...`: recurring check-ins that admins create, list, pause, resume and remove.

A schedule is stored as the admin typed it (`when`, durations), so `list` reads back in their own
words. Its next runs: a schedule with a fixed zone (tz=) runs at one instant, shown in the caller's
time zone; a local-time schedule runs at the same wall-clock time in every zone its members live
in, so it is shown in those zones' own time (one zone), or as the local times with the zones it
reaches and the earliest run in the caller's time - never as if it ran at the caller's 09:00.
"""

from __future__ import annotations

import itertools
import shlex
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bounds import parse_id
from bot.commands import fanout
from bot.commands.context import CommandContext
from bot.commands.errors import UsageError
from bot.commands.registry import Args, CommandSpec
from bot.events import Message
from bot.people.members import MemberDirectory, valid_timezone
from bot.scheduling.engine import recurrence_of
from bot.scheduling.targets import GROUPS, count_of, describe, members_of
from bot.scheduling.when import Recurrence, WhenError, parse_when
from bot.storage.models import Schedule
from bot.strategy.durations import Duration, DurationError

KINDS = ("checkin", "digest", "nudges", "leads-sync")
SILENT_KINDS = frozenset({"leads-sync"})  # runs that message nobody: no minimum interval
LATER_KINDS = {"digest": "manager digests", "nudges": "lead follow-up nudges",
               "leads-sync": "the CRM lead sync"}  # jobs a build may lack
MAX_REMINDERS = 5
SHOWN_RUNS = 3
SHOWN_ZONES = 3
INTERVAL_RUNS = 200  # runs looked at for the shortest gap: a week of hourly runs and more
WHEN_EXAMPLES = ('"weekdays 09:00", "mon,thu 16:30", "fri 15:00 every 2 weeks", '
                 '"1st mon of month 10:00" or a cron like "0 9 * * 1-5"')


def _fmt(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%a %d %b %Y %H:%M")


def _caller_zone(cc: CommandContext) -> ZoneInfo:
    name = cc.caller.timezone if cc.caller else cc.ctx.settings.default_timezone
    return ZoneInfo(valid_timezone(name) or "UTC")


def _duration(name: str, text: str) -> str:
    try:
        duration = Duration.parse(text)
    except DurationError as exc:
        raise UsageError(f"{name}={text}: {exc}.") from None  # exc already shows how to write one
    if duration.as_timedelta().total_seconds() <= 0:
        raise UsageError(f"{name}= must be longer than zero, e.g. {name}=4h")
    return str(duration)


def _when(text: str, cc: CommandContext) -> Recurrence:
    try:
        return parse_when(text, anchor_date=cc.ctx.clock.now().date())
    except WhenError as exc:
        raise UsageError(f"I can't read the schedule \"{text}\": {exc}\nExamples: {WHEN_EXAMPLES}."
                         ) from None


def _often_enough(recurrence: Recurrence, cc: CommandContext, zone: str | None) -> None:
    """Refuse a schedule whose runs come closer together than ALIGNBOT_SCHEDULE_MIN_INTERVAL
    (judged over its next runs): one admin command must not message everyone every minute."""
    shortest = cc.ctx.settings.schedule_min_interval.as_timedelta()
    runs = recurrence.next_occurrences(cc.ctx.clock.now(), ZoneInfo(zone or "UTC"), INTERVAL_RUNS)
    gaps = [later - earlier for earlier, later in itertools.pairwise(runs)]
    if gaps and min(gaps) < shortest:
        raise UsageError(f"\"{recurrence.text}\" runs every {_minutes(min(gaps))}; a schedule may run"
                         f" at most every {_minutes(shortest)} (ALIGNBOT_SCHEDULE_MIN_INTERVAL)."
                         f" Examples: {WHEN_EXAMPLES}.")


def _minutes(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"


async def _target(cc: CommandContext, text: str) -> str:
    lowered = text.lower()
    if lowered in GROUPS:
        return lowered
    if lowered == "everyone":
        return "all"
    async with cc.ctx.db.session() as session:
        directory = MemberDirectory(session)
        if lowered.startswith("team:"):
            manager = await cc.resolve(directory, text[5:])
            if manager.role != "manager":
                raise UsageError(f"{manager.name} is not a manager, so has no team. "
                                 f"Use to={manager.name} to schedule just them.")
            return f"team:{manager.id}"
        member = await cc.resolve(directory, text)
        return f"member:{member.id}"


def _zone_option(text: str | None) -> str | None:
    if text is None or text.lower() == "local":
        return None
    zone = valid_timezone(text)
    if zone is None:
        raise UsageError(f"tz={text} is not a time zone I know. Use tz=local (each member's own) or"
                         " an IANA name like tz=Europe/Berlin or tz=America/New_York.")
    return zone


async def schedule_add(cc: CommandContext, args: Args) -> list[Message]:
    kind = args.positional[0].lower()
    if kind not in KINDS:
        raise UsageError(f"'{kind}' is not something I can schedule; use checkin, digest, nudges or"
                         " leads-sync. "
                         + ADD.usage_line())
    if kind not in cc.schedule_kinds:
        raise UsageError(f"Scheduling {LATER_KINDS.get(kind, kind)} is not in this version yet; check-ins"
                         " are. e.g. `/align schedule add checkin \"weekdays 09:00\" to=reps`")
    words = list(args.positional[1:])
    confirm = bool(words) and words[-1].lower() == "confirm"
    when_text = " ".join(words[:-1] if confirm else words).strip()
    if not when_text:
        raise UsageError(f"Say when, e.g. {WHEN_EXAMPLES}. " + ADD.usage_line())
    recurrence = _when(when_text, cc)
    options = args.options
    if kind not in SILENT_KINDS:  # the limit guards people's inboxes, not a background sync
        _often_enough(recurrence, cc, _zone_option(options.get("tz")))
    remind = options.get("remind", str(cc.ctx.settings.remind_after))
    remind_after = None if remind.lower() in ("off", "none", "0") else _duration("remind", remind)
    close_after = _duration("close", options["close"]) if "close" in options else None
    if remind_after and close_after and (Duration.parse(remind_after).as_timedelta()
                                         >= Duration.parse(close_after).as_timedelta()):
        raise UsageError(f"The reminder (remind={remind_after}) must come before the check-in"
                         f" closes (close={close_after}).")
    reminders = options.get("reminders", "1")
    if not (reminders.isascii() and reminders.isdigit()) or int(reminders) > MAX_REMINDERS:
        raise UsageError(f"reminders= takes a number from 0 to {MAX_REMINDERS}, e.g. reminders=2")
    now = cc.ctx.clock.now()
    target = (f"member:{cc.caller.id}" if kind == "leads-sync" and cc.caller  # once a run,
              else await _target(cc, options.get("to", "all")))  # not once per member
    preview = None if kind in SILENT_KINDS else await _needs_confirmation(
        cc, kind, when_text, options, target, confirm)
    if preview is not None:
        return [preview]
    schedule = Schedule(
        kind=kind, when_text=recurrence.text, anchor_date=now.date(), target=target,
        timezone=_zone_option(options.get("tz")),
        remind_after=remind_after, reminders=int(reminders) if remind_after else 0,
        close_after=close_after, processed_until=now,
        created_by=cc.caller.id if cc.caller else None, created_at=now, updated_at=now)
    async with cc.ctx.db.session() as session:
        session.add(schedule)
        await session.flush()
        text = await _describe(cc, session, schedule)
    return [Message.plain(f"Scheduled {text}")]


async def _needs_confirmation(cc: CommandContext, kind: str, when_text: str,
                              options: dict[str, str], target: str,
                              confirm: bool) -> Message | None:
    """A schedule for many people messages them all at every run, so creating one is the same
    slip of the hand as `ask now everyone`, repeated: above the fan-out cap it waits for the
    same one-use confirmation, bound to this exact schedule (kind, when and options)."""
    async with cc.ctx.db.session() as session:
        count = await count_of(session, target)
        who = await describe(session, target)
    command = shlex.join(["schedule", "add", kind, when_text,
                          *(f"{key}={value}" for key, value in options.items())])
    return await fanout.guard(cc, command, count, f"{who}, every time it runs", confirm=confirm)


async def _describe(cc: CommandContext, session: AsyncSession, schedule: Schedule,
                    runs: int = SHOWN_RUNS) -> str:
    recurrence = recurrence_of(schedule)
    who = await describe(session, schedule.target)
    where = (f"at {schedule.timezone} time" if schedule.timezone
             else "at each member's local time")
    remind = (f"reminder after {schedule.remind_after}"
              + (f" (up to {schedule.reminders})" if schedule.reminders > 1 else "")
              if schedule.remind_after and schedule.reminders else "no reminder")
    close = (f"closes after {schedule.close_after} or at the next run" if schedule.close_after
             else "closes at the next run")
    state = "" if schedule.active else " - PAUSED"
    lifecycle = f"; {remind}; {close}" if schedule.kind == "checkin" else ""  # check-ins only
    line = (f"#{schedule.id} {schedule.kind} \"{schedule.when_text}\" ({recurrence.describe()})"
            f" for {who}, {where}{lifecycle}{state}")
    if schedule.active and runs:
        zones = await _zones_reached(cc, session, schedule)
        line += "\n    next: " + _next_runs(cc, schedule, recurrence, runs, zones)
    return line


async def _zones_reached(cc: CommandContext, session: AsyncSession, schedule: Schedule) -> list[ZoneInfo]:
    """The time zones a local-time schedule runs in: its members' (the default for those who
    set none). Empty for a schedule with a fixed zone."""
    if schedule.timezone:
        return []
    default = cc.ctx.settings.default_timezone
    names = {valid_timezone(m.timezone) or valid_timezone(default) or "UTC"
             for m in await members_of(session, schedule.target)}
    return [ZoneInfo(name) for name in sorted(names)]


def _next_runs(cc: CommandContext, schedule: Schedule, recurrence: Recurrence, count: int,
               zones: list[ZoneInfo]) -> str:
    """A fixed-zone schedule's runs in the caller's zone; a local-time schedule's in the zones
    it reaches (see the module docstring)."""
    mine = _caller_zone(cc)
    after = max(cc.ctx.clock.now(), schedule.processed_until)
    if schedule.timezone or not zones:
        zone = ZoneInfo(schedule.timezone) if schedule.timezone else mine
        runs = recurrence.next_occurrences(after, zone, count)
        return ", ".join(_fmt(r, mine) for r in runs) + f" ({mine.key})"
    per_zone = {zone: recurrence.next_occurrences(after, zone, count) for zone in zones}
    per_zone = dict(sorted(((zone, runs) for zone, runs in per_zone.items() if runs),
                           key=lambda item: (item[1][0], item[0].key)))  # earliest first
    if not per_zone:
        return "none"
    first_zone = next(iter(per_zone))
    local = ", ".join(_fmt(r, first_zone) for r in per_zone[first_zone])
    if len(per_zone) == 1:
        return f"{local} ({first_zone.key})"
    names = ", ".join(z.key for z in list(per_zone)[:SHOWN_ZONES])
    more = len(per_zone) - SHOWN_ZONES
    names += f" and {more} more" if more > 0 else ""
    return (f"{local} (local time in each of {len(per_zone)} zones: {names}); earliest"
            f" {_fmt(per_zone[first_zone][0], mine)} ({mine.key}, in {first_zone.key})")


async def _get(cc: CommandContext, session: AsyncSession, text: str) -> Schedule:
    number = parse_id(text)
    schedule = await session.get(Schedule, number) if number is not None else None
    if schedule is None:
        raise UsageError(f"There is no schedule {text}. `/align schedule list` shows them.")
    return schedule


async def schedule_list(cc: CommandContext, args: Args) -> list[Message]:
    async with cc.ctx.db.session() as session:
        schedules = (await session.exec(select(Schedule).order_by(col(Schedule.id)))).all()
        if not schedules:
            return [Message.plain("No schedules yet. An admin can add one: "
                                  "`/align schedule add checkin \"weekdays 09:00\" to=reps`")]
        lines = [await _describe(cc, session, s) for s in schedules]
    return [Message.plain("Schedules (fixed-zone times in your time zone, local-time schedules in"
                          " their members' zones):\n" + "\n".join(lines))]


async def _set_active(cc: CommandContext, args: Args, active: bool) -> list[Message]:
    async with cc.ctx.db.session() as session:
        schedule = await _get(cc, session, args.positional[0])
        if schedule.active == active:
            return [Message.plain(f"Schedule #{schedule.id} is already "
                                  f"{'running' if active else 'paused'}.")]
        now = cc.ctx.clock.now()
        schedule.active, schedule.updated_at = active, now
        if active:  # runs that fell inside the pause are skipped, not sent late
            schedule.processed_until = max(schedule.processed_until, now)
        session.add(schedule)
        await session.flush()
        text = await _describe(cc, session, schedule)
    return [Message.plain(f"{'Resumed' if active else 'Paused'} {text}")]


async def schedule_pause(cc: CommandContext, args: Args) -> list[Message]:
    return await _set_active(cc, args, False)


async def schedule_resume(cc: CommandContext, args: Args) -> list[Message]:
    return await _set_active(cc, args, True)


async def schedule_remove(cc: CommandContext, args: Args) -> list[Message]:
    async with cc.ctx.db.session() as session:
        schedule = await _get(cc, session, args.positional[0])
        text = f"#{schedule.id} {schedule.kind} \"{schedule.when_text}\""
        await session.delete(schedule)
    return [Message.plain(f"Removed schedule {text}. Check-ins already sent stay open until they"
                          " close; their answers are kept.")]


async def schedule_next(cc: CommandContext, args: Args) -> list[Message]:
    async with cc.ctx.db.session() as session:
        schedule = await _get(cc, session, args.positional[0])
        zones = await _zones_reached(cc, session, schedule)
    recurrence = recurrence_of(schedule)
    runs = _next_runs(cc, schedule, recurrence, 5, zones).replace(", ", "\n  ", 4)
    paused = " (paused: nothing is sent until it is resumed)" if not schedule.active else ""
    local = "" if schedule.timezone else "\nEach member is asked at these times in their own zone."
    return [Message.plain(f"Next 5 runs of #{schedule.id} \"{schedule.when_text}\"{paused}:\n  "
                          f"{runs}{local}")]


ADD = CommandSpec(
    ("schedule", "add"),
    'schedule add checkin|digest|nudges|leads-sync "<when>" [to=reps|managers|all|<member>|team:<manager>]'
    " [tz=local|<zone>] [remind=<duration>|off] [reminders=<n>] [close=<duration>]",
    "Ask on a schedule, at each member's local time unless tz= says otherwise",
    'schedule add checkin "weekdays 09:00" to=reps remind=4h', schedule_add,
    admin_only=True, min_args=2, options=("to", "tz", "remind", "reminders", "close"))
LIST = CommandSpec(("schedule", "list"), "schedule list", "Schedules and their next runs",
                   "schedule list", schedule_list, max_args=0)
PAUSE = CommandSpec(("schedule", "pause"), "schedule pause <id>", "Stop a schedule for now",
                    "schedule pause 1", schedule_pause, admin_only=True, min_args=1, max_args=1)
RESUME = CommandSpec(("schedule", "resume"), "schedule resume <id>",
                     "Restart a paused schedule (runs missed while paused are skipped)",
                     "schedule resume 1", schedule_resume, admin_only=True, min_args=1, max_args=1)
REMOVE = CommandSpec(("schedule", "remove"), "schedule remove <id>", "Delete a schedule",
                     "schedule remove 1", schedule_remove, admin_only=True, min_args=1, max_args=1)
NEXT = CommandSpec(("schedule", "next"), "schedule next <id>", "The next five runs of a schedule",
                   "schedule next 1", schedule_next, min_args=1, max_args=1)
SPECS = (ADD, LIST, PAUSE, RESUME, REMOVE, NEXT)
