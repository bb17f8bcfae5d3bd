"""Rendering core messages as Block Kit, and Slack payloads as core events (pure functions)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from adapters.slack.blocks import OPEN_FORM_ACTION, fallback_text, form_view, message_blocks
from adapters.slack.convert import command_event, form_values, message_event, normalize_text
from bot.events import (
    Button,
    Buttons,
    Fact,
    FactList,
    FormField,
    Image,
    Message,
    QuestionForm,
    Text,
)
from tests.support.slack_api import block_problems, dm_event, slash_command, view_problems

FORM = QuestionForm("checkin:7", "Alignment check-in",
                    tuple(FormField(f"q{i}", f"Question {i}?" * 300, hint="short", initial="x" * 5000)
                          for i in range(3)), submit_label="Answer")


def test_every_block_type_renders_within_slacks_limits() -> None:
    message = Message("fallback", blocks=(
        Text("Heading", style="heading"), Text("h" * 200, style="heading"), Text("body <b> & *x*"),
        Text("small print", style="muted"),
        FactList(tuple(Fact(f"label {i}", "v" * 2500) for i in range(23)), title="Facts"),
        Buttons(tuple(Button(f"nudge:done:{i}", "Done " * 30, "v" * 3000, style="primary")
                      for i in range(30))),
        FORM, Image(b"png", "alignment trend")))
    blocks = message_blocks(message)
    assert block_problems(blocks, 50) == []
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    kinds = [b["type"] for b in blocks]
    assert kinds[:3] == ["header", "section", "section"] and "context" in kinds
    assert blocks[2]["text"]["text"] == "body &lt;b&gt; &amp; *x*"
    assert sum(len(b.get("fields", [])) for b in blocks) == 23
    form_button = next(el for b in blocks if b["type"] == "actions" for el in b["elements"]
                       if el["action_id"] == OPEN_FORM_ACTION)
    assert form_button["value"] == "checkin:7" and form_button["text"]["text"] == "Answer"


def test_long_messages_are_cut_to_fifty_blocks() -> None:
    blocks = message_blocks(Message("x", blocks=tuple(Text(f"line {i}") for i in range(80))))
    assert len(blocks) == 50 and blocks[-1]["type"] == "context"
    assert fallback_text(Message("a < b")) == "a &lt; b"


def test_the_form_modal_is_a_valid_view() -> None:
    view = form_view(FORM, {"form": "checkin:7", "channel": "D1", "ts": "1.2"})
    assert view_problems(view) == []
    View(**view).validate_json()
    assert [b["block_id"] for b in view["blocks"]] == ["q0", "q1", "q2"]
    assert len(view["blocks"][0]["element"]["initial_value"]) == 3000


def test_payloads_become_core_events() -> None:
    command = command_event(slash_command("U0ADA0001", "team add <@U0DANA001|dana> rep manager=&lt;x&gt;",
                                          "http://127.0.0.1/r"))
    assert command.text == "team add U0DANA001 rep manager=<x>" and command.member.user_id == "U0ADA0001"
    message = message_event(dm_event("U0DANA001", "hi", "Ev1", "D0DANA001"))
    assert message is not None and message.event_id == "Ev1" and message.channel == "D0DANA001"
    assert normalize_text("mail <mailto:a@b.co|a@b.co>") == "mail a@b.co"
    view = {"state": {"values": {"strategy": {"answer": {"value": "s"}},
                                 "scope": {"answer": {"value": None}}}}}
    assert form_values(view) == {"strategy": "s", "scope": ""}


def test_a_long_text_is_split_over_sections_at_spaces_never_cut() -> None:
    text = " ".join(f"word{i} & <more>" for i in range(900))  # escaping makes it longer still
    blocks = message_blocks(Message.plain(text))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) > 1 and all(len(s) <= 3000 for s in sections)
    assert all(s.endswith(" ") for s in sections[:-1])  # split at a space, not inside a word
    unescaped = "".join(sections).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert unescaped == text and block_problems(blocks, 50) == []
