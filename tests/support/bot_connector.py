"""A local Bot Connector service on 127.0.0.1 for tests that run the real botbuilder code.

    async with fake_bot_connector() as connector:
        connector.add_user(DANA)                      # someone Teams knows (roster, get_member)
        connector.fail("send", 429, retry_after=2)   # the next activity POST is throttled
        connector.slow("send", 3.0)                   # the next one goes through, answered late
        ... activities posted to our /api/messages carry serviceUrl=connector.service_url

It implements the REST calls the bot makes (POST /v3/conversations, POST .../activities,
PUT .../activities/{id}, GET .../members/{id}, GET .../pagedmembers), binds port 0, records every
call, answers scripted failures first (429 with Retry-After, 500, 403, ...), and checks every
Adaptive Card it receives against the Adaptive Card 1.5 schema in ../shared/specs/ and Teams' size
limits (`problems`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema
from aiohttp import web

from tests.support.specs import spec

Json = dict[str, Any]
CARD = "application/vnd.microsoft.card.adaptive"
TENANT = "tenant-0001"
BOT_ID = "28:alignbot-app"
_DATA_URI = re.compile(r'"data:image/[a-z]+;base64,[A-Za-z0-9+/=]*"')


@cache
def card_validator() -> jsonschema.Draft6Validator:
    return jsonschema.Draft6Validator(json.loads(spec("adaptive-card-1.5.schema.json").read_text()))


def card_problems(card: Json) -> list[str]:
    """Every way `card` breaks the Adaptive Card 1.5 schema (empty when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in card_validator().iter_errors(card)]


@dataclass(frozen=True)
class Call:
    kind: str  # create | send | send-failed | update | member | members
    conversation: str
    activity_id: str
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class Failure:
    status: int
    retry_after: int | None = None
    delay: float = 0.0  # > 0: not a failure but a late answer (the call is carried out)


@dataclass
class FakeBotConnector:
    service_url: str = ""
    calls: list[Call] = field(default_factory=list)
    users: dict[str, Json] = field(default_factory=dict)
    conversations: dict[str, list[str]] = field(default_factory=dict)  # id -> member ids
    activities: dict[tuple[str, str], Json] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    shared: dict[str, bytes] = field(default_factory=dict)  # a person's attached files, by name

    # --- scripting ------------------------------------------------------------------------

    def share_file(self, name: str, data: bytes) -> Json:
        """A file a person attaches in the 1:1 chat, as the activity's attachment (Teams gives
        the bot a short-lived, pre-authenticated download URL)."""
        self.shared[name] = data
        return {"contentType": "application/vnd.microsoft.teams.file.download.info", "name": name,
                "contentUrl": f"https://acme.sharepoint.example/{name}",
                "content": {"downloadUrl": f"{self.service_url.rstrip('/')}/files/{name}",
                            "uniqueId": f"u-{name}", "fileType": name.rsplit(".", 1)[-1]}}

    def add_user(self, user_id: str, name: str, email: str | None = None, aad: str | None = None) -> Json:
        account = {"id": user_id, "name": name, "aadObjectId": aad or f"aad-{name.lower()}",
                   "email": email or f"{name.lower()}@acme.example",
                   "userPrincipalName": email or f"{name.lower()}@acme.example",
                   "givenName": name, "tenantId": TENANT}
        self.users[user_id] = account
        return account

    def fail(self, kind: str, status: int, retry_after: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `kind` (send, update, create, member, members) fail."""
        for _ in range(times):
            self._failures[kind].append(Failure(status, retry_after))

    def slow(self, kind: str, delay: float) -> None:
        """The next call of `kind` is carried out but answered only after `delay` seconds: a
        client that gives up first cannot tell whether it went through."""
        self._failures[kind].append(Failure(200, delay=delay))

    # --- reading what happened ---------------------------------------------------------

    def of(self, kinds: str, conversation: str | None = None) -> list[Call]:
        """Calls of these kinds ("send", "send update", ...), optionally in one conversation."""
        wanted = kinds.split()
        return [c for c in self.calls
                if c.kind in wanted and (conversation is None or c.conversation == conversation)]

    def cards(self, kinds: str = "send", conversation: str | None = None) -> list[Json]:
        """The Adaptive Cards of calls of these `kinds` (default: messages posted), in order."""
        return [a["content"] for c in self.of(kinds, conversation) if isinstance(c.body, dict)
                for a in c.body.get("attachments") or [] if a.get("contentType") == CARD]

    def card_texts(self, kinds: str = "send", conversation: str | None = None) -> list[str]:
        return [card_text(card) for card in self.cards(kinds, conversation)]

    def personal_conversation(self, user_id: str) -> str | None:
        return next((cid for cid, members in self.conversations.items() if members == [user_id]), None)

    # --- the service ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._reply)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged)
        app.router.add_get("/files/{name}", self._download)
        return app

    async def _download(self, request: web.Request) -> web.Response:
        found = self.shared.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found, content_type="application/octet-stream")

    async def _late(self, kind: str) -> None:
        """Wait out a scripted slow answer (the call then proceeds normally)."""
        if self._failures[kind] and self._failures[kind][0].delay:
            await asyncio.sleep(self._failures[kind].popleft().delay)

    def _scripted(self, kind: str) -> web.Response | None:
        if not self._failures[kind] or self._failures[kind][0].delay:
            return None
        failure = self._failures[kind].popleft()
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
        body = {"error": {"code": "Throttled" if failure.status == 429 else "ServiceError",
                          "message": f"scripted HTTP {failure.status}"}}
        return web.json_response(body, status=failure.status, headers=headers)

    def _record(self, kind: str, request: web.Request, body: Any) -> None:
        target = request.match_info.get("aid") or request.match_info.get("mid", "")
        self.calls.append(Call(kind, request.match_info.get("cid", ""), target,
                               body, dict(request.headers)))

    def _check(self, body: Any, kind: str) -> None:
        if not isinstance(body, dict):
            self.problems.append(f"{kind}: body is not an activity")
            return
        if body.get("type") != "message":
            self.problems.append(f"{kind}: activity type {body.get('type')!r}")
        for attachment in body.get("attachments") or []:
            if attachment.get("contentType") == CARD:
                self.problems.extend(f"{kind}: {p}" for p in card_problems(attachment["content"]))
        text = _DATA_URI.sub('""', json.dumps(body, ensure_ascii=False))
        if len(text.encode("utf-16-le")) > 100_000:  # Teams counts UTF-16, base64 images excluded
            self.problems.append(f"{kind}: activity larger than Teams' 100 KB message limit")
        for uri in _DATA_URI.findall(json.dumps(body)):
            if len(uri) * 3 // 4 > 1_000_000:
                self.problems.append(f"{kind}: an image over Teams' 1 MB limit")

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (failed := self._scripted("create")) is not None:
            return failed
        self._record("create", request, body)
        members = [m["id"] for m in body.get("members") or []]
        existing = next((cid for cid, m in self.conversations.items() if m == members), None)
        cid = existing or f"a:personal-{next(self._ids)}"
        self.conversations[cid] = members
        return web.json_response({"id": cid, "serviceUrl": self.service_url}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (failed := self._scripted("send")) is not None:
            self._record("send-failed", request, body)
            return failed
        self._check(body, "send")
        self._record("send", request, body)
        activity_id = f"1:act-{next(self._ids)}"
        self.activities[(request.match_info["cid"], activity_id)] = body
        await self._late("send")
        return web.json_response({"id": activity_id}, status=201)

    async def _reply(self, request: web.Request) -> web.Response:
        """A reply to an activity (botbuilder sends even proactive messages this way, replying
        to its continuation activity's id); recorded as a "send" whose activity_id is the
        activity replied to. In a personal chat Teams shows it like any other message."""
        return await self._send(request)

    async def _update(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (failed := self._scripted("update")) is not None:
            return failed
        key = (request.match_info["cid"], request.match_info["aid"])
        if key not in self.activities:
            return web.json_response({"error": {"code": "NotFound", "message": "no such activity"}},
                                     status=404)
        self._check(body, "update")
        self._record("update", request, body)
        self.activities[key] = body
        return web.json_response({"id": request.match_info["aid"]})

    async def _member(self, request: web.Request) -> web.Response:
        if (failed := self._scripted("member")) is not None:
            return failed
        self._record("member", request, None)
        wanted = request.match_info["mid"].lower()
        for user in self.users.values():
            if wanted in {user["id"].lower(), user["aadObjectId"].lower(), user["userPrincipalName"].lower()}:
                return web.json_response(user)
        return web.json_response({"error": {"code": "MemberNotFoundInConversation", "message": "no"}},
                                 status=404)

    async def _paged(self, request: web.Request) -> web.Response:
        if (failed := self._scripted("members")) is not None:
            return failed
        self._record("members", request, None)
        return web.json_response({"members": list(self.users.values())})


def card_text(card: Json) -> str:
    """All visible text of a card (TextBlocks, facts, input labels and values, action titles)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value", "label"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(card)
    return "\n".join(parts)


@asynccontextmanager
async def fake_bot_connector() -> AsyncIterator[FakeBotConnector]:
    connector = FakeBotConnector()
    runner = web.AppRunner(connector.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    connector.service_url = f"http://127.0.0.1:{port}/"
    try:
        yield connector
    finally:
        await runner.cleanup()
