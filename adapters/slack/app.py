"""The running Slack connection: a bolt AsyncApp whose listeners feed the core, served over HTTP
(aiohttp, `/slack/events`, signature verified by bolt) or Socket Mode (when an app token is set).

Two ways to be installed: one workspace with a bot token, or many through OAuth
(`/slack/install`, `/slack/oauth_redirect`; installations and states in our database, see
`oauth.py`), where every request's workspace picks the token its work uses.

Every listener acknowledges at once and hands the work to a tracked task that runs in turn
(`BotContext.spawn_inbound`): Slack wants an ack within 3 s, and the core then records, evaluates
and replies. Events and button presses, whose ack is an empty 200 whatever the listener does, are
acked before bolt even dispatches them (`_dispatch`): bolt runs them in their turn. A check-in
or correction form's Save is answered without bolt at all over HTTP with one workspace
(`_form_submitted`: its ack keeps the modal open with errors, or closes it). Retried
Events API deliveries carry the same `event_id`, which the core records before doing anything,
so a retry never stores an answer twice.

Nothing a person sends is dropped silently: when the work fails (the database is unavailable, or
a bug) they are told in the same place - nothing was saved, try again in a few minutes, or it
went wrong on our side. A submitted check-in form is first checked against the database, so while
it is down the modal stays open with the answers in it and a note to submit again later.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.authorization.async_single_team_authorization import AsyncSingleTeamAuthorization
from slack_bolt.middleware.authorization.internals import _to_authorize_result
from slack_bolt.middleware.ignoring_self_events.ignoring_self_events import IgnoringSelfEvents
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import (
    FORM_CALLBACK,
    OPEN_FORM_ACTION,
    fallback_text,
    form_view,
    home_view,
    message_blocks,
    notice_view,
)
from adapters.slack.convert import (
    PLATFORM,
    action_event,
    action_message,
    action_thread,
    command_event,
    form_values,
    member,
    message_event,
    reply_thread,
    submission_id,
    typed_fields,
    workspace_of,
)
from adapters.slack.intake import Malformed, bolt_request, is_ssl_check, read_body, signed
from adapters.slack.oauth import (
    CURRENT_WORKSPACE,
    INSTALL_PATH,
    REDIRECT_PATH,
    OAuthConfig,
    manifest_scopes,
    oauth_setup,
)
from adapters.slack.port import SlackPort, build_client, error_code, profile
from bot.commands.strategy import MAX_UPLOAD_CHARS, is_strategy_upload
from bot.core import BotCore, Handled, answer_request
from bot.events import (
    ActionInvoked,
    Attachment,
    ChoiceForm,
    CommandInvoked,
    InboundEvent,
    MemberJoined,
    MemberRef,
    MemberUnreachable,
    Message,
    MessageRef,
    QuestionForm,
    UserMessage,
)
from bot.learning.form import FORM_KIND as CORRECTION_FORM
from bot.people.home import home
from bot.people.installations import Installations, Workspace
from bot.people.organisation import Organisations
from bot.port import DeliveryError
from bot.runtime.web import HttpSite, mount_core_routes
from bot.storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
COMMAND = "/align"
MAX_FILES = 3  # strategy files fetched from one message
FILE_TIMEOUT = 10.0  # seconds for one file download
# The Events API events the app subscribes to, with the listener that handles each.
EVENTS = ("message", "app_home_opened", "team_join", "user_change", "app_uninstalled", "tokens_revoked")
Json = dict[str, Any]
Respond = Any  # bolt's AsyncRespond (bolt ships no type hints mypy can use)
Ack = Any
_CHECK_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError)
_PLATFORM_FAILURES = (*_CHECK_FAILURES, DeliveryError)


class SlackAdapter(SlackPort):
    """The Slack ChatPort plus its lifecycle: `start()` serves HTTP or connects Socket Mode."""

    def __init__(self, core: BotCore, client: AsyncWebClient | None = None, *,
                 signing_secret: str | None = None, app_token: str | None = None,
                 host: str = "0.0.0.0", http_port: int = 3000, oauth: OAuthConfig | None = None,
                 session: aiohttp.ClientSession | None = None) -> None:
        if app_token is None and not signing_secret:
            raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
        if (client is None) == (oauth is None):
            raise ValueError("give either a bot-token client (one workspace) or OAuth settings (many)")
        if oauth is not None and app_token is not None:
            raise ValueError("OAuth installs are served over HTTP: drop SLACK_APP_TOKEN (Socket Mode)")
        oauth_settings = None
        organisations = Organisations(core.ctx)
        if oauth is not None:
            records = Installations(core.ctx.db, core.ctx.clock, "slack")
            workspaces, oauth_settings = oauth_setup(oauth, records,
                                                     functools.partial(build_client, session=session),
                                                     organisations, core.ctx.prompts)
            super().__init__(workspaces)
            client = build_client(None, base_url=oauth.base_url, limits=oauth.limits, session=session)
        else:
            assert client is not None
            super().__init__(client)
        self.core = core
        self.session = session  # the process's kept-alive HTTP session, for response_url too
        self.organisations = organisations
        self.app_token = app_token
        self.host = host
        self.http_port = http_port
        self.app = AsyncApp(client=client, signing_secret=signing_secret, oauth_settings=oauth_settings,
                            # Over HTTP `_dispatch` checks every signature bolt sees (ssl_check
                            # aside, which bolt answers first), before the ack: bolt checking again
                            # would refuse a dispatch deferred past its 5-minute window.
                            request_verification_enabled=False,
                            process_before_response=True,  # listeners only spawn tracked work
                            logger=logging.getLogger("slack_bolt"))
        if app_token is not None:
            self.app.use(self._organisation_only)
        self._register(self.app)
        self._verifier = SignatureVerifier(signing_secret) if app_token is None and signing_secret else None
        self._site = HttpSite()
        self._socket: Any = None
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.core.attach(self)
        if self.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            log.info("Slack adapter connected in Socket Mode")
            return
        await self._site.start(self.web_app(), self.host, self.http_port)
        log.info("Slack adapter listening on http://%s:%s%s", self.host, self.bound_port, EVENTS_PATH)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self._site.stop()
        await self.core.ctx.drain()

    @property
    def bound_port(self) -> int:
        """The HTTP port actually listened on (useful with port 0)."""
        return self._site.port

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(EVENTS_PATH, self._dispatch)
        app.router.add_get("/healthz", self._health)
        if self.app.oauth_flow is not None:
            app.router.add_get(INSTALL_PATH, self._install)
            app.router.add_get(REDIRECT_PATH, self._oauth_redirect)
        mount_core_routes(app, self.core.ctx)  # the leads webhook on the same port
        return app

    async def _dispatch(self, request: web.Request) -> web.Response:
        """Signed and well-formed requests go to bolt; others get 401 / 400 with the reason and
        touch nothing (bodies over 1 MiB are refused by aiohttp with 413 before this). Events
        and button presses, whose ack is an empty 200 whatever the listeners do, are acked
        first and dispatched in their turn (`BotContext.spawn_dispatch`): under a burst, bolt's
        dispatch is most of an ack's CPU. A form's Save, with one workspace, is answered here
        without bolt (`_form_submitted`)."""
        with self.core.ctx.intake.entering():
            return await self._answer_request(request)

    async def _answer_request(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self._verifier is None or is_ssl_check(body, request.content_type):
            bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(bolt_response)
        headers = {name.lower(): value for name, value in request.headers.items()}
        if not signed(self._verifier, body, headers):
            return web.json_response({"error": "invalid request"}, status=401)  # as bolt says
        try:
            text, parsed = read_body(body, request.content_type)
            request_for_bolt = bolt_request(text, parsed, headers, request.query_string)
        except Malformed as exc:
            log.warning("rejected a malformed Slack request: %s", exc)
            return web.json_response({"ok": False, "error": f"malformed Slack request: {exc}"}, status=400)
        refusal = await self._refusal(parsed)
        if refusal is not None:
            return web.json_response(refusal)
        if self.workspaces.single is not None and _is_form_submission(parsed):
            # Answered here, not by bolt: its dispatch (listener matching, middleware, kwargs)
            # was half of this ack, and with one workspace its authorization is a cached
            # auth.test that adds nothing per request. OAuth installs keep bolt's, which
            # answers a workspace without an installation.
            errors = await self._form_submitted(parsed)
            if errors:
                return web.json_response({"response_action": "errors", "errors": errors})
            return web.Response(status=200)
        kind = _ack_first(parsed)
        if kind is not None:
            self.core.ctx.spawn_dispatch(functools.partial(self._dispatch_later, request_for_bolt, kind),
                                         f"slack-{kind}", urgent=kind == "open-form")
            return web.Response(status=200)
        return await to_aiohttp_response(await self.app.async_dispatch(request_for_bolt))

    async def _dispatch_later(self, request: Any, kind: str) -> None:
        """Bolt's dispatch of a request acked already: its answer goes nowhere, so one that is
        not a 200 (no listener, a listener failing before its ack, no installation for the
        workspace) is logged. A DM's message event with one workspace whose authorization bolt
        holds already goes to its listener directly (`_message_directly`)."""
        if kind == "event" and await self._message_directly(request):
            return
        response = await self.app.async_dispatch(request)
        if response.status != 200:
            log.warning("a Slack %s acked before its dispatch got %s from bolt: %s", kind,
                        response.status, (response.body or "")[:200])

    async def _message_directly(self, request: Any) -> bool:
        """A message event (what a rep's DM answer is) handed to its listener as bolt's dispatch
        would, without that dispatch: under a burst its middleware chain, listener matching and
        argument injection cost a DM answer as much CPU as the Web API call that posts its
        feedback. Only with one workspace (a bot token) once bolt's authorization has its cached
        `auth.test` (the first request goes through bolt, which makes that call): every
        middleware bolt would run then passes a message event through unchanged, but for
        ignoring the bot's own messages, asked here with bolt's own rule. False when bolt is
        to dispatch it."""
        body = request.body
        event = body.get("event")
        if self.workspaces.single is None or not isinstance(event, dict) or event.get("type") != "message":
            return False
        authorized = self._bolt_authorization()
        if authorized is None:
            return False
        if IgnoringSelfEvents._is_self_event(authorized, request.context.user_id, event.get("bot_id"), body):
            return True  # bolt acks it and runs no listener
        await self._on_message(_acked, body)
        return True

    def _bolt_authorization(self) -> AuthorizeResult | None:
        """What bolt's one-workspace authorization holds for every request (from the `auth.test`
        it made once), or None before it has made it."""
        for middleware in self.app._async_middleware_list:
            if isinstance(middleware, AsyncSingleTeamAuthorization):
                found = middleware.auth_test_result
                client = self.workspaces.single
                return _to_authorize_result(found, client.token if client else None, None) if found else None
        return None

    async def _refusal(self, body: Json) -> Json | None:
        """The answer to a request from outside the organisation this deployment serves (logged),
        or None to go on. Acknowledged with 200, so Slack does not retry an event; a slash
        command shows the text to its sender."""
        where = workspace_of(body)
        if where is None or await self.organisations.admits(PLATFORM, (where.org_id, where.workspace_id)):
            return None
        log.warning("refused a request from Slack workspace %s (org %s): this deployment serves"
                    " another organisation", where.workspace_id, where.org_id)
        return {"response_type": "ephemeral", "text": self.core.ctx.prompts.say("other_organisation")}

    async def _organisation_only(self, body: Json, response: BoltResponse,
                                 next_: Callable[[], Awaitable[None]]) -> BoltResponse:
        """Socket Mode's check of the organisation (bolt middleware; over HTTP `_dispatch` does it
        before bolt): a workspace of an Enterprise Grid org, or a Slack Connect channel's
        guests, can reach an app over its one socket too. The refusal is the envelope's ack."""
        refusal = await self._refusal(body)
        if refusal is None:
            await next_()
            return response
        return BoltResponse(status=200, body=json.dumps(refusal),
                            headers={"content-type": "application/json; charset=utf-8"})

    async def _install(self, request: web.Request) -> web.Response:
        """The "Add to Slack" page: a fresh OAuth state (stored and set as a cookie)."""
        flow = self.app.oauth_flow
        assert flow is not None
        response = await flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _oauth_redirect(self, request: web.Request) -> web.Response:
        """Slack's redirect: state checked and consumed, code exchanged, installation stored."""
        flow = self.app.oauth_flow
        assert flow is not None
        response = await flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def check_connection(self) -> str | None:
        """Readiness (/readyz): `auth.test` with the bot token; with OAuth installs (a token per
        workspace) `api.test`, which says Slack's Web API is reachable."""
        single = self.workspaces.single
        try:
            if single is not None:
                await single.auth_test()
            else:
                await self.app.client.api_test()
        except _CHECK_FAILURES as exc:
            method = "auth.test" if single is not None else "api.test"
            return f"Slack {method} failed: {error_code(exc) or type(exc).__name__}"
        return None

    # --- listeners: ack at once, work in a tracked task ----------------------------------

    def _register(self, app: AsyncApp) -> None:
        """Bolt tries listeners in this order, each match costing about as much as the rest of
        the ack: what reps send most often (answers in the modal or a DM, the Answer button)
        comes first."""
        app.view_submission(FORM_CALLBACK)(self._on_form_submitted)
        app.action(OPEN_FORM_ACTION)(self._on_open_form)
        app.event("message")(self._on_message)
        app.action(re.compile(r"^(?!" + re.escape(OPEN_FORM_ACTION) + r"$).+"))(self._on_action)
        app.command(COMMAND)(self._on_command)
        listeners = {"app_home_opened": self._on_home_opened,
                     "team_join": self._on_profile_changed, "user_change": self._on_profile_changed,
                     "app_uninstalled": self._on_uninstalled, "tokens_revoked": self._on_tokens_revoked}
        for event in EVENTS[1:]:
            app.event(event)(listeners[event])

    def _enter(self, body: Json, user_id: str | None) -> None:
        """Note the request's workspace for the work it starts (tasks copy the context) and
        remember which workspace the user is in (multi-workspace installs) - after the ack, as
        the work it starts does: a first request from each of 200 reps is 200 database writes."""
        where = workspace_of(body)
        CURRENT_WORKSPACE.set(where)
        if self.workspaces.is_new(user_id, where):
            self.core.ctx.spawn_inbound(self._note_workspace(user_id, where), "slack-workspace")

    async def _note_workspace(self, user_id: str | None, where: Workspace | None) -> None:
        try:
            await self.workspaces.remember(user_id, where)
        except DatabaseUnavailable as exc:  # a cache of who is where: learned again next time
            log.warning("could not note the workspace of %s: %s", user_id, exc)

    async def _on_command(self, ack: Ack, body: Json, respond: Respond) -> None:
        event = command_event(body)
        self._enter(body, event.member.user_id)
        self.core.ctx.spawn_inbound(self._command(event, respond), "slack-command")
        await ack()

    async def _on_message(self, ack: Ack, body: Json) -> None:
        event = message_event(body)
        if event is not None:
            self._enter(body, event.member.user_id)
            self.remember_dm(event.member.user_id, event.channel)
            self.core.ctx.spawn_inbound(self._message(event, reply_thread(body)), "slack-message")
        await ack()

    async def _on_home_opened(self, ack: Ack, body: Json, client: AsyncWebClient) -> None:
        event: Json = body.get("event") or {}
        if event.get("tab") == "home" and event.get("user"):
            self._enter(body, event["user"])
            self.core.ctx.spawn_inbound(self._publish_home(client, event["user"]), "slack-home")
        await ack()

    async def _on_profile_changed(self, ack: Ack, body: Json) -> None:
        """team_join / user_change: refresh the cached profile (time zone, email, admin)."""
        user: Json = (body.get("event") or {}).get("user") or {}
        if user.get("id"):
            self._enter(body, user["id"])
            self.core.ctx.spawn_inbound(self._profile_changed(user), "slack-profile")
        await ack()

    async def _on_uninstalled(self, ack: Ack, body: Json) -> None:
        """The workspace removed the app: forget its installation (and tokens)."""
        await ack()
        await self._forget(body, bot_only=False)

    async def _on_tokens_revoked(self, ack: Ack, body: Json) -> None:
        """The bot token was revoked: forget it, so nothing tries it again."""
        await ack()
        if ((body.get("event") or {}).get("tokens") or {}).get("bot"):
            await self._forget(body, bot_only=True)

    async def _forget(self, body: Json, bot_only: bool) -> None:
        where = workspace_of(body)
        store = self.workspaces.store
        if store is None or where is None:  # one workspace with a bot token: nothing stored
            log.warning("Slack says the app was uninstalled or its token revoked in %s", where)
            return
        if bot_only:
            await store.async_delete_bot(enterprise_id=where.org_id, team_id=where.workspace_id)
        else:
            await store.async_delete_all(enterprise_id=where.org_id, team_id=where.workspace_id)
        self.workspaces.forget_clients()
        log.info("forgot the installation of workspace %s", where.workspace_id)

    async def _on_open_form(self, ack: Ack, body: Json, client: AsyncWebClient) -> None:
        event = action_event(body)
        self._enter(body, event.member.user_id)
        # A form offered in an ephemeral reply (e.g. `/align strategy edit` in a channel): what
        # follows its submission goes to the person's DM, never into that channel; a "Not
        # right?" on feedback answers in its check-in's thread.
        where = None if (body.get("container") or {}).get("is_ephemeral") else action_thread(body)
        shown = _feedback_pressed(body, event.value) if where else None

        async def tell(message: Message) -> None:
            await self._reply(where.channel if where else await self.dm_channel(event.member.user_id),
                              [message], where.message_id if where else None, event.member.user_id)
        # Urgent: not queued behind other work, as Slack's trigger id for the modal lives 3 s.
        opening = self._open_form(client, event.member.user_id, event.value, body.get("trigger_id") or "",
                                  where, shown)
        self.core.ctx.spawn_inbound(self._guard(event, opening, tell), "slack-open-form", urgent=True)
        await ack()

    async def _on_action(self, ack: Ack, body: Json, respond: Respond) -> None:
        event = action_event(body)
        self._enter(body, event.member.user_id)
        if (body.get("container") or {}).get("is_ephemeral"):
            # A button on a slash command's reply (e.g. `/align forget`'s Confirm): only its
            # reader may see the outcome, so it replaces that reply instead of being posted
            # in the channel the command was typed in.
            self.core.ctx.spawn_inbound(self._act_ephemeral(replace(event, message=None), respond),
                                        "slack-action")
        else:
            self.core.ctx.spawn_inbound(self._act(event), "slack-action")
        await ack()

    async def _on_form_submitted(self, ack: Ack, body: Json) -> None:
        """A check-in or correction form's Save through bolt: in Socket Mode, and with OAuth
        installs (bolt's authorization answers a workspace without an installation). Over HTTP
        with one workspace `_answer_request` takes it without bolt (`_form_submitted`)."""
        errors = await self._form_submitted(body)
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()  # closes the modal; what was saved and the feedback follow in the DM thread

    async def _form_submitted(self, body: Json) -> dict[str, str] | None:
        """Take a submitted form: the errors to keep the modal open with (nothing typed; the
        database not answering, so closing it would lose what was typed), or None once its work
        is spawned - the ack then closes the modal, and what was saved and the feedback follow
        in the DM thread."""
        view: Json = body["view"]
        meta = _metadata(view)
        values = form_values(view)
        typed = [f for f in typed_fields(view) if f in values]
        if typed and not any(values[f].strip() for f in typed):
            # Nothing typed: keep the modal open with a note on the first input, as Slack users expect.
            return {typed[0]: self.core.ctx.prompts.say("form_empty")}
        if values and not await self.core.database_ready():
            # Closing the modal now would lose what was typed: keep it open, saying why.
            return {next(iter(values)): self.core.ctx.prompts.say("form_unavailable")}
        self._enter(body, body["user"]["id"])
        thread = (MessageRef("slack", meta["channel"], meta["ts"])
                  if meta.get("channel") and meta.get("ts") else None)
        shown = (MessageRef(PLATFORM, str(meta["channel"]), str(meta["feedback"]))
                 if thread is not None and meta.get("feedback") else None)
        event = ActionInvoked(member(body["user"]["id"]), str(meta.get("form", "")),
                              values=values, message=thread, event_id=submission_id(body), raw=body)
        self.core.ctx.spawn_inbound(self._act(event, shown), "slack-form-submitted")
        return None

    # --- the work -------------------------------------------------------------------------

    async def _guard(self, event: InboundEvent, work: Awaitable[None],
                     tell: Callable[[Message], Awaitable[None]]) -> None:
        """Run the work one input started; if it fails, tell the person (nothing saved, try again
        later; or our fault) instead of leaving them waiting. A bug is re-raised, so the task's
        failure is logged with its traceback; Slack itself failing (unreachable, an API error,
        a response_url that no longer answers) is a warning: nothing of ours to fix."""
        try:
            await work
        except Exception as exc:
            try:
                await tell(self.core.failure_reply(event, exc))
            except Exception as told:  # Slack failing too: the log is all that is left
                log.warning("could not tell %s that their input failed: %s", event, told)
            if isinstance(exc, _PLATFORM_FAILURES):
                log.warning("Slack failed while handling %s: %s: %s", type(event).__name__,
                            type(exc).__name__, exc)
            elif not isinstance(exc, DatabaseUnavailable):
                raise

    async def _respond(self, respond: Respond, reply: Message, *, replace_original: bool) -> None:
        """An ephemeral reply through the interaction's response_url: on the kept-alive session
        when there is one (bolt's `respond` opens a new session and connection per call)."""
        url = getattr(respond, "response_url", None)
        if self.session is None or not url:
            await respond(text=fallback_text(reply), blocks=message_blocks(reply),
                          response_type="ephemeral", replace_original=replace_original)
            return
        await AsyncWebhookClient(url, session=self.session).send(
            text=fallback_text(reply), blocks=message_blocks(reply), response_type="ephemeral",
            replace_original=replace_original)

    async def _command(self, event: CommandInvoked, respond: Respond) -> None:
        async def tell(reply: Message) -> None:
            await self._respond(respond, reply, replace_original=False)

        async def work() -> None:
            for reply in await self.core.handle(await self._with_admin_flag(event)):
                await tell(reply)
        await self._guard(event, work(), tell)

    async def _message(self, event: UserMessage, thread_ts: str | None) -> None:
        async def tell(reply: Message) -> None:
            await self._reply(event.channel, [reply], thread_ts, event.member.user_id)
        await self._guard(event, self._answer(event, thread_ts), tell)

    async def _answer(self, event: UserMessage, thread_ts: str | None) -> None:
        """A DM: replies go in the thread the person wrote in, else in their check-in's thread
        (asked before the answer is recorded: answering the last question closes nothing, but
        the thread must be the one the person was answering)."""
        async with self._conversation(event.member.user_id):
            event = await self._with_files(event)
            if answer_request(event) is not None:  # one unit of work says which check-in too
                handled = await self.core.respond(event)
                checkin = handled.checkin
            else:
                checkin = await self.core.open_checkin(event.member)
                handled = Handled(await self.core.handle(event))
        replies = handled.replies
        invitation = checkin.thread if checkin and checkin.thread else None
        if thread_ts is None and invitation is not None and invitation.channel == event.channel:
            thread_ts = invitation.message_id
        await self._reply(event.channel, replies, thread_ts, event.member.user_id)
        if checkin is None or invitation is None or not replies:
            return
        if handled.answer:  # the invitation as the answer left it (None: nothing changed)
            if handled.invitation is not None:
                await self.core.ctx.intake.make_way()
                await self.update(invitation, handled.invitation)
            return
        await self._refresh_invitation(event.member.user_id, checkin.form_id, invitation)

    async def _with_files(self, event: UserMessage) -> UserMessage:
        """A DM with strategy YAML files attached (a file share): their text, fetched with the
        bot token (files:read), so the core can propose them. The download URL comes from
        files.info, never from the event, so the token only goes where Slack says."""
        files = ((event.raw or {}).get("event") or {}).get("files") or []
        wanted = [f for f in files if isinstance(f, dict) and f.get("id")
                  and is_strategy_upload(str(f.get("name") or ""))][:MAX_FILES]
        if not wanted:
            return event
        client = await self.client_for(event.member.user_id)
        fetched = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=FILE_TIMEOUT)) as http:
            for shared in wanted:
                info: Json = (await client.files_info(file=str(shared["id"]))).get("file") or {}
                url, size = info.get("url_private_download"), int(info.get("size") or 0)
                if not url or size > MAX_UPLOAD_CHARS:
                    log.warning("file %s not fetched (%s bytes)", shared["id"], size)
                    continue
                async with http.get(url, headers={"Authorization": f"Bearer {client.token}"}) as got:
                    if got.status != 200:
                        log.warning("file %s not fetched: HTTP %s", shared["id"], got.status)
                        continue
                    data = await got.content.read(MAX_UPLOAD_CHARS)
                fetched.append(Attachment(str(info.get("name") or shared["name"]),
                                          data.decode("utf-8", errors="replace")))
        return replace(event, attachments=tuple(fetched))

    async def _with_admin_flag(self, event: CommandInvoked) -> CommandInvoked:
        """Someone not on the team yet: ask Slack (users.info) whether they are a workspace admin
        or owner, who are admins here too. Members' admin flag comes from their cached profile."""
        if await self.core.knows(event.member):
            return event
        try:
            found = await self.lookup(event.member.user_id)
        except DeliveryError as exc:  # Slack unreachable: treat as not an admin, still answer
            log.warning("could not look up %s's Slack profile: %s", event.member.user_id, exc)
            return event
        return replace(event, platform_admin=bool(found and found.is_platform_admin))

    def _conversation(self, user_id: str) -> asyncio.Lock:
        """One person's DMs are handled in order: two quick messages answer two questions,
        rather than both racing for the current one."""
        lock = self._locks.get(user_id)
        if lock is None:
            lock = self._locks[user_id] = asyncio.Lock()
        return lock

    async def _publish_home(self, client: AsyncWebClient, user_id: str) -> None:
        """The Home tab; with the database unavailable the last published view stays (it is
        published afresh the next time the tab is opened)."""
        try:
            home = await self.core.home(member(user_id))
        except DatabaseUnavailable as exc:
            log.warning("Home tab of %s not refreshed: %s", user_id, exc)
            return
        await client.views_publish(user_id=user_id, view=home_view(home))

    async def _profile_changed(self, user: Json) -> None:
        """A deactivated account is marked unreachable at once; any other change refreshes the
        cached profile (and clears such a mark)."""
        if user.get("deleted"):
            await self.core.handle(MemberUnreachable(member(user["id"]), "account_inactive", raw=user))
            return
        known = profile(user)
        if known is not None:
            await self.core.handle(MemberJoined(known, raw=user))

    async def _open_form(self, client: AsyncWebClient, user_id: str, form_id: str, trigger_id: str,
                         where: MessageRef | None, shown: MessageRef | None = None) -> None:
        """Open the form in a modal; when the core refuses it (not this person's, closed, the
        answer gone, ...), a modal saying why instead, seen only by the person who pressed.
        Slack's trigger id lives 3 s and opens one view: past that, a note in their DM asks them
        to press again. `shown`: the feedback message a "Not right?" was pressed on, carried in
        the modal (its ts as `feedback`) so that Save can rewrite it in place."""
        form = await self.core.form(member(user_id), form_id)
        prompts = self.core.ctx.prompts
        if isinstance(form, (QuestionForm, ChoiceForm)):
            meta = {"form": form_id, **({"channel": where.channel, "ts": where.message_id} if where else {}),
                    **({"feedback": shown.message_id} if where and shown else {})}
            view = form_view(form, meta)
        else:
            view = notice_view(prompts.say("form_refused_title"),
                               form.text if form is not None else prompts.say("form_gone"),
                               prompts.say("form_refused_close"))
        try:
            await client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            if error_code(exc) not in ("expired_trigger_id", "exchanged_trigger_id"):
                raise
            log.warning("form %s not opened for %s: %s", form_id, user_id, error_code(exc))
            text = prompts.say("form_trigger_expired") if isinstance(form, (QuestionForm, ChoiceForm)) \
                else (form.text if form is not None else prompts.say("form_gone"))
            await self._reply(await self.dm_channel(user_id), [Message.plain(text)], None, user_id)

    async def _act(self, event: ActionInvoked, shown: MessageRef | None = None) -> None:
        """A button or a modal's Save. `shown`: the feedback message a "Not right?" modal was
        opened from, rewritten with the corrected reading before the replies are posted."""
        where = event.message

        async def tell(reply: Message) -> None:
            channel = where.channel if where else await self.dm_channel(event.member.user_id)
            await self._reply(channel, [reply], where.message_id if where else None, event.member.user_id)

        async def work() -> None:
            handled = await self.core.respond(event)
            replies = handled.replies
            if shown is not None and replies and event.action_id.startswith(f"{CORRECTION_FORM}:") \
                    and await self._show_corrected(event, shown):
                # The feedback pressed on now shows the correction: a copy of it below would
                # keep the first correction when the person corrects again on the other one.
                replies = [r for r in replies if not r.holds_form(event.action_id)]
            for reply in replies:
                await tell(reply)
            if not event.values or where is None:
                return
            if handled.answer:  # a check-in form: the invitation as it left it (None: unchanged)
                if handled.invitation is not None:
                    await self.core.ctx.intake.make_way()
                    await self.update(where, handled.invitation)
                return
            await self._refresh_invitation(event.member.user_id, event.action_id, where)
        await self._guard(event, work(), tell)

    async def _act_ephemeral(self, event: ActionInvoked, respond: Respond) -> None:
        async def tell(reply: Message, first: bool = False) -> None:
            await self._respond(respond, reply, replace_original=first)

        async def work() -> None:
            for number, reply in enumerate(await self.core.handle(event)):
                await tell(reply, first=number == 0)
        await self._guard(event, work(), tell)

    async def forget(self, to: MemberRef) -> None:
        """A member is being forgotten: their Home tab showed their answers and feedback, so it
        is replaced by the page for someone the bot does not know; their DM ids are dropped."""
        client = await self.client_for(to.user_id)
        await client.views_publish(user_id=to.user_id, view=home_view(await home(self.core.ctx, None)))
        channel = self._dm.pop(to.user_id, None)
        if channel is not None:
            self._dm_user.pop(channel, None)
        self._locks.pop(to.user_id, None)

    async def _show_corrected(self, event: ActionInvoked, shown: MessageRef) -> bool:
        """After a "Not right?" Save, the feedback message it was pressed on shows what the bot
        reads now (its button pre-filled with the correction), so the thread holds one feedback
        per answer, never two verdicts that contradict each other, and a second correction
        rewrites that same message again. The core writes it from the stored verdict; when it
        refuses (not theirs, gone) the message stays as it was and the reply says why. Whether
        it was rewritten: with the database or Slack failing, the corrected feedback follows as
        a reply instead."""
        try:
            found = await self.core.feedback(event.member, event.action_id)
        except DatabaseUnavailable as exc:
            log.warning("feedback of %s not updated: %s", event.action_id, exc)
            return False
        if not isinstance(found, Message):
            return False
        await self.core.ctx.intake.make_way()
        try:
            await self.update(shown, found)
        except DeliveryError as exc:  # deleted meanwhile, or Slack failing: the reply still goes
            log.warning("feedback of %s not updated: %s", event.action_id, exc)
            return False
        return True

    async def _refresh_invitation(self, user_id: str, form_id: str, where: MessageRef) -> None:
        """Update the invitation in place: its button now reads "Edit answers" (until it closes).
        Cosmetic: with the database unavailable it is left as it was."""
        try:
            invitation = await self.core.invitation(member(user_id), form_id)
        except DatabaseUnavailable as exc:
            log.warning("invitation of %s not refreshed: %s", form_id, exc)
            return
        if invitation is not None:
            await self.update(where, invitation)

    async def _reply(self, channel: str, replies: list[Message], thread_ts: str | None,
                     user_id: str) -> None:
        """Show the core's replies to the person who acted, in their DM (thread); each after the
        acks of any burst arriving meanwhile."""
        for reply in replies:
            await self.core.ctx.intake.make_way()
            await self.post(channel, reply, thread_ts=thread_ts, user_id=user_id)


async def _acked(*args: Any, **kwargs: Any) -> None:
    """The ack of a listener called without bolt (`_message_directly`): the request was acked."""


def _feedback_pressed(body: Json, form_id: str) -> MessageRef | None:
    """The message a "Not right?" was pressed on, when it holds that one feedback (every
    feedback is its own post; a message with another correction button is not rewritten)."""
    if not form_id.startswith(f"{CORRECTION_FORM}:"):
        return None
    blocks = (body.get("message") or {}).get("blocks") or []
    others = [element.get("value") for block in blocks if isinstance(block, dict)
              for element in block.get("elements") or [] if isinstance(element, dict)
              and element.get("action_id") == OPEN_FORM_ACTION
              and str(element.get("value", "")).startswith(f"{CORRECTION_FORM}:")]
    if any(value != form_id for value in others):
        return None
    return action_message(body)


def _ack_first(body: Json) -> str | None:
    """What kind of request `body` is if its ack can go before bolt's dispatch (its ack is an
    empty 200 whatever the listener does): an Events API event the app subscribes to, or a
    button press ("open-form": the Answer button, whose modal must open within 3 s, so its
    dispatch waits for the acks but not for a slot). None for the rest: a modal submission's
    ack can keep the modal open with errors, a slash command's can carry its reply, and
    url_verification's the challenge."""
    kind = body.get("type")
    if kind == "event_callback":
        return "event" if (body.get("event") or {}).get("type") in EVENTS else None
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return "open-form" if actions[0].get("action_id") == OPEN_FORM_ACTION else "action"
    return None


def _is_form_submission(body: Json) -> bool:
    """Whether `body` (checked by `read_body`) is the Save of a form the bot opened: a check-in's
    questions or a correction's pick-lists (`form_view`)."""
    view = body.get("view")
    return body.get("type") == "view_submission" and isinstance(view, dict) \
        and view.get("callback_id") == FORM_CALLBACK


def _metadata(view: Json) -> Json:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


__all__ = ["COMMAND", "EVENTS", "EVENTS_PATH", "INSTALL_PATH", "REDIRECT_PATH", "OAuthConfig",
           "SlackAdapter", "manifest_scopes"]
