"""The running Slack connection: a bolt AsyncApp whose listeners feed the core, served over HTTP
(aiohttp, `/slack/events`, signature verified by bolt) or Socket Mode (when an app token is set).

Every listener acknowledges at once and hands the work to a tracked task (`BotContext.spawn`):
Slack wants an ack within 3 s, and the core then records, evaluates and replies. Retried Events
API deliveries carry the same `event_id`, which the core records before doing anything, so a retry
never stores an answer twice.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import FORM_CALLBACK, OPEN_FORM_ACTION, fallback_text, form_view, message_blocks
from adapters.slack.convert import (
    action_message,
    command_event,
    form_values,
    member,
    message_event,
    reply_thread,
)
from adapters.slack.port import SlackPort
from bot.core import BotCore
from bot.events import ActionInvoked, CommandInvoked, Message, MessageRef, UserMessage

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
COMMAND = "/align"
Json = dict[str, Any]
Respond = Any  # bolt's AsyncRespond (bolt ships no type hints mypy can use)
Ack = Any


class SlackAdapter(SlackPort):
    """The Slack ChatPort plus its lifecycle: `start()` serves HTTP or connects Socket Mode."""

    def __init__(self, core: BotCore, client: AsyncWebClient, *, signing_secret: str | None = None,
                 app_token: str | None = None, host: str = "0.0.0.0", http_port: int = 3000) -> None:
        super().__init__(client)
        if app_token is None and not signing_secret:
            raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
        self.core = core
        self.app_token = app_token
        self.host = host
        self.http_port = http_port
        self.app = AsyncApp(client=client, signing_secret=signing_secret,
                            request_verification_enabled=app_token is None,
                            process_before_response=True,  # listeners only spawn tracked work
                            logger=logging.getLogger("slack_bolt"))
        self._register(self.app)
        self._runner: web.AppRunner | None = None
        self._socket: Any = None

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.core.attach(self)
        if self.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            log.info("Slack adapter connected in Socket Mode")
            return
        self._runner = web.AppRunner(self.web_app(), access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.http_port).start()
        log.info("Slack adapter listening on http://%s:%s%s", self.host, self.bound_port, EVENTS_PATH)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.core.ctx.drain()

    @property
    def bound_port(self) -> int:
        """The HTTP port actually listened on (useful with port 0)."""
        assert self._runner is not None, "not started in HTTP mode"
        return int(self._runner.addresses[0][1])

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(EVENTS_PATH, self._dispatch)
        app.router.add_get("/healthz", self._health)
        return app

    async def _dispatch(self, request: web.Request) -> web.Response:
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    # --- listeners: ack at once, work in a tracked task ----------------------------------

    def _register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self._on_command)
        app.event("message")(self._on_message)
        app.action(OPEN_FORM_ACTION)(self._on_open_form)
        app.action(re.compile(r"^(?!" + re.escape(OPEN_FORM_ACTION) + r"$).+"))(self._on_action)
        app.view_submission(FORM_CALLBACK)(self._on_form_submitted)

    async def _on_command(self, ack: Ack, body: Json, respond: Respond) -> None:
        event = command_event(body)
        self.core.ctx.spawn(self._command(event, respond), "slack-command")
        await ack()

    async def _on_message(self, ack: Ack, body: Json) -> None:
        event = message_event(body)
        if event is not None:
            self.core.ctx.spawn(self._message(event, reply_thread(body)), "slack-message")
        await ack()

    async def _on_open_form(self, ack: Ack, body: Json) -> None:
        action: Json = body["actions"][0]
        self.core.ctx.spawn(self._open_form(body["user"]["id"], action.get("value") or "",
                                            body["trigger_id"], action_message(body)), "slack-open-form")
        await ack()

    async def _on_action(self, ack: Ack, body: Json) -> None:
        action: Json = body["actions"][0]
        event = ActionInvoked(member(body["user"]["id"]), action["action_id"], action.get("value") or "",
                              message=action_message(body), raw=body)
        self.core.ctx.spawn(self._act(event), "slack-action")
        await ack()

    async def _on_form_submitted(self, ack: Ack, body: Json, view: Json) -> None:
        meta = _metadata(view)
        thread = (MessageRef("slack", meta["channel"], meta["ts"])
                  if meta.get("channel") and meta.get("ts") else None)
        event = ActionInvoked(member(body["user"]["id"]), str(meta.get("form", "")),
                              values=form_values(view), message=thread, raw=body)
        self.core.ctx.spawn(self._act(event), "slack-form-submitted")
        await ack()  # closes the modal; the saved answers and feedback follow in the DM thread

    # --- the work -------------------------------------------------------------------------

    async def _command(self, event: CommandInvoked, respond: Respond) -> None:
        for reply in await self.core.handle(event):
            await respond(text=fallback_text(reply), blocks=message_blocks(reply),
                          response_type="ephemeral", replace_original=False)

    async def _message(self, event: UserMessage, thread_ts: str | None) -> None:
        replies = await self.core.handle(event)
        await self._reply(event.channel, replies, thread_ts)

    async def _open_form(self, user_id: str, form_id: str, trigger_id: str,
                         where: MessageRef | None) -> None:
        form = await self.core.form(member(user_id), form_id)
        if form is None:
            closed = Message.plain("That check-in has closed or is not yours; your earlier answers are kept.")
            channel = where.channel if where else await self.dm_channel(user_id)
            await self._reply(channel, [closed], where.message_id if where else None)
            return
        meta = {"form": form_id, **({"channel": where.channel, "ts": where.message_id} if where else {})}
        await self.client.views_open(trigger_id=trigger_id, view=form_view(form, meta))

    async def _act(self, event: ActionInvoked) -> None:
        replies = await self.core.handle(event)
        where = event.message
        channel = where.channel if where else await self.dm_channel(event.member.user_id)
        await self._reply(channel, replies, where.message_id if where else None)

    async def _reply(self, channel: str, replies: list[Message], thread_ts: str | None) -> None:
        """Show the core's replies to the person who acted, in their DM (thread)."""
        for reply in replies:
            await self.post(channel, reply, thread_ts=thread_ts)


def _metadata(view: Json) -> Json:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


__all__ = ["COMMAND", "EVENTS_PATH", "SlackAdapter"]
