"""Where the leads webhook is served: on the Slack adapter's HTTP port in HTTP mode, and on the
bot's own small server (console, Socket Mode) - the same signed requests work on both."""

from __future__ import annotations

import json

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr

from adapters.slack.app import SlackAdapter
from adapters.slack.port import build_client
from bot.core import BotCore
from bot.leads.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.runtime.web import WebServer
from tests.support.talk import setup_team
from tests.unit.leads.support import leads

LEAD = {"external_id": "W-1", "company": "Ledgerly", "segment": "midmarket_fintech",
        "owner": "Dana", "engaged_at": "2026-03-02T13:30:00Z"}


async def post_lead(core: BotCore, port: int) -> tuple[int, str]:
    body = json.dumps(LEAD).encode()
    stamp = str(int(core.ctx.clock.now().timestamp()))
    async with ClientSession() as session:
        health = await session.get(f"http://127.0.0.1:{port}/healthz")
        assert (health.status, await health.text()) == (200, "ok")
        async with session.post(f"http://127.0.0.1:{port}/webhooks/leads", data=body, headers={
                TIMESTAMP_HEADER: stamp,
                SIGNATURE_HEADER: sign("k", stamp, "POST", "/webhooks/leads", body)}) as response:
            return response.status, (await response.json())["result"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("server", ["slack-http", "own-server"])
async def test_the_webhook_is_served_next_to_the_platform_endpoints(core: BotCore,
                                                                   server: str) -> None:
    core.ctx.settings.webhook_secret = SecretStr("k")
    await setup_team(core)
    if server == "slack-http":
        slack = SlackAdapter(core, build_client("xoxb-test", base_url="http://127.0.0.1:9/api/"),
                             signing_secret="s", host="127.0.0.1", http_port=0)
        await slack.start()
        try:
            assert await post_lead(core, slack.bound_port) == (201, "created")
        finally:
            await slack.stop()
    else:
        web = WebServer(core.ctx, host="127.0.0.1", port=0)
        await web.start()
        try:
            assert await post_lead(core, web.bound_port) == (201, "created")
        finally:
            await web.stop()
    assert "W-1" in await leads(core)
