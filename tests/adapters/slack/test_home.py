"""The App Home tab: app_home_opened -> views.publish with the core's home page for that person
(open check-in with its Answer button, latest feedback, trend; a manager's team; an admin's
schedules and the strategy's sell-by date), valid for Slack (100 blocks, slack_sdk's View)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from adapters.slack.blocks import OPEN_FORM_ACTION, home_view
from bot.core import BotCore
from bot.events import MemberRef
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM, team
from tests.support.slack_api import dm_event, event_callback, view_problems
from tests.support.talk import confirmed, say, setup_team

SAM = "U0SAM0001"


async def open_home(slack: Slack, user_id: str, n: int) -> dict[str, Any]:
    event = {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:], "tab": "home",
             "event_ts": "1772460999.1"}
    status, _ = await slack.poster.event(event_callback(event, f"Ev0HOME{n}"))
    assert status == 200
    await slack.core.ctx.drain()
    published = slack.api.published[-1]
    assert published["user_id"] == user_id
    view: dict[str, Any] = published["view"]
    assert view["type"] == "home" and view_problems(view) == []
    View(**view).validate_json()
    return view


def text_of(view: dict[str, Any]) -> str:
    return str(view["blocks"])


async def test_home_tabs_of_a_stranger_a_rep_a_manager_and_an_admin(slack: Slack, core: BotCore) -> None:
    stranger = await open_home(slack, DANA, 1)
    assert "don't know you yet" in text_of(stranger)

    await team(slack)
    slack.api.add_user(SAM, "Sam", tz="Europe/Paris")
    await slack.command(ADA, f"team add <@{SAM}> manager")
    await slack.command(ADA, f"team add <@{DANA}> rep manager=<@{SAM}>")
    await slack.command(ADA, 'schedule add checkin "weekdays 09:00" to=reps')
    before = await open_home(slack, DANA, 2)
    assert "No open check-in" in text_of(before) and "No feedback yet" in text_of(before)

    await slack.command(ADA, "ask now dana")
    await slack.poster.event(dm_event(DANA, ANSWERS["strategy"], "Ev0ANS1", DANA_DM))
    await core.ctx.drain()
    dana = await open_home(slack, DANA, 3)
    text = text_of(dana)
    assert "1 of 3 questions answered" in text and "Latest feedback (question 1" in text
    assert "Alignment trend (last 1 check-ins)" in text
    button = next(el for b in dana["blocks"] if b["type"] == "actions" for el in b["elements"])
    assert button["action_id"] == OPEN_FORM_ACTION and button["text"]["text"] == "Edit answers"
    assert "Your team" not in text and "sell-by" not in text

    sam = text_of(await open_home(slack, SAM, 4))
    assert "Your team (1)" in sam and "Dana" in sam and "last check-in asked" in sam
    assert "Active schedules" not in sam

    ada = text_of(await open_home(slack, ADA, 5))
    assert "Active schedules" in ada and "weekdays 09:00" in ada
    assert "Strategy sell-by date: 2027-06-30 (in 485 days)" in ada  # the clock starts 2026-03-02
    assert [c.method for c in slack.api.calls_to("views.publish")] == ["views.publish"] * 5


async def test_a_big_team_stays_within_a_home_views_limits(core: BotCore) -> None:
    await setup_team(core)
    for i in range(60):
        await say(core, "ada", f"/align team add Rep{i:02d} rep manager=Sam")
    for i in range(30):
        await confirmed(core, "ada", f'/align schedule add checkin "weekdays 09:{i:02d}" to=reps')
    page = await core.home(MemberRef("test", "ada"))
    assert "Active schedules" in page.text and "Strategy sell-by date" in page.text
    sam = await core.home(MemberRef("test", "sam"))
    assert "Your team (62)" in sam.text
    for message in (page, sam):
        view = home_view(message)
        assert view_problems(view) == [] and len(view["blocks"]) <= 100
