"""Every card the adapter can produce validates against the Adaptive Card 1.5 schema: the
check-in, its answered form, feedback, help, team list, nudge- and digest-like messages, and
messages too large for Teams (images dropped first, then shortened)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from adapters.teams.cards import (
    ACTION_KEY,
    INPUT_PREFIX,
    MAX_CARD_BYTES,
    VALUE_KEY,
    answered_card,
    card_size,
    message_card,
)
from adapters.teams.manifest import color_icon
from bot.checkins.messages import answers_message, ask_message
from bot.commands import build_registry
from bot.commands.help import help_message
from bot.config import REPO_ROOT
from bot.evaluation.feedback import FeedbackTexts, FeedbackWriter
from bot.evaluation.rules import RulesEvaluator
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
from bot.prompts import Prompts
from bot.storage.models import Answer, CheckIn
from bot.strategy.loader import load_strategy
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.support.bot_connector import card_problems, card_text

PROMPTS = Prompts(REPO_ROOT / "prompts")
CHECKIN = CheckIn(id=4, key="k", member_id=1, occurrence_at=START, strategy_version="v", created_at=START)


def valid(card: dict[str, Any]) -> dict[str, Any]:
    assert card_problems(card) == []
    assert card["version"] == "1.5" and card_size(card) <= MAX_CARD_BYTES
    return card


async def feedback_message() -> Message:
    strategy = load_strategy(EXAMPLE_STRATEGY)
    evaluation = await RulesEvaluator().evaluate(
        "tasks", "Mapped the buying committee at Ledgerly, sent the SOC 2 report", strategy)
    writer = FeedbackWriter(FeedbackTexts(REPO_ROOT / "prompts" / "feedback.yaml"))
    return writer.message(evaluation, strategy)


def checkin_form() -> QuestionForm:
    message = ask_message(PROMPTS, CHECKIN, "Dana", "Northbeam", {"scope": "fintech <b>&</b> banks"})
    return next(b for b in message.blocks if isinstance(b, QuestionForm))


async def every_message() -> dict[str, Message]:
    png = color_icon()
    return {
        "checkin": ask_message(PROMPTS, CHECKIN, "Dana", "Northbeam"),
        "feedback": await feedback_message(),
        "help (admin)": help_message(build_registry(), admin=True),
        "help (rep)": help_message(build_registry(), admin=False),
        "answers": answers_message(PROMPTS, CHECKIN, [Answer(checkin_id=4, member_id=1, question="scope",
                                                             text="fintech", created_at=START,
                                                             updated_at=START)]),
        "plain": Message.plain("Added Dana as rep."),
        "no blocks": Message(text="just text"),
        "empty": Message(text=""),
        "nudge": Message(text="due", blocks=(
            Text("Follow up: Ledgerly", style="heading"), Text("2 days overdue", style="muted"),
            FactList((Fact("Segment", "Fintech"),), title="Lead"),
            Buttons((Button("lead:done:7", "Done", style="primary"),
                     Button("lead:snooze:7", "Snooze", value="1d"),
                     Button("lead:disqualify:7", "Disqualify", style="danger"))))),
        "digest": Message(text="digest", blocks=(
            Text("Team digest", style="heading"), Image(png, alt="Coverage by task"),
            FactList(tuple(Fact(f"Task {i}", f"{i * 10}%") for i in range(12))))),
        "empty facts and buttons": Message(text="x", blocks=(FactList(()), Buttons(()))),
    }


async def test_every_card_validates() -> None:
    for name, message in (await every_message()).items():
        assert card_problems(message_card(message)) == [], name
    valid(answered_card(checkin_form(), "Your answers (saved)", note="Change them until it closes."))


def test_checkin_card_has_one_input_per_question_and_a_submit() -> None:
    message = ask_message(PROMPTS, CHECKIN, "Dana", "Northbeam", {"scope": "fintech"})
    form = next(b for b in message.blocks if isinstance(b, QuestionForm))
    card = valid(message_card(message))
    inputs = [e for e in card["body"] if e["type"] == "Input.Text"]
    assert [i["id"] for i in inputs] == [INPUT_PREFIX + q for q in ("strategy", "scope", "tasks")]
    assert [i.get("value") for i in inputs] == [None, "fintech", None]  # pre-filled with the answer
    assert all(i["label"] and i["isMultiline"] and i["maxLength"] == 3000 for i in inputs)
    [submit] = [a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    assert submit == {"type": "Action.Submit", "title": form.submit_label, "style": "positive",
                      "data": {ACTION_KEY: "checkin:4"}}


def test_answered_card_shows_answers_and_offers_to_change_them() -> None:
    card = valid(answered_card(checkin_form(), "Your answers (saved)"))
    shown = card_text({"body": card["body"]})
    assert "fintech <b>&</b> banks" in shown and "(not answered yet)" in shown
    assert not [e for e in card["body"] if e["type"] == "Input.Text"]
    [change] = card["actions"]
    assert change["type"] == "Action.ShowCard"
    inputs = [e for e in change["card"]["body"] if e["type"] == "Input.Text"]
    assert [i.get("value") for i in inputs] == [None, "fintech <b>&</b> banks", None]


def test_buttons_carry_action_ids_and_values() -> None:
    card = valid(message_card(Message(text="n", blocks=(Buttons((
        Button("lead:snooze:7", "Snooze", value="1d"), Button("lead:done:7", "Done"))),))))
    actions = card["body"][0]["actions"]
    assert [a["data"] for a in actions] == [{ACTION_KEY: "lead:snooze:7", VALUE_KEY: "1d"},
                                            {ACTION_KEY: "lead:done:7"}]


def test_an_image_becomes_a_data_uri() -> None:
    png = color_icon()
    card = valid(message_card(Message(text="d", blocks=(Image(png, alt="chart"),))))
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    assert card["body"][0] == {"type": "Image", "url": uri, "altText": "chart", "size": "Stretch"}


def test_sizes_as_teams_counts_them() -> None:
    """A chart of a few hundred KB travels (base64 images do not count towards the 100 KB);
    an image over 1 MB becomes its alt text; text beyond the limit is cut."""
    chart = Image(b"\x89PNG" + bytes(300_000), alt="Chart")
    card = valid(message_card(Message(text="d", blocks=(Text("Digest"), chart))))
    assert card["body"][1]["type"] == "Image"
    huge = Image(b"\x89PNG" + bytes(1_100_000), alt="Big chart")
    card = valid(message_card(Message(text="d", blocks=(Text("Digest"), huge))))
    assert "(image: Big chart - too large for Teams)" in card_text(card)
    long = Message(text="x", blocks=tuple(Text("wörd " * 1000) for _ in range(10)))  # 100 KB as UTF-16
    card = valid(message_card(long))
    assert card["body"][-1]["text"] == "(message shortened)" and len(card["body"]) < 10


@pytest.mark.parametrize("label", ["", "x" * 5000])
def test_odd_form_labels_still_validate(label: str) -> None:
    form = QuestionForm("checkin:1", label or "t", (FormField("q", label or "q", hint=label, initial=label),))
    valid(message_card(Message(text="f", blocks=(form,))))
    assert json.dumps(message_card(Message(text="f", blocks=(form,))))


def test_the_schema_check_catches_broken_cards() -> None:
    """The validator these tests rely on does reject what Teams would refuse."""
    assert card_problems({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]})
    assert card_problems({"type": "AdaptiveCard", "version": "1.5",
                          "body": [{"type": "Input.Text", "id": "a", "isMultiline": "yes"}]})
