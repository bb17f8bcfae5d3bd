"""`/align digest [team:<manager>|team:all] [period]`: a team's digest on demand.

Who may see what is decided in `bot.digest.team` (managers: their own and nested teams; admins:
any team or the whole organisation; reps: none - `/align me` shows their own figures).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands.context import CommandContext
from bot.commands.errors import PermissionDenied, UsageError
from bot.commands.registry import Args, CommandSpec, Reach
from bot.digest.period import PERIOD_EXAMPLES, PeriodError, parse_period
from bot.digest.service import DigestService
from bot.digest.team import DigestRefused, scope_for
from bot.events import Message
from bot.people.members import MemberDirectory, valid_timezone
from bot.storage.models import Member

WHOLE_ORG = ("all", "everyone", "org", "organisation", "organization")


async def digest(cc: CommandContext, args: Args) -> list[Message]:
    me = cc.require_member()
    team = [p for p in args.positional if p.lower().startswith("team:")]
    if len(team) > 1:
        raise UsageError("Name one team. " + DIGEST.usage_line())
    words = " ".join(p for p in args.positional if not p.lower().startswith("team:"))
    zone = ZoneInfo(valid_timezone(me.timezone) or "UTC")
    try:
        period = parse_period(words, cc.ctx.clock.now(), zone)
    except PeriodError as exc:
        raise UsageError(f"{exc}\n{DIGEST.usage_line()}") from None
    async with cc.ctx.db.session() as session:
        caller = await session.get(Member, me.id)
        assert caller is not None
        name = team[0][5:].strip() if team else ""
        if team and not name:
            raise UsageError("Say whose team, e.g. team:Sam. " + DIGEST.usage_line())
        whole = name.lower() in WHOLE_ORG
        requested = await cc.resolve(MemberDirectory(session), name) if name and not whole else None
        try:
            scope = await scope_for(session, caller, requested, whole_org=whole)
        except DigestRefused as exc:
            raise PermissionDenied(str(exc)) from None
    return [await DigestService(cc.ctx).message_for(scope, period, caller)]


DIGEST = CommandSpec(
    ("digest",), "digest [team:<manager>|team:all] [period]",
    f"Your team's alignment digest; period: {PERIOD_EXAMPLES}",
    "digest team:Sam last 4 weeks", digest,
    reach=(Reach("digest team:{manager}", "team"), Reach("digest team:all", "admins")))
SPECS = (DIGEST,)
