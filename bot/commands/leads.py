"""`/align leads ...` and `/align lead ...`: see leads and their next follow-up, log what you did.

Reps see their own leads, managers their team's (nested teams included), admins everyone's; the
same rule as for the nudge buttons, enforced in `LeadActions.may_act`.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.context import CommandContext
from bot.commands.errors import UsageError
from bot.commands.registry import Args, CommandSpec, Reach
from bot.events import Message
from bot.leads.actions import LeadActionError, LeadActions
from bot.leads.book import LeadBook
from bot.leads.cadence import OPEN_STATUSES
from bot.leads.render import LeadCard, list_lines
from bot.leads.sources import configured
from bot.leads.sync_job import sync_sources
from bot.people.members import MemberDirectory, is_admin
from bot.storage.models import Lead, Member

MAX_LISTED = 30


async def _visible_owner_ids(session: AsyncSession, caller: Member) -> set[int] | None:
    """Whose leads the caller may see: None for everyone (admins), else self and all reports."""
    if is_admin(caller):
        return None
    assert caller.id is not None
    seen, frontier = {caller.id}, [caller.id]
    while frontier:
        reports = (await session.exec(select(Member.id).where(
            col(Member.manager_id).in_(frontier)))).all()
        frontier = [r for r in reports if r is not None and r not in seen]
        seen.update(frontier)
    return seen


async def leads_list(cc: CommandContext, args: Args) -> list[Message]:
    caller = cc.require_member()
    which = (args.get(0) or "mine").strip()
    now = cc.ctx.clock.now()
    async with cc.ctx.db.session() as session:
        visible = await _visible_owner_ids(session, caller)
        query = select(Lead).where(col(Lead.status).in_(OPEN_STATUSES))
        title = "Your open leads"
        if which.lower() == "mine":
            query = query.where(Lead.owner_id == caller.id)
        elif which.lower() == "overdue":
            query = query.where(col(Lead.next_due_at) <= now)
            title = "Overdue leads you can see"
        else:
            rep = await cc.resolve(MemberDirectory(session), which)
            if visible is not None and rep.id not in visible:
                raise UsageError(f"You can see leads of yourself and your team only, not "
                                 f"{rep.name}'s.")
            query = query.where(Lead.owner_id == rep.id)
            title = f"{rep.name}'s open leads"
        if visible is not None:
            query = query.where(col(Lead.owner_id).in_(visible))
        leads = (await session.exec(query.order_by(col(Lead.next_due_at).is_(None),
                                                   col(Lead.next_due_at), col(Lead.id))
                                    .limit(MAX_LISTED + 1))).all()
        book = LeadBook(cc.ctx, session)
        cards = [LeadCard(lead, await book.owner(lead), await book.due_step(lead))
                 for lead in leads[:MAX_LISTED]]
    if not cards:
        return [Message.plain(f"{title}: none.")]
    lines = list_lines(cc.ctx.strategy, cards, caller, now, show_owner=which.lower() != "mine")
    more = "\n(showing the first 30)" if len(leads) > MAX_LISTED else ""
    return [Message.plain(f"{title} (next follow-up first):\n" + "\n".join(lines) + more)]


async def _act(cc: CommandContext, args: Args, verb: str) -> list[Message]:
    caller = cc.require_member()
    actions = LeadActions(cc.ctx)
    try:
        # "Acme Bank 3d": the company may be several words; the rest is the note, time or reason
        reference, rest = await actions.pick(caller, args.positional,
                                             rest_required=verb in ("snooze", "disqualify",
                                                                    "reassign"))
        if verb == "reassign":
            async with cc.ctx.db.session() as session:
                member = await cc.resolve(MemberDirectory(session), rest)
            return [Message.plain(await actions.reassign(caller, reference, member, "command"))]
        if verb == "touched":
            return [Message.plain(await actions.touched(caller, reference, "command", rest or None))]
        if verb == "snooze":  # min_args=2: the spec guarantees a reference and a time
            return [Message.plain(await actions.snooze(caller, reference, rest, "command"))]
        if verb == "disqualify":  # min_args=2: a reason is required
            return [Message.plain(await actions.set_status(caller, reference, "disqualified", rest,
                                                           "command"))]
        return [Message.plain(await actions.set_status(caller, reference, "qualified",
                                                       rest or None, "command"))]
    except LeadActionError as exc:
        raise UsageError(str(exc)) from None


async def lead_touched(cc: CommandContext, args: Args) -> list[Message]:
    return await _act(cc, args, "touched")


async def lead_snooze(cc: CommandContext, args: Args) -> list[Message]:
    return await _act(cc, args, "snooze")


async def lead_disqualify(cc: CommandContext, args: Args) -> list[Message]:
    return await _act(cc, args, "disqualify")


async def lead_reassign(cc: CommandContext, args: Args) -> list[Message]:
    return await _act(cc, args, "reassign")


async def leads_sync(cc: CommandContext, args: Args) -> list[Message]:
    """Sync now: the same run as the `leads-sync` schedule, for one source or all configured."""
    source = args.get(0)
    if source is None and not configured(cc.ctx):
        raise UsageError("No CRM is set up: set HUBSPOT_ACCESS_TOKEN or SALESFORCE_USERNAME and"
                         " its login (see the README's Leads section), then `/align leads sync`.")
    reports = await sync_sources(cc.ctx, [source.lower()] if source else None)
    return [Message.plain("\n".join(r.summary() for r in reports))]


async def lead_qualify(cc: CommandContext, args: Args) -> list[Message]:
    return await _act(cc, args, "qualify")


LEADS = CommandSpec(("leads",), "leads [mine|overdue|<rep>]",
                    "Leads with their next follow-up (yours, overdue, or a rep's)", "leads overdue",
                    leads_list, max_args=1, reach=(Reach("leads {member}", "team"),))
TOUCHED = CommandSpec(("lead", "touched"), "lead touched <lead> [note]",
                      "Log a follow-up touch on a lead (#id, external id or company)",
                      'lead touched #12 "called, demo booked"', lead_touched, min_args=1,
                      reach=(Reach('lead touched {lead} "called"', "team"),))
SNOOZE = CommandSpec(("lead", "snooze"), "lead snooze <lead> <1d|3d|until YYYY-MM-DD>",
                     "Put a lead's follow-up off", "lead snooze #12 3d", lead_snooze, min_args=2,
                     reach=(Reach("lead snooze {lead} 3d", "team"),))
DISQUALIFY = CommandSpec(("lead", "disqualify"), "lead disqualify <lead> <reason>",
                         "Close a lead as not a fit, with the reason",
                         "lead disqualify #12 no budget this year", lead_disqualify, min_args=2,
                         reach=(Reach("lead disqualify {lead} no budget", "team"),))
QUALIFY = CommandSpec(("lead", "qualify"), "lead qualify <lead>", "Mark a lead as qualified",
                      "lead qualify #12", lead_qualify, min_args=1,
                      reach=(Reach("lead qualify {lead}", "team"),))
REASSIGN = CommandSpec(("lead", "reassign"), "lead reassign <lead> <member>",
                       "Give a lead to someone on your team (managers and admins)",
                       "lead reassign Acme Bank Dana", lead_reassign, min_args=2,
                       reach=(Reach("lead reassign {lead} {member}", "team"),))
SYNC = CommandSpec(("leads", "sync"), "leads sync [hubspot|salesforce]",
                   "Sync leads from the CRM now and write back what reps did (admins)",
                   "leads sync", leads_sync, admin_only=True, max_args=1)
SPECS = (LEADS, TOUCHED, SNOOZE, DISQUALIFY, QUALIFY, REASSIGN, SYNC)
