"""Every HTTP route the bot serves refuses a request whose signature or token is missing or
forged, and such a request changes nothing.

The routes are read from the aiohttp routers of every app the bot can run - its own server (the
console, Slack's Socket Mode, the `all`/`web` roles) and the scheduler's, Slack in HTTP mode with a
bot token and with OAuth installs, and Teams - so a route added without a case in `CHECKS` makes
`test_every_route_has_an_authentication_check` fail. The documented exceptions (`PUBLIC`): the
health endpoints, and Slack's public "Add to Slack" page, which only issues a one-time state.
Inside `/slack/events`, bolt answers Slack's `ssl_check` pings with an empty 200 and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func
from sqlmodel import SQLModel, select

from adapters.slack.app import OAuthConfig, SlackAdapter
from adapters.slack.port import build_client
from adapters.teams.app import BotAuthConfig, TeamsAdapter
from bot.config import Settings
from bot.core import BotCore
from bot.leads.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.runtime.web import HttpSite, WebServer
from tests.adapters.teams import activities as act
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.bot_framework_auth import (
    APP_ID,
    ISSUER,
    SERVICE_URL,
    new_key,
    token,
)
from tests.support.slack_api import (
    TEAM,
    FakeSlackApi,
    block_action,
    dm_event,
    event_callback,
    fake_slack_api,
    signature,
    slash_command,
)

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WEBHOOK_SECRET = "whsec-route-audit"
METRICS_TOKEN = "metrics-route-audit"
ADA = "U0ADA0001"
FORM = "application/x-www-form-urlencoded"
Json = dict[str, Any]

# Routes any caller may use, and why that is safe.
PUBLIC = {
    ("GET", "/healthz"): "liveness: answers `ok`, reads nothing",
    ("GET", "/readyz"): "readiness for load balancers: database and platform reachable or not",
    ("GET", "/slack/install"): "the public 'Add to Slack' page: it only issues a one-time state,"
                               " which /slack/oauth_redirect then requires",
}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, evaluator="rules",
                    webhook_secret=WEBHOOK_SECRET, metrics_token=METRICS_TOKEN,
                    _env_file=None)  # type: ignore[call-arg]


@dataclass
class Served:
    name: str
    app: web.Application
    base: str


@dataclass
class World:
    core: BotCore
    api: FakeSlackApi
    channel_key: rsa.RSAPrivateKey
    apps: list[Served]


@pytest.fixture
async def world(core: BotCore, openid: str, channel_key: rsa.RSAPrivateKey) -> AsyncIterator[World]:
    """Every app the bot can serve, each on its own port, built as `alignbot run` builds them."""
    async with fake_slack_api() as api:
        oauth = OAuthConfig(client_id="111.222", client_secret="oauth-client-secret", base_url=api.base_url)
        auth = BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD="teams-app-password",
                             TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=ISSUER,
                             TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=openid)
        apps = {
            "bot server": WebServer(core.ctx).app(),
            "scheduler": WebServer(core.ctx, intake=False).app(),
            "slack (bot token)": SlackAdapter(core, build_client("xoxb-test-token", base_url=api.base_url),
                                              signing_secret=SIGNING_SECRET).web_app(),
            "slack (OAuth)": SlackAdapter(core, signing_secret=SIGNING_SECRET, oauth=oauth).web_app(),
            "teams": TeamsAdapter(core, auth).web_app(),
        }
        sites: list[HttpSite] = []
        served = []
        for name, app in apps.items():
            site = HttpSite()
            await site.start(app, "127.0.0.1", 0)
            sites.append(site)
            served.append(Served(name, app, f"http://127.0.0.1:{site.port}"))
        try:
            yield World(core, api, channel_key, served)
        finally:
            for site in sites:
                await site.stop()


def routes(app: web.Application) -> set[tuple[str, str]]:
    return {(route.method, route.resource.canonical) for route in app.router.routes()
            if route.resource is not None}


async def request(method: str, url: str, body: bytes | str = b"",
                  headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.request(
            method, url, data=body, headers=headers or {}, allow_redirects=False) as response:
        return response.status, await response.text()


# --- what a forged request looks like on each route ---------------------------------------

Refusals = list[tuple[str, int]]  # (case, status) for every forged request sent
Check = Callable[[World, str, str, str], Awaitable[Refusals]]


def slack_bodies() -> dict[str, tuple[str, str]]:
    """One request of every kind Slack posts to /slack/events: (body, content type)."""
    def interaction(payload: Json) -> tuple[str, str]:
        return urlencode({"payload": json.dumps(payload)}), FORM
    view = {"id": "V1", "type": "modal", "callback_id": "checkin_form", "private_metadata": "{}",
            "blocks": [], "state": {"values": {}}}
    return {
        "DM (answer)": (json.dumps(dm_event(ADA, "we win on audit readiness", "Ev1", "D0ADA0001")),
                        "application/json"),
        "app_home_opened": (json.dumps(event_callback(
            {"type": "app_home_opened", "user": ADA, "tab": "home"}, "Ev2")), "application/json"),
        "user_change": (json.dumps(event_callback(
            {"type": "user_change", "user": {"id": ADA, "name": "ada", "is_admin": True}}, "Ev3")),
            "application/json"),
        "app_uninstalled": (json.dumps(event_callback({"type": "app_uninstalled"}, "Ev4")),
                            "application/json"),
        "url_verification": (json.dumps({"type": "url_verification", "challenge": "c-1",
                                         "token": "legacy"}), "application/json"),
        "slash command": (urlencode(slash_command(ADA, f"team add <@{ADA}> admin",
                                                  "http://127.0.0.1:1/respond")), FORM),
        "button": interaction(block_action(ADA, {"action_id": "forget:confirm", "value": "t"},
                                           "D0ADA0001", "1.1", "trigger-1")),
        "view_submission": interaction({"type": "view_submission", "team": {"id": TEAM},
                                        "user": {"id": ADA, "team_id": TEAM}, "view": view,
                                        "api_app_id": "A0APP0001", "token": "legacy"}),
        "options (block_suggestion)": interaction({"type": "block_suggestion", "action_id": "a",
                                                   "block_id": "b", "value": "x", "team": {"id": TEAM},
                                                   "user": {"id": ADA, "team_id": TEAM},
                                                   "api_app_id": "A0APP0001", "token": "legacy"}),
        "shortcut": interaction({"type": "shortcut", "callback_id": "c", "trigger_id": "t",
                                 "team": {"id": TEAM}, "user": {"id": ADA, "team_id": TEAM},
                                 "api_app_id": "A0APP0001", "token": "legacy"}),
    }


def slack_headers(secret: str, body: str, content_type: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret, ts, body)}


async def slack_events(world: World, method: str, base: str, path: str) -> Refusals:
    url = base + path
    refused: Refusals = []
    for kind, (body, content_type) in slack_bodies().items():
        forgeries = {
            "no signature": {"Content-Type": content_type},
            "wrong secret": slack_headers("not-the-signing-secret", body, content_type),
            "stale timestamp": slack_headers(SIGNING_SECRET, body, content_type, int(time.time()) - 600),
            "another body's signature": slack_headers(SIGNING_SECRET, body + " ", content_type),
            "malformed signature": {**slack_headers(SIGNING_SECRET, body, content_type),
                                    "X-Slack-Signature": "v0=zz"},
        }
        for case, headers in forgeries.items():
            refused.append((f"{kind}, {case}", (await request(method, url, body, headers))[0]))
    # The control: the same endpoint accepts a correctly signed request.
    body, content_type = slack_bodies()["url_verification"]
    status, text = await request(method, url, body, slack_headers(SIGNING_SECRET, body, content_type))
    assert (status, "c-1" in text) == (200, True), "a correctly signed request must be accepted"
    # Slack's ssl_check ping is answered (bolt, before verification) with an empty 200, nothing else.
    status, text = await request(method, url, urlencode({"ssl_check": "1", "token": "x"}),
                                 {"Content-Type": FORM})
    assert (status, text) == (200, "")
    return refused


async def slack_oauth_redirect(world: World, method: str, base: str, path: str) -> Refusals:
    url = base + path
    cookie = {"Cookie": "slack-app-oauth-state=forged-state"}
    return [
        ("forged state", (await request(method, f"{url}?code=c-1&state=forged-state", headers=cookie))[0]),
        ("no state", (await request(method, f"{url}?code=c-1"))[0]),
        ("no cookie", (await request(method, f"{url}?code=c-1&state=forged-state"))[0]),
    ]


async def teams_messages(world: World, method: str, base: str, path: str) -> Refusals:
    url = base + path
    body = json.dumps(act.message(SERVICE_URL, act.account("29:ada", "Ada"), "align team add Ada admin"))
    plain = {"Content-Type": "application/json"}
    refused = [
        ("no token", (await request(method, url, body, plain))[0]),
        ("forged token", (await request(method, url, body, {
            **plain, "Authorization": "Bearer " + token(new_key())}))[0]),
        ("token for another bot", (await request(method, url, body, {
            **plain, "Authorization": "Bearer " + token(world.channel_key, aud="another-app")}))[0]),
    ]
    typing = json.dumps(act.activity("typing", SERVICE_URL, act.account("29:x", "X"), act.personal("29:x")))
    status, _ = await request(method, url, typing, {
        **plain, "Authorization": "Bearer " + token(world.channel_key)})
    assert status == 200, "a valid channel token must be accepted"
    return refused


async def leads_webhook(world: World, method: str, base: str, path: str) -> Refusals:
    url = base + path.replace("{external_id}", "L-1")
    body = json.dumps({"external_id": "L-1", "company": "Forgery Inc", "segment": "midmarket_fintech",
                       "owner": "ada@example.com", "engaged_at": "2026-03-02T09:00:00Z"})
    now = str(int(world.core.ctx.clock.now().timestamp()))  # the bot's clock judges freshness

    def signed(secret: str, stamp: str = now, over: str = body,
               at: str = urlsplit(url).path) -> dict[str, str]:
        return {"Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign(secret, stamp, method, at, over.encode())}
    v1 = hmac.new(WEBHOOK_SECRET.encode(), f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
    forgeries = {
        "no signature": {"Content-Type": "application/json"},
        "wrong secret": signed("not-the-secret"),
        "empty secret": signed(""),
        "stale timestamp": signed(WEBHOOK_SECRET, str(int(now) - 3600)),
        "another body's signature": signed(WEBHOOK_SECRET, over=body + " "),
        "another path's signature": signed(WEBHOOK_SECRET, at=urlsplit(url).path + "x"),
        "v1 (timestamp and body only)": {"Content-Type": "application/json",
                                         TIMESTAMP_HEADER: now, SIGNATURE_HEADER: f"v1={v1}"},
        "a 5000-digit timestamp": signed(WEBHOOK_SECRET, "9" * 5000),
    }
    refused = [(case, (await request(method, url, body, headers))[0]) for case, headers in forgeries.items()]
    status, _ = await request(method, url, "{}", signed(WEBHOOK_SECRET, over="{}"))
    assert status == 422, "a correctly signed request must get past the signature check"
    return refused


async def metrics(world: World, method: str, base: str, path: str) -> Refusals:
    url = base + path
    forgeries = {"no token": {}, "wrong token": {"Authorization": "Bearer nope"},
                 "token without Bearer": {"Authorization": METRICS_TOKEN}}
    refused = [(case, (await request(method, url, headers=headers))[0])
               for case, headers in forgeries.items()]
    status, _ = await request(method, url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200, "the configured token must be accepted"
    return refused


CHECKS: dict[tuple[str, str], Check] = {
    ("POST", "/slack/events"): slack_events,
    ("GET", "/slack/oauth_redirect"): slack_oauth_redirect,
    ("POST", "/api/messages"): teams_messages,
    ("POST", "/webhooks/leads"): leads_webhook,
    ("POST", "/webhooks/leads/{external_id}/events"): leads_webhook,
    ("GET", "/metrics"): metrics,
}


def key(method: str, path: str) -> tuple[str, str]:
    """HEAD is served by the GET handler (aiohttp adds it): it needs the same protection."""
    return ("GET" if method == "HEAD" else method, path)


async def stored_rows(world: World) -> dict[str, int]:
    counts = {}
    async with world.core.ctx.db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            counts[table.name] = int((await session.exec(select(func.count()).select_from(table))).one())
    return counts


async def test_every_route_has_an_authentication_check(world: World) -> None:
    seen: dict[tuple[str, str], list[str]] = {}
    for served in world.apps:
        for method, path in routes(served.app):
            seen.setdefault(key(method, path), []).append(served.name)
    unchecked = sorted(set(seen) - set(CHECKS) - set(PUBLIC))
    assert unchecked == [], (f"routes without an authentication check: {unchecked} - verify a"
                             " signature or token there and add a forged-request case to CHECKS")
    assert set(CHECKS) | set(PUBLIC) == set(seen), "CHECKS or PUBLIC names a route no app serves"
    assert len(world.apps) == 5 and all(routes(s.app) for s in world.apps)


async def test_every_route_refuses_missing_and_forged_credentials(world: World) -> None:
    before = await stored_rows(world)
    failures = []
    tried = 0
    for served in world.apps:
        for method, path in sorted(routes(served.app)):
            check = CHECKS.get(key(method, path))
            if check is None:
                continue
            for case, status in await check(world, method, served.base, path):
                tried += 1
                if status not in (400, 401, 403):
                    failures.append(f"{served.name}: {method} {path}: {case} -> {status}")
    await world.core.ctx.drain()
    assert failures == []
    assert tried > 150  # every kind of Slack request, on both Slack apps, and every other route
    after = await stored_rows(world)
    changed = {t: n - before[t] for t, n in after.items() if n != before[t]}
    # Only the accepted Teams control request: its sender, and its tenant as the organisation
    # this deployment serves (none was configured; forged requests never get that far).
    assert changed == {"contacts": 1, "organisations": 1}
    assert world.api.calls == [] and world.api.responses == []  # nothing was sent to Slack


async def test_the_public_routes_reveal_nothing_and_change_nothing(world: World) -> None:
    before = await stored_rows(world)
    for served in world.apps:
        for method, path in routes(served.app):
            if key(method, path) not in PUBLIC:
                continue
            status, text = await request(method, served.base + path)
            assert status == 200, (served.name, method, path)
            for secret in (SIGNING_SECRET, WEBHOOK_SECRET, METRICS_TOKEN, "oauth-client-secret",
                           "teams-app-password", "xoxb-test-token"):
                assert secret not in text
    await world.core.ctx.drain()
    assert await stored_rows(world) == {**before, "oauth_states": (await stored_rows(world))["oauth_states"]}


async def test_metrics_without_a_token_configured_is_open(core: BotCore) -> None:
    """The documented default: set ALIGNBOT_METRICS_TOKEN when the port is public."""
    core.ctx.settings.metrics_token = None
    site = HttpSite()
    await site.start(WebServer(core.ctx).app(), "127.0.0.1", 0)
    try:
        status, text = await request("GET", f"http://127.0.0.1:{site.port}/metrics")
    finally:
        await site.stop()
    assert status == 200 and "alignbot_messages_sent_total" in text


def test_a_blank_secret_is_no_secret() -> None:
    """`ALIGNBOT_WEBHOOK_SECRET=` in .env must switch the webhook off, not make an empty HMAC key
    (with which anyone could sign); the same for every secret setting."""
    blank = Settings(webhook_secret="", slack_signing_secret=" ", metrics_token="", openai_api_key="",
                     microsoft_app_password="", slack_client_secret="", slack_bot_token="",
                     _env_file=None)  # type: ignore[call-arg]
    assert (blank.webhook_secret, blank.slack_signing_secret, blank.metrics_token, blank.openai_api_key,
            blank.microsoft_app_password, blank.slack_client_secret, blank.slack_bot_token) == (None,) * 7


async def test_a_blank_webhook_secret_keeps_the_webhook_off(core: BotCore) -> None:
    core.ctx.settings.webhook_secret = Settings(webhook_secret="", _env_file=None).webhook_secret  # type: ignore[call-arg]
    site = HttpSite()
    await site.start(WebServer(core.ctx).app(), "127.0.0.1", 0)
    body = b'{"external_id": "L-1"}'
    stamp = str(int(core.ctx.clock.now().timestamp()))
    try:
        status, text = await request("POST", f"http://127.0.0.1:{site.port}/webhooks/leads", body, {
            "Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign("", stamp, "POST", "/webhooks/leads", body)})
    finally:
        await site.stop()
    assert status == 503 and "ALIGNBOT_WEBHOOK_SECRET" in text
