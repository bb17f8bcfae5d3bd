"""`/align team ...`: who is on the team, their roles and managers."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.context import CommandContext
from bot.commands.errors import PermissionDenied, UsageError
from bot.commands.registry import Args, CommandSpec
from bot.events import Fact, FactList, Message, Text
from bot.people.members import ROLES, MemberDirectory, is_admin
from bot.storage.locks import TEAM_BOOTSTRAP, serialized
from bot.storage.models import Member, OutboundMessage
from bot.text import clean

FIRST_MEMBER_HINT = ("Nobody is on the team yet. The first member must add themselves as admin:"
                     " `/align team add <your name> admin`")


async def _target(cc: CommandContext, directory: MemberDirectory,
                  reference: str) -> tuple[Member, bool]:
    """(member, newly created): an existing member, or one made from the platform's profile."""
    matches = [m for m in await directory.find(reference) if m.platform == cc.caller_ref.platform]
    if len(matches) == 1:
        return matches[0], False
    if len(matches) > 1:
        return await cc.resolve(directory, reference), False
    profile = await cc.ctx.port_for(cc.caller_ref.platform).lookup(reference)
    if profile is None:
        raise UsageError(f"I couldn't find '{reference}' on {cc.caller_ref.platform}. Use their"
                         " @mention, email or exact display name.")
    change = await directory.upsert_profile(profile, cc.ctx.clock.now())
    return change.member, change.created


async def team_add(cc: CommandContext, args: Args) -> list[Message]:
    reference, role = args.positional[0], args.positional[1].lower()
    if role not in ROLES:
        raise UsageError(f"'{role}' is not a role; use rep, manager or admin. "
                         + TEAM_ADD.usage_line())
    # One `team add` at a time across all processes: the count that decides the first admin, the
    # platform look-up and the insert are one step, so two strangers cannot both be "first".
    async with serialized(cc.ctx.db, TEAM_BOOTSTRAP) as session:
        directory = MemberDirectory(session, cc.ctx.settings.default_timezone)
        bootstrap = await directory.count() == 0
        if not bootstrap and not cc.is_admin:
            raise PermissionDenied("Only admins can change the team. Ask an admin to run this.")
        target, was_new = await _target(cc, directory, reference)
        if bootstrap and (role != "admin" or target.platform_user_id != cc.caller_ref.user_id):
            raise PermissionDenied(FIRST_MEMBER_HINT)
        manager = None
        if "manager" in args.options:
            manager = await cc.resolve(directory, args.options["manager"])
            if manager.id == target.id:
                raise UsageError("Someone can't be their own manager.")
            if manager.role != "manager":
                raise UsageError(f"{manager.name} is not a manager yet: "
                                 f"`/align team add {manager.name} manager` first.")
        await directory.set_role(target, role, manager, cc.ctx.clock.now(), created=was_new)
        summary = describe(target, manager.name if manager else None)
    return [Message.plain(f"{'Added' if was_new else 'Updated'} {summary}.")]


def describe(member: Member, manager_name: str | None) -> str:
    role = member.role + (" and admin" if member.role != "admin" and is_admin(member) else "")
    manager = f", reporting to {manager_name}" if manager_name else ""
    return f"{member.name} as {role}{manager} (time zone {member.timezone})"


async def team_remove(cc: CommandContext, args: Args) -> list[Message]:
    async with cc.ctx.db.session() as session:
        directory = MemberDirectory(session)
        target = await cc.resolve(directory, args.positional[0])
        if target.id == (cc.caller.id if cc.caller else None):
            raise UsageError("You can't remove yourself; ask another admin.")
        target.active = False
        target.updated_at = cc.ctx.clock.now()
        session.add(target)
    return [Message.plain(f"Removed {target.name} from the team. Their history is kept; "
                          f"`/align team add {target.name} {target.role}` brings them back.")]


async def team_list(cc: CommandContext, args: Args) -> list[Message]:
    caller = cc.require_member()
    async with cc.ctx.db.session() as session:
        directory = MemberDirectory(session)
        everyone = [m for m in await directory.all() if m.forgotten_at is None]  # no tombstones
        failures = await _last_send_failed(session) if cc.is_admin else {}
    names = {m.id: m.name for m in everyone}
    if cc.is_admin:
        visible = everyone
    elif caller.role == "manager":
        visible = [m for m in everyone if m.manager_id == caller.id or m.id == caller.id]
    else:
        visible = [m for m in everyone if m.id in (caller.id, caller.manager_id)]
    facts = tuple(Fact(m.name, _row(m, names, failures.get(m.id))) for m in visible)
    title = f"Team ({len([m for m in visible if m.active])} active)"
    return [Message(text=title + "\n" + "\n".join(f"{f.label}: {f.value}" for f in facts),
                    blocks=(Text(title, style="heading"), FactList(facts)))]


async def _last_send_failed(session: AsyncSession) -> dict[int | None, str]:
    """Members whose most recent message could not be delivered, with why: an admin sees who
    the bot cannot reach (e.g. a Teams user who never installed the app)."""
    latest = select(func.max(OutboundMessage.id)).group_by(col(OutboundMessage.member_id))
    rows = await session.exec(select(OutboundMessage).where(
        col(OutboundMessage.id).in_(latest), OutboundMessage.state == "failed"))
    return {row.member_id: clean(row.error or "delivery failed", 160)[0] for row in rows.all()}


def _row(member: Member, names: dict[int | None, str], failure: str | None = None) -> str:
    parts = [member.role + (", admin" if member.role != "admin" and is_admin(member) else "")]
    if member.manager_id:
        parts.append(f"reports to {names.get(member.manager_id, '?')}")
    parts.append(member.timezone)
    if not member.active:
        parts.append("removed")
    elif member.unreachable:  # the platform said so; cleared when their profile shows them back
        parts.append(f"unreachable ({member.unreachable})")
    elif failure:
        parts.append(f"⚠ cannot be reached: {failure}")
    return "; ".join(parts)


TEAM_ADD = CommandSpec(
    ("team", "add"), "team add <member> rep|manager|admin [manager=<member>]",
    "Add someone to the team or change their role and manager (admins; the very first member"
    " may add themselves as admin)", 'team add "Dana Reyes" rep manager=Sam',
    team_add, admin_only=True, min_args=2, max_args=2, options=("manager",))
TEAM_LIST = CommandSpec(("team", "list"), "team list", "Show the team, roles and managers",
                        "team list", team_list, max_args=0)
TEAM_REMOVE = CommandSpec(("team", "remove"), "team remove <member>",
                          "Take someone off the team (keeps their history)",
                          "team remove Dana", team_remove, admin_only=True, min_args=1, max_args=1)
SPECS = (TEAM_ADD, TEAM_LIST, TEAM_REMOVE)
