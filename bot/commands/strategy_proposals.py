"""Every strategy change is a proposal first: stored, shown to an admin with what it changes,
the strategy doctor's warnings and its effect on the last four weeks of answers, and made current
only by an admin's one-use, expiring Confirm.

Whatever proposes (an edit in chat, an uploaded or changed file, a rollback, a draft) ends here,
so every platform shows the same preview. The confirmation is `bot.commands.confirmations`'
(subject: the version's row id), so whichever process gets the click can take it, once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.confirmations import (
    ConfirmationExpired,
    ConfirmationMissing,
    Confirmations,
)
from bot.context import BotContext
from bot.delivery import Outbox
from bot.evaluation.base import Evaluator
from bot.evaluation.doctor import diagnose
from bot.evaluation.rules import RulesEvaluator
from bot.events import Button, Buttons, Message, Text
from bot.people.members import MemberDirectory, is_admin
from bot.port import DeliveryError
from bot.storage.models import Member, StrategyVersion
from bot.strategy import store
from bot.strategy.changes import Changes, changes
from bot.strategy.export import strategy_yaml
from bot.strategy.impact import impact
from bot.strategy.schema import Strategy

log = logging.getLogger(__name__)
ACTION = "strategy"  # confirmations' action: strategy:<version number>, subject the admin
CONFIRM_ACTION = "strategy:confirm"
CANCEL_ACTION = "strategy:cancel"
KIND = "strategy"  # outbound messages about the strategy (proposals, announcements, reminders)
MAX_CHANGE_LINES = 20
MAX_ADVICE = 8


class ProposalError(Exception):
    """A proposal cannot be confirmed or cancelled; the message says what to do."""


@dataclass(frozen=True)
class Confirmed:
    row: StrategyVersion
    before: Strategy
    after: Strategy
    changes: Changes


OnConfirmed = Callable[[Confirmed], Awaitable[None]]


class Proposals:
    def __init__(self, ctx: BotContext, evaluator: Evaluator | None = None) -> None:
        self.ctx = ctx
        self.evaluator = evaluator or RulesEvaluator()

    @property
    def ttl(self) -> timedelta:
        return timedelta(seconds=self.ctx.settings.strategy_confirm_seconds)

    def _confirmations(self, session: AsyncSession) -> Confirmations:
        return Confirmations(session, self.ctx.clock, self.ttl)

    async def propose(self, strategy: Strategy, source: str, author: Member | None,
                      reason: str | None) -> StrategyVersion:
        return await store.propose(self.ctx.db, strategy, source, self.ctx.clock.now(),
                                   author_id=author.id if author else None, reason=reason,
                                   parent=self.ctx.strategy.version)

    async def preview(self, row: StrategyVersion, admin: Member) -> Message:
        """The proposal as `admin` sees it, with Confirm/Cancel buttons only they can use."""
        return await self.for_admin(row, await self.body(row), admin)

    async def body(self, row: StrategyVersion) -> list[Text]:
        """What the proposal changes, the doctor's warnings and the effect on recent answers
        (the same for every admin; the buttons are each admin's own)."""
        assert row.id is not None
        say = self.ctx.prompts.say
        proposed, current, number = store.strategy_of(row), self.ctx.strategy, row.id
        async with self.ctx.db.session() as session:
            author = await session.get(Member, row.author_id) if row.author_id else None
        return [
            Text(say("strategy_proposal_title", number=number, name=proposed.strategy.name),
                 style="heading"),
            Text(say("strategy_proposal_by", author=author.name if author else "-",
                     source=row.source, date=row.loaded_at.date())),
            Text(say("strategy_proposal_why", reason=row.reason) if row.reason
                 else say("strategy_proposal_no_reason", number=number)),
            Text(say("strategy_changes_title"), style="heading"),
            Text(self.change_text(changes(current, proposed), number)),
            Text(self.doctor_text(proposed, number)),
            Text(await self.impact_text(current, proposed)),
            Text(say("strategy_proposal_how", number=number,
                     hours=max(1, round(self.ttl.total_seconds() / 3600))), style="muted"),
        ]

    async def for_admin(self, row: StrategyVersion, body: list[Text], admin: Member) -> Message:
        assert row.id is not None and admin.id is not None
        say = self.ctx.prompts.say
        async with self.ctx.db.session() as session:
            token = (await self._confirmations(session).issue(_action(row.id), admin.id,
                                                              admin.id)).token
        value = f"{row.id}:{token}"  # the version it confirms, and the one-use secret
        buttons = Buttons((Button(CONFIRM_ACTION, say("strategy_confirm_button", number=row.id),
                                  value, style="primary"),
                           Button(CANCEL_ACTION, say("strategy_cancel_button"), value)))
        return Message(text="\n".join(b.text for b in body), blocks=(*body, buttons))

    async def announce_open(self, outbox: Outbox) -> int:
        """Send every admin each proposal nobody proposed in chat (a changed file found at
        start) once, with their own Confirm; returns how many went out. The outbox's key makes
        it once across processes and restarts."""
        rows = [r for r in await store.open_proposals(self.ctx.db) if r.author_id is None]
        if not rows:
            return 0
        async with self.ctx.db.session() as session:
            admins = [m for m in await MemberDirectory(session).active() if is_admin(m)
                      and m.platform in self.ctx.ports and not m.unreachable]
        sent = 0
        for row in rows:
            todo = [a for a in admins if await outbox.state_of(self._key(row, a)) is None]
            body = await self.body(row) if todo else []
            for admin in todo:
                message = await self.for_admin(row, body, admin)
                try:
                    sent += await outbox.deliver(admin, self._key(row, admin), KIND,
                                                 message) is not None
                except DeliveryError as exc:
                    log.warning("could not send proposal %s to admin %s: %s", row.id, admin.id, exc)
        return sent

    @staticmethod
    def _key(row: StrategyVersion, admin: Member) -> str:
        return f"strategy-proposal:{row.id}:{admin.id}"

    def change_text(self, found: Changes, number: int) -> str:
        say = self.ctx.prompts.say
        if found.empty:
            return say("strategy_changes_none")
        lines = [f"• {line}" for line in found.lines[:MAX_CHANGE_LINES]]
        if len(found.lines) > MAX_CHANGE_LINES:
            lines.append(say("strategy_changes_more", count=len(found.lines) - MAX_CHANGE_LINES,
                             number=number))
        return "\n".join(lines)

    def doctor_text(self, strategy: Strategy, number: int) -> str:
        say = self.ctx.prompts.say
        advice = diagnose(strategy, strategy_yaml(strategy))
        if not advice:
            return say("strategy_doctor_none")
        lines = [say("strategy_doctor_title", count=len(advice))]
        lines += [f"• {a.where}: {a.message} Fix: {a.fix}" for a in advice[:MAX_ADVICE]]
        if len(advice) > MAX_ADVICE:
            lines.append(say("strategy_doctor_more", count=len(advice) - MAX_ADVICE, number=number))
        return "\n".join(lines)

    async def impact_text(self, current: Strategy, proposed: Strategy) -> str:
        say = self.ctx.prompts.say
        found = await impact(self.ctx.db, self.evaluator, current, proposed, self.ctx.clock.now())
        if not found.judged:
            return say("strategy_impact_none")
        lines = [say("strategy_impact", judged=found.judged, changed=found.changed)
                 + (" " + say("strategy_impact_capped", judged=found.judged) if found.capped else "")]
        lines += [say("strategy_impact_example", answer=e.answer, before=e.before, after=e.after)
                  for e in found.examples]
        return "\n".join(lines)

    async def confirm(self, admin: Member, *, number: int | None = None, token: str | None = None,
                      reason: str | None = None) -> Confirmed:
        """Take the admin's confirmation (a button's value, or the typed version number) and
        make the proposal current; raises ProposalError with the reason when it cannot."""
        assert admin.id is not None
        say = self.ctx.prompts.say
        if token is not None:
            number, token = self._button(token)
        if number is None:
            raise ProposalError(say("strategy_nothing_to_confirm", number="?"))
        async with self.ctx.db.session() as session:
            try:
                await self._confirmations(session).take(_action(number), admin.id, token=token,
                                                        subject_id=admin.id)
            except ConfirmationMissing:
                raise ProposalError(say("strategy_nothing_to_confirm", number=number)) from None
            except ConfirmationExpired:
                raise ProposalError(say("strategy_confirm_expired", number=number)) from None
        row = await store.get_row(self.ctx.db, number)
        if row is None or row.status != store.PROPOSED:
            raise ProposalError(say("strategy_not_open", number=number,
                                    status=row.status if row else "gone"))
        current = await store.current_pointer(self.ctx.db)
        if current is not None and row.parent_version != current[1]:
            raise ProposalError(say("strategy_proposal_stale", number=number))
        try:
            confirmed, before = await store.confirm(self.ctx.db, number, self.ctx.clock.now(),
                                                    admin.id, reason)
        except store.ProposalGone:
            raise ProposalError(say("strategy_not_open", number=number, status="taken")) from None
        after = store.strategy_of(confirmed)
        self.ctx.strategy = after  # this process at once; the others within the poll interval
        log.info("strategy version %s (row %s) confirmed by admin %s", after.version, number, admin.id)
        return Confirmed(confirmed, before, after, changes(before, after))

    def _button(self, value: str) -> tuple[int, str]:
        """A button's `<version number>:<token>`; ProposalError when it is not one."""
        number, _, token = value.partition(":")
        if not (number.isdigit() and len(number) <= 9 and token):
            raise ProposalError(self.ctx.prompts.say("strategy_nothing_to_confirm", number="?"))
        return int(number), token

    async def cancel(self, admin: Member, *, number: int | None = None,
                     token: str | None = None) -> int:
        """Drop a proposal (by button token, or by number for a typed cancel); its number."""
        assert admin.id is not None
        say = self.ctx.prompts.say
        if token is not None:
            number, token = self._button(token)
            async with self.ctx.db.session() as session:
                if not await self._confirmations(session).cancel(_action(number), admin.id, token):
                    raise ProposalError(say("strategy_nothing_to_confirm", number=number))
        assert number is not None
        if not await store.cancel(self.ctx.db, number):
            row = await store.get_row(self.ctx.db, number)
            if row is None:
                raise ProposalError(say("strategy_unknown_version", number=number))
            raise ProposalError(say("strategy_not_open", number=number, status=row.status))
        return number


def _action(number: int) -> str:
    return f"{ACTION}:{number}"
