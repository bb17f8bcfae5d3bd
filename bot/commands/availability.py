"""`/align me ...`, `/align away`, `/align back`, `/align holiday ...`: when someone can be asked.

Members set their own time zone, working days and time away; admins may do it for anyone with
`member=<name>` (or `team=<manager>` for working days) and keep the workspace holiday list.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.bounds import DATE_RANGE, date_in_range
from bot.commands.context import CommandContext
from bot.commands.errors import PermissionDenied, UsageError
from bot.commands.registry import Args, CommandSpec, Reach
from bot.digest.personal import my_alignment
from bot.digest.texts import DigestTexts
from bot.events import Message
from bot.people.members import MemberDirectory, valid_timezone
from bot.scheduling.calendar import WorkingDaysError, parse_working_days
from bot.storage.models import Holiday, Member

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_DAYS_TEXT = 200  # "mon,tue,wed,thu,fri,sat,sun" and any sensible spelling of it


def _date(text: str, example: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"'{text}' is not a date; write it as YYYY-MM-DD, e.g. {example}") from None
    if not date_in_range(day):
        raise UsageError(f"{day.isoformat()} is outside the dates I keep ({DATE_RANGE}).")
    return day


async def _subjects(cc: CommandContext, session: AsyncSession, args: Args) -> list[Member]:
    """The caller, or (admins only) the member= / team= named."""
    me = cc.require_member()
    if "member" not in args.options and "team" not in args.options:
        fresh = await session.get(Member, me.id)
        assert fresh is not None
        return [fresh]
    if not cc.is_admin:
        raise PermissionDenied("Only admins can change this for someone else; drop member=/team=.")
    directory = MemberDirectory(session)
    if "member" in args.options:
        return [await cc.resolve(directory, args.options["member"])]
    manager = await cc.resolve(directory, args.options["team"])
    team = await directory.reports(manager)
    if not team:
        raise UsageError(f"{manager.name} has no reports yet.")
    return team


def _names(members: list[Member]) -> str:
    return ", ".join(m.name for m in members)


def days_text(days: frozenset[int]) -> str:
    return ", ".join(DAY_NAMES[d] for d in sorted(days))


async def me_show(cc: CommandContext, args: Args) -> list[Message]:
    me = cc.require_member()
    async with cc.ctx.db.session() as session:
        member = await session.get(Member, me.id)
        assert member is not None
        manager = await session.get(Member, member.manager_id) if member.manager_id else None
        holidays = (await session.exec(select(Holiday).where(
            col(Holiday.day) >= cc.ctx.clock.now().date()).order_by(col(Holiday.day)).limit(3))).all()
    zone = member.timezone + (" (set by you)" if member.timezone_overridden else " (from your profile)")
    away = f"away until {member.away_until.isoformat()}" if member.away_until else "available"
    lines = [f"{member.name}: {member.role}" + (f", reporting to {manager.name}" if manager else ""),
             f"Time zone: {zone}", f"Working days: {days_text(parse_working_days(member.working_days))}",
             f"Status: {away}"]
    if holidays:
        lines.append("Next holidays: " + ", ".join(f"{h.day.isoformat()} {h.name}" for h in holidays))
    async with cc.ctx.db.session() as session:  # only the caller's own answers
        lines += await my_alignment(session, member, DigestTexts(cc.ctx.settings.prompts_dir))
    return [Message.plain("\n".join(lines))]


async def me_tz(cc: CommandContext, args: Args) -> list[Message]:
    text = args.positional[0]
    async with cc.ctx.db.session() as session:
        members = await _subjects(cc, session, args)
        if text.lower() == "auto":
            for member in members:
                member.timezone_overridden = False
                session.add(member)
            return [Message.plain(f"Time zone of {_names(members)} now follows the platform"
                                  " profile again (updated on the next profile change).")]
        zone = valid_timezone(text)
        if zone is None:
            raise UsageError(f"'{text}' is not a time zone I know. Use an IANA name such as"
                             " Europe/Berlin, America/New_York or Asia/Kolkata.")
        for member in members:
            member.timezone, member.timezone_overridden = zone, True
            member.updated_at = cc.ctx.clock.now()
            session.add(member)
    return [Message.plain(f"Time zone of {_names(members)} set to {zone}; scheduled check-ins"
                          " follow it from the next run.")]


async def me_days(cc: CommandContext, args: Args) -> list[Message]:
    text = "".join(args.positional)
    if len(text) > MAX_DAYS_TEXT:
        raise UsageError(f"That is a long list of days; name at most seven, e.g. {ME_DAYS.example}.")
    try:
        days = parse_working_days(text)
    except WorkingDaysError as exc:
        raise UsageError(str(exc)) from None
    if len(text) > 64:  # the column's width: the same days, spelled shortest
        text = ",".join(DAY_NAMES[d].lower() for d in sorted(days))
    async with cc.ctx.db.session() as session:
        members = await _subjects(cc, session, args)
        for member in members:
            member.working_days = text.lower()
            member.updated_at = cc.ctx.clock.now()
            session.add(member)
    return [Message.plain(f"Working days of {_names(members)}: {days_text(days)}. Nobody is asked"
                          " on other days.")]


async def away(cc: CommandContext, args: Args) -> list[Message]:
    if args.positional[0].lower() != "until":
        raise UsageError(AWAY.usage_line())
    until = _date(args.positional[1], "2026-12-31")
    if until < cc.ctx.clock.now().date():
        raise UsageError(f"{until.isoformat()} has already passed.")
    async with cc.ctx.db.session() as session:
        members = await _subjects(cc, session, args)
        for member in members:
            if member.away_until is None or member.away_from is None:
                member.away_from = cc.ctx.clock.now().astimezone(
                    ZoneInfo(valid_timezone(member.timezone) or "UTC")).date()
            member.away_until = until
            session.add(member)
    return [Message.plain(f"{_names(members)}: away until {until.isoformat()} (inclusive). No"
                          " check-ins until then; `/align back` ends it early.")]


async def back(cc: CommandContext, args: Args) -> list[Message]:
    async with cc.ctx.db.session() as session:
        members = await _subjects(cc, session, args)
        for member in members:
            member.away_until = member.away_from = None
            session.add(member)
    return [Message.plain(f"Welcome back, {_names(members)} - check-ins resume with the next run.")]


async def holiday_add(cc: CommandContext, args: Args) -> list[Message]:
    day = _date(args.positional[0], "2026-12-25")
    name = " ".join(args.positional[1:]).strip()[:200] or "Holiday"
    async with cc.ctx.db.session() as session:
        existing = (await session.exec(select(Holiday).where(Holiday.day == day))).first()
        holiday = existing or Holiday(day=day, created_at=cc.ctx.clock.now())
        holiday.name = name
        session.add(holiday)
    verb = "Renamed" if existing else "Added"
    return [Message.plain(f"{verb} holiday {day.isoformat()} ({day.strftime('%A')}): {name}."
                          " Nobody is asked on that date in their own time zone.")]


async def holiday_list(cc: CommandContext, args: Args) -> list[Message]:
    async with cc.ctx.db.session() as session:
        rows = (await session.exec(select(Holiday).where(
            col(Holiday.day) >= cc.ctx.clock.now().date()).order_by(col(Holiday.day)))).all()
    if not rows:
        return [Message.plain("No upcoming holidays. Admins add them with"
                              " `/align holiday add 2026-12-25 Christmas`.")]
    return [Message.plain("Upcoming holidays:\n" + "\n".join(
        f"{h.day.isoformat()} ({h.day.strftime('%a')}) {h.name}" for h in rows))]


async def holiday_remove(cc: CommandContext, args: Args) -> list[Message]:
    day = _date(args.positional[0], "2026-12-25")
    async with cc.ctx.db.session() as session:
        holiday = (await session.exec(select(Holiday).where(Holiday.day == day))).first()
        if holiday is None:
            raise UsageError(f"{day.isoformat()} is not on the holiday list.")
        await session.delete(holiday)
    return [Message.plain(f"Removed the holiday on {day.isoformat()}.")]


ADMIN_OPTIONS = ("member",)
ME = CommandSpec(("me",), "me", "Your time zone, working days, status and latest alignment", "me", me_show,
                 max_args=0)
ME_TZ = CommandSpec(("me", "tz"), "me tz <zone>|auto [member=<name>]",
                    "Set your time zone (auto: follow your platform profile)",
                    "me tz Europe/Berlin", me_tz, min_args=1, max_args=1, options=ADMIN_OPTIONS,
                    reach=(Reach("me tz Asia/Tokyo member={member}", "admins"),))
ME_DAYS = CommandSpec(("me", "days"), "me days <days> [member=<name>|team=<manager>]",
                      "Set working days (default mon-fri); nobody is asked on other days",
                      "me days sun-thu", me_days, min_args=1, options=("member", "team"),
                      reach=(Reach("me days sun-thu member={member}", "admins"),
                             Reach("me days sun-thu team={manager}", "admins")))
AWAY = CommandSpec(("away",), "away until <YYYY-MM-DD> [member=<name>]",
                   "Pause your check-ins until a date (inclusive)", "away until 2026-12-31", away,
                   min_args=2, max_args=2, options=ADMIN_OPTIONS,
                   reach=(Reach("away until 2030-01-31 member={member}", "admins"),))
BACK = CommandSpec(("back",), "back [member=<name>]", "End your time away now", "back", back,
                   max_args=0, options=ADMIN_OPTIONS, reach=(Reach("back member={member}", "admins"),))
HOLIDAY_ADD = CommandSpec(("holiday", "add"), "holiday add <YYYY-MM-DD> [name]",
                          "Add a workspace holiday: nobody is asked that day",
                          "holiday add 2026-12-25 Christmas Day", holiday_add, admin_only=True,
                          min_args=1)
HOLIDAY_LIST = CommandSpec(("holiday", "list"), "holiday list", "Upcoming holidays",
                           "holiday list", holiday_list, max_args=0)
HOLIDAY_REMOVE = CommandSpec(("holiday", "remove"), "holiday remove <YYYY-MM-DD>",
                             "Take a date off the holiday list", "holiday remove 2026-12-25",
                             holiday_remove, admin_only=True, min_args=1, max_args=1)
SPECS = (ME, ME_TZ, ME_DAYS, AWAY, BACK, HOLIDAY_ADD, HOLIDAY_LIST, HOLIDAY_REMOVE)
