"""The Slack HTTP app serves the operations endpoints on its one port: /readyz checks the
database and Slack (`auth.test`, reused for a minute), /metrics counts what went out."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import pytest

from adapters.slack.app import OAuthConfig, SlackAdapter
from adapters.slack.limits import WebApiLimits
from bot.clock import ManualClock
from bot.core import BotCore
from tests.adapters.slack.conftest import ADA, DANA, SECRET, Slack
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM, stored_answers, team
from tests.support.slack_api import FakeSlackApi, SlackReply, dm_event


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def _ready(base: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.get(f"{base}/readyz") as response:
        return response.status, await response.json()


async def test_readyz_checks_slack_with_auth_test_cached_for_a_minute(
        slack: Slack, adapter: SlackAdapter, api: FakeSlackApi, clock: ManualClock) -> None:
    base = f"http://127.0.0.1:{adapter.bound_port}"
    assert await _get(f"{base}/healthz") == (200, "ok")
    status, ready = await _ready(base)
    assert status == 200 and ready["checks"] == {"database": "ok", "slack": "ok"}
    checks = len(api.calls_to("auth.test"))

    api.fail("auth.test", SlackReply.error_code("invalid_auth"))
    clock.advance(timedelta(seconds=30))
    assert (await _ready(base))[0] == 200 and len(api.calls_to("auth.test")) == checks  # cached
    clock.advance(timedelta(seconds=31))
    status, ready = await _ready(base)
    assert status == 503 and ready["failed"] == ["slack"]
    assert ready["checks"]["slack"] == "Slack auth.test failed: invalid_auth"  # type: ignore[index]
    assert "xoxb" not in str(ready)


async def test_metrics_on_the_slack_port_count_the_checkin_dm(
        slack: Slack, adapter: SlackAdapter) -> None:
    base = f"http://127.0.0.1:{adapter.bound_port}"
    await slack.command(ADA, f"team add <@{ADA}|ada> admin")
    await slack.command(ADA, f"team add <@{DANA}|dana> rep")
    assert "Asked 1: Dana" in (await slack.command(ADA, "ask now dana"))[0]
    status, text = await _get(f"{base}/metrics")
    assert status == 200
    assert 'alignbot_messages_sent_total{kind="checkin",platform="slack"} 1.0' in text
    assert 'alignbot_checkins_asked_total{audience="rep"} 1.0' in text


async def test_oauth_installs_check_that_the_web_api_is_reachable(
        core: BotCore, api: FakeSlackApi) -> None:
    adapter = SlackAdapter(core, signing_secret=SECRET, oauth=OAuthConfig(
        client_id="111.222", client_secret="oauth-secret", base_url=api.base_url,
        limits=WebApiLimits(max_retries=1)))
    assert await adapter.check_connection() is None
    api.fail("api.test", SlackReply.server_error(503), SlackReply.server_error(503))  # 1 + 1 retry
    assert await adapter.check_connection() == "Slack api.test failed: SlackApiError"


async def test_a_slack_checkin_answered_by_dm_logs_no_answer_text_or_token_at_info(
        slack: Slack, core: BotCore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # every logger: ours, bolt's, slack_sdk's, aiohttp's
    await team(slack)
    await slack.command(ADA, "ask now dana")
    for number, (question, text) in enumerate(ANSWERS.items(), start=1):
        status, _ = await slack.poster.event(dm_event(DANA, text, f"EvLog{number}", DANA_DM,
                                                      ts=f"17724610{number:02d}.1"))
        assert status == 200
        await core.ctx.drain()
        assert (await stored_answers(core))[question] == text
    assert caplog.records  # INFO logging really was on
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for text in ANSWERS.values():
        assert text not in logged and text[:30] not in logged
    assert "xoxb-test-token" not in logged and SECRET not in logged
