"""A cap on how many people one admin command messages without a second look.

`/align ask now everyone` on a team of 2,000 is 2,000 DMs from one slip of the hand (or from a
compromised admin account). Above ALIGNBOT_FANOUT_CONFIRM_ABOVE recipients the command first says
how many people it would message and issues a confirmation (`bot.commands.confirmations`): one
use, the requester's only, expiring, and bound to the exact command - the confirmation's action is
a digest of the command text, so confirming `ask now reps` cannot start `ask now everyone`. The
Confirm button carries the token and the command; the typed `... confirm` finds it by requester.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import timedelta

from bot.commands.confirmations import ConfirmationExpired, ConfirmationMissing, Confirmations
from bot.commands.context import CommandContext
from bot.commands.dispatch import run_command
from bot.commands.errors import UsageError
from bot.commands.registry import CommandRegistry
from bot.events import Button, Buttons, Message, Text
from bot.storage.models import Member

CONFIRM_ACTION = "fanout:confirm"
CANCEL_ACTION = "fanout:cancel"
TTL = timedelta(minutes=5)
MINUTES = int(TTL.total_seconds() // 60)


def action_of(command: str) -> str:
    """The confirmation's action: binds it to this command (<= 32 characters, as stored)."""
    return "fanout:" + hashlib.sha256(" ".join(command.lower().split()).encode()).hexdigest()[:24]


async def guard(cc: CommandContext, command: str, count: int, who: str, *,
                confirm: bool) -> Message | None:
    """None when the command may message `count` people now (few enough, or confirmed: by the
    typed `confirm` or the button); else the preview that asks for a confirmation."""
    if cc.fanout_confirmed or count <= cc.ctx.settings.fanout_confirm_above:
        return None
    caller = cc.require_member()
    say = cc.ctx.prompts.say
    async with cc.ctx.db.session() as session:
        confirmations = Confirmations(session, cc.ctx.clock, TTL)
        if confirm:
            try:
                await confirmations.take(action_of(command), _id(caller), subject_id=_id(caller))
            except ConfirmationMissing:
                raise UsageError(say("fanout_nothing_to_confirm", command=command)) from None
            except ConfirmationExpired:
                raise UsageError(say("fanout_expired", command=command, minutes=MINUTES)) from None
            return None
        row = await confirmations.issue(action_of(command), _id(caller), _id(caller))
    title = say("fanout_title", count=count, who=who,
                limit=cc.ctx.settings.fanout_confirm_above)
    how = say("fanout_how", minutes=MINUTES, command=command)
    value = f"{row.token} {command}"
    return Message(text=f"{title}\n{how}", blocks=(
        Text(title), Text(how, style="muted"),
        Buttons((Button(CONFIRM_ACTION, say("fanout_confirm_button", count=count), value, style="danger"),
                 Button(CANCEL_ACTION, say("fanout_cancel_button"), value)))))


async def on_button(registry: CommandRegistry, cc: CommandContext, action_id: str,
                    value: str) -> list[Message]:
    """The preview's buttons: Confirm runs the command (its permissions checked again), once;
    Cancel drops the confirmation."""
    caller = cc.require_member()
    token, _, command = value.partition(" ")
    say = cc.ctx.prompts.say
    async with cc.ctx.db.session() as session:
        confirmations = Confirmations(session, cc.ctx.clock, TTL)
        if action_id == CANCEL_ACTION:
            await confirmations.cancel(action_of(command), _id(caller), token)
            return [Message.plain(say("fanout_cancelled"))]
        try:
            await confirmations.take(action_of(command), _id(caller), token=token)
        except ConfirmationMissing:
            return [Message.plain(say("fanout_nothing_to_confirm", command=command or "..."))]
        except ConfirmationExpired:
            return [Message.plain(say("fanout_expired", command=command, minutes=MINUTES))]
    return await run_command(registry, replace(cc, fanout_confirmed=True), command)


def _id(member: Member) -> int:
    assert member.id is not None
    return member.id
