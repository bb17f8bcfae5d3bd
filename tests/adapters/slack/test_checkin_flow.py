"""A check-in end to end through the real bolt app and slack_sdk: /align ask now -> DM with an
Answer button -> the button opens the modal -> submitted -> answers stored -> feedback in the
DM thread; and a plain DM reply answering the current question."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from adapters.slack.app import SlackAdapter
from bot.clock import ManualClock
from bot.core import BotCore
from bot.storage.models import Answer, Member
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.support.slack_api import block_action, dm_event, view_submission

DANA_DM = "D" + DANA[1:]
ANSWERS = {
    "strategy": "We help mid-market fintechs pass audits in half the time, winning on audit readiness.",
    "scope": "Mid-market fintech and regional banks; not tier-1 banks or government.",
    "tasks": "Mapped the buying committee at Ledgerly, sent the SOC 2 report, ran discovery calls.",
}


async def stored_answers(core: BotCore) -> dict[str, str]:
    async with core.ctx.db.session() as session:
        return {a.question: a.text for a in (await session.exec(select(Answer))).all()}


async def team(slack: Slack) -> None:
    """Ada makes herself admin by @mention and adds Dana by email."""
    assert "Added Ada as admin" in (await slack.command(ADA, f"team add <@{ADA}|ada> admin"))[0]
    added = (await slack.command(ADA, "team add <mailto:dana@acme.example|dana@acme.example> rep"))[0]
    assert "Added Dana as rep" in added and "America/New_York" in added


async def open_form(slack: Slack, trigger_id: str) -> dict[str, Any]:
    """Dana presses the Answer button on her (first) check-in invitation: the modal it opened."""
    ask_ts = slack.api.messages[DANA_DM][0]["ts"]
    await slack.poster.interaction(block_action(DANA, button(slack.api.posts(DANA_DM)[0]), DANA_DM,
                                                ask_ts, trigger_id))
    await slack.core.ctx.drain()
    view: dict[str, Any] = slack.api.calls_to("views.open")[-1].args["view"]
    return view


def button(post: dict[str, Any]) -> dict[str, Any]:
    blocks = post["blocks"] if isinstance(post["blocks"], list) else json.loads(post["blocks"])
    return next(el for b in blocks if b["type"] == "actions" for el in b["elements"])


async def test_full_checkin_through_the_modal(slack: Slack, core: BotCore, clock: ManualClock) -> None:
    api = slack.api
    await team(slack)
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Member).where(Member.platform_user_id == DANA))).one()
    assert dana.timezone == "America/New_York" and dana.email == "dana@acme.example"

    assert "Asked 1: Dana" in (await slack.command(ADA, "ask now dana"))[0]
    [ask] = api.posts(DANA_DM)
    assert ask["metadata"]["event_type"] == "alignbot_message"  # the outbox key, for find_sent
    assert "Question 1 of 3" in ask["text"]
    answer = button(ask)
    assert answer["text"]["text"] == "Answer" and answer["value"].startswith("checkin:")
    ask_ts = api.messages[DANA_DM][0]["ts"]

    status, _ = await slack.poster.interaction(block_action(DANA, answer, DANA_DM, ask_ts, "trigger-1"))
    assert status == 200
    await core.ctx.drain()
    [opened] = api.calls_to("views.open")
    assert opened.args["trigger_id"] == "trigger-1"
    view = opened.args["view"]
    assert [b["block_id"] for b in view["blocks"]] == ["strategy", "scope", "tasks"]
    assert all(b["element"]["multiline"] and "initial_value" not in b["element"] for b in view["blocks"])

    status, body = await slack.poster.interaction(view_submission(DANA, view, ANSWERS))
    assert (status, body) == (200, "")  # acknowledged at once: the modal closes
    await core.ctx.drain()
    assert await stored_answers(core) == ANSWERS
    thread = [p for p in api.posts(DANA_DM) if p.get("thread_ts") == ask_ts]
    texts = "\n".join(p["text"] for p in thread)
    assert "saved your answer to question 1" in texts and "saved your answer to question 3" in texts
    assert "FEEDBACK" in texts.upper() and "Coaching" in texts

    # The invitation was updated in place: its button now reads "Edit answers".
    [updated] = api.calls_to("chat.update")
    assert updated.args["ts"] == ask_ts and updated.args["channel"] == DANA_DM
    edit = button(updated.args)
    assert edit["text"]["text"] == "Edit answers" and edit["value"] == answer["value"]

    # Pressing it opens the modal pre-filled with what is stored; saving again edits.
    await slack.poster.interaction(block_action(DANA, edit, DANA_DM, ask_ts, "trigger-2"))
    await core.ctx.drain()
    prefilled = api.calls_to("views.open")[-1].args["view"]
    assert {b["block_id"]: b["element"]["initial_value"] for b in prefilled["blocks"]} == ANSWERS
    edited = {**ANSWERS, "tasks": "Ran two discovery calls."}
    await slack.poster.interaction(view_submission(DANA, prefilled, edited))
    await core.ctx.drain()
    assert (await stored_answers(core))["tasks"] == "Ran two discovery calls."
    assert "Updated your answer to question 3" in "\n".join(p["text"] for p in api.posts(DANA_DM))

    # Once the check-in has closed, the button opens a modal saying so (nothing to submit), and
    # changes nothing.
    clock.advance(timedelta(days=2))
    await core.tick()
    posts = len(api.posts(DANA_DM))
    await slack.poster.interaction(block_action(DANA, edit, DANA_DM, ask_ts, "trigger-3"))
    await core.ctx.drain()
    notice = api.calls_to("views.open")[-1].args
    assert notice["trigger_id"] == "trigger-3" and "submit" not in notice["view"]
    assert "That check-in has closed, so its answers can't be changed" in json.dumps(notice["view"])
    assert len(api.posts(DANA_DM)) == posts
    assert (await stored_answers(core))["tasks"] == "Ran two discovery calls."


async def test_a_dm_reply_answers_the_current_question(slack: Slack, core: BotCore) -> None:
    await team(slack)
    await slack.command(ADA, "ask now dana")
    status, _ = await slack.poster.event(dm_event(DANA, ANSWERS["strategy"], "Ev0001", DANA_DM))
    assert status == 200
    await core.ctx.drain()
    assert await stored_answers(core) == {"strategy": ANSWERS["strategy"]}
    ask_ts = slack.api.messages[DANA_DM][0]["ts"]
    replies = slack.api.posts(DANA_DM)[1:]
    text = "\n".join(p["text"] for p in replies)
    assert "saved your answer to question 1" in text and "FEEDBACK" in text.upper()
    assert "Question 2 of 3" in text
    assert {p.get("thread_ts") for p in replies} == {ask_ts}  # all in the check-in's thread

    # The last two answers, written in the DM's main channel, still land in the thread.
    await slack.poster.event(dm_event(DANA, ANSWERS["scope"], "Ev0002", DANA_DM, ts="1772461000.1"))
    await slack.poster.event(dm_event(DANA, ANSWERS["tasks"], "Ev0003", DANA_DM, ts="1772461001.1"))
    await core.ctx.drain()
    assert await stored_answers(core) == ANSWERS
    later = slack.api.posts(DANA_DM)[len(replies) + 1:]
    assert "That's all three" in later[-1]["text"]
    assert {p.get("thread_ts") for p in later} == {ask_ts}
    edit = button(slack.api.calls_to("chat.update")[-1].args)
    assert edit["text"]["text"] == "Edit answers"


async def test_align_commands_reply_ephemerally(slack: Slack) -> None:
    help_text = "\n".join(await slack.command(DANA, "help"))
    assert "/align" in help_text
    assert any("first member" in r.lower() or "nobody" in r.lower()
               for r in await slack.command(DANA, "team add Dana rep"))
    await team(slack)
    listed = "\n".join(await slack.command(ADA, "team list"))
    assert "Ada" in listed and "Dana" in listed
    assert "not a role" in (await slack.command(ADA, "team add Lee boss"))[0]
    assert slack.api.posts() == []  # command replies never went to a channel


async def test_an_empty_form_stays_open_with_a_note(slack: Slack, core: BotCore) -> None:
    await team(slack)
    await slack.command(ADA, "ask now dana")
    ask_ts = slack.api.messages[DANA_DM][0]["ts"]
    answer = button(slack.api.posts(DANA_DM)[0])
    await slack.poster.interaction(block_action(DANA, answer, DANA_DM, ask_ts, "trigger-1"))
    await core.ctx.drain()
    view = slack.api.calls_to("views.open")[0].args["view"]
    status, body = await slack.poster.interaction(view_submission(DANA, view, {"strategy": "  "}))
    assert status == 200
    assert json.loads(body) == {"response_action": "errors",
                                "errors": {"strategy": "Write at least one answer, or press Cancel."}}
    await core.ctx.drain()
    assert await stored_answers(core) == {} and len(slack.api.posts(DANA_DM)) == 1


async def test_a_replayed_modal_submission_changes_nothing(slack: Slack, core: BotCore) -> None:
    """A captured submission (same body, timestamp and signature: the same view id and hash) sent
    again inside Slack's 5 minutes passes the signature check, but its view was seen: the answers
    edited since are not put back, and no second round of replies goes out."""
    api = slack.api
    await team(slack)
    await slack.command(ADA, "ask now dana")
    view = await open_form(slack, "trigger-r1")
    captured, stamp = view_submission(DANA, view, ANSWERS), int(time.time())
    assert (await slack.poster.interaction(captured, timestamp=stamp))[0] == 200
    await core.ctx.drain()
    edited = {**ANSWERS, "tasks": "Ran two discovery calls."}  # Dana edits in a new modal
    await slack.poster.interaction(view_submission(DANA, await open_form(slack, "trigger-r2"), edited))
    await core.ctx.drain()
    posts = len(api.posts(DANA_DM))
    assert (await slack.poster.interaction(captured, timestamp=stamp))[0] == 200  # the replay
    await core.ctx.drain()
    assert await stored_answers(core) == edited
    assert len(api.posts(DANA_DM)) == posts


async def test_a_form_save_is_answered_without_bolt(slack: Slack, core: BotCore, adapter: SlackAdapter,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Over HTTP with one workspace a form's Save is acked by the adapter itself - bolt's
    dispatch was half of that ack, 200 reps pressing Save at once - and still keeps the modal
    open with a note when nothing was typed, and closes it when the answers are taken."""
    await team(slack)
    await slack.command(ADA, "ask now dana")
    view = await open_form(slack, "trigger-1")
    dispatched: list[Any] = []
    monkeypatch.setattr(adapter.app, "async_dispatch", lambda request: dispatched.append(request))
    status, body = await slack.poster.interaction(view_submission(DANA, view, {"strategy": "  "}))
    assert (status, json.loads(body)) == (200, {"response_action": "errors", "errors": {
        "strategy": "Write at least one answer, or press Cancel."}})
    status, body = await slack.poster.interaction(view_submission(DANA, view, ANSWERS))
    await core.ctx.drain()
    assert (status, body) == (200, "")
    assert await stored_answers(core) == ANSWERS
    assert "saved" in json.dumps(slack.api.posts(DANA_DM)).lower()
    assert dispatched == []
