"""The running Teams connection: botbuilder's CloudAdapter (authenticating every request with
ConfigurationBotFrameworkAuthentication, its clients kept: see `credentials`) served by aiohttp at
`/api/messages`, plus `/healthz`.

Each inbound activity is translated with the pure functions in `convert`, handed to a tracked task
and answered at once: nothing before the HTTP answer waits for the database. A message (its answer
an empty 200 whatever happens next) skips botbuilder's turn: its token is checked by botbuilder,
its shape against msrest's models, and its work reads the wire JSON (`_message_later`); other
activities (installs, invokes) go through botbuilder's `process_activity`. The task, run after
the acks in arrival order (`BotContext.spawn_inbound`), first remembers how to reach the sender
(the conversation reference, saved on every activity as Bot Framework recommends), then asks the
core and replies in the same conversation. Teams redelivers an activity with the same id, which
the core records before doing anything, so a retry never stores an answer twice. When the work
fails (the database is unavailable, or a bug) the person is told so in the same conversation -
nothing was saved, try again in a few minutes - rather than left waiting.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import requests
from aiohttp import web
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationReference, DeliveryModes
from sqlalchemy import Connection

from adapters.teams.cards import CARD_KEY, answered_card
from adapters.teams.connector import Connector, ConnectorError, Sleep
from adapters.teams.convert import (
    PLATFORM,
    BareCommands,
    TeamsEvent,
    bot_added,
    client_timezone,
    contact_info,
    is_personal,
    joined_accounts,
    malformed,
    message_event,
    sender_info,
    shared_files,
    tenant_id,
    uninstalled_personally,
)
from adapters.teams.credentials import KeptAuthentication
from adapters.teams.port import TeamsPort, profile_of
from adapters.teams.wire import ACTIVITIES, activity_from, address_of, reference_of
from bot.commands.strategy import MAX_UPLOAD_CHARS
from bot.core import BotCore, answer_request
from bot.events import (
    ActionInvoked,
    Attachment,
    Block,
    MemberJoined,
    MemberRef,
    Message,
    MessageRef,
    QuestionForm,
    Text,
    UserMessage,
)
from bot.learning.form import FORM_KIND as CORRECTION_FORM
from bot.people.contacts import ContactBook, ContactInfo
from bot.people.organisation import Organisations
from bot.people.unreachable import UnreachableNotices
from bot.port import DeliveryError
from bot.runtime.limits import parse_json
from bot.runtime.web import HttpSite, mount_core_routes
from bot.storage.database import DatabaseUnavailable, is_unavailable
from bot.storage.models import Contact

log = logging.getLogger(__name__)
# What a Bot Framework Authorization header looks like: a JWT (three base64url parts).
BEARER_JWT = re.compile(r"Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
MESSAGES_PATH = "/api/messages"
TEAMS_CHANNEL = "msteams"
MAX_FILES = 3  # strategy files fetched from one message
FILE_TIMEOUT = 10.0  # seconds for one attachment download
Json = dict[str, Any]


@dataclass(frozen=True)
class BotAuthConfig:
    """The configuration object botbuilder's ConfigurationBotFrameworkAuthentication reads.

    An empty APP_ID disables authentication (local testing against the Bot Framework Emulator
    or a fake connector only); with an app id every request needs a valid Bot Framework token."""

    APP_ID: str = ""
    APP_PASSWORD: str = field(default="", repr=False)  # a secret: never in a repr or a log
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str | None = None
    # Who issues channel tokens and where its signing keys are published (botbuilder's public
    # cloud defaults when None). Set both for a sovereign cloud, or in tests that sign their own
    # tokens: botbuilder then switches to its parameterized authentication.
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    # Where the bot gets its own access token for outbound calls (msal authority; botbuilder's
    # public cloud login when None): a sovereign cloud, or tests with a local login endpoint.
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None


def bare_commands(core: BotCore) -> BareCommands:
    """Commands that work without `/align`, as the manifest's command menu sends them."""
    specs = core.registry.specs
    return BareCommands(frozenset(s.name for s in specs if s.min_args == 0),
                        frozenset(s.name for s in specs if len(s.words) > 1))


def combine(replies: list[Message]) -> Message | None:
    """Several replies to one action as one card: fewer messages, no throttling."""
    if not replies:
        return None
    if len(replies) == 1:
        return replies[0]
    blocks = tuple(b for r in replies for b in (r.blocks or (Text(r.text),)))
    return Message(text="\n\n".join(r.text for r in replies), blocks=blocks)


class TeamsAdapter(TeamsPort):
    """The Teams ChatPort plus its lifecycle: `start()` serves `/api/messages`."""

    def __init__(self, core: BotCore, auth: BotAuthConfig, *, host: str = "0.0.0.0", http_port: int = 3978,
                 max_retries: int = 3, max_wait: float = 30.0, sleep: Sleep = asyncio.sleep,
                 bot_adapter: BotAdapter | None = None, timeout: float = 15.0) -> None:
        self.core = core
        self.organisations = Organisations(core.ctx)
        self.auth = auth
        self.cloud = bot_adapter or CloudAdapter(KeptAuthentication(auth))
        connector = Connector(self.cloud, auth.APP_ID, max_retries=max_retries, max_wait=max_wait,
                              sleep=sleep, timeout=timeout)
        super().__init__(connector, ContactBook(core.ctx.db, core.ctx.clock), report=self._report)
        self.notices = UnreachableNotices(core.ctx, core.outbox)
        self.commands = bare_commands(core)
        self.host = host
        self.http_port = http_port
        self._site = HttpSite()

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.core.attach(self)
        await self._site.start(self.web_app(), self.host, self.http_port)
        log.info("Teams adapter listening on http://%s:%s%s", self.host, self.bound_port, MESSAGES_PATH)

    async def stop(self) -> None:
        await self._site.stop()
        await self.core.ctx.drain()
        if isinstance(authentication := getattr(self.cloud, "bot_framework_authentication", None),
                      KeptAuthentication):
            await authentication.close()  # the outbound calls' kept HTTP session

    @property
    def bound_port(self) -> int:
        return self._site.port

    def web_app(self) -> web.Application:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(MESSAGES_PATH, self._messages)
        app.router.add_get("/healthz", self._health)
        mount_core_routes(app, self.core.ctx)  # the leads webhook on the same port
        return app

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        """Bot Framework posts activities here. With authentication on, a request without a
        bearer token is refused (401) before its body is read; the body (at most 1 MiB, and
        `bot.runtime.limits.MAX_DEPTH` levels deep) is then parsed only as far as the token check
        needs (channel and service URL), botbuilder checks the JWT (401 when invalid), and only
        then is the activity built and `on_turn` run. Malformed bodies get a 400 with a reason,
        never a 500."""
        with self.core.ctx.intake.entering():  # work waiting for the lull waits for this ack
            return await self._answer_request(request)

    async def _answer_request(self, request: web.Request) -> web.StreamResponse:
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415, text="expected an application/json Bot Framework activity")
        header = request.headers.get("Authorization", "")
        if self.auth.APP_ID and not BEARER_JWT.fullmatch(header):
            log.info("rejected a request without a valid Bot Framework token: no bearer token")
            return web.Response(status=401, text="missing or invalid Bot Framework token")
        try:
            body = parse_json(await request.read())
        except ValueError as exc:
            return web.Response(status=400, text=str(exc))
        if not isinstance(body, dict):
            return web.Response(status=400, text="the body is not a Bot Framework activity")
        routing = Activity(channel_id=_text(body.get("channelId")),
                           service_url=_text(body.get("serviceUrl")))
        try:
            auth = await self.cloud.bot_framework_authentication.authenticate_request(routing, header)
        except requests.RequestException as exc:  # the signing keys could not be fetched
            log.error("could not check a request's token (OpenID metadata unreachable): %s", exc)
            return web.Response(status=503, text="cannot verify tokens right now")
        except Exception as exc:  # PermissionError, PyJWT's errors, bad endorsements: all mean no
            log.warning("rejected a request without a valid Bot Framework token: %s: %s",
                        type(exc).__name__, exc)
            return web.Response(status=401, text="missing or invalid Bot Framework token")
        if not body.get("type"):
            return web.Response(status=400, text="the body is not a Bot Framework activity (no type)")
        if (why := malformed(body)) is not None:
            log.warning("rejected a malformed activity: %s", why)
            return web.Response(status=400, text=f"malformed activity: {why}")
        # A message's answer is an empty 200 whatever its turn does: it is acked once checked,
        # and its work reads the wire JSON (`_message_later`). msrest's Activity is not built for
        # it, but what msrest would refuse is still refused here (400).
        message = body.get("type") == ActivityTypes.message and \
            body.get("deliveryMode") != DeliveryModes.expect_replies
        try:
            if message:
                ACTIVITIES.check("Activity", body)
            else:
                activity = activity_from(body)  # msrest's Activity, its wire keys worked out once
        except (TypeError, ValueError, AttributeError) as exc:  # msrest raises ValueErrors
            log.warning("rejected a malformed activity: %s: %s", type(exc).__name__, exc)
            return web.Response(status=400, text="malformed activity")

        tenant = tenant_id(body)
        if body.get("channelId") == TEAMS_CHANNEL and tenant and not await self.organisations.admits(
                PLATFORM, (tenant,)):
            log.warning("refused an activity from Teams tenant %s: this deployment serves another"
                        " organisation", tenant)
            if body.get("type") == ActivityTypes.message or bot_added(body):
                self.core.ctx.spawn_inbound(self._tell_refused(tenant, body), "teams-refused")
            return web.Response(status=200)  # acknowledged (no retries); nothing stored or run

        if message:
            # Acked now; its work in its place in line after the acks. botbuilder's turn is not
            # run for it: the token is checked above, and all a message's turn did was hand the
            # bot its conversation reference (replies go out in proactive turns, connector.py).
            self.core.ctx.spawn_inbound(self._message_later(body), "teams-message")
            return web.Response(status=200)

        async def logic(context: TurnContext) -> None:
            await self.turn(context, body)  # the wire JSON: botbuilder's models drop entity fields

        invoke = await self.cloud.process_activity(auth, activity, logic)
        if invoke is not None:
            return web.json_response(invoke.body, status=invoke.status)
        return web.Response(status=200)

    async def _message_later(self, body: Json) -> None:
        """The work of a message acked already (`_messages`), in its place in line after the
        acks, from its wire JSON: its conversation reference (`reference_of`: the accounts and
        the conversation deserialized, not the whole activity), then `_inbound` in this same
        turn. A failure before `_inbound` is logged with the activity's id, as no HTTP answer
        can carry it any more."""
        try:
            accepted = self._accepted(body, reference_of(body))
        except Exception:
            log.exception("Teams activity %s acked but its turn failed", body.get("id"))
            return
        if accepted is not None:
            await self._inbound(body, *accepted)

    async def _tell_refused(self, tenant: str, body: Json) -> None:
        """Tell someone outside the organisation why nothing they send is answered - once a day
        per conversation, so a person typing on gets one note, not one per message. Their
        conversation is not remembered: nothing is stored about them but that note."""
        reference = reference_of(body)
        conversation = reference.conversation.id if reference.conversation else None
        try:
            if not conversation or not await self.organisations.first_refusal_today(
                    PLATFORM, f"{tenant}:{conversation}"):
                return
            await self.reply(reference, Message.plain(self.core.ctx.prompts.say("other_organisation")))
        except (DatabaseUnavailable, DeliveryError) as exc:
            log.warning("could not tell Teams tenant %s why it was refused: %s", tenant, exc)
            return
        log.info("told a conversation in Teams tenant %s that this deployment serves another"
                 " organisation", tenant)

    # --- the bot: one turn per inbound activity -------------------------------------------

    async def on_turn(self, context: TurnContext) -> None:
        """botbuilder's Bot interface (TestAdapter, or any adapter driving this bot)."""
        await self.turn(context, None)

    async def turn(self, context: TurnContext, wire: Json | None) -> None:
        activity = wire if wire is not None else wire_json(context.activity)
        accepted = self._accepted(activity, TurnContext.get_conversation_reference(context.activity))
        if accepted is not None:
            self.core.ctx.spawn_inbound(self._inbound(activity, *accepted), f"teams-{activity.get('type')}")

    def _accepted(self, activity: Json, reference: ConversationReference) -> tuple[
            ConversationReference, TeamsEvent | None] | None:
        """An inbound activity (its wire JSON) from `reference`'s conversation, made ready for
        `_inbound`: its conversation remembered, the reference with its tenant, the message's
        event. None when it is not for this adapter (another channel)."""
        if activity.get("channelId") != TEAMS_CHANNEL:
            log.warning("ignored an activity from the %r channel: this adapter serves Microsoft Teams"
                        " (enable only the Teams channel on the Azure Bot)", activity.get("channelId"))
            return None
        if reference.conversation is not None and not reference.conversation.tenant_id:
            reference.conversation.tenant_id = tenant_id(activity)  # Teams puts it in channelData
        self.seen(reference)
        kind = activity.get("type")
        return reference, (message_event(activity, self.commands) if kind == ActivityTypes.message else None)

    async def _inbound(self, activity: Json, reference: ConversationReference,
                       event: TeamsEvent | None) -> None:
        """An activity's work, after its ack and in arrival order: first remember how to reach
        the sender (or forget it, when they removed the app), then the install or the message.
        Nothing here runs before the HTTP answer: under a burst every ack would otherwise wait
        for the database work of the activities ahead of it. An answer notes its sender in its
        own unit of work (`BotCore.respond`'s `alongside`): one hand-off to the database's thread
        for both."""
        if isinstance(event, UserMessage):
            event = await self._with_files(event)
        together = event is not None and answer_request(event) is not None
        try:
            if (removed := uninstalled_personally(activity)) is not None:
                await self.contacts.forget_address(PLATFORM, removed)
                log.info("Teams: %s removed the app; they are unreachable until they add it again",
                         removed)
                return
            await self.core.ctx.intake.make_way()  # a burst arriving: its acks first
            if not together:
                await self._remember_sender(activity, reference)
        except DatabaseUnavailable as exc:  # saved from their next activity; the work still runs
            log.warning("could not save how to reach the sender of activity %s: %s",
                        activity.get("id"), exc)
        except Exception:  # a bug here must not cost the person their answer: after the ack,
            log.exception("could not save the sender of activity %s", activity.get("id"))  # no retry
        if activity.get("type") in (ActivityTypes.conversation_update, ActivityTypes.installation_update):
            await self._installed(activity, reference)
        elif event is not None:
            await self._work(event, reference, activity if together else None)

    async def _with_files(self, event: UserMessage) -> UserMessage:
        """The text of strategy YAML files attached in the personal chat. Teams gives each a
        short-lived, pre-authenticated download URL: no credential goes with the request."""
        wanted = shared_files(event.raw or {})[:MAX_FILES]
        if not wanted:
            return event
        fetched = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=FILE_TIMEOUT)) as http:
            for name, url in wanted:
                try:
                    async with http.get(url) as got:
                        if got.status != 200:
                            log.warning("attachment %s not fetched: HTTP %s", name, got.status)
                            continue
                        data = await got.content.read(MAX_UPLOAD_CHARS)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    log.warning("attachment %s not fetched: %s", name, type(exc).__name__)
                    continue
                fetched.append(Attachment(name, data.decode("utf-8", errors="replace")))
        return replace(event, attachments=tuple(fetched))

    async def _remember_sender(self, activity: Json, reference: ConversationReference) -> None:
        """Save how to reach the sender; when their client reports a new time zone (they
        travelled), tell the core, which follows it unless they set one themselves."""
        info = sender_info(activity)
        if info is None:
            return
        personal = is_personal(activity)
        noted = await self.contacts.note(
            info, address=stored_address(reference, personal), personal=personal,
            conversation_id=reference.conversation.id if personal else None)
        await self._follow_timezone(activity, info, noted)

    def _noting(self, activity: Json, reference: ConversationReference) -> Callable[
            [Connection], tuple[str | None, Contact] | None] | None:
        """`_remember_sender`'s database step, for the answer's unit of work (`_inbound`): a
        failure of its own is logged and costs the person nothing (the answer is still taken);
        the database unavailable fails the unit, answer and all, as it would have anyway."""
        info = sender_info(activity)
        if info is None:
            return None
        personal = is_personal(activity)
        step = self.contacts.noting(info, address=stored_address(reference, personal), personal=personal,
                                    conversation_id=reference.conversation.id if personal else None)

        def guarded(connection: Connection) -> tuple[str | None, Contact] | None:
            try:
                return step(connection)
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                log.exception("could not save the sender of activity %s", activity.get("id"))
                return None
        return guarded

    async def _follow_timezone(self, activity: Json, info: ContactInfo,
                               noted: tuple[str | None, Contact] | None) -> None:
        """Their client reports a new time zone (they travelled): tell the core, which follows
        it unless they set one themselves."""
        if noted is None:
            return
        before, contact = noted
        if before is not None and info.timezone and info.timezone != before:
            await self.core.handle(MemberJoined(profile_of(contact), raw=activity))

    async def _installed(self, activity: Json, reference: ConversationReference) -> None:
        """Store everyone the bot can now reach, with their profile (email and name from the
        roster, time zone from the client), and tell the core about each."""
        personal = is_personal(activity)
        accounts = joined_accounts(activity)
        if personal and not accounts and (activity.get("from") or {}).get("id"):
            accounts = [activity["from"]]  # installed personally: membersAdded names only the bot
        elif bot_added(activity) and not personal:
            try:
                accounts = await self.connector.members(reference)  # installed in a team or chat
            except ConnectorError as exc:
                log.warning("could not read the roster of %s: %s", reference.conversation.id, exc)
        for account in accounts:
            details = await self._details(reference, account)
            timezone = (activity.get("from") or {}).get("id") == account.get("id")
            info = contact_info(details, client_timezone(activity) if timezone else None)
            contact = await self.contacts.remember(
                info, address=stored_address(_for_user(reference, details), personal), personal=personal,
                conversation_id=reference.conversation.id if personal else None)
            await self.core.handle(MemberJoined(profile_of(contact), raw=activity))
        log.info("Teams %s in %s (tenant %s): %d people reachable", activity.get("type"),
                 "a 1:1 chat" if personal else "a team or group", tenant_id(activity), len(accounts))

    async def _details(self, reference: ConversationReference, account: Json) -> Json:
        """The account with email, UPN and AAD id from the roster (TeamsInfo.get_member)."""
        if account.get("email") or account.get("userPrincipalName"):
            return account
        try:
            found = await self.connector.member(reference, str(account["id"]))
        except ConnectorError as exc:
            log.warning("could not read the profile of %s: %s", account.get("id"), exc)
            return account
        return {**account, **(found or {})}

    async def _work(self, event: TeamsEvent, reference: ConversationReference,
                    noting: Json | None = None) -> None:
        """Handle one message or card submission; if that fails, tell the person (best effort)
        and re-raise a bug so it is logged with its traceback. `noting`: the activity whose
        sender is noted in the answer's unit of work (`_inbound`)."""
        try:
            await self._handle(event, reference, noting)
        except Exception as exc:
            try:
                await self.reply(reference, self.core.failure_reply(event, exc))
            except Exception as told:  # Teams failing too: the log is all that is left
                log.warning("could not tell the sender of %s that it failed: %s", event, told)
            if not isinstance(exc, DatabaseUnavailable):
                raise

    async def _handle(self, event: TeamsEvent, reference: ConversationReference,
                      noting: Json | None = None) -> None:
        alongside = self._noting(noting, reference) if noting is not None else None
        handled = await (self.core.respond(event, alongside) if alongside is not None else
                         self.core.respond(event))
        if noting is not None and (info := sender_info(noting)) is not None:
            try:
                await self._follow_timezone(noting, info, handled.alongside)
            except DatabaseUnavailable as exc:  # followed from their next activity
                log.warning("could not follow the time zone of the sender of activity %s: %s",
                            noting.get("id"), exc)
            except Exception:  # a bug here must not cost the person their reply
                log.exception("could not save the sender of activity %s", noting.get("id"))
        replies = handled.replies
        if not replies:
            return  # a redelivered activity (or nothing to say): change nothing
        await self.core.ctx.intake.make_way()  # a burst arriving: its acks before these calls
        if isinstance(event, ActionInvoked) and event.message and event.action_id.startswith("checkin:"):
            if handled.answer:  # the card as the answers left it (no invitation: closed, not theirs)
                form = next((b for b in handled.invitation.blocks if isinstance(b, QuestionForm)),
                            None) if handled.invitation is not None else None
                await self._show_card(event.message, form)
            else:
                await self._show_answers(event)
        if isinstance(event, ActionInvoked) and event.message and event.action_id.startswith(
                f"{CORRECTION_FORM}:") and await self._show_corrected(event):
            # The card pressed on now shows the correction: a copy of it below would keep the
            # first correction when the person corrects again on the other one.
            replies = [r for r in replies if not r.holds_form(event.action_id)]
        reply = combine(replies)
        if reply is not None:
            await self.core.ctx.intake.make_way()  # between the card update and the reply too
            await self.reply(reference, reply)

    async def _show_answers(self, event: ActionInvoked) -> None:
        """Replace a submitted check-in card with the saved answers (editable behind a button);
        cosmetic, so with the database gone meanwhile the card stays as it was."""
        try:
            form = await self.core.form(event.member, event.action_id)
        except DatabaseUnavailable as exc:
            log.warning("card of %s not updated: %s", event.action_id, exc)
            return
        if event.message is not None:
            await self._show_card(event.message, form if isinstance(form, QuestionForm) else None)

    async def _show_card(self, card: MessageRef, form: QuestionForm | None) -> None:
        if form is None:
            return  # closed or not theirs: the reply says so and the card stays as it was
        title = self.core.ctx.prompts.say("answers_saved_title")
        await self.update_card(card, Message(text=title), answered_card(form, title))

    async def _show_corrected(self, event: ActionInvoked) -> bool:
        """After a "Not right?" Save, the card it was pressed on shows what the bot reads now:
        each feedback on it written afresh from the stored verdict (its pick-lists pre-filled
        with the correction), its other lines as they were (`card_layout`, carried in the Save),
        so a second correction rewrites that same card again. Only in the person's own chat,
        and only when every feedback on the card is theirs; otherwise (or with the database
        gone meanwhile) the card stays as it was and the corrected feedback follows as a reply.
        Whether the card was rewritten."""
        raw = event.raw if isinstance(event.raw, dict) else {}
        layout = (raw.get("value") or {}).get(CARD_KEY)
        if event.message is None or not is_personal(raw) or not isinstance(layout, list):
            return False
        blocks: list[Block] = []
        try:
            for entry in layout:
                if isinstance(entry, str):
                    found = await self.core.feedback(event.member, entry)
                    if not isinstance(found, Message):
                        return False
                    blocks += found.blocks or (Text(found.text),)
                elif isinstance(entry, dict) and isinstance(entry.get("text"), str):
                    style = entry.get("style")
                    blocks.append(Text(entry["text"], style if style in ("heading", "muted") else "plain"))
                else:
                    return False
        except DatabaseUnavailable as exc:
            log.warning("card of %s not updated: %s", event.action_id, exc)
            return False
        text = "\n\n".join(b.text for b in blocks if isinstance(b, Text))
        try:
            await self.update_card(event.message, Message(text=text, blocks=tuple(blocks)), None)
        except DeliveryError as exc:  # deleted meanwhile, or Teams failing: the reply still goes
            log.warning("card of %s not updated: %s", event.action_id, exc)
            return False
        return True

    async def _report(self, to: MemberRef, reason: str) -> None:
        self.core.ctx.spawn(self.notices.report(to, reason), "teams-unreachable-notice")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def wire_json(activity: Activity) -> Json:
    """An Activity as its wire JSON, keeping the fields botbuilder's models only hold as
    `additional_properties` (clientInfo's time zone, a mention's text, an account's email)."""
    data: Json = activity.serialize()

    def extra(model: Any) -> Json:
        return {**(getattr(model, "additional_properties", None) or {}), **model.serialize()}
    if activity.entities:
        data["entities"] = [extra(e) for e in activity.entities]
    if activity.from_property is not None:
        data["from"] = extra(activity.from_property)
    return data


def stored_address(reference: ConversationReference, personal: bool) -> str:
    """The address the contact book keeps for the sender of an activity: its conversation
    reference, for a 1:1 chat without the activity it came with. Nothing sent there threads on
    that activity (`reply` threads in channels only; proactive sends start no thread), and every
    message has a new one: kept, it made noting the sender of each message a write of the
    contact row (a savepoint and an UPDATE in the answer's unit). A team's or group chat's
    reference is kept whole."""
    if not personal or reference.activity_id is None:
        return address_of(reference)
    bare = copy.copy(reference)
    bare.activity_id = None
    return address_of(bare)


def _for_user(reference: ConversationReference, account: Json) -> ConversationReference:
    """The conversation reference with `user` set to this person (a team install's reference
    names whoever triggered it)."""
    copy = ConversationReference().deserialize(reference.serialize())
    copy.user = ChannelAccount(id=account.get("id"), name=account.get("name"),
                               aad_object_id=account.get("aadObjectId"))
    return copy


__all__ = ["MESSAGES_PATH", "BotAuthConfig", "TeamsAdapter", "bare_commands", "combine"]
