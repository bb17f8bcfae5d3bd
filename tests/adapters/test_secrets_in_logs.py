"""No secret ever reaches the logs, not even at DEBUG, and no answer text at INFO or above -
checked on whole flows through the real libraries (bolt, slack_sdk, botbuilder, msal, openai,
SQLAlchemy), with every secret set: Slack's signing secret, bot token, app-level token and OAuth
client secret (and the bot token an install hands out), the Teams app password (and the access
token it buys), the OpenAI key, the leads webhook secret, the metrics token and the password in
the database URL. Logs are captured through the bot's own handler set-up (`bot.ops.logs.configure`),
as `alignbot run` installs it."""

from __future__ import annotations

import base64
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from adapters.slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, OAuthConfig, SlackAdapter
from adapters.slack.port import build_client
from adapters.teams.app import MESSAGES_PATH, BotAuthConfig, TeamsAdapter
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.leads.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.ops import logs
from bot.prompts import Prompts
from bot.storage.database import Database
from bot.strategy.loader import load_strategy
from tests.adapters.slack.test_checkin_flow import button
from tests.adapters.teams import activities as act
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.support.bot_connector import fake_bot_connector
from tests.support.bot_framework_auth import APP_ID, ISSUER, new_key, openid_server, token
from tests.support.bot_login import FakeBotLogin, fake_bot_login
from tests.support.databases import fresh_postgres
from tests.support.openai_server import FakeOpenAIServer, fake_openai_server
from tests.support.slack_api import (
    TEAM,
    SignedPoster,
    block_action,
    dm_event,
    event_callback,
    fake_slack_api,
    slash_command,
    view_submission,
)

ADA, DANA = "U0ADA0001", "U0DANA001"
TEAMS_ADA, TEAMS_DANA = "29:ada-0001", "29:dana-0001"
DANA_DM = "D0DANA001"
DB_PASSWORD = "Db-Pa55word-in-the-URL"
SECRETS = {
    "slack_signing_secret": "Slack-Signing-Secret-0123456789",
    "slack_bot_token": "xoxb-1111-2222-Bot-Token-Secret",
    "slack_client_secret": "Slack-Client-Secret-abcdef",
    "microsoft_app_password": "Teams-App-Password~0123",
    "openai_api_key": "sk-live-OpenAI-Key-0123456789",
    "webhook_secret": "whsec-Webhook-Secret-0123",
    "metrics_token": "Metrics-Token-0123456789",
}
ISSUED_TOKEN = "xoxb-9999-8888-Issued-By-OAuth"  # what oauth.v2.access hands out
CLIENT_ID = "111.222"
ANSWERS = {"strategy": "Zebra-7 plan: we win mid-market fintech on audit readiness, in half the time.",
           "scope": "Quokka-3 scope: mid-market fintech and regional banks; not government.",
           "tasks": "Narwhal-9 work: mapped the buying committee at Ledgerly, sent the SOC 2 report."}
TYPED = "Okapi-4 typed: we win fintech audits because monitoring halves audit prep."


def forms_of(secret: str) -> list[str]:
    """A secret as it could appear: as is, or inside HTTP Basic auth."""
    return [secret, base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG and above, through the bot's own handler (JSON lines)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    levels = {name: logging.getLogger(name).level for name in logs.NOISY}
    stream = io.StringIO()
    logs.configure("DEBUG", "json", secrets=[*SECRETS.values(), DB_PASSWORD])
    ours = [h for h in root.handlers if h not in handlers]
    assert len(ours) == 1 and isinstance(ours[0], logging.StreamHandler)
    ours[0].setStream(stream)
    yield stream
    for handler in ours:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """PostgreSQL with a password in the URL (the test server trusts local connections and ignores
    it) - where a password would show if anything logged the URL."""
    with fresh_postgres() as url:
        yield make_url(url).set(password=DB_PASSWORD).render_as_string(hide_password=False)


@pytest.fixture
def openai() -> Iterator[FakeOpenAIServer]:
    with fake_openai_server() as server:
        yield server


@pytest.fixture
async def core(db_url: str, openai: FakeOpenAIServer, captured: io.StringIO) -> AsyncIterator[BotCore]:
    settings = Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, evaluator="llm",
                        openai_base_url=openai.base_url, openai_max_retries=0, openai_timeout=5,
                        _env_file=None, **SECRETS)  # type: ignore[arg-type]
    ctx = BotContext(settings=settings, db=Database(settings.database_url), clock=ManualClock(START),
                     prompts=Prompts(settings.prompts_dir), strategy=load_strategy(settings.strategy_file))
    bot = BotCore(ctx)
    await bot.start()
    yield bot
    await ctx.drain()
    await ctx.db.dispose()


def lines(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def assert_clean(stream: io.StringIO, secrets: list[str], answers: list[str]) -> None:
    text = stream.getvalue()
    assert len(text) > 5_000, "the flow should have logged plenty at DEBUG"
    for secret in secrets:
        for form in forms_of(secret):
            assert form not in text, f"a secret ({secret[:6]}...) was logged"
    above_debug = "\n".join(json.dumps(line) for line in lines(stream) if line["level"] != "DEBUG")
    for answer in answers:
        for fragment in (answer.split(":")[0], answer[20:50]):
            assert fragment not in above_debug, f"answer text {fragment!r} was logged at INFO or above"


async def get(url: str, **headers: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers,
                                                               allow_redirects=False) as response:
        return response.status, await response.text()


async def test_a_slack_checkin_flow_at_debug_logs_no_secret_and_no_answer_above_debug(
        core: BotCore, captured: io.StringIO) -> None:
    secrets = SECRETS
    async with fake_slack_api() as api:
        api.tokens[secrets["slack_bot_token"]] = TEAM
        api.add_user(ADA, "Ada", tz="Europe/Berlin", is_owner=True)
        api.add_user(DANA, "Dana", tz="America/New_York", email="dana@acme.example")
        slack = SlackAdapter(core, build_client(secrets["slack_bot_token"], base_url=api.base_url),
                             signing_secret=secrets["slack_signing_secret"], host="127.0.0.1", http_port=0)
        await slack.start()
        try:
            base = f"http://127.0.0.1:{slack.bound_port}"
            poster = SignedPoster(base + EVENTS_PATH, secrets["slack_signing_secret"])
            for number, text in enumerate([f"team add <@{ADA}> admin", f"team add <@{DANA}> rep",
                                           "ask now dana"]):
                payload = slash_command(ADA, text, api.response_url(f"c{number}"))
                assert (await poster.form(payload))[0] == 200
                await core.ctx.drain()
            [ask] = api.posts(DANA_DM)
            ts = api.messages[DANA_DM][0]["ts"]
            await poster.interaction(block_action(DANA, button(ask), DANA_DM, ts, "trigger-1"))
            await core.ctx.drain()
            view = api.calls_to("views.open")[0].args["view"]
            view = json.loads(view) if isinstance(view, str) else view
            await poster.interaction(view_submission(DANA, view, ANSWERS))
            await core.ctx.drain()
            await poster.event(dm_event(DANA, TYPED, "Ev0TYPED1", DANA_DM))
            await poster.event(event_callback({"type": "app_home_opened", "user": DANA, "tab": "home"},
                                              "Ev0HOME01"))
            await core.ctx.drain()
            body = json.dumps({"external_id": "L-1", "company": "Ledgerly", "segment": "midmarket_fintech",
                               "owner": "dana@acme.example", "engaged_at": "2026-03-02T09:00:00Z"}).encode()
            stamp = str(int(core.ctx.clock.now().timestamp()))
            async with aiohttp.ClientSession() as session, session.post(
                    base + "/webhooks/leads", data=body, headers={
                        "Content-Type": "application/json", TIMESTAMP_HEADER: stamp,
                        SIGNATURE_HEADER: sign(secrets["webhook_secret"], stamp, "POST",
                                                "/webhooks/leads", body)}) as response:
                assert response.status == 201
            bearer = f"Bearer {secrets['metrics_token']}"
            assert (await get(base + "/metrics", Authorization=bearer))[0] == 200
            assert (await get(base + "/readyz"))[0] == 200
        finally:
            await slack.stop()
    assert len(api.calls_to("chat.postMessage")) >= 4
    assert_clean(captured, [*SECRETS.values(), DB_PASSWORD], [*ANSWERS.values(), TYPED])


async def test_a_slack_oauth_install_at_debug_logs_neither_the_client_secret_nor_the_issued_token(
        core: BotCore, captured: io.StringIO) -> None:
    async with fake_slack_api() as api:
        api.add_user(ADA, "Ada", tz="Europe/Berlin", is_owner=True)
        config = OAuthConfig(client_id=CLIENT_ID, client_secret=SECRETS["slack_client_secret"],
                             base_url=api.base_url)
        slack = SlackAdapter(core, signing_secret=SECRETS["slack_signing_secret"], host="127.0.0.1",
                             http_port=0, oauth=config)
        await slack.start()
        try:
            base = f"http://127.0.0.1:{slack.bound_port}"
            status, page = await get(base + INSTALL_PATH)
            state = re.search(r"state=([\w-]+)", page)
            assert status == 200 and state is not None
            api.install_code("code-1", TEAM, ISSUED_TOKEN)
            status, page = await get(f"{base}{REDIRECT_PATH}?code=code-1&state={state.group(1)}",
                                     Cookie=f"slack-app-oauth-state={state.group(1)}")
            assert status == 200 and "Thank you" in page
            poster = SignedPoster(base + EVENTS_PATH, SECRETS["slack_signing_secret"])
            payload = slash_command(ADA, f"team add <@{ADA}> admin", api.response_url("c"))
            assert (await poster.form(payload))[0] == 200
            await core.ctx.drain()
        finally:
            await slack.stop()
    assert api.calls_to("oauth.v2.access") and api.responses
    assert_clean(captured, [*SECRETS.values(), DB_PASSWORD, ISSUED_TOKEN], [])


async def test_a_teams_flow_with_authentication_at_debug_logs_no_password_and_no_token(
        core: BotCore, captured: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inbound: channel tokens (JWTs) checked against a local OpenID server; outbound: the app
    password exchanged for a Bot Connector token at a local Azure AD-style token endpoint."""
    password = SECRETS["microsoft_app_password"]
    key = new_key()
    with openid_server(key) as openid, fake_bot_login(APP_ID, password) as aad:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", aad.ca_file)  # msal (requests) trusts the test CA
        async with fake_bot_connector() as connector:
            for user_id, name in ((TEAMS_ADA, "Ada"), (TEAMS_DANA, "Dana")):
                connector.add_user(user_id, name, email=f"{name.lower()}@acme.example")
            auth = BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD=password,
                                 TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=ISSUER,
                                 TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=openid,
                                 TO_CHANNEL_FROM_BOT_LOGIN_URL=aad.authority)
            assert password not in repr(auth)
            teams = TeamsAdapter(core, auth, host="127.0.0.1", http_port=0)
            await teams.start()
            channel_token = token(key, serviceurl=connector.service_url)
            url = f"http://127.0.0.1:{teams.bound_port}{MESSAGES_PATH}"

            async def post(body: dict[str, object]) -> None:
                async with aiohttp.ClientSession() as session, session.post(
                        url, json=body, headers={"Authorization": f"Bearer {channel_token}"}) as response:
                    assert response.status == 200
                await core.ctx.drain()

            def user(user_id: str) -> dict[str, str]:
                return act.account(user_id, connector.users[user_id]["name"])
            try:
                for user_id in (TEAMS_ADA, TEAMS_DANA):
                    await post(act.installed(connector.service_url, user(user_id), "Europe/Berlin"))
                for text in ("align team add Ada admin", "align team add dana@acme.example rep",
                             "align ask now dana"):
                    await post(act.message(connector.service_url, user(TEAMS_ADA), text))
                for answer in ANSWERS.values():
                    await post(act.message(connector.service_url, user(TEAMS_DANA), answer))
            finally:
                await teams.stop()
    sends = connector.of("send")
    assert len(sends) >= 5 and aad.tokens  # replies went out, with a token bought
    assert all(call.headers.get("Authorization") == f"Bearer {FakeBotLogin.issued(1)}" for call in sends)
    assert_clean(captured, [*SECRETS.values(), DB_PASSWORD, FakeBotLogin.issued(1), channel_token],
                 list(ANSWERS.values()))
