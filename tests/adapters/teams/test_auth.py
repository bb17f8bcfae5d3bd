"""With authentication on (an app id set), /api/messages accepts only activities carrying a valid
Bot Framework token: missing, malformed, forged (signed by an unknown key), expired or for another
bot's app id means 401 and nothing stored. The channel's signing keys are published by a local
OpenID server (botbuilder fetches them with `requests`, so it runs in its own thread)."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
import msrest
import pytest
from botbuilder.schema import Activity
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlmodel import select

from adapters.teams.app import MESSAGES_PATH, BotAuthConfig, TeamsAdapter
from adapters.teams.credentials import KeptAuthentication
from bot.core import BotCore
from bot.storage.models import Contact
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import DANA
from tests.support.bot_framework_auth import (
    APP_ID,
    ISSUER,
    KID,
    SERVICE_URL,
    new_key,
    openid_server,
    token,
)

Json = dict[str, Any]


@pytest.fixture
async def secured(core: BotCore, openid: str) -> AsyncIterator[str]:
    auth = BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD="not-a-real-secret",
                         TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=ISSUER,
                         TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=openid)
    teams = TeamsAdapter(core, auth, host="127.0.0.1", http_port=0)
    await teams.start()
    yield f"http://127.0.0.1:{teams.bound_port}{MESSAGES_PATH}"
    await teams.stop()


def typing() -> Json:
    """An activity that needs no answer (so nothing calls out): only its sender is remembered."""
    return act.activity("typing", SERVICE_URL, act.account(DANA, "Dana"), act.personal(DANA))


async def post(url: str, body: Json, authorization: str | None) -> int:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as response:
        return response.status


async def contacts(core: BotCore) -> int:
    async with core.ctx.db.session() as session:
        return len((await session.exec(select(Contact))).all())


async def test_requests_without_a_valid_token_are_refused(
        secured: str, core: BotCore, channel_key: rsa.RSAPrivateKey) -> None:
    stranger = new_key()
    refused = {
        "no header": None,
        "empty": "",
        "not bearer": "Basic dXNlcjpwYXNz",
        "garbage": "Bearer not.a.jwt",
        "forged": "Bearer " + token(stranger),
        "expired": "Bearer " + token(channel_key, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200),
        "other bot": "Bearer " + token(channel_key, aud="11111111-2222-3333-4444-555555555555"),
        "other issuer": "Bearer " + token(channel_key, iss="https://evil.example"),
        "other service url": "Bearer " + token(channel_key, serviceurl="https://evil.example/"),
    }
    for case, header in refused.items():
        assert await post(secured, typing(), header) == 401, case
    await core.ctx.drain()
    assert await contacts(core) == 0  # nothing from a refused request was stored


async def test_a_valid_channel_token_is_accepted(secured: str, core: BotCore,
                                                 channel_key: rsa.RSAPrivateKey) -> None:
    assert await post(secured, typing(), "Bearer " + token(channel_key)) == 200
    await core.ctx.drain()
    assert await contacts(core) == 1


async def test_default_public_cloud_settings_refuse_without_a_token(core: BotCore) -> None:
    """What `alignbot run` configures (app id and password only): refused before any key fetch."""
    teams = TeamsAdapter(core, BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD="secret"), host="127.0.0.1",
                         http_port=0)
    await teams.start()
    try:
        url = f"http://127.0.0.1:{teams.bound_port}{MESSAGES_PATH}"
        assert await post(url, typing(), None) == 401
        assert await post(url, typing(), "Bearer not.a.jwt") == 401
        assert await post(url, typing(), "Bearer " + token(new_key(), iss="https://evil.example")) == 401
    finally:
        await teams.stop()
    assert await contacts(core) == 0


async def test_acks_build_no_bot_framework_clients_after_the_first(
        secured: str, core: BotCore, channel_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """botbuilder builds a connector client and a user-token client for every turn, each an
    msrest configuration costing ~3 ms of CPU before the ack: the first request's are kept."""
    header = "Bearer " + token(channel_key)
    assert await post(secured, typing(), header) == 200
    built: list[str] = []
    original = msrest.Configuration.__init__

    def counted(self: msrest.Configuration, *args: Any, **kwargs: Any) -> None:
        built.append(type(self).__name__)
        original(self, *args, **kwargs)
    monkeypatch.setattr(msrest.Configuration, "__init__", counted)
    for _ in range(3):
        assert await post(secured, typing(), header) == 200
    await core.ctx.drain()
    assert built == []
    assert await contacts(core) == 1


@dataclass
class Clock:
    now: float = field(default_factory=time.time)

    def __call__(self) -> float:
        return self.now


async def test_a_reused_channel_token_is_checked_once_until_it_expires(
        openid: str, channel_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bot Framework reuses one token for an hour: botbuilder's full check (five JWT parses, the
    key rebuilt, the signature) runs once per token, channel and service URL, until its exp."""
    checks: list[JwtTokenExtractor] = []
    check = JwtTokenExtractor.get_identity

    async def counted(self: JwtTokenExtractor, *args: Any, **kwargs: Any) -> Any:
        checks.append(self)
        return await check(self, *args, **kwargs)
    monkeypatch.setattr(JwtTokenExtractor, "get_identity", counted)
    clock = Clock()
    auth = KeptAuthentication(BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD="not-a-real-secret",
                                            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=ISSUER,
                                            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=openid), now=clock)
    expires = int(clock.now) + 600
    header = "Bearer " + token(channel_key, exp=expires)
    activity = Activity().deserialize(typing())
    for _ in range(3):
        result = await auth.authenticate_request(activity, header)
        assert result.claims_identity.get_claim_value("aud") == APP_ID
        assert await result.connector_factory.create(SERVICE_URL, result.audience) is not None
    assert len(checks) == 1

    elsewhere = Activity().deserialize({**typing(), "serviceUrl": "https://evil.example/"})
    webchat = Activity().deserialize({**typing(), "channelId": "webchat"})
    for other, why in ((elsewhere, "serviceurl"), (webchat, "endorsement")):  # same token: refused
        with pytest.raises(Exception, match=why):
            await auth.authenticate_request(other, header)
    assert len(checks) == 3

    clock.now = expires  # expired: checked again, and refused (botbuilder allows five more minutes)
    with pytest.raises(PermissionError, match="expired"):
        await auth.authenticate_request(activity, header)
    assert len(checks) == 4
    forged = "Bearer " + token(new_key())
    for _ in range(2):  # a refused token is never kept
        with pytest.raises(jwt.InvalidSignatureError):
            await auth.authenticate_request(activity, forged)
    assert len(checks) == 6


def free_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("trouble", [
    {"down": "refused"}, {"/openid": "500"}, {"/openid": "not json"}, {"/openid": "empty"},
    {"/keys": "500"}, {"/keys": "not json"}, {"/keys": "empty"}])
async def test_signing_keys_that_cannot_be_fetched_mean_503_and_a_retry_later_gets_through(
        core: BotCore, channel_key: rsa.RSAPrivateKey, trouble: dict[str, str]) -> None:
    """The channel's token is fine, our view of its keys is not: Bot Framework retries a 503 (a
    401 would say the token is bad and the message would be lost). Once the keys can be read,
    the same activity gets through."""
    broken = dict(trouble)
    with openid_server(channel_key, broken) as url:
        if "down" in broken:  # nothing listens there: connection refused
            url = url.replace(url.split("/")[2], f"127.0.0.1:{free_port()}")
        auth = BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD="not-a-real-secret",
                             TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=ISSUER,
                             TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=url)
        teams = TeamsAdapter(core, auth, host="127.0.0.1", http_port=0)
        await teams.start()
        try:
            endpoint = f"http://127.0.0.1:{teams.bound_port}{MESSAGES_PATH}"
            header = "Bearer " + token(channel_key)
            assert await post(endpoint, typing(), header) == 503
            await core.ctx.drain()
            assert await contacts(core) == 0
            if "down" not in broken:
                broken.clear()  # the key server is back
                assert await post(endpoint, typing(), header) == 200
                await core.ctx.drain()
                assert await contacts(core) == 1
        finally:
            await teams.stop()


async def raw(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(
            url, data=data, headers={"Content-Type": "application/json", **headers}) as response:
        return response.status, await response.text()


DEEP = b'{"type": "message", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


async def test_anonymous_junk_is_refused_before_its_body_is_read_with_no_error_logged(
        secured: str, core: BotCore, channel_key: rsa.RSAPrivateKey,
        caplog: pytest.LogCaptureFixture) -> None:
    """A deeply nested body without a token was parsed first: a 500 and a 2 KB ERROR
    traceback per request. Now no token means 401 before the body is read, and a signed
    but too deeply nested body is a 400."""
    caplog.set_level(logging.INFO)
    assert (await raw(secured, DEEP, {}))[0] == 401
    # Shaped like a token: the body is parsed as far as the check needs, and too deep to.
    assert (await raw(secured, DEEP, {"Authorization": "Bearer not.a.jwt"}))[0] in (400, 401)
    assert (await raw(secured, b"x" * 2_000_000, {}))[0] in (401, 413)
    status, text = await raw(secured, DEEP, {"Authorization": "Bearer " + token(channel_key)})
    assert status == 400 and "nested" in text
    shallow = json.dumps({**typing(), "value": json.loads("[" * 80 + "]" * 80)}).encode()
    status, text = await raw(secured, shallow, {"Authorization": "Bearer " + token(channel_key)})
    assert status == 400 and "nested" in text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    await core.ctx.drain()
    assert await contacts(core) == 0


async def test_a_token_without_exp_or_past_it_is_refused(
        secured: str, core: BotCore, channel_key: rsa.RSAPrivateKey) -> None:
    """botbuilder accepts a token with no `exp`, and one up to 5 minutes past it."""
    now = int(time.time())
    without_exp = jwt.encode({"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL,
                              "nbf": now - 10}, channel_key, algorithm="RS256",
                             headers={"kid": KID})
    assert await post(secured, typing(), "Bearer " + without_exp) == 401
    just_expired = token(channel_key, exp=now - 60, nbf=now - 3600)
    assert await post(secured, typing(), "Bearer " + just_expired) == 401
    await core.ctx.drain()
    assert await contacts(core) == 0
