"""`/align forget <member>`: delete a member's answers and personal data, in two steps.

The first step only shows what will be deleted, kept anonymously and handed on (see
`bot.people.forget`) and issues a confirmation; the second - the Confirm button (`forget:confirm`, its
value the confirmation's token) or the typed `/align forget <member> confirm` - carries it out,
if the same admin gives it before it expires. Nobody triggers it by one slip of the hand.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.confirmations import ConfirmationExpired, ConfirmationMissing, Confirmations
from bot.commands.context import CommandContext
from bot.commands.errors import PermissionDenied, UsageError
from bot.commands.registry import Args, CommandSpec
from bot.evaluation.base import ForgetsAnswers
from bot.events import Button, Buttons, MemberRef, Message, Text
from bot.people.forget import ForgetPlan, Forgetting, tombstone_id
from bot.people.members import MemberDirectory, is_admin
from bot.port import ForgetsMembers
from bot.storage.models import Member

log = logging.getLogger(__name__)
ACTION = "forget"
CONFIRM_ACTION = "forget:confirm"
CANCEL_ACTION = "forget:cancel"


def _minutes(cc: CommandContext) -> int:
    return max(1, round(cc.ctx.settings.forget_confirm_seconds / 60))


def _confirmations(cc: CommandContext, session: AsyncSession) -> Confirmations:
    return Confirmations(session, cc.ctx.clock, timedelta(seconds=cc.ctx.settings.forget_confirm_seconds))


def _admin(cc: CommandContext) -> Member:
    caller = cc.require_member()
    if not cc.is_admin:
        raise PermissionDenied(f"`/align {FORGET.name}` is for admins.")
    return caller


def plan_lines(cc: CommandContext, plan: ForgetPlan, platform: str) -> list[str]:
    say = cc.ctx.prompts.say
    lines = [say("forget_deleted", platform=platform, answers=plan.answers, contacts=plan.contacts,
                 sends=plan.sends, corrections=plan.corrections),
             say("forget_kept", checkins=plan.checkins, lead_events=plan.lead_events),
             say("forget_leads", leads=plan.leads, heir=plan.heir)]
    if plan.reports:
        names = ", ".join(plan.reports)
        lines.append(say("forget_reports", reports=names, manager=plan.reports_to) if plan.reports_to
                     else say("forget_reports_unmanaged", reports=names))
    if plan.schedules:
        lines.append(say("forget_schedules", schedules=plan.schedules))
    return lines


async def forget(cc: CommandContext, args: Args) -> list[Message]:
    caller = _admin(cc)
    reference = args.positional[0]
    confirming = args.get(1)
    if confirming is not None and confirming.lower() != "confirm":
        raise UsageError(FORGET.usage_line())
    async with cc.ctx.db.session() as session:
        target = await cc.resolve(MemberDirectory(session), reference)
        _check_target(cc, caller, target)
        if confirming is None:
            return [await _preview(cc, session, caller, target, reference)]
        try:
            await _confirmations(cc, session).take(ACTION, _id(caller), subject_id=_id(target))
        except ConfirmationMissing:
            raise UsageError(cc.ctx.prompts.say("forget_nothing_to_confirm", reference=reference)) from None
        except ConfirmationExpired:
            raise UsageError(cc.ctx.prompts.say("forget_expired", reference=reference,
                                                minutes=_minutes(cc))) from None
    return await _carry_out(cc, caller, _id(target))


async def on_button(cc: CommandContext, action_id: str, token: str) -> list[Message]:
    """The preview's buttons: Confirm carries it out, Cancel drops the confirmation."""
    caller = _admin(cc)
    async with cc.ctx.db.session() as session:
        confirmations = _confirmations(cc, session)
        if action_id == CANCEL_ACTION:
            await confirmations.cancel(ACTION, _id(caller), token)
            return [Message.plain(cc.ctx.prompts.say("forget_cancelled"))]
        try:
            row = await confirmations.take(ACTION, _id(caller), token=token)
        except ConfirmationMissing:
            return [Message.plain(cc.ctx.prompts.say("forget_nothing_to_confirm", reference="<member>"))]
        except ConfirmationExpired:
            return [Message.plain(cc.ctx.prompts.say("forget_expired", reference="<member>",
                                                     minutes=_minutes(cc)))]
    return await _carry_out(cc, caller, row.subject_id)


def _id(member: Member) -> int:
    assert member.id is not None
    return member.id


def _check_target(cc: CommandContext, caller: Member, target: Member) -> None:
    if target.id == caller.id:
        raise UsageError(cc.ctx.prompts.say("forget_self"))
    if target.forgotten_at is not None:
        raise UsageError(cc.ctx.prompts.say("forget_already", name=target.name))


async def _preview(cc: CommandContext, session: AsyncSession, caller: Member, target: Member,
                   reference: str) -> Message:
    plan = await Forgetting(cc.ctx, session).plan(target, caller)
    confirmation = await _confirmations(cc, session).issue(ACTION, _id(caller), _id(target))
    say = cc.ctx.prompts.say
    title = say("forget_title", name=target.name)
    lines = plan_lines(cc, plan, target.platform)
    how = say("forget_how", minutes=_minutes(cc), reference=reference)
    buttons = Buttons((Button(CONFIRM_ACTION, say("forget_confirm_button", name=target.name),
                              confirmation.token, style="danger"),
                       Button(CANCEL_ACTION, say("forget_cancel_button"), confirmation.token)))
    return Message(text="\n".join([title, *lines, how]),
                   blocks=(Text(title, style="heading"), *(Text(line) for line in lines),
                           Text(how, style="muted"), buttons))


async def _carry_out(cc: CommandContext, caller: Member, target_id: int) -> list[Message]:
    async with cc.ctx.db.session() as session:
        target = await session.get(Member, target_id)
    if target is None or target.forgotten_at is not None:
        raise UsageError(cc.ctx.prompts.say("forget_already", name=target.name if target else "?"))
    # The platform first (its caches and pages are found by the ids about to go), outside any
    # transaction: a slow platform must not hold the database.
    await _forget_on_platform(cc, MemberRef(target.platform, target.platform_user_id))
    async with cc.ctx.db.session() as session:
        # Locked, so two admins confirming at once (two processes) forget the member once.
        target = (await session.exec(select(Member).where(Member.id == target_id)
                                     .with_for_update())).first()
        fresh_caller = await session.get(Member, caller.id)
        if fresh_caller is None or not is_admin(fresh_caller):
            raise PermissionDenied(f"`/align {FORGET.name}` is for admins.")
        if target is None or target.forgotten_at is not None:
            raise UsageError(cc.ctx.prompts.say("forget_already", name=target.name if target else "?"))
        name, platform = target.name, target.platform
        forgetting = Forgetting(cc.ctx, session)
        plan = await forgetting.forget(target, fresh_caller)
        tombstone = target.name
    await _forget_cached(cc, forgetting)
    log.info("member %s forgotten by admin %s", target_id, caller.id)
    done = cc.ctx.prompts.say("forget_done", name=name, tombstone=tombstone)
    lines = plan_lines(cc, plan, platform)
    return [Message(text="\n".join([done, *lines]),
                    blocks=(Text(done, style="heading"), *(Text(line) for line in lines)))]


async def _forget_on_platform(cc: CommandContext, ref: MemberRef) -> None:
    port = cc.ctx.ports.get(ref.platform)
    if not isinstance(port, ForgetsMembers):
        return
    try:
        await port.forget(ref)
    except Exception as exc:  # the database part must not depend on the platform answering
        log.warning("could not clear what %s shows a forgotten member: %s", ref.platform,
                    type(exc).__name__)


async def _forget_cached(cc: CommandContext, forgetting: Forgetting) -> None:
    if not isinstance(cc.evaluator, ForgetsAnswers):
        return
    for answer in forgetting.deleted_answers:
        for version in {answer.strategy_version, cc.ctx.strategy.version}:
            await cc.evaluator.forget(answer.question, answer.text, version)


FORGET = CommandSpec(
    ("forget",), "forget <member> [confirm]",
    "Delete a member's answers and personal data (shows what first, then asks you to confirm)",
    "forget Dana", forget, admin_only=True, min_args=1, max_args=2)
SPECS = (FORGET,)
__all__ = ["CANCEL_ACTION", "CONFIRM_ACTION", "FORGET", "SPECS", "on_button", "tombstone_id"]
