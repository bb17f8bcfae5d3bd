"""The bot core: takes platform-neutral events from adapters and decides what happens.

Adapters call `handle(event)` and show the returned messages to the person who acted (ephemeral
in Slack, a reply in Teams, a line in the console); messages for anyone else go out through the
ChatPort. The core imports no platform SDK.

When the database cannot be used, `handle` saves nothing and returns a message asking the person
to try again in a few minutes (with a submitted form's text, so nothing typed is lost); the
platform's event id is released, so a later delivery of the same event is processed, once.
Adapters use `failure_reply` for the steps they take outside `handle`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import Connection, delete
from sqlmodel import col

from bot.bounds import parse_id
from bot.checkins.answering import Answering, Taken
from bot.checkins.messages import ask_message, form_id, form_id_of
from bot.checkins.service import CheckInCloser, CheckIns
from bot.clock import AdjustableClock
from bot.commands import build_registry, fanout, forget, learning, strategy_proposals
from bot.commands import strategy as strategy_commands
from bot.commands.context import CommandContext
from bot.commands.dispatch import run_command, run_guarded
from bot.context import BotContext
from bot.delivery import Outbox, ref_from_json
from bot.digest.job import DigestJob
from bot.evaluation.base import Evaluator
from bot.evaluation.factory import build_evaluator
from bot.evaluation.feedback import FeedbackTexts, FeedbackWriter
from bot.evaluation.review import AnswerReviewer
from bot.events import (
    ActionInvoked,
    ChoiceForm,
    CommandInvoked,
    FormRefused,
    InboundEvent,
    MemberJoined,
    MemberRef,
    MemberUnreachable,
    Message,
    MessageRef,
    QuestionForm,
    Text,
    UserMessage,
)
from bot.leads.actions import LeadActionError, LeadActions
from bot.leads.nudges import NudgeJob
from bot.leads.sync_job import LeadsSyncJob
from bot.learning.form import FORM_KIND as CORRECTION_FORM
from bot.learning.form import parse_target
from bot.learning.service import CorrectionDesk
from bot.ops import logs
from bot.ops.alerts import FailureAlerts
from bot.people.home import home
from bot.people.members import MemberDirectory
from bot.port import ChatPort
from bot.scheduling.engine import ScheduleEngine, TickReport
from bot.scheduling.jobs import ScheduledJob
from bot.storage import replays
from bot.storage.database import DatabaseUnavailable
from bot.storage.models import InboundEvent as InboundEventRow
from bot.storage.models import Member, StrategyVersion
from bot.storage.replays import first_time
from bot.strategy.follower import StrategyFollower
from bot.strategy.sell_by import SellByReminders
from bot.strategy.store import boot
from bot.text import strip_controls

log = logging.getLogger(__name__)
COMMAND_PREFIXES = ("/align", "align")


def without_controls(event: InboundEvent) -> InboundEvent:
    """The event with control characters (NUL, BEL, ...) taken out of everything a person typed,
    before anything is parsed or stored: PostgreSQL refuses NUL in text, and no command or answer
    needs them. Emoji, right-to-left text and combining marks stay."""
    if isinstance(event, UserMessage | CommandInvoked):
        return replace(event, text=strip_controls(event.text))
    if isinstance(event, ActionInvoked):
        return replace(event, value=strip_controls(event.value),
                       values={k: strip_controls(v) for k, v in event.values.items()})
    return event  # profiles are cleaned where they are stored (MemberDirectory.upsert_profile)


def command_text(text: str) -> str | None:
    """The command part of a typed message ("/align team list" -> "team list"), else None."""
    stripped = text.strip()
    for prefix in COMMAND_PREFIXES:
        if stripped.lower() == prefix:
            return ""
        if stripped.lower().startswith(prefix + " "):
            return stripped[len(prefix) + 1:].strip()
    return None


@dataclass(frozen=True)
class OpenCheckIn:
    form_id: str
    thread: MessageRef | None  # the invitation message


@dataclass(frozen=True)
class Handled:
    """What `respond` did with an event: the replies for whoever acted; for an answer (`answer`:
    a chat message answering a check-in, a submitted check-in form) the check-in it was for and,
    when something was saved, the invitation as it stands now (answers filled in)."""

    replies: list[Message]
    checkin: OpenCheckIn | None = None
    invitation: Message | None = None
    answer: bool = False
    alongside: Any = None  # what `respond`'s `alongside` step returned (None when it did not run)


def answer_request(event: InboundEvent) -> Answering | None:
    """The answer an event carries, taken in one unit of work (`CheckIns.take`); None for
    everything else (commands, uploads, other buttons), which `_dispatch` handles."""
    if isinstance(event, UserMessage):
        if event.attachments or not event.text.strip() or command_text(event.text) is not None:
            return None
        return Answering({"": event.text}, platform=event.member.platform, user_id=event.member.user_id,
                         event_id=event.event_id or None, chat=True)
    if isinstance(event, ActionInvoked):
        kind, _, target = event.action_id.partition(":")
        if kind == "checkin" and (number := parse_id(target)) is not None:
            return Answering(dict(event.values), platform=event.member.platform,
                             user_id=event.member.user_id, checkin_id=number,
                             event_id=event.event_id or None)
    return None


READY_FRESH_SECONDS = 2.0  # how long a database that answered counts as up (real time)


def _log_unexpected(read: asyncio.Future[bool]) -> None:
    """A readiness read that failed other than "unavailable" (a bug, a schema not migrated), even
    when every caller had stopped waiting for it."""
    if not read.cancelled() and (exc := read.exception()) is not None:
        log.error("the database readiness check failed", exc_info=exc)


@dataclass
class BotCore:
    ctx: BotContext
    evaluator: Evaluator | None = None
    outbox: Outbox = field(init=False)
    checkins: CheckIns = field(init=False)

    def __post_init__(self) -> None:
        self.outbox = Outbox(self.ctx)
        self.evaluator = self.evaluator or build_evaluator(self.ctx.settings)
        writer = FeedbackWriter(FeedbackTexts(self.ctx.settings.prompts_dir / "feedback.yaml"))
        self.reviewer = AnswerReviewer(self.ctx, self.outbox, self.evaluator, writer,
                                       feedback_wait=self.ctx.settings.feedback_wait)
        self.checkins = CheckIns(self.ctx, self.outbox, feedback=self.reviewer.feedback,
                                 inline=self.reviewer.inline)
        self.corrections = CorrectionDesk(self.ctx, self.reviewer, writer.t)
        self.closer = CheckInCloser(self.ctx)
        self.engine = ScheduleEngine(self.ctx, self.checkins, self.outbox, self._jobs())
        self.alerts = FailureAlerts(self.ctx, self.outbox)
        self.registry = build_registry()
        self._tick_lock = asyncio.Lock()  # the periodic tick and /advance take turns
        self._replays_forgotten_at: datetime | None = None
        self._readiness: asyncio.Future[bool] | None = None  # the database read under way, shared
        self._readiness_at = 0.0  # when it started (monotonic())
        self.follower = StrategyFollower(self.ctx)
        self.file_proposal: StrategyVersion | None = None  # the file's new content, at start

    def _jobs(self) -> list[ScheduledJob]:
        """What `digest` and `nudges` schedules do; a kind without a job cannot be scheduled."""
        return [NudgeJob(self.ctx, self.outbox), DigestJob(self.ctx, self.outbox),
                LeadsSyncJob(self.ctx)]

    def attach(self, port: ChatPort) -> None:
        self.ctx.ports[port.platform] = port

    async def start(self) -> None:
        """Apply migrations and serve the database's current strategy: the file seeds it on the
        first start; a file with new content becomes a proposal admins confirm or cancel."""
        await self.ctx.db.migrate()
        started = await boot(self.ctx.db, self.ctx.strategy, str(self.ctx.settings.strategy_file),
                             self.ctx.clock.now())
        self.ctx.strategy = started.current
        self.file_proposal = started.proposed
        await self.follower.refresh(force=True)

    async def tick(self) -> TickReport:
        """Run whatever is due at the clock's current time: close windows that ended first, so a
        member whose check-in closes at the next occurrence is asked the new one."""
        async with self._tick_lock:
            await self.follower.refresh()
            await self.closer.close_due()
            report = await self.engine.tick()
            await self.reviewer.catch_up()
            await self.alerts.tick()
            await strategy_proposals.Proposals(self.ctx, self.evaluator).announce_open(self.outbox)
            await SellByReminders(self.ctx, self.outbox).tick()
            await self._forget_old_replays()
            return report

    async def _forget_old_replays(self) -> None:
        """Once an hour, drop replay keys no platform can send again (bot.storage.replays)."""
        now = self.ctx.clock.now()
        if self._replays_forgotten_at is not None and now - self._replays_forgotten_at < timedelta(hours=1):
            return
        self._replays_forgotten_at = now
        gone = await replays.forget_old(self.ctx.db, now)
        if gone:
            log.info("forgot %d replay keys older than %s", gone, replays.KEEP)

    async def next_due(self, after: datetime, until: datetime) -> datetime | None:
        """The earliest time in (after, until] at which something falls due."""
        times = [await self.closer.next_due(after, until), await self.engine.next_due(after, until)]
        return min((t for t in times if t is not None), default=None)

    async def advance(self, step: timedelta) -> None:
        """Move an adjustable clock forward as if the bot had been running: each due item runs
        at its own time, in order (used by the console's /advance and by tests)."""
        clock = self.ctx.clock
        if not isinstance(clock, AdjustableClock):
            raise TypeError("the bot's clock cannot be moved; use ManualClock or OffsetClock")
        target = clock.now() + step
        while (due := await self.next_due(clock.now(), target)) is not None:
            clock.set(due)
            await self.tick()
            await self.ctx.drain()
        clock.set(target)
        await self.tick()
        await self.ctx.drain()

    async def handle(self, event: InboundEvent) -> list[Message]:
        """Process one inbound event; the returned messages go back to whoever acted."""
        return (await self.respond(event)).replies

    async def respond(self, event: InboundEvent,
                      alongside: Callable[[Connection], Any] | None = None) -> Handled:
        """`handle`, with what an adapter shows besides the replies after an answer: the
        check-in answered (where its invitation is) and the invitation as it stands now.
        `alongside`: an adapter's own step on the database (noting the sender), run before the
        event is handled - in the answer's unit of work when the event is an answer (one
        hand-off to the database's thread for both), else as a unit of its own; what it returned
        is `Handled.alongside`. It must not raise for its own failures (log them), as a failing
        unit takes the answer with it."""
        event = without_controls(event)
        event_id = getattr(event, "event_id", None)
        if event_id and logs.request_id.get() is None:  # no HTTP request (e.g. Socket Mode)
            with logs.bound(request=event_id):
                return await self._handle_or_refuse(event, alongside)
        return await self._handle_or_refuse(event, alongside)

    async def _handle_or_refuse(self, event: InboundEvent,
                                alongside: Callable[[Connection], Any] | None = None) -> Handled:
        try:
            if alongside is not None and answer_request(event) is None:
                try:
                    first = await self.ctx.db.run(alongside)
                except DatabaseUnavailable as exc:  # the event may not need the database
                    log.warning("the database is unavailable; %s handled without its first step: %s",
                                type(event).__name__, exc)
                    first = None
                return replace(await self._handle(event), alongside=first)
            return await self._handle(event, alongside)
        except DatabaseUnavailable as exc:
            return Handled([self.failure_reply(event, exc)], answer=answer_request(event) is not None)

    def failure_reply(self, event: InboundEvent, exc: Exception) -> Message:
        """What to tell the person whose input could not be processed: with the database
        unavailable, that nothing was saved and to try again (a form's answers are quoted back);
        for anything else, that it went wrong on our side and was logged."""
        kind = type(event).__name__
        if not isinstance(exc, DatabaseUnavailable):
            return Message.plain(self.ctx.prompts.say("command_failed"))
        platform = event.profile.ref.platform if isinstance(event, MemberJoined) else event.member.platform
        self.ctx.metrics.inputs_refused.labels(platform, kind).inc()
        log.warning("database unavailable: %s on %s not processed (%s)", kind, platform, exc)
        say = self.ctx.prompts.say
        if isinstance(event, CommandInvoked) or (
                isinstance(event, UserMessage) and command_text(event.text) is not None):
            return Message.plain(say("unavailable_command"))
        if isinstance(event, UserMessage):
            return Message.plain(say("unavailable_answer"))
        if isinstance(event, ActionInvoked) and any(v.strip() for v in event.values.values()):
            return self._quoted_back(say("unavailable_form"), event.values)
        return Message.plain(say("unavailable_button"))

    def _quoted_back(self, text: str, values: dict[str, str]) -> Message:
        """The refusal plus every non-empty answer the person typed, labelled by question."""
        labels: dict[str, str] = {q.id: q.label for variant in ("rep", "manager")
                  for q in self.ctx.prompts.questions(variant).questions}
        blocks: list[Text] = [Text(text)]
        for field_id, value in values.items():
            if value.strip():
                blocks += [Text(labels.get(field_id, field_id), style="heading"), Text(value.strip())]
        return Message(text="\n\n".join(b.text for b in blocks), blocks=tuple(blocks))

    async def _handle(self, event: InboundEvent,
                      alongside: Callable[[Connection], Any] | None = None) -> Handled:
        if isinstance(event, MemberJoined):
            await self._member_joined(event)
            return Handled([])
        if isinstance(event, MemberUnreachable):
            await self._member_unreachable(event)
            return Handled([])
        await self.follower.refresh()
        if (request := answer_request(event)) is not None:  # one unit of work, the event id in it
            taken = await (self.checkins.take(request, alongside) if alongside is not None else
                           self.checkins.take(request))
            return self._answered(taken, request)
        if event.event_id and not await self._first_delivery(event.member.platform, event.event_id):
            log.info("duplicate delivery of %s ignored", event.event_id)
            return Handled([])
        try:
            return Handled(await self._dispatch(event))
        except DatabaseUnavailable:
            if event.event_id:  # not processed: a redelivery must not be taken for a duplicate
                await self._forget_delivery(event.member.platform, event.event_id)
            raise

    def _answered(self, taken: Taken, request: Answering) -> Handled:
        if taken.duplicate:
            log.info("duplicate delivery of %s ignored", request.event_id)
            return Handled([], answer=True, alongside=taken.alongside)
        checkin = taken.checkin
        if checkin is None:
            return Handled(taken.replies, answer=True, alongside=taken.alongside)
        invitation = ask_message(self.ctx.prompts, checkin, taken.member_name,
                                 self.ctx.strategy.strategy.name, taken.answers) if taken.saved else None
        return Handled(taken.replies, OpenCheckIn(form_id_of(checkin.id), ref_from_json(checkin.message_ref)),
                       invitation, answer=True, alongside=taken.alongside)

    async def _dispatch(self, event: UserMessage | CommandInvoked | ActionInvoked) -> list[Message]:
        if isinstance(event, CommandInvoked):
            return await self.command(event.member, event.text, platform_admin=event.platform_admin)
        if isinstance(event, UserMessage):
            typed = command_text(event.text)
            if typed is not None:
                return await self.command(event.member, typed)
            return await self._chat(event)
        return await self._action(event)

    async def command(self, ref: MemberRef, text: str, platform_admin: bool = False) -> list[Message]:
        caller = await self._member(ref)
        return await run_command(self.registry, self._command_context(ref, caller, platform_admin), text)

    def _command_context(self, ref: MemberRef, caller: Member | None,
                         platform_admin: bool = False) -> CommandContext:
        return CommandContext(self.ctx, ref, caller, self.checkins, self.outbox, self.engine.kinds,
                              platform_admin=platform_admin, evaluator=self.evaluator,
                              reviewer=self.reviewer)

    async def form(self, ref: MemberRef, form_id: str) -> QuestionForm | ChoiceForm | FormRefused | None:
        """A form as it stands now (a check-in pre-filled with the current answers, a "Not
        right?" with what the bot read), for adapters that open forms on demand (a Slack modal);
        `FormRefused` with the reason and the polite sentence to show when it is not this
        person's, closed, or gone; None when `form_id` names no form at all (a plain button)."""
        member = await self._member(ref)
        kind, _, target = form_id.partition(":")
        is_form = form_id.startswith(strategy_commands.FORM_PREFIX) or kind in (CORRECTION_FORM, "checkin")
        if not is_form:
            return None
        if member is None or not member.active:
            return FormRefused(form_id, "unknown_member", self.ctx.prompts.say("unknown_member"))
        if form_id.startswith(strategy_commands.FORM_PREFIX):
            found = await strategy_commands.form_for(self._command_context(ref, member), form_id)
            if found is not None:
                return found
            admin = self._command_context(ref, member).is_admin
            return FormRefused(form_id, "gone" if admin else "admins_only", self.ctx.prompts.say(
                "strategy_form_gone" if admin else "form_refused_admins_only"))
        if kind == CORRECTION_FORM and (answer := parse_target(target)) is not None:
            return await self.corrections.form(member, *answer)
        number = parse_id(target)
        if kind == CORRECTION_FORM or number is None:
            return FormRefused(form_id, "gone", self.ctx.prompts.say("form_gone"))
        return await self.checkins.form(member, number)

    async def feedback(self, ref: MemberRef, form_id: str) -> Message | FormRefused:
        """The feedback a "Not right?" form (`form_id`) belongs to, as it stands now: after a
        correction, adapters that can update a sent message show the corrected reading in place
        of the old one (a Teams card). Why not when it is not this person's or is gone."""
        member = await self._member(ref)
        kind, _, target = form_id.partition(":")
        answer = parse_target(target)
        if member is None or not member.active:
            return FormRefused(form_id, "unknown_member", self.ctx.prompts.say("unknown_member"))
        if kind != CORRECTION_FORM or answer is None:
            return FormRefused(form_id, "gone", self.ctx.prompts.say("form_gone"))
        return await self.corrections.feedback(member, *answer)

    async def invitation(self, ref: MemberRef, form_id: str) -> Message | None:
        """The check-in invitation behind `form_id` as it stands now, for adapters that update
        the sent one in place after an answer (the button then reads "Edit answers")."""
        member = await self._member(ref)
        kind, _, target = form_id.partition(":")
        number = parse_id(target)
        if member is None or not member.active or kind != "checkin" or number is None:
            return None
        return await self.checkins.invitation(member, number)

    async def database_ready(self, within: float = 1.5) -> bool:
        """Whether the database answers now, for adapters that can keep an input on the person's
        screen rather than lose it (a locked SQLite file counts as not answering).

        It is in front of an ack, so it asks the database only when the bot has not heard from
        it lately (`READY_FRESH_SECONDS`): 200 reps pressing Save together would otherwise wait
        for reads behind their own requests (bench/ack_latency.py: p99 230 ms). Callers that
        arrive while a read is under way share it. Should the database fail after it answered,
        the input is not lost either: the reply quotes the answers back."""
        if self.ctx.db.answered_lately(READY_FRESH_SECONDS):
            return True
        now = monotonic()
        stuck = now - self._readiness_at > self.ctx.db.timeout  # past the database's own bound
        if self._readiness is None or self._readiness.done() or stuck:
            self._readiness, self._readiness_at = asyncio.ensure_future(self.ctx.db.readable()), now
            self._readiness.add_done_callback(_log_unexpected)
        try:
            async with asyncio.timeout(min(within, self.ctx.db.timeout)):
                return await asyncio.shield(self._readiness)
        except TimeoutError:
            return False

    async def knows(self, ref: MemberRef) -> bool:
        """Whether this person is on the team (active or not)."""
        return await self._member(ref) is not None

    async def open_checkin(self, ref: MemberRef) -> OpenCheckIn | None:
        """The member's open check-in: where it was asked, so replies to their plain messages
        (saved, feedback, next question) go in that thread, and its form id."""
        member = await self._member(ref)
        if member is None or member.id is None:
            return None
        async with self.ctx.db.session() as session:
            checkin = await self.checkins.open_for(session, member.id)
        if checkin is None:
            return None
        return OpenCheckIn(form_id(checkin), ref_from_json(checkin.message_ref))

    async def home(self, ref: MemberRef) -> Message:
        """The member's home page (open check-in, feedback, trend; team; schedules, sell-by)."""
        return await home(self.ctx, await self._member(ref))

    async def _chat(self, event: UserMessage) -> list[Message]:
        member = await self._member(event.member)
        if member is None or not member.active:
            return [Message.plain(self.ctx.prompts.say("unknown_member"))]
        if event.attachments:  # a strategy file an admin sent: a proposal
            return await run_guarded(strategy_commands.on_upload(
                self._command_context(event.member, member), event.attachments))
        if not event.text.strip():
            return []
        return await self.checkins.on_text(member, event.text)

    async def _action(self, event: ActionInvoked) -> list[Message]:
        member = await self._member(event.member)
        if member is None or not member.active:
            return [Message.plain(self.ctx.prompts.say("unknown_member"))]
        kind, _, target = event.action_id.partition(":")
        if kind == "checkin" and (number := parse_id(target)) is not None:
            return await self.checkins.submit(member, number, event.values)
        if kind == "lead":
            return await self._lead_action(member, event)
        if kind == CORRECTION_FORM and (answer := parse_target(target)) is not None:
            return await self.corrections.submit(member, answer[0], event.values, answer[1])
        if kind == learning.ACTION:  # a digest's Undo / Confirm of a correction
            return await run_guarded(learning.on_button(
                self._command_context(event.member, member), target))
        if event.action_id in (forget.CONFIRM_ACTION, forget.CANCEL_ACTION):
            return await run_guarded(forget.on_button(
                self._command_context(event.member, member), event.action_id, event.value))
        if event.action_id.startswith(strategy_commands.FORM_PREFIX):
            return await run_guarded(strategy_commands.on_form(
                self._command_context(event.member, member), event.action_id, event.values))
        if event.action_id in (strategy_proposals.CONFIRM_ACTION, strategy_proposals.CANCEL_ACTION):
            return await run_guarded(strategy_commands.on_button(
                self._command_context(event.member, member), event.action_id, event.value))
        if event.action_id in (fanout.CONFIRM_ACTION, fanout.CANCEL_ACTION):
            return await run_guarded(fanout.on_button(
                self.registry, self._command_context(event.member, member), event.action_id, event.value))
        log.warning("unknown action %s", event.action_id)
        return [Message.plain("That button is no longer active. Type `/align help` for options.")]

    async def _lead_action(self, member: Member, event: ActionInvoked) -> list[Message]:
        """A nudge button: done / snooze / disqualify, and an escalation's reassign; the nudge is
        updated to show what was done."""
        verb, _, lead_id = event.action_id.split(":", 1)[1].partition(":")
        number = parse_id(lead_id)
        if number is None or verb not in ("done", "snooze", "disqualify", "reassign"):
            return [Message.plain("That button is no longer active. Type `/align help` for options.")]
        actions = LeadActions(self.ctx)
        try:
            if verb == "done":
                outcome = await actions.touched(member, number, "nudge")
            elif verb == "reassign":  # an escalation's "Give to ..." / "Take it myself"
                to = parse_id(event.value)
                if to is None:
                    return [Message.plain("That button is no longer active.")]
                return [Message.plain(await actions.reassign(member, number, to, "escalation"))]
            elif verb == "snooze":
                outcome = await actions.snooze(member, number, event.value or "1d", "nudge")
            elif not event.value:
                return [await actions.ask_reason(member, number)]
            else:
                outcome = await actions.set_status(member, number, "disqualified",
                                                   event.value, "nudge")
        except LeadActionError as exc:
            return [Message.plain(str(exc))]
        if event.message is not None:
            await actions.refresh_nudge(member, event.message, number, outcome)
        return [Message.plain(outcome)]

    async def _member(self, ref: MemberRef) -> Member | None:
        async with self.ctx.db.session() as session:
            return await MemberDirectory(session).by_ref(ref)

    async def _member_joined(self, event: MemberJoined) -> None:
        async with self.ctx.db.session() as session:
            directory = MemberDirectory(session, self.ctx.settings.default_timezone)
            if await directory.by_ref(event.profile.ref) is not None:
                await directory.upsert_profile(event.profile, self.ctx.clock.now())

    async def _member_unreachable(self, event: MemberUnreachable) -> None:
        """Mark a known member so nothing is sent to them until their profile shows them back."""
        async with self.ctx.db.session() as session:
            member = await MemberDirectory(session).by_ref(event.member)
            if member is not None:
                member.unreachable = event.reason[:64]
                member.updated_at = self.ctx.clock.now()
                session.add(member)

    async def _forget_delivery(self, platform: str, event_id: str) -> None:
        """Best effort: with the database still down the mark stays (and is harmless where, as
        in Slack and Teams, the platform does not redeliver an acknowledged event)."""
        with contextlib.suppress(DatabaseUnavailable):
            async with self.ctx.db.session() as session:
                await session.exec(delete(InboundEventRow).where(
                    col(InboundEventRow.platform) == platform,
                    col(InboundEventRow.event_id) == event_id[:200]))

    async def _first_delivery(self, platform: str, event_id: str) -> bool:
        """Record the platform's event id; False if it was seen before (a retry)."""
        return await first_time(self.ctx.db, platform, event_id, self.ctx.clock.now())
