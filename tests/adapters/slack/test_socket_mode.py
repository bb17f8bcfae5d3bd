"""Socket Mode against a local WebSocket server speaking Slack's protocol: apps.connections.open
hands out a ws://127.0.0.1 URL, slack_sdk's aiohttp Socket Mode client connects, and envelopes
(a slash command, a DM event and its retry) are acknowledged and handled like HTTP requests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from adapters.slack.app import SlackAdapter
from adapters.slack.port import build_client
from bot.core import BotCore
from bot.storage.models import Member
from tests.adapters.slack.conftest import ADA, DANA
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM
from tests.adapters.slack.test_robustness import answers
from tests.support.slack_api import FakeSlackApi, dm_event, slash_command

APP_TOKEN = "xapp-1-A0APP0001-1-test"


@pytest.fixture
async def socket_adapter(core: BotCore, api: FakeSlackApi) -> AsyncIterator[SlackAdapter]:
    slack = SlackAdapter(core, build_client("xoxb-test-token", base_url=api.base_url), app_token=APP_TOKEN)
    await slack.start()
    await api.wait_for(lambda: api.socket_connected)
    yield slack
    await slack.stop()


async def command(api: FakeSlackApi, core: BotCore, n: int, user_id: str, text: str) -> str:
    envelope_id = f"env-cmd-{n}"
    await api.socket_send({"envelope_id": envelope_id, "type": "slash_commands",
                           "accepts_response_payload": True,
                           "payload": slash_command(user_id, text, api.response_url(envelope_id))})
    await api.wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in api.socket_acks))
    await api.wait_for(lambda: any(name == envelope_id for name, _ in api.responses))
    await core.ctx.drain()
    [body] = [b for name, b in api.responses if name == envelope_id]
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


async def test_socket_mode_commands_and_events(socket_adapter: SlackAdapter, api: FakeSlackApi,
                                               core: BotCore) -> None:
    [connect] = api.calls_to("apps.connections.open")
    assert connect.headers["Authorization"] == f"Bearer {APP_TOKEN}"
    assert "Added Ada as admin" in await command(api, core, 1, ADA, f"team add <@{ADA}> admin")
    assert "Added Dana as rep" in await command(api, core, 2, ADA, f"team add <@{DANA}> rep")
    assert "Asked 1: Dana" in await command(api, core, 3, ADA, "ask now dana")

    event = {"envelope_id": "env-ev-1", "type": "events_api", "accepts_response_payload": False,
             "retry_attempt": 0, "retry_reason": "",
             "payload": dm_event(DANA, ANSWERS["strategy"], "Ev0SOCK01", DANA_DM)}
    await api.socket_send(event)
    retry = event | {"envelope_id": "env-ev-2", "retry_attempt": 1, "retry_reason": "timeout"}
    await api.socket_send(retry)
    await api.wait_for(lambda: {"env-ev-1", "env-ev-2"} <= {a.get("envelope_id") for a in api.socket_acks})
    await api.wait_for(lambda: any("saved your answer" in p["text"] for p in api.posts(DANA_DM)))
    await core.ctx.drain()
    [stored] = await answers(core)
    assert stored.text == ANSWERS["strategy"] and stored.edits == 0
    assert len([p for p in api.posts(DANA_DM) if "saved your answer" in p["text"]]) == 1


async def test_socket_mode_refuses_another_organisation_with_a_reason(
        socket_adapter: SlackAdapter, api: FakeSlackApi, core: BotCore,
        caplog: pytest.LogCaptureFixture) -> None:
    """One socket can carry requests from more than one workspace (an Enterprise Grid org, Slack
    Connect guests): the first workspace fixed the organisation, and a slash command from another
    gets the reason in its ack, is logged, and changes nothing; its events are dropped."""
    assert "Added Ada as admin" in await command(api, core, 1, ADA, f"team add <@{ADA}> admin")
    stranger = slash_command("U0MAL0001", "team add <@U0MAL0001> admin", api.response_url("env-mal"))
    await api.socket_send({"envelope_id": "env-mal", "type": "slash_commands",
                           "accepts_response_payload": True, "payload": {**stranger, "team_id": "T0OTHER01"}})
    dm = {**dm_event("U0MAL0001", "hello", "Ev0MAL001", "D0MAL0001"), "team_id": "T0OTHER01"}
    await api.socket_send({"envelope_id": "env-mal-dm", "type": "events_api",
                           "accepts_response_payload": False, "payload": dm})
    await api.wait_for(lambda: {"env-mal", "env-mal-dm"} <= {a.get("envelope_id") for a in api.socket_acks})
    await core.ctx.drain()
    [ack] = [a for a in api.socket_acks if a.get("envelope_id") == "env-mal"]
    assert ack["payload"]["response_type"] == "ephemeral"
    assert "serves another organisation" in ack["payload"]["text"]
    assert "refused a request from Slack workspace T0OTHER01" in caplog.text
    assert not any(name == "env-mal" for name, _ in api.responses) and api.posts("D0MAL0001") == []
    async with core.ctx.db.session() as session:
        assert [m.platform_user_id for m in (await session.exec(select(Member))).all()] == [ADA]
