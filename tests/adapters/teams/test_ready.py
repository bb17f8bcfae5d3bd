"""/readyz on a Teams process checks the platform as well as the database: the app's credentials
must get an access token from the Microsoft login endpoint, through botbuilder's and msal's real
code (the token every outbound call carries). Here the login endpoint is a local HTTPS fake; the
result is reused for ready_cache_seconds on the bot's clock, and a refusal or silence is a 503
with a reason that holds no secret. Without app credentials (emulator mode) it says so and
counts as ready."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from adapters.teams.app import BotAuthConfig, TeamsAdapter
from adapters.teams.port import card_activity
from bot.clock import ManualClock
from bot.core import BotCore
from bot.events import Message
from tests.adapters.teams.activities import personal
from tests.adapters.teams.conftest import DANA
from tests.support.bot_connector import BOT_ID, fake_bot_connector
from tests.support.bot_login import SCOPE, FakeBotLogin, fake_bot_login
from tests.unit.ops.support import silent_tcp_server

APP_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
SECRET = "s3cr3t~app~password"


@pytest.fixture
def login(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotLogin]:
    with fake_bot_login(APP_ID, SECRET) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_file)  # msal (requests) trusts the test CA
        yield server


async def serve(core: BotCore, auth: BotAuthConfig) -> tuple[TeamsAdapter, str]:
    teams = TeamsAdapter(core, auth, host="127.0.0.1", http_port=0)
    await teams.start()
    return teams, f"http://127.0.0.1:{teams.bound_port}/readyz"


async def ready(url: str) -> tuple[int, Any, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
        return response.status, await response.json(), text


def credentials(login_url: str, password: str = SECRET) -> BotAuthConfig:
    return BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD=password, TO_CHANNEL_FROM_BOT_LOGIN_URL=login_url)


async def test_ready_when_the_login_endpoint_issues_a_token_and_the_result_is_reused(
        core: BotCore, login: FakeBotLogin, clock: ManualClock) -> None:
    login.expires_in = 60  # too short-lived for msal to reuse: every check asks the endpoint
    teams, url = await serve(core, credentials(login.authority))
    try:
        status, body, _ = await ready(url)
        assert status == 200 and body["checks"] == {"database": "ok", "teams": "ok"}
        assert login.tokens == 1
        [asked] = login.requests  # the client-credentials grant for the Bot Framework scope
        assert (asked["client_id"], asked["grant_type"], asked["scope"]) == (
            APP_ID, "client_credentials", SCOPE)
        clock.advance(timedelta(seconds=59))
        assert (await ready(url))[0] == 200 and login.tokens == 1  # cached for a minute
        clock.advance(timedelta(seconds=2))
        assert (await ready(url))[0] == 200 and login.tokens == 2  # checked again: a new token
    finally:
        await teams.stop()


async def test_503_naming_the_refusal_when_the_login_endpoint_answers_401(
        core: BotCore, login: FakeBotLogin, clock: ManualClock) -> None:
    login.expires_in = 60
    teams, url = await serve(core, credentials(login.authority))
    try:
        assert (await ready(url))[0] == 200
        login.fail(401)  # the secret was rotated or expired in Azure
        clock.advance(timedelta(seconds=61))
        status, body, text = await ready(url)
    finally:
        await teams.stop()
    assert status == 503 and body["status"] == "not ready" and body["failed"] == ["teams"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["teams"] == ("Teams: no Bot Framework access token: the login endpoint"
                                       " refused the app's credentials (invalid_client)")
    assert SECRET not in text


async def test_503_with_a_wrong_secret(core: BotCore, login: FakeBotLogin) -> None:
    teams, url = await serve(core, credentials(login.authority, password="not-the-secret"))
    try:
        status, body, text = await ready(url)
    finally:
        await teams.stop()
    assert status == 503 and "invalid_client" in body["checks"]["teams"]
    assert "not-the-secret" not in text and login.tokens == 0


async def test_503_when_the_login_endpoint_is_down(core: BotCore) -> None:
    with silent_tcp_server() as port:
        closed = f"https://127.0.0.1:{port}/adfs"
    teams, url = await serve(core, credentials(closed))  # nothing listens there any more
    try:
        status, body, _ = await ready(url)
    finally:
        await teams.stop()
    assert status == 503 and body["failed"] == ["teams"]
    assert body["checks"]["teams"] == ("Teams: no Bot Framework access token: the login endpoint"
                                       " did not answer (ConnectionError)")


async def test_503_when_the_login_endpoint_hangs_past_the_ready_timeout(core: BotCore) -> None:
    core.ctx.settings = core.ctx.settings.model_copy(update={"ready_timeout": 0.5})
    with silent_tcp_server() as port:
        teams, url = await serve(core, credentials(f"https://127.0.0.1:{port}/adfs"))
        try:
            status, body, _ = await ready(url)
        finally:
            await teams.stop()
    assert status == 503 and body["checks"]["teams"] == "no answer within 0.5 s"


async def test_without_app_credentials_it_says_so_and_is_ready(core: BotCore) -> None:
    teams, url = await serve(core, BotAuthConfig())
    try:
        status, body, _ = await ready(url)
    finally:
        await teams.stop()
    assert status == 200 and body["status"] == "ready" and body["failed"] == []
    assert body["checks"]["teams"] == ("ok: no app credentials (local emulator mode): outbound calls"
                                       " are not authenticated")


async def test_sends_carry_the_checked_token_and_reuse_it_while_it_is_valid(
        core: BotCore, login: FakeBotLogin, clock: ManualClock) -> None:
    """The readiness check and real sends share credentials: the Bot Connector receives the token
    the login endpoint issued, and one token serves them all until it nears expiry (botbuilder
    alone would fetch one per send, blocking the event loop each time)."""
    async with fake_bot_connector() as connector:
        teams, url = await serve(core, credentials(login.authority))
        try:
            assert (await ready(url))[0] == 200
            reference = ConversationReference(
                channel_id="msteams", service_url=connector.service_url,
                conversation=ConversationAccount(id=personal(DANA)["id"]),
                user=ChannelAccount(id=DANA), bot=ChannelAccount(id=BOT_ID))
            for text in ("Hello Dana", "Hello again"):
                await teams.connector.send(reference, card_activity(Message(text=text)))
            clock.advance(timedelta(seconds=61))
            assert (await ready(url))[0] == 200  # checked again: the valid token is still there
        finally:
            await teams.stop()
    sent_with = [c.headers["Authorization"] for c in connector.of("send")]
    assert sent_with == [f"Bearer {FakeBotLogin.issued(1)}"] * 2
    assert login.tokens == 1
