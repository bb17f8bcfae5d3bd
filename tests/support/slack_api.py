"""A fake Slack Web API on 127.0.0.1 for tests that run the real bolt and slack_sdk code.

    async with fake_slack_api() as api:
        api.add_user("U0DANA1", "Dana", tz="America/New_York")
        api.fail("chat.postMessage", SlackReply.rate_limited(retry_after=0))
        client = build_client("xoxb-test", base_url=api.base_url)

It binds port 0, records every call (method, arguments from the query string, form or JSON body,
headers), keeps a little state so answers look real (DM channels, posted messages with their
metadata, users), answers scripted failures first (`ratelimited` + Retry-After, `user_not_found`,
`account_inactive`, HTTP 500, a slow answer, ...) and also receives `response_url` posts
(`/respond/<id>`).

It also holds the checks every recorded call is put through: the Slack Web API OpenAPI spec in
`../shared/specs/` (method exists, required arguments present, no unknown arguments except the
few newer than the archived spec), and Slack's documented Block Kit limits.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

from tests.support.specs import spec

Json = dict[str, Any]
SPEC_FILE = spec("slack_web_openapi_v2.json")
BOT_USER = "U0BOT0001"
BOT_ID = "B0BOT0001"
TEAM = "T0TEAM001"

# Arguments slack_sdk and bolt send that the 2021 spec predates (message metadata came in 2022;
# bolt's authorization passes the request's team_id to auth.test, as org-wide apps need).
NEWER_THAN_SPEC = {
    "auth.test": {"team_id"},
    "chat.postMessage": {"metadata"},
    "chat.update": {"metadata"},
    "conversations.history": {"include_all_metadata"},
}
# Methods newer than the archived spec, with their documented arguments (docs.slack.dev/reference/
# methods/...): (required, optional). Files upload v2 came in 2024; Socket Mode's URL in 2021.
METHODS_NEWER_THAN_SPEC: dict[str, tuple[set[str], set[str]]] = {
    "files.getUploadURLExternal": ({"filename", "length"}, {"alt_txt", "snippet_type"}),
    "files.completeUploadExternal": ({"files"}, {"channel_id", "channels", "initial_comment",
                                                 "thread_ts", "blocks"}),
    "apps.connections.open": (set(), set()),
}
# Which token each method is called with (default: a bot token).
TOKEN_KIND = {"oauth.v2.access": "Basic ", "apps.connections.open": "Bearer xapp-", "api.test": ""}


@dataclass(frozen=True)
class SlackReply:
    """A scripted answer for one call: a Slack error (HTTP 200, ok=false) or an HTTP status."""

    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # a slow answer: the call is carried out, the answer comes this late

    @classmethod
    def error_code(cls, error: str) -> SlackReply:
        return cls(error=error)

    @classmethod
    def rate_limited(cls, retry_after: int = 0) -> SlackReply:
        return cls(status=429, error="ratelimited", headers={"Retry-After": str(retry_after)})

    @classmethod
    def server_error(cls, status: int = 500) -> SlackReply:
        return cls(status=status)

    @classmethod
    def slow(cls, delay: float) -> SlackReply:
        """The call succeeds (a message is posted) but its answer takes `delay` seconds: a
        client that times out first cannot tell whether it went through."""
        return cls(delay=delay)


@dataclass(frozen=True)
class Call:
    method: str
    args: Json
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when received (to check Retry-After was waited)
    peer: int = 0  # the caller's TCP port (which process called, when several do)


class FakeSlackApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, Json]] = []  # (response_url id, body)
        self.users: dict[str, Json] = {}
        self.messages: dict[str, list[Json]] = defaultdict(list)
        self._script: dict[str, deque[SlackReply]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.install_codes: dict[str, tuple[str, str]] = {}  # OAuth code -> (team id, bot token)
        self.tokens: dict[str, str] = {"xoxb-test-token": TEAM}  # bot token -> team id
        self.uploads: dict[str, bytes] = {}  # file id -> bytes uploaded to its upload URL
        self.files: dict[str, Json] = {}  # file id -> getUploadURLExternal arguments
        self.shared: dict[str, tuple[str, bytes]] = {}  # file id -> (name, bytes) a person sent
        self.published: list[Json] = []  # views.publish arguments, decoded
        self.socket_acks: list[Json] = []  # what the Socket Mode client sent back
        self._sockets: list[web.WebSocketResponse] = []
        self._authorization = ""
        self.delays: dict[str, float] = {}  # method -> seconds to hold the answer (see `slow`)
        self.in_flight: Counter[int] = Counter()  # caller port -> calls accepted, not yet answered
        self.hold_if: Callable[[Call], bool] | None = None  # calls acted on, answered on `released`
        self.released = asyncio.Event()

    # --- setup ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def add_user(self, user_id: str, name: str, *, tz: str = "UTC", email: str | None = None,
                 is_admin: bool = False, is_owner: bool = False, deleted: bool = False,
                 team: str = TEAM) -> Json:
        user = {"id": user_id, "team_id": team, "name": name.lower(), "real_name": name, "tz": tz,
                "deleted": deleted, "is_bot": False, "is_admin": is_admin, "is_owner": is_owner,
                "profile": {"real_name": name, "display_name": name,
                            "email": email or f"{name.lower()}@example.com"}}
        self.users[user_id] = user
        return user

    def fail(self, method: str, *replies: SlackReply) -> None:
        """The next calls of `method` get these replies, in order, before normal service."""
        self._script[method].extend(replies)

    def slow(self, method: str, seconds: float) -> None:
        """Answer `method` only `seconds` after acting on it (a slow platform: the message is
        posted at once, the caller learns it later)."""
        self.delays[method] = seconds

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Until `predicate()` holds (checked after every recorded call); TimeoutError after
        `within` seconds. For work the tests cannot drain (e.g. another process's)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    # --- server ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/private/{file_id}/{name}", self._download)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def install_code(self, code: str, team_id: str, bot_token: str) -> None:
        """`code` exchanged by oauth.v2.access installs the app in `team_id` with `bot_token`."""
        self.install_codes[code] = (team_id, bot_token)
        self.tokens[bot_token] = team_id

    async def _record(self, call: Call | None = None, response: tuple[str, Json] | None = None) -> None:
        async with self._changed:
            if call:
                self.calls.append(call)
            if response:
                self.responses.append(response)
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: Json = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(parse_qsl(await request.text())))
        peer = request.transport.get_extra_info("peername") if request.transport else None
        call = Call(method, args, dict(request.headers), time.monotonic(), peer=peer[1] if peer else 0)
        delay = self.delays.get(method, 0.0)
        held = self.hold_if is not None and self.hold_if(call)
        if delay or held:
            self.in_flight[call.peer] += 1
        try:
            await self._record(call)
            self._authorization = request.headers.get("Authorization", "")
            response = await self._answer(method, args)
            if delay:
                await asyncio.sleep(delay)
            if held:
                await self.released.wait()
            return response
        finally:
            if delay or held:
                self.in_flight[call.peer] -= 1

    async def _answer(self, method: str, args: Json) -> web.Response:
        if self._script[method]:
            reply = self._script[method].popleft()
            if reply.delay:
                handler = getattr(self, "_" + method.replace(".", "_"))
                body = handler(args)
                await asyncio.sleep(reply.delay)
                return web.json_response(body)
            body = {"ok": False, "error": reply.error} if reply.error else None
            if body is None:
                return web.Response(status=reply.status, text="Internal Server Error", headers=reply.headers)
            return web.json_response(body, status=reply.status, headers=reply.headers)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {"ok": False, "error": "unknown_method"}
        return web.json_response(body)

    async def _respond(self, request: web.Request) -> web.Response:
        await self._record(response=(request.match_info["name"], await request.json()))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of files upload v2: the bytes, posted to the URL getUploadURLExternal gave."""
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404, text="unknown upload URL")
        self.uploads[file_id] = await request.read()
        await self._record()
        return web.Response(text="OK - " + str(len(self.uploads[file_id])))

    # --- Socket Mode ------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                            "connection_info": {"app_id": "A0APP0001"}})
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                async with self._changed:
                    self.socket_acks.append(json.loads(msg.data))
                    self._changed.notify_all()
        return ws

    async def socket_send(self, envelope: Json) -> None:
        """Push a Socket Mode envelope to every connected client."""
        for ws in self._sockets:
            if not ws.closed:
                await ws.send_json(envelope)

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    # --- methods --------------------------------------------------------------------------

    def _auth_test(self, args: Json) -> Json:
        token = self._authorization.removeprefix("Bearer ")
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        team = self.tokens[token]
        return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "alignbot",
                "team_id": team, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _api_test(self, args: Json) -> Json:
        return {"ok": True, "args": {k: v for k, v in args.items() if k != "token"}}

    def _oauth_v2_access(self, args: Json) -> Json:
        if args.get("code") not in self.install_codes:
            return {"ok": False, "error": "invalid_code"}
        team, token = self.install_codes.pop(str(args["code"]))
        return {"ok": True, "app_id": "A0APP0001", "authed_user": {"id": "U0INSTALL"},
                "scope": "chat:write,commands", "token_type": "bot", "access_token": token,
                "bot_user_id": BOT_USER, "team": {"id": team, "name": f"Team {team}"},
                "enterprise": None, "is_enterprise_install": False}

    def _apps_connections_open(self, args: Json) -> Json:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    def _views_publish(self, args: Json) -> Json:
        view = _decoded(args.get("view")) or {}
        self.published.append({"user_id": args.get("user_id"), "view": view})
        return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **view}}

    def _files_getUploadURLExternal(self, args: Json) -> Json:
        file_id = f"F{next(self._ts):08d}"
        self.files[file_id] = dict(args)
        return {"ok": True, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
                "file_id": file_id}

    def _files_completeUploadExternal(self, args: Json) -> Json:
        files = _decoded(args.get("files")) or []
        missing = [f["id"] for f in files if f["id"] not in self.uploads]
        if missing:
            return {"ok": False, "error": "file_not_found"}
        channel = str(args.get("channel_id") or "")
        for f in files:
            message = {"type": "message", "user": BOT_USER, "ts": f"{1_772_460_000 + next(self._ts)}.000100",
                       "files": [{"id": f["id"], "title": f.get("title")}], "text": ""}
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            if channel:
                self.messages[channel].append(message)
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _user(self, user_id: str) -> Json | None:
        return self.users.get(user_id)

    def _conversations_open(self, args: Json) -> Json:
        user_id = str(args.get("users", "")).split(",")[0]
        if self._user(user_id) is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + user_id[1:]}}

    def _channel(self, channel: str) -> str:
        return "D" + channel[1:] if channel[:1] in ("U", "W") else channel

    def _chat_postMessage(self, args: Json) -> Json:
        if str(args["channel"])[:1] in ("U", "W") and self._user(str(args["channel"])) is None:
            return {"ok": False, "error": "channel_not_found"}  # as Slack answers an unknown user id
        channel = self._channel(str(args["channel"]))
        ts = f"{1_772_460_000 + next(self._ts)}.000100"
        message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts,
                   "text": args.get("text", ""), "blocks": _decoded(args.get("blocks")) or []}
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        if args.get("metadata"):
            message["metadata"] = _decoded(args["metadata"])
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: Json) -> Json:
        channel = str(args["channel"])
        for message in self.messages[channel]:
            if message["ts"] == args["ts"]:
                message.update(text=args.get("text", ""), blocks=_decoded(args.get("blocks")) or [])
                return {"ok": True, "channel": channel, "ts": args["ts"], "text": message["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _conversations_history(self, args: Json) -> Json:
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        limit = int(args.get("limit", 100))
        newest_first = list(reversed(self.messages[str(args["channel"])]))[:limit]
        shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"}
                 for m in newest_first]
        return {"ok": True, "messages": shown, "has_more": False}

    def _views_open(self, args: Json) -> Json:
        view = _decoded(args.get("view")) or {}
        return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **view}}

    def share_file(self, file_id: str, name: str, data: bytes) -> Json:
        """A file a person shares in a DM; returns the `files` entry of its message event."""
        self.shared[file_id] = (name, data)
        return {"id": file_id, "name": name, "size": len(data), "filetype": "yaml"}

    def _files_info(self, args: Json) -> Json:
        file_id = str(args.get("file", ""))
        if file_id not in self.shared:
            return {"ok": False, "error": "file_not_found"}
        name, data = self.shared[file_id]
        return {"ok": True, "file": {
            "id": file_id, "name": name, "size": len(data), "filetype": "yaml",
            "url_private_download": f"http://127.0.0.1:{self.port}/private/{file_id}/{name}"}}

    async def _download(self, request: web.Request) -> web.Response:
        """A shared file's bytes, for a bot token only (Slack answers others with a login page)."""
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        found = self.shared.get(request.match_info["file_id"])
        if token not in self.tokens or found is None:
            return web.Response(status=302 if found else 404, headers={"Location": "/login"})
        await self._record()
        return web.Response(body=found[1], content_type="application/octet-stream")

    def _users_info(self, args: Json) -> Json:
        user = self._user(str(args.get("user", "")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _users_lookupByEmail(self, args: Json) -> Json:
        email = str(args.get("email", "")).lower()
        user = next((u for u in self.users.values() if u["profile"]["email"].lower() == email), None)
        return {"ok": True, "user": user} if user else {"ok": False, "error": "users_not_found"}

    def _users_list(self, args: Json) -> Json:
        return {"ok": True, "members": list(self.users.values()),
                "response_metadata": {"next_cursor": ""}}

    # --- what the bot sent ------------------------------------------------------------------

    def posts(self, channel: str | None = None) -> list[Json]:
        """chat.postMessage calls' arguments, optionally to one channel."""
        return [c.args for c in self.calls_to("chat.postMessage")
                if channel is None or self._channel(str(c.args["channel"])) == channel]


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in ("[", "{") else value


@asynccontextmanager
async def fake_slack_api() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


# --- signed requests into the bot ----------------------------------------------------------


def signature(secret: str, timestamp: str, body: str) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over "v0:{timestamp}:{body}"."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass(frozen=True)
class SignedPoster:
    """Posts signed requests to the bot's endpoint, as Slack does."""

    url: str
    secret: str

    async def post(self, body: str, content_type: str, *, timestamp: int | None = None,
                   sign_with: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                       "X-Slack-Signature": signature(sign_with or self.secret, ts, body),
                       **(headers or {})}
        async with aiohttp.ClientSession() as session, \
                session.post(self.url, data=body.encode(), headers=all_headers) as response:
            return response.status, await response.text()

    async def event(self, payload: Json, **kwargs: Any) -> tuple[int, str]:
        return await self.post(json.dumps(payload), "application/json", **kwargs)

    async def form(self, fields: Json, **kwargs: Any) -> tuple[int, str]:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    async def interaction(self, payload: Json, **kwargs: Any) -> tuple[int, str]:
        return await self.form({"payload": json.dumps(payload)}, **kwargs)


# --- payloads as Slack sends them ---------------------------------------------------------


def slash_command(user_id: str, text: str, response_url: str, channel: str = "C0GENERAL") -> Json:
    return {"token": "legacy", "team_id": TEAM, "team_domain": "acme", "channel_id": channel,
            "channel_name": "general", "user_id": user_id, "user_name": user_id.lower(),
            "command": "/align", "text": text, "api_app_id": "A0APP0001", "is_enterprise_install": "false",
            "response_url": response_url, "trigger_id": f"trigger-{user_id}-{next(_TRIGGERS)}"}


_TRIGGERS = itertools.count(1)  # Slack's trigger_id is unique per invocation


def dm_event(user_id: str, text: str, event_id: str, channel: str, ts: str = "1772460999.000200") -> Json:
    return {"token": "legacy", "team_id": TEAM, "api_app_id": "A0APP0001", "type": "event_callback",
            "event_id": event_id, "event_time": 1772460999,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {"type": "message", "channel_type": "im", "channel": channel, "user": user_id,
                      "text": text, "ts": ts, "event_ts": ts}}


def event_callback(event: Json, event_id: str, team: str = TEAM) -> Json:
    """Any Events API event (app_home_opened, team_join, user_change, ...) as Slack delivers it."""
    return {"token": "legacy", "team_id": team, "api_app_id": "A0APP0001", "type": "event_callback",
            "event_id": event_id, "event_time": 1772460999,
            "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}], "event": event}


def block_action(user_id: str, action: Json, channel: str, message_ts: str, trigger_id: str) -> Json:
    return {"type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user_id, "team_id": TEAM}, "api_app_id": "A0APP0001", "token": "legacy",
            "trigger_id": trigger_id,
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "user": BOT_USER, "bot_id": BOT_ID},
            "actions": [{"type": "button", "block_id": "b", "action_ts": "1772461000.1", **action}]}


def view_submission(user_id: str, view: Json, answers: Mapping[str, str | list[str]],
                    trigger_id: str | None = None) -> Json:
    """The submission of `view` (as views.open received it) with these inputs typed in, or for a
    select menu these option values chosen (a list): each call a view Slack opened anew (its own
    id, hash and trigger id)."""
    number = next(_TRIGGERS)
    state = {block["block_id"]: {block["element"]["action_id"]: _input_state(block["element"],
                                                                             answers.get(block["block_id"]))}
             for block in view["blocks"] if block["type"] == "input"}
    return {"type": "view_submission", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user_id, "team_id": TEAM}, "api_app_id": "A0APP0001", "token": "legacy",
            "trigger_id": trigger_id or f"trigger-submit-{number}",
            "view": {**view, "id": f"V0VIEW{number:03d}", "team_id": TEAM, "state": {"values": state},
                     "hash": f"1772461000.{number}", "app_id": "A0APP0001", "bot_id": BOT_ID},
            "response_urls": []}


def _input_state(element: Json, answer: str | list[str] | None) -> Json:
    """An input's state as Slack reports it: a text input's `value`; a select's chosen options
    (text and value, as they were offered), `selected_options: []` when none is chosen."""
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": answer}
    offered = [o for group in element.get("option_groups", [{"options": element.get("options", [])}])
               for o in group["options"]]
    chosen = [next(o for o in offered if o["value"] == value) for value in answer or []]
    if kind == "static_select":
        return {"type": kind, "selected_option": chosen[0] if chosen else None}
    return {"type": kind, "selected_options": chosen}


# --- checks -------------------------------------------------------------------------------


@cache
def _spec() -> Json:
    spec: Json = json.loads(Path(SPEC_FILE).read_text())
    return spec


def spec_problems(call: Call) -> list[str]:
    """What the Slack Web API spec says is wrong with a recorded call (empty when fine)."""
    operations = _spec()["paths"].get("/" + call.method)
    if call.method in METHODS_NEWER_THAN_SPEC:
        required, optional = METHODS_NEWER_THAN_SPEC[call.method]
        params = {name: {"required": True} for name in required} | {name: {} for name in optional}
    elif operations is None:
        return [f"{call.method}: no such method in the Web API spec"]
    else:
        operation = next(iter(operations.values()))
        params = {p["name"]: p for p in operation.get("parameters", [])}
    problems = [f"{call.method}: required argument {name!r} missing"
                for name, p in params.items() if p.get("required") and name != "token"
                and name not in call.args]
    # bolt's per-request client sends the request's team_id with every call (org-wide apps need it)
    allowed = set(params) | NEWER_THAN_SPEC.get(call.method, set()) | {"team_id"}
    problems += [f"{call.method}: argument {name!r} is not in the spec" for name in call.args
                 if name not in allowed]
    token = TOKEN_KIND.get(call.method, "Bearer xoxb-")
    if not call.headers.get("Authorization", "").startswith(token):
        problems.append(f"{call.method}: no {token.strip()} token in the Authorization header")
    return problems


_TEXT_LIMITS = {"header": 150, "section": 3000}


def block_problems(blocks: list[Json], limit: int) -> list[str]:
    """Slack's documented Block Kit limits (there is no public JSON schema for Block Kit)."""
    problems = [f"{len(blocks)} blocks (limit {limit})"] if len(blocks) > limit else []
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if len(block.get("block_id", "")) > 255:
            problems.append(f"block {i}: block_id longer than 255")
        text = (block.get("text") or {}).get("text", "")
        if kind in _TEXT_LIMITS and not 0 < len(text) <= _TEXT_LIMITS[kind] and "fields" not in block:
            problems.append(f"block {i}: {kind} text has {len(text)} characters")
        for f in block.get("fields", []):
            if len(f["text"]) > 2000:
                problems.append(f"block {i}: a field has {len(f['text'])} characters")
        if len(block.get("fields", [])) > 10:
            problems.append(f"block {i}: more than 10 fields")
        if kind == "actions":
            if len(block["elements"]) > 25:
                problems.append(f"block {i}: more than 25 elements")
            for el in block["elements"]:
                if len(el.get("action_id", "")) > 255:
                    problems.append(f"block {i}: action_id longer than 255")
                if el["type"] == "button" and len(el["text"]["text"]) > 75:
                    problems.append(f"block {i}: button text longer than 75")
                if len(el.get("value", "")) > 2000:
                    problems.append(f"block {i}: button value longer than 2000")
        if kind == "context" and len(block["elements"]) > 10:
            problems.append(f"block {i}: more than 10 context elements")
        if kind == "input":
            el = block["element"]
            if len(block["label"]["text"]) > 2000:
                problems.append(f"block {i}: input label longer than 2000")
            if len((block.get("hint") or {}).get("text", "")) > 2000:
                problems.append(f"block {i}: input hint longer than 2000")
            problems += [f"block {i}: {p}" for p in _select_problems(el)]
            if el.get("max_length", 0) > 3000 or len(el.get("initial_value", "")) > 3000:
                problems.append(f"block {i}: input longer than 3000")
            if len(el.get("action_id", "")) > 255:
                problems.append(f"block {i}: action_id longer than 255")
    return problems


def _select_problems(element: Json) -> list[str]:
    """A static select menu: 1-100 options (or 1-100 groups of 1-100), option text <= 75 and
    value <= 150, initial options exactly among those offered."""
    if element["type"] not in ("static_select", "multi_static_select"):
        return []
    groups = element.get("option_groups")
    if ("options" in element) == (groups is not None):
        return ["a select menu needs options or option_groups, not both"]
    problems = []
    if groups is not None and not 0 < len(groups) <= 100:
        problems.append(f"{len(groups)} option groups")
    offered = []
    for group in groups or [{"options": element["options"]}]:
        if not 0 < len(group["options"]) <= 100:
            problems.append(f"{len(group['options'])} options in a menu or group")
        if len((group.get("label") or {}).get("text", "")) > 75:
            problems.append("option group label longer than 75")
        offered += group["options"]
    for option in offered:
        if option["text"]["type"] != "plain_text" or len(option["text"]["text"]) > 75:
            problems.append(f"option text {option['text']['text'][:20]!r}: not plain_text of <= 75")
        if not 0 < len(option["value"]) <= 150:
            problems.append(f"option value {option['value'][:20]!r}: not 1-150 characters")
    initial = element.get("initial_options", []) + (
        [element["initial_option"]] if element.get("initial_option") else [])
    problems += [f"initial option {o['value']!r} is not one offered" for o in initial if o not in offered]
    return problems


def view_problems(view: Json) -> list[str]:
    problems = block_problems(view["blocks"], 100)
    for part in ("title", "submit", "close"):
        if part in view and len(view[part]["text"]) > 24:
            problems.append(f"view {part} longer than 24")
    if len(view.get("private_metadata", "")) > 3000:
        problems.append("private_metadata longer than 3000")
    if len(view.get("callback_id", "")) > 255:
        problems.append("callback_id longer than 255")
    return problems


def all_problems(api: FakeSlackApi) -> list[str]:
    """Every recorded call against the spec, every Block Kit payload against the limits."""
    problems = [p for call in api.calls for p in spec_problems(call)]
    for call in api.calls:
        if call.method in ("chat.postMessage", "chat.update"):
            problems += block_problems(_decoded(call.args.get("blocks")) or [], 50)
        if call.method in ("views.open", "views.publish"):
            problems += view_problems(_decoded(call.args["view"]))
    for _, body in api.responses:
        problems += block_problems(body.get("blocks") or [], 50)
    return problems
