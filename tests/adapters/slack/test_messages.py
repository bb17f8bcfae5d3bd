"""Any core Message rendered generically: buttons (nudge actions such as lead:done:<id>) as Block
Kit, images (a digest chart) uploaded with files upload v2 into the DM (and its thread); a button
press reaches the core as ActionInvoked with the message it was on, and the core updates that
message in place with chat.update."""

from __future__ import annotations

import json
from typing import Any

import pytest

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
    InboundEvent,
    MemberRef,
    Message,
    MessageRef,
    Text,
)
from tests.adapters.slack.conftest import DANA, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, team
from tests.support.slack_api import block_action

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
                                  message=MessageRef("slack", DANA_DM, "1772460001.000100"), raw=body)


async def test_pressing_a_nudge_button_updates_the_message_in_place(
        adapter: SlackPort, slack: Slack, core: BotCore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The core handles lead actions itself (bot/leads); here a stand-in does what it will do:
    update the pressed message through the port."""
    await team(slack)
    seen: list[ActionInvoked] = []
    real_handle = core.handle

    async def handle(event: InboundEvent) -> list[Message]:
        if isinstance(event, ActionInvoked) and event.action_id.startswith("lead:"):
            seen.append(event)
            assert event.message is not None
            await core.ctx.port_for("slack").update(event.message, nudge(7, done=True))
            return []
        return await real_handle(event)

    monkeypatch.setattr(core, "handle", handle)
    ref = await adapter.send(DANA_REF, nudge(7))
    done = next(el for b in blocks_of(slack.api.posts(DANA_DM)[0]) if b["type"] == "actions"
                for el in b["elements"] if el["action_id"] == "lead:done:7")
    status, _ = await slack.poster.interaction(block_action(DANA, done, DANA_DM, ref.message_id, "trigger-7"))
    assert status == 200
    await core.ctx.drain()
    assert [(e.action_id, e.member, e.message) for e in seen] == [("lead:done:7", DANA_REF, ref)]
    [update] = slack.api.calls_to("chat.update")
    assert update.args["ts"] == ref.message_id and update.args["channel"] == DANA_DM
    stored = slack.api.messages[DANA_DM][0]
    assert stored["text"] == "Lead #7: Marked done ✅"
    assert not any(b["type"] == "actions" for b in stored["blocks"])  # the buttons are gone
    assert any("Marked done" in json.dumps(b) for b in stored["blocks"])


async def test_an_unknown_button_gets_a_clear_reply_in_the_thread(adapter: SlackPort, slack: Slack,
                                                                  core: BotCore) -> None:
    await team(slack)
    ref = await adapter.send(DANA_REF, nudge(9))
    old = {"action_id": "poll:vote:9", "text": {"type": "plain_text", "text": "Done"}}
    await slack.poster.interaction(block_action(DANA, old, DANA_DM, ref.message_id, "trigger-x"))
    await core.ctx.drain()
    reply = slack.api.posts(DANA_DM)[-1]
    assert "no longer active" in reply["text"] and reply["thread_ts"] == ref.message_id
