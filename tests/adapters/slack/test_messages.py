"""Any core Message rendered generically: buttons (nudge actions such as lead:done:<id>) as Block
Kit, images (a digest chart) uploaded with files upload v2 into the DM (and its thread); a button
press reaches the core as ActionInvoked with the message it was on, and the core updates that
message in place with chat.update (shown with the core's real lead nudges)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from adapters.slack.convert import action_event
from adapters.slack.port import SlackPort
from bot.core import BotCore
from bot.events import (
    ActionInvoked,
    Button,
    Buttons,
    Fact,
    FactList,
    Image,
    MemberRef,
    Message,
    MessageRef,
    Text,
)
from bot.leads.csv_import import import_csv
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, team
from tests.support.slack_api import block_action
from tests.unit.leads.support import lead_row, leads, write_csv

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # the bytes must arrive unchanged
DANA_REF = MemberRef("slack", DANA)


def nudge(lead: int, done: bool = False) -> Message:
    """A message like the lead nudges and digests the core sends: text, facts, buttons, a chart."""
    buttons = () if done else (Buttons((
        Button(f"lead:done:{lead}", "Done", style="primary"),
        Button(f"lead:snooze:{lead}", "Snooze 1 day", "1d"),
        Button(f"lead:disqualify:{lead}", "Disqualify", style="danger"))),)
    status = "Marked done ✅" if done else "Follow-up due today"
    return Message(text=f"Lead #{lead}: {status}", blocks=(
        Text(f"Lead #{lead}: Ledgerly", style="heading"), Text(status),
        FactList((Fact("Segment", "Mid-market fintech"), Fact("Last touch", "2 days ago"))),
        *buttons, Image(PNG, "Follow-up compliance by week", "digest.png")))


def blocks_of(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


async def test_a_message_with_buttons_and_an_image(adapter: SlackPort, slack: Slack) -> None:
    api = slack.api
    ref = await adapter.send(DANA_REF, nudge(7))
    [post] = api.posts(DANA_DM)
    actions = [el for b in blocks_of(post) if b["type"] == "actions" for el in b["elements"]]
    assert [(a["action_id"], a.get("value")) for a in actions] == [
        ("lead:done:7", None), ("lead:snooze:7", "1d"), ("lead:disqualify:7", None)]
    assert not any(b["type"] == "image" for b in blocks_of(post))  # the chart is a file, not a block
    [url_call] = api.calls_to("files.getUploadURLExternal")
    assert url_call.args["filename"] == "digest.png" and int(url_call.args["length"]) == len(PNG)
    assert url_call.args["alt_txt"] == "Follow-up compliance by week"
    [file_id] = api.uploads
    assert api.uploads[file_id] == PNG
    [complete] = api.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == DANA_DM and "thread_ts" not in complete.args
    assert json.loads(complete.args["files"]) == [{"id": file_id, "title": "Follow-up compliance by week"}]
    assert ref == MessageRef("slack", DANA_DM, post_ts(slack))

    # Threaded: the image follows the message into the thread.
    await adapter.send(DANA_REF, nudge(8), thread=ref)
    threaded = api.calls_to("files.completeUploadExternal")[-1]
    assert threaded.args["thread_ts"] == ref.message_id and threaded.args["channel_id"] == DANA_DM


def post_ts(slack: Slack) -> str:
    return str(slack.api.messages[DANA_DM][0]["ts"])


def test_a_button_press_becomes_an_action_with_the_message_ref() -> None:
    body = block_action(DANA, {"action_id": "lead:snooze:7", "value": "1d", "text": {"type": "plain_text",
                                                                                     "text": "Snooze"}},
                        DANA_DM, "1772460001.000100", "trigger-9")
    event = action_event(body)
    assert event == ActionInvoked(MemberRef("slack", DANA), "lead:snooze:7", "1d",
                                  message=MessageRef("slack", DANA_DM, "1772460001.000100"),
                                  event_id="action:trigger-9", raw=body)  # a replay runs once


async def test_a_real_lead_nudge_done_in_slack_updates_the_nudge_in_place(
        adapter: SlackPort, slack: Slack, core: BotCore, tmp_path: Path) -> None:
    """The core's own nudge job (bot/leads) sends the nudge; pressing Done in Slack logs the touch
    and the core updates the nudge through the port (chat.update with the new blocks)."""
    api = slack.api
    await team(slack)
    rows = [lead_row("L1", "Ledgerly", "dana@acme.example", "2026-03-02T13:30:00Z")]
    report = await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", rows))
    assert (report.created, report.errors) == (1, [])
    assert "#1" in (await slack.command(ADA, 'schedule add nudges "0 10,14 * * 1-5" to=all'))[0]
    await core.advance(timedelta(hours=1))  # Mon 10:00 in New York: the first follow-up is due
    [nudge_post] = [p for p in api.posts(DANA_DM) if "Ledgerly" in p["text"]]
    done = next(el for b in blocks_of(nudge_post) if b["type"] == "actions" for el in b["elements"]
                if el["action_id"].startswith("lead:done:"))
    nudge_ts = api.messages[DANA_DM][-1]["ts"]

    status, _ = await slack.poster.interaction(block_action(DANA, done, DANA_DM, nudge_ts, "trigger-7"))
    assert status == 200
    await core.ctx.drain()
    lead = (await leads(core))["L1"]
    assert (lead.touches, lead.status) == (1, "working")
    [update] = api.calls_to("chat.update")
    assert update.args["ts"] == nudge_ts and update.args["channel"] == DANA_DM
    stored = next(m for m in api.messages[DANA_DM] if m["ts"] == nudge_ts)
    assert "Logged a touch on" in json.dumps(stored["blocks"])
    assert not any(b["type"] == "actions" for b in stored["blocks"])  # its only lead was handled
    reply = api.posts(DANA_DM)[-1]
    assert "Logged a touch on *Ledgerly*" in reply["text"] and reply["thread_ts"] == nudge_ts

    # The same press delivered again (a replay of the signed request, same trigger_id): once.
    await slack.poster.interaction(block_action(DANA, done, DANA_DM, nudge_ts, "trigger-7"))
    await core.ctx.drain()
    assert (await leads(core))["L1"].touches == 1 and api.posts(DANA_DM)[-1] == reply


async def test_an_unknown_button_gets_a_clear_reply_in_the_thread(adapter: SlackPort, slack: Slack,
                                                                  core: BotCore) -> None:
    await team(slack)
    ref = await adapter.send(DANA_REF, nudge(9))
    old = {"action_id": "poll:vote:9", "text": {"type": "plain_text", "text": "Done"}}
    await slack.poster.interaction(block_action(DANA, old, DANA_DM, ref.message_id, "trigger-x"))
    await core.ctx.drain()
    reply = slack.api.posts(DANA_DM)[-1]
    assert "no longer active" in reply["text"] and reply["thread_ts"] == ref.message_id


async def test_a_scheduled_digest_arrives_in_slack_with_its_chart_uploaded(
        adapter: SlackPort, slack: Slack, core: BotCore) -> None:
    """The core's real digest job: an admin's organisation digest DM'd on schedule, the chart PNG
    uploaded with files upload v2 into that DM."""
    api = slack.api
    await team(slack)
    reply = (await slack.command(ADA, f'schedule add digest "daily 10:00" to=<@{ADA}|ada>'))[0]
    assert "Scheduled #1 digest" in reply, reply

    await core.advance(timedelta(days=1))

    [complete] = api.calls_to("files.completeUploadExternal")
    channel = complete.args["channel_id"]
    [file_id] = api.uploads
    assert api.uploads[file_id].startswith(b"\x89PNG\r\n\x1a\n")
    digest_posts = [p for p in api.posts(channel) if "digest" in p["text"].lower()]
    assert digest_posts, [p["text"][:80] for p in api.posts(channel)]
    assert channel != DANA_DM  # only the admin it was scheduled for
    # the first screen in the DM, the details one click away in its thread
    [digest] = [c for c in api.calls_to("chat.postMessage")
                if "Alignment digest" in c.args["text"] and "thread_ts" not in c.args]
    [details] = [c for c in api.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    digest_ts = next(m["ts"] for m in api.messages[channel] if m["text"] == digest.args["text"])
    assert details.args["thread_ts"] == digest_ts and "Participation" in details.args["text"]
    assert "Participation" not in str(digest.args["blocks"])
