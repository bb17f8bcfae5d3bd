"""A fake Slack Web API on 127.0.0.1 for tests that run the real bolt and slack_sdk code.

    async with fake_slack_api() as api:
        api.add_user("U0DANA1", "Dana", tz="America/New_York")
        api.fail("chat.postMessage", SlackReply.rate_limited(retry_after=0))
        client = build_client("xoxb-test", base_url=api.base_url)

It binds port 0, records every call (method, arguments from the query string, form or JSON body,
headers), keeps a little state so answers look real (DM channels, posted messages with their
metadata, users), answers scripted failures first (`ratelimited` + Retry-After, `user_not_found`,
`account_inactive`, HTTP 500, ...) and also receives `response_url` posts (`/respond/<id>`).

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
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
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


@dataclass(frozen=True)
class SlackReply:
    """A scripted answer for one call: a Slack error (HTTP 200, ok=false) or an HTTP status."""

    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def error_code(cls, error: str) -> SlackReply:
        return cls(error=error)

    @classmethod
    def rate_limited(cls, retry_after: int = 0) -> SlackReply:
        return cls(status=429, error="ratelimited", headers={"Retry-After": str(retry_after)})

    @classmethod
    def server_error(cls, status: int = 500) -> SlackReply:
        return cls(status=status)


@dataclass(frozen=True)
class Call:
    method: str
    args: Json
    headers: dict[str, str]


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

    # --- setup ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def add_user(self, user_id: str, name: str, *, tz: str = "UTC", email: str | None = None,
                 is_admin: bool = False, is_owner: bool = False, deleted: bool = False) -> Json:
        user = {"id": user_id, "team_id": TEAM, "name": name.lower(), "real_name": name, "tz": tz,
                "deleted": deleted, "is_bot": False, "is_admin": is_admin, "is_owner": is_owner,
                "profile": {"real_name": name, "display_name": name,
                            "email": email or f"{name.lower()}@example.com"}}
        self.users[user_id] = user
        return user

    def fail(self, method: str, *replies: SlackReply) -> None:
        """The next calls of `method` get these replies, in order, before normal service."""
        self._script[method].extend(replies)

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
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

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
        await self._record(Call(method, args, dict(request.headers)))
        if self._script[method]:
            reply = self._script[method].popleft()
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

    # --- methods --------------------------------------------------------------------------

    def _auth_test(self, args: Json) -> Json:
        return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "alignbot",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

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
            "response_url": response_url, "trigger_id": f"trigger-{user_id}"}


def dm_event(user_id: str, text: str, event_id: str, channel: str, ts: str = "1772460999.000200") -> Json:
    return {"token": "legacy", "team_id": TEAM, "api_app_id": "A0APP0001", "type": "event_callback",
            "event_id": event_id, "event_time": 1772460999,
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {"type": "message", "channel_type": "im", "channel": channel, "user": user_id,
                      "text": text, "ts": ts, "event_ts": ts}}


def block_action(user_id: str, action: Json, channel: str, message_ts: str, trigger_id: str) -> Json:
    return {"type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user_id, "team_id": TEAM}, "api_app_id": "A0APP0001", "token": "legacy",
            "trigger_id": trigger_id,
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "user": BOT_USER, "bot_id": BOT_ID},
            "actions": [{"type": "button", "block_id": "b", "action_ts": "1772461000.1", **action}]}


def view_submission(user_id: str, view: Json, answers: dict[str, str]) -> Json:
    """The submission of `view` (as views.open received it) with these inputs typed in."""
    state = {block["block_id"]: {block["element"]["action_id"]: {
        "type": "plain_text_input", "value": answers.get(block["block_id"])}}
        for block in view["blocks"] if block["type"] == "input"}
    return {"type": "view_submission", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user_id, "team_id": TEAM}, "api_app_id": "A0APP0001", "token": "legacy",
            "trigger_id": "trigger-submit",
            "view": {**view, "id": "V0VIEW001", "team_id": TEAM, "state": {"values": state},
                     "hash": "1.abc", "app_id": "A0APP0001", "bot_id": BOT_ID},
            "response_urls": []}


# --- checks -------------------------------------------------------------------------------


@cache
def _spec() -> Json:
    spec: Json = json.loads(Path(SPEC_FILE).read_text())
    return spec


def spec_problems(call: Call) -> list[str]:
    """What the Slack Web API spec says is wrong with a recorded call (empty when fine)."""
    operations = _spec()["paths"].get("/" + call.method)
    if operations is None:
        return [f"{call.method}: no such method in the Web API spec"]
    operation = next(iter(operations.values()))
    params = {p["name"]: p for p in operation.get("parameters", [])}
    problems = [f"{call.method}: required argument {name!r} missing"
                for name, p in params.items() if p.get("required") and name != "token"
                and name not in call.args]
    allowed = set(params) | NEWER_THAN_SPEC.get(call.method, set())
    problems += [f"{call.method}: argument {name!r} is not in the spec" for name in call.args
                 if name not in allowed]
    if not call.headers.get("Authorization", "").startswith("Bearer xoxb-"):
        problems.append(f"{call.method}: no bot token in the Authorization header")
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
            if el.get("max_length", 0) > 3000 or len(el.get("initial_value", "")) > 3000:
                problems.append(f"block {i}: input longer than 3000")
            if len(el.get("action_id", "")) > 255:
                problems.append(f"block {i}: action_id longer than 255")
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
        if call.method == "views.open":
            problems += view_problems(_decoded(call.args["view"]))
    for _, body in api.responses:
        problems += block_problems(body.get("blocks") or [], 50)
    return problems
