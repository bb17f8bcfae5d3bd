"""/metrics on the Teams port counts by platform what really went through the Bot Connector:
a check-in delivered, and one Teams refused (403: the app was blocked) as a permanent failure."""

from __future__ import annotations

import aiohttp

from adapters.teams.app import TeamsAdapter
from tests.adapters.teams.conftest import ADA, LEE, Teams
from tests.adapters.teams.test_flow import setup_team
from tests.unit.ops.test_http_endpoints import sample


async def metrics(adapter: TeamsAdapter) -> str:
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{adapter.bound_port}/metrics") as response:
        assert response.status == 200
        return await response.text()


async def test_teams_sends_and_refusals_are_counted_with_the_teams_label(
        teams: Teams, adapter: TeamsAdapter) -> None:
    await setup_team(teams)
    await teams.install(LEE)
    assert "Added Lee" in (await teams.say(ADA, "align team add lee@acme.example rep"))[0]
    before = await metrics(adapter)
    assert sample(before, "alignbot_messages_sent_total", platform="teams", kind="checkin") == 0

    assert "Asked 1: Dana" in (await teams.say(ADA, "align ask now dana"))[0]
    teams.connector.fail("send", 403)  # Lee blocked the app
    assert "Could not reach 1: Lee" in "\n".join(await teams.say(ADA, "align ask now lee"))
    after = await metrics(adapter)
    assert sample(after, "alignbot_messages_sent_total", platform="teams", kind="checkin") == 1
    assert sample(after, "alignbot_messages_failed_total", platform="teams", kind="checkin",
                  permanent="true") == 1
    assert sample(after, "alignbot_checkins_asked_total", audience="rep") == 1
