"""The database unavailable for a while (a locked SQLite file; PostgreSQL behind a cut proxy) while
people use the bot in Slack, through the real bolt app and slack_sdk: every input is either
processed once or refused with a clear "nothing was saved, try again in a few minutes"; what the
person then sends again is stored once. Nothing is half-written, nothing is lost silently."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.core import BotCore
from bot.leads.csv_import import import_csv
from bot.storage.models import Answer, InboundEvent, LeadEvent
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM, button, team
from tests.support.outage import Outage
from tests.support.slack_api import block_action, dm_event, view_submission
from tests.unit.leads.support import lead_row, leads, write_csv

Json = dict[str, Any]


async def answers(core: BotCore) -> list[Answer]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(Answer))).all())


def texts(slack: Slack, channel: str = DANA_DM) -> list[str]:
    return [p["text"] for p in slack.api.posts(channel)]


async def test_a_dm_answer_while_the_database_is_down_is_refused_clearly_and_sent_again_once(
        slack: Slack, core: BotCore, outage: Outage) -> None:
    await team(slack)
    await slack.command(ADA, "ask now dana")
    await outage.begin()
    status, _ = await slack.poster.event(dm_event(DANA, ANSWERS["strategy"], "Ev0DOWN01", DANA_DM))
    assert status == 200  # acknowledged: Slack would otherwise retry into the same outage
    await core.ctx.drain()
    refusal = texts(slack)[-1]
    assert "couldn't save that just now" in refusal and "send it again" in refusal
    await outage.end()
    assert await answers(core) == []  # nothing half-written

    await slack.poster.event(dm_event(DANA, ANSWERS["strategy"], "Ev0AGAIN1", DANA_DM,
                                      ts="1772461999.000300"))
    await core.ctx.drain()
    [stored] = await answers(core)
    assert (stored.text, stored.edits) == (ANSWERS["strategy"], 0) and stored.feedback
    assert sum("saved your answer to question 1" in t for t in texts(slack)) == 1
    assert core.ctx.metrics.value("alignbot_inputs_refused_total", platform="slack",
                                  event="UserMessage") == 1


async def test_a_failure_after_the_event_id_was_recorded_releases_it_so_slacks_retry_counts_once(
        slack: Slack, core: BotCore, outage: Outage) -> None:
    """The database goes away while the answer is being taken, after the event was accepted:
    the answer is not saved and the event id not kept (both are one transaction), so Slack's
    retry of that delivery is processed - once."""
    await team(slack)
    await slack.command(ADA, "ask now dana")
    checkins = core.checkins
    original = checkins.take

    async def down_midway(request: Any) -> Any:
        await outage.begin()
        try:
            return await original(request)
        finally:
            await outage.end()
    checkins.take = down_midway  # type: ignore[method-assign]
    event = dm_event(DANA, ANSWERS["strategy"], "Ev0MID001", DANA_DM)
    await slack.poster.event(event)
    await core.ctx.drain()
    checkins.take = original  # type: ignore[method-assign]
    assert "couldn't save that just now" in texts(slack)[-1]
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(InboundEvent).where(  # released
            InboundEvent.event_id == "Ev0MID001"))).all() == []
    assert await answers(core) == []

    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    for _ in range(2):  # the retry, then a second retry of the same delivery
        assert (await slack.poster.event(event, headers=retry))[0] == 200
        await core.ctx.drain()
    [stored] = await answers(core)
    assert stored.edits == 0
    assert sum("saved your answer to question 1" in t for t in texts(slack)) == 1


async def test_a_command_while_the_database_is_down_says_to_try_again_and_then_runs_once(
        slack: Slack, core: BotCore, outage: Outage) -> None:
    await team(slack)
    await outage.begin()
    [refusal] = await slack.command(ADA, "ask now dana")
    assert "couldn't do that just now" in refusal and "try again in a few" in refusal
    await outage.end()
    assert slack.api.posts(DANA_DM) == []
    assert "Asked 1: Dana" in (await slack.command(ADA, "ask now dana"))[0]
    assert len(slack.api.posts(DANA_DM)) == 1


async def open_modal(slack: Slack, core: BotCore) -> tuple[Json, str]:
    await slack.command(ADA, "ask now dana")
    [ask] = slack.api.posts(DANA_DM)
    ask_ts = slack.api.messages[DANA_DM][0]["ts"]
    await slack.poster.interaction(block_action(DANA, button(ask), DANA_DM, ask_ts, "trigger-1"))
    await core.ctx.drain()
    [opened] = slack.api.calls_to("views.open")
    return opened.args["view"], ask_ts


async def test_a_form_submitted_while_the_database_is_down_stays_open_with_the_answers(
        slack: Slack, core: BotCore, outage: Outage) -> None:
    await team(slack)
    view, _ = await open_modal(slack, core)
    await outage.begin()
    # The bot has found the database down (here: Dana's message in the DM meanwhile).
    await slack.poster.event(dm_event(DANA, "Still there?", "Ev0DOWN01", DANA_DM))
    await core.ctx.drain()
    assert "couldn't" in slack.api.posts(DANA_DM)[-1]["text"]
    status, body = await slack.poster.interaction(view_submission(DANA, view, ANSWERS))
    await core.ctx.drain()
    assert status == 200
    response = json.loads(body)  # the modal is not closed: Slack shows the note on the first input
    assert response["response_action"] == "errors"
    assert "press Save again" in response["errors"]["strategy"]
    await outage.end()
    assert await answers(core) == []

    status, body = await slack.poster.interaction(view_submission(DANA, view, ANSWERS))
    await core.ctx.drain()
    assert (status, body) == (200, "")  # closed: saved
    assert {a.question: (a.text, a.edits) for a in await answers(core)} == {
        q: (text, 0) for q, text in ANSWERS.items()}


async def test_a_form_submitted_as_the_database_goes_down_quotes_the_answers_back(
        slack: Slack, core: BotCore, outage: Outage, monkeypatch: pytest.MonkeyPatch) -> None:
    """The database answered a moment ago (the Answer button), so the modal closes without
    asking it again; the save then fails, and the reply in the DM thread carries the answers."""
    monkeypatch.setattr("bot.storage.database.monotonic", lambda: 1000.0)  # "a moment ago", however slow
    await team(slack)
    view, ask_ts = await open_modal(slack, core)
    await outage.begin()
    status, body = await slack.poster.interaction(view_submission(DANA, view, ANSWERS))
    await core.ctx.drain()
    await outage.end()
    assert (status, body) == (200, "")
    reply = slack.api.posts(DANA_DM)[-1]
    assert reply["thread_ts"] == ask_ts and "couldn't save your answers" in reply["text"]
    shown = json.dumps(reply["blocks"])
    assert all(text in shown for text in ANSWERS.values())
    assert await answers(core) == []


async def test_done_on_a_nudge_while_the_database_is_down_changes_nothing_and_counts_once_later(
        slack: Slack, core: BotCore, outage: Outage, tmp_path: Path) -> None:
    api = slack.api
    await team(slack)
    rows = [lead_row("L1", "Ledgerly", "dana@acme.example", "2026-03-02T13:30:00Z")]
    await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", rows))
    await slack.command(ADA, 'schedule add nudges "0 10,14 * * 1-5" to=all')
    await core.advance(timedelta(hours=1))
    [nudge] = [p for p in api.posts(DANA_DM) if "Ledgerly" in p["text"]]
    done = next(el for b in nudge["blocks"] if b["type"] == "actions" for el in b["elements"]
                if el["action_id"].startswith("lead:done:"))
    nudge_ts = api.messages[DANA_DM][-1]["ts"]

    await outage.begin()
    await slack.poster.interaction(block_action(DANA, done, DANA_DM, nudge_ts, "trigger-7"))
    await core.ctx.drain()
    await outage.end()
    refusal = api.posts(DANA_DM)[-1]
    assert "couldn't record that just now" in refusal["text"] and refusal["thread_ts"] == nudge_ts
    assert api.calls_to("chat.update") == []  # the nudge keeps its buttons
    assert (await leads(core))["L1"].touches == 0

    await slack.poster.interaction(block_action(DANA, done, DANA_DM, nudge_ts, "trigger-8"))
    await core.ctx.drain()
    assert (await leads(core))["L1"].touches == 1
    async with core.ctx.db.session() as session:
        touches = (await session.exec(select(LeadEvent).where(LeadEvent.kind == "touch"))).all()
    assert len(touches) == 1 and len(api.calls_to("chat.update")) == 1
