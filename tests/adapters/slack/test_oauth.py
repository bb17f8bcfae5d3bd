"""Multi-workspace install through bolt's real OAuth flow: /slack/install issues a state stored in
our database, /slack/oauth_redirect checks and consumes it, exchanges the code with oauth.v2.access
(the fake Web API) and stores the installation in our `installations` table; requests from each
workspace are then authorized with, and the bot's calls use, that workspace's token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from sqlalchemy import event
from sqlmodel import select

from adapters.slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, OAuthConfig, SlackAdapter
from bot.clock import ManualClock
from bot.core import BotCore
from bot.storage.models import OAuthState, PlatformInstallation
from tests.adapters.slack.conftest import SECRET, Slack
from tests.support.slack_api import BOT_USER, FakeSlackApi, SignedPoster, event_callback, slash_command

ACME, GLOBEX = "T0ACME001", "T0GLOBEX1"
ADA, GREG = "U0ADA0001", "U0GREG001"
COOKIE = "slack-app-oauth-state"


@pytest.fixture
async def oauth_adapter(core: BotCore, api: FakeSlackApi) -> AsyncIterator[SlackAdapter]:
    api.users.clear()
    api.add_user(ADA, "Ada", tz="Europe/Berlin", is_owner=True, team=ACME)
    api.add_user(GREG, "Greg", tz="Asia/Tokyo", team=GLOBEX)
    # One company's two workspaces: the deployment serves that organisation (an allow-list).
    core.ctx.settings = core.ctx.settings.model_copy(update={"organisation": f"{ACME}, {GLOBEX}"})
    config = OAuthConfig(client_id="111.222", client_secret="oauth-secret", base_url=api.base_url)
    slack = SlackAdapter(core, signing_secret=SECRET, host="127.0.0.1", http_port=0, oauth=config)
    await slack.start()
    yield slack
    await slack.stop()


def base(adapter: SlackAdapter) -> str:
    return f"http://127.0.0.1:{adapter.bound_port}"


async def get(url: str, cookie: str | None = None) -> tuple[int, str, dict[str, str]]:
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie else {}
    async with aiohttp.ClientSession() as session, \
            session.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text(), dict(response.headers)


async def start_install(adapter: SlackAdapter) -> str:
    """Open the install page as an admin's browser would; the state it issued."""
    status, html, headers = await get(base(adapter) + INSTALL_PATH)
    assert status == 200
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', html)
    assert link is not None
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == ["111.222"]
    assert set(query["scope"][0].split(",")) >= {"chat:write", "commands", "files:write", "im:history"}
    state = query["state"][0]
    assert f"{COOKIE}={state}" in headers["Set-Cookie"]
    return state


async def install(adapter: SlackAdapter, api: FakeSlackApi, team: str, token: str) -> None:
    state = await start_install(adapter)
    api.install_code(f"code-{team}", team, token)
    status, page, _ = await get(f"{base(adapter)}{REDIRECT_PATH}?code=code-{team}&state={state}", state)
    assert status == 200 and "Thank you" in page


async def test_two_workspaces_install_and_each_uses_its_own_token(
        oauth_adapter: SlackAdapter, api: FakeSlackApi, core: BotCore) -> None:
    await install(oauth_adapter, api, ACME, "xoxb-acme-token")
    await install(oauth_adapter, api, GLOBEX, "xoxb-globex-token")
    [exchange, _] = api.calls_to("oauth.v2.access")
    assert exchange.args["code"] == f"code-{ACME}" and exchange.headers["Authorization"].startswith("Basic ")
    async with core.ctx.db.session() as session:
        rows = (await session.exec(select(PlatformInstallation))).all()
        states = (await session.exec(select(OAuthState))).all()
    assert sorted(r.workspace_id or "" for r in rows) == [ACME, GLOBEX] and states == []  # consumed

    slack = Slack(core, api, SignedPoster(base(oauth_adapter) + EVENTS_PATH, SECRET))
    # Ada (Acme) bootstraps the team and adds Greg (Globex, found by the Globex install's token).
    assert "Added Ada as admin" in (await slack.command(ADA, f"team add <@{ADA}> admin", team=ACME))[0]
    greg = slash_command(ADA, f"team add <@{GREG}> rep", api.response_url("add-greg"))
    greg["team_id"] = ACME
    calls_before = len(api.calls)
    await slack.poster.form(greg)
    await core.ctx.drain()
    info_tokens = {c.headers["Authorization"] for c in api.calls[calls_before:] if c.method == "users.info"}
    assert info_tokens == {"Bearer xoxb-acme-token"}  # the lookup runs in the caller's workspace
    assert "Added Greg" in api.responses[-1][1]["text"] and "Asia/Tokyo" in api.responses[-1][1]["text"]

    await slack.command(ADA, "ask now greg", team=ACME)
    [post] = [c for c in api.calls_to("chat.postMessage") if c.args["channel"] == GREG]
    assert post.headers["Authorization"] == "Bearer xoxb-globex-token"  # Greg's own workspace


async def test_a_request_from_a_workspace_that_never_installed_is_refused(
        oauth_adapter: SlackAdapter, api: FakeSlackApi, core: BotCore) -> None:
    await install(oauth_adapter, api, ACME, "xoxb-acme-token")
    slack = Slack(core, api, SignedPoster(base(oauth_adapter) + EVENTS_PATH, SECRET))
    command = slash_command(GREG, "help", api.response_url("stranger"))
    command["team_id"] = "T0NOBODY1"
    status, body = await slack.poster.form(command)
    await core.ctx.drain()
    # Outside the organisation: refused before bolt (and the core) see it, with a note.
    assert status == 200 and "serves another organisation" in body
    assert api.responses == []
    assert [c.method for c in api.calls if c.method not in ("oauth.v2.access", "auth.test")] == []


async def test_states_are_single_use_bound_to_the_browser_and_expire(
        oauth_adapter: SlackAdapter, api: FakeSlackApi, core: BotCore, clock: ManualClock) -> None:
    api.install_code("code-1", ACME, "xoxb-acme-token")
    state = await start_install(oauth_adapter)
    status, _, _ = await get(f"{base(oauth_adapter)}{REDIRECT_PATH}?code=code-1&state={state}", "other")
    assert status == 400  # the state is not this browser's (cookie)
    forged = "forged-state"
    status, _, _ = await get(f"{base(oauth_adapter)}{REDIRECT_PATH}?code=code-1&state={forged}", forged)
    assert status == 401  # never issued

    late = await start_install(oauth_adapter)
    clock.advance(timedelta(minutes=11))  # the default expiry is 10 minutes
    status, _, _ = await get(f"{base(oauth_adapter)}{REDIRECT_PATH}?code=code-1&state={late}", late)
    assert status == 401
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(PlatformInstallation))).all() == []
    assert api.calls_to("oauth.v2.access") == []  # no code was exchanged for a bad state

    fresh = await start_install(oauth_adapter)
    status, _, _ = await get(f"{base(oauth_adapter)}{REDIRECT_PATH}?code=code-1&state={fresh}", fresh)
    assert status == 200
    status, _, _ = await get(f"{base(oauth_adapter)}{REDIRECT_PATH}?code=code-1&state={fresh}", fresh)
    assert status == 401  # a state works once


async def test_uninstalling_forgets_the_workspace(oauth_adapter: SlackAdapter, api: FakeSlackApi,
                                                  core: BotCore) -> None:
    await install(oauth_adapter, api, ACME, "xoxb-acme-token")
    await install(oauth_adapter, api, GLOBEX, "xoxb-globex-token")
    slack = Slack(core, api, SignedPoster(base(oauth_adapter) + EVENTS_PATH, SECRET))
    revoked = event_callback({"type": "tokens_revoked", "tokens": {"bot": [BOT_USER]}}, "Ev0REV1",
                             team=GLOBEX)
    assert (await slack.poster.event(revoked))[0] == 200
    uninstalled = event_callback({"type": "app_uninstalled"}, "Ev0UNI1", team=ACME)
    assert (await slack.poster.event(uninstalled))[0] == 200
    await core.ctx.drain()
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(PlatformInstallation))).all() == []
    command = slash_command(ADA, "help", api.response_url("after"))
    command["team_id"] = ACME
    await slack.poster.form(command)
    await core.ctx.drain()
    assert "reinstall" in api.responses[-1][1]["text"]  # bolt refuses: no installation any more


async def test_a_burst_of_requests_is_authorized_without_a_web_api_call_or_a_query_each(
        oauth_adapter: SlackAdapter, api: FakeSlackApi, core: BotCore) -> None:
    """Bolt authorizes every request before its listener can ack: the installation comes from
    the store's cache and auth.test from bolt's, so acks wait for neither Slack nor the database;
    a reinstall (new token) is used from the next request on."""
    await install(oauth_adapter, api, ACME, "xoxb-acme-token")
    slack = Slack(core, api, SignedPoster(base(oauth_adapter) + EVENTS_PATH, SECRET))
    statements: list[str] = []
    event.listen(core.ctx.db.engine.sync_engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    checked = len(api.calls_to("auth.test"))  # the install's own
    assert await slack.command(ADA, "help", team=ACME)  # the first: looked up and noted
    assert len(api.calls_to("auth.test")) == checked + 1
    assert any("FROM installations" in s for s in statements)
    assert any("member_workspaces" in s for s in statements)  # Ada's workspace
    first = len(statements)
    for _ in range(4):
        assert await slack.command(ADA, "help", team=ACME)
    assert len(api.calls_to("auth.test")) == checked + 1
    assert not [s for s in statements[first:] if "installations" in s or "member_workspaces" in s]

    await install(oauth_adapter, api, ACME, "xoxb-acme-token-2")
    assert await slack.command(ADA, "help", team=ACME)
    assert api.calls_to("auth.test")[-1].headers["Authorization"] == "Bearer xoxb-acme-token-2"


async def test_with_no_organisation_set_the_first_install_fixes_it_and_others_are_refused(
        oauth_adapter: SlackAdapter, api: FakeSlackApi, core: BotCore,
        caplog: pytest.LogCaptureFixture) -> None:
    """Every workspace that installed shared one team directory, strategy and schedules: a
    second company's install landed in the first one's data."""
    core.ctx.settings = core.ctx.settings.model_copy(update={"organisation": ""})
    await install(oauth_adapter, api, ACME, "xoxb-acme-token")
    state = await start_install(oauth_adapter)
    api.install_code(f"code-{GLOBEX}", GLOBEX, "xoxb-globex-token")
    status, page, _ = await get(f"{base(oauth_adapter)}{REDIRECT_PATH}?code=code-{GLOBEX}&state={state}",
                                state)
    assert status == 403 and "serves another organisation" in page
    async with core.ctx.db.session() as session:
        stored = (await session.exec(select(PlatformInstallation))).all()
    assert [row.workspace_id for row in stored] == [ACME]
    assert "refused an install into Slack workspace T0GLOBEX1" in caplog.text

    poster = SignedPoster(base(oauth_adapter) + EVENTS_PATH, SECRET)
    calls = len(api.calls)
    command = slash_command(GREG, f"team add <@{GREG}> admin", api.response_url("greg"))
    command["team_id"] = GLOBEX
    status, body = await poster.form(command)
    assert status == 200 and "serves another organisation" in body
    await core.ctx.drain()
    assert len(api.calls) == calls and api.responses == []  # the core never ran
    assert "refused a request from Slack workspace T0GLOBEX1" in caplog.text
