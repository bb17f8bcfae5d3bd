"""`/align forget` through the real bolt app: the preview is an ephemeral reply with a Confirm
button; pressing it replaces that reply (nothing is said in the channel), blanks the member's Home
tab (it showed their answers and feedback) and deletes their data."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlmodel import select

from bot.core import BotCore
from bot.storage.models import Answer, Member
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, team
from tests.support.slack_api import TEAM, dm_event

Json = dict[str, Any]
CLICKS = itertools.count(1)  # Slack's trigger_id is unique per press


def ephemeral_click(user_id: str, action: Json, response_url: str) -> Json:
    """A button pressed on an ephemeral message, as Slack sends it (no `message`, a response_url)."""
    return {"type": "block_actions", "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user_id, "team_id": TEAM}, "api_app_id": "A0APP0001",
            "token": "legacy", "trigger_id": f"trigger-{next(CLICKS)}", "response_url": response_url,
            "container": {"type": "message", "message_ts": "1772461000.000100",
                          "channel_id": "C0GENERAL", "is_ephemeral": True},
            "channel": {"id": "C0GENERAL", "name": "general"},
            "actions": [{"type": "button", "block_id": "b", "action_ts": "1772461000.2", **action}]}


def buttons(body: Json) -> dict[str, Json]:
    return {el["action_id"]: el for block in body["blocks"] if block["type"] == "actions"
            for el in block["elements"]}


async def test_forget_is_confirmed_by_a_button_that_replaces_the_ephemeral_preview(
        slack: Slack, core: BotCore) -> None:
    api = slack.api
    await team(slack)
    await slack.command(ADA, "ask now dana")
    await slack.poster.event(dm_event(DANA, "We win mid-market fintech on audit readiness.",
                                      "Ev0FORGET1", DANA_DM))
    await core.ctx.drain()

    [preview] = await slack.command(ADA, f"forget <@{DANA}>")
    assert preview.startswith("Forget Dana?") and "their answers (1)" in preview
    body = api.responses[-1][1]
    confirm = buttons(body)["forget:confirm"]
    assert confirm["style"] == "danger" and confirm["text"]["text"] == "Confirm: forget Dana"

    status, _ = await slack.poster.interaction(ephemeral_click(ADA, confirm, api.response_url("click")))
    assert status == 200
    await core.ctx.drain()
    [(_, outcome)] = [r for r in api.responses if r[0] == "click"]
    assert outcome["replace_original"] is True and outcome["response_type"] == "ephemeral"
    assert outcome["text"].startswith("Forgotten: Dana is now")
    assert api.posts(channel="C0GENERAL") == []  # nothing said in the channel

    home = [p for p in api.published if p["user_id"] == DANA][-1]
    assert "I don't know you yet" in json.dumps(home["view"])
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Member).where(Member.platform_user_id == DANA))).first() is None
        assert (await session.exec(select(Answer))).all() == []

    # The same button again: nothing left to confirm, still only for its reader.
    await slack.poster.interaction(ephemeral_click(ADA, confirm, api.response_url("again")))
    await core.ctx.drain()
    [(_, again)] = [r for r in api.responses if r[0] == "again"]
    assert again["text"].startswith("Nothing to confirm") and again["replace_original"] is True


async def test_a_rep_pressing_a_forwarded_confirm_button_is_refused(slack: Slack, core: BotCore) -> None:
    api = slack.api
    await team(slack)
    await slack.command(ADA, f"forget <@{DANA}>")
    confirm = buttons(api.responses[-1][1])["forget:confirm"]
    await slack.poster.interaction(ephemeral_click(DANA, confirm, api.response_url("rep")))
    await core.ctx.drain()
    [(_, refused)] = [r for r in api.responses if r[0] == "rep"]
    assert "is for admins" in refused["text"]
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Member).where(Member.platform_user_id == DANA))).one()
