""""Not right?" on Teams end to end, through the real botbuilder CloudAdapter and the local Bot
Connector with a real core on SQLite: a rep answers on the check-in card, the feedback card ends
with "Not right?" buttons (Action.ShowCard) that unfold multi-select Input.ChoiceSets pre-filled
with what the bot read; Save comes back as the comma-joined choices, the answer is re-judged and
the corrected feedback arrives. Every card is checked against the Adaptive Card 1.5 schema and
Teams' size limits (conftest)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from adapters.teams.cards import (
    ACTION_KEY,
    CARD_KEY,
    CHOICE_PREFIX,
    FIELDS_KEY,
    MAX_LAYOUT,
    card_size,
    message_card,
)
from adapters.teams.convert import card_action
from bot.core import BotCore
from bot.evaluation.result import Evaluation
from bot.events import Choice, ChoiceField, ChoiceForm, Message, Text
from bot.learning.lessons import Labels
from bot.storage.models import Answer
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import ADA, DANA, LEE, Teams
from tests.adapters.teams.test_flow import ANSWERS, setup_team
from tests.adapters.teams.test_forget import actions
from tests.support.bot_connector import card_problems, card_text

Json = dict[str, Any]
CORRECTED = ["map_buying_committee", "business_case"]


async def tasks_answer(core: BotCore) -> Answer:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Answer).where(Answer.question == "tasks"))).one()


def read(answer: Answer) -> Labels:
    return Labels.of(Evaluation.model_validate_json(answer.evaluation or ""))


def not_right(card: Json, form_id: str) -> Json:
    """The card's "Not right?" (an Action.ShowCard) whose Save submits `form_id`."""
    return next(a for a in card.get("actions", []) if a["type"] == "Action.ShowCard"
                and a["card"]["actions"][0]["data"][ACTION_KEY] == form_id)


def inputs(show: Json) -> dict[str, Json]:
    """The unfolded card's pick-lists by field id."""
    return {e["id"].rpartition("|")[2]: e for e in show["card"]["body"] if e["type"] == "Input.ChoiceSet"}


def body_lines(card: Json) -> list[str]:
    """The card's own text, top to bottom (not what its buttons unfold)."""
    return [line for e in card["body"] if e["type"] == "TextBlock" for line in e["text"].splitlines()]


def saved(show: Json, changes: dict[str, list[str]]) -> Json:
    """What Teams posts on Save: the submit's data plus every input that has a value (a choice
    set with nothing chosen is left out), multi-select values joined by commas."""
    data = dict(show["card"]["actions"][0]["data"])
    for field, element in inputs(show).items():
        value = ",".join(changes[field]) if field in changes else element.get("value", "")
        if value:
            data[element["id"]] = value
    return data


async def answered(teams: Teams) -> tuple[Json, str, Answer]:
    """Dana answers her check-in on the card; the reply card with the feedback, its id, the
    stored tasks answer."""
    connector = teams.connector
    await setup_team(teams)
    await teams.say("29:ada-0001", "align ask now dana")
    [ask] = connector.of("send", teams.dm(DANA))
    card_id = next(aid for (_, aid), body in connector.activities.items() if body is ask.body)
    data = {ACTION_KEY: "checkin:1", **{f"answer:{k}": v for k, v in ANSWERS.items()}}
    assert await teams.post(act.submit(connector.service_url, teams.user(DANA), card_id, data)) == 200
    reply = connector.of("send", teams.dm(DANA))[-1]
    reply_id = next(aid for (_, aid), body in connector.activities.items() if body is reply.body)
    return reply.body["attachments"][0]["content"], reply_id, await tasks_answer(teams.core)


async def test_not_right_unfolds_the_choices_and_save_sends_corrected_feedback(
        teams: Teams, core: BotCore) -> None:
    connector = teams.connector
    card, card_id, before = await answered(teams)
    assert "FEEDBACK ON YOUR SALES TASKS" in card_text(card).upper()
    show = not_right(card, f"correct:{before.id}")
    # Three answers' feedback in one card: each "Not right?" says which feedback it corrects.
    assert show["title"] == "Not right? (Feedback on your sales tasks)"
    assert len([a for a in card["actions"] if a["title"].startswith("Not right?")]) == 3
    picks = inputs(show)
    assert set(picks) == {"tasks", "segments"}
    assert picks["tasks"]["isMultiSelect"] and len(picks["tasks"]["choices"]) == len(
        core.ctx.strategy.sales_tasks)
    assert picks["tasks"]["value"].split(",") == list(read(before).tasks)  # what the bot read
    assert show["card"]["actions"][0]["data"][FIELDS_KEY] == ["tasks", "segments"]

    sent = len(connector.of("send", teams.dm(DANA)))
    pressed = act.submit(connector.service_url, teams.user(DANA), card_id, saved(show, {"tasks": CORRECTED}))
    assert await teams.post(pressed) == 200
    [reply] = connector.of("send", teams.dm(DANA))[sent:]
    assert "re-read your answer" in card_text(reply.body["attachments"][0]["content"])
    # The corrected feedback is the card pressed on, rewritten; the reply is the note alone.
    assert "Maps to our sales tasks" not in card_text(reply.body["attachments"][0]["content"])
    card = connector.of("update", teams.dm(DANA))[-1].body["attachments"][0]["content"]
    text = card_text(card)
    maps = next(line for line in text.splitlines() if "Maps to our sales tasks" in line)
    assert "Map the buying committee" in maps and "Build an ROI business case with finance" in maps
    assert "Prepare the security review" not in maps
    after = await tasks_answer(core)
    assert after.evaluation != before.evaluation
    assert sorted(read(after).tasks) == sorted(CORRECTED) != sorted(read(before).tasks)
    assert read(after).segments == read(before).segments  # left as it was read
    # The corrected feedback's own "Not right?" starts from the correction.
    again = not_right(card, f"correct:{before.id}")
    assert sorted(inputs(again)["tasks"]["value"].split(",")) == sorted(CORRECTED)

    # Teams redelivers the same activity: saved and answered once.
    calls = len(connector.calls)
    assert await teams.post(pressed) == 200
    assert len(connector.calls) == calls


async def test_nothing_chosen_is_sent_as_none_of_these(teams: Teams, core: BotCore) -> None:
    card, card_id, before = await answered(teams)
    show = not_right(card, f"correct:{before.id}")
    data = saved(show, {"tasks": []})
    assert not any(key.endswith("|tasks") for key in data)  # Teams leaves the empty choice set out
    assert await teams.post(act.submit(teams.connector.service_url, teams.user(DANA), card_id, data)) == 200
    assert read(await tasks_answer(core)).tasks == ()
    assert "Maps to our sales tasks" not in teams.connector.card_texts(conversation=teams.dm(DANA))[-1]


async def test_someone_elses_answer_is_refused(teams: Teams, core: BotCore) -> None:
    card, card_id, before = await answered(teams)
    await teams.install(LEE)
    assert "Added Lee" in (await teams.say("29:ada-0001", "team add lee@acme.example rep"))[0]
    show = not_right(card, f"correct:{before.id}")
    data = saved(show, {"tasks": CORRECTED})
    assert await teams.post(act.submit(teams.connector.service_url, teams.user(LEE), card_id, data)) == 200
    assert "Only the person who answered" in teams.connector.card_texts(conversation=teams.dm(LEE))[-1]
    assert (await tasks_answer(core)).evaluation == before.evaluation


def test_choice_inputs_are_read_only_for_their_own_form() -> None:
    """A submit sends every input of its card: a Save takes its own pick-lists, and a check-in's
    submit never takes a pick-list as an answer (both have a field called "tasks")."""
    value = {ACTION_KEY: "correct:7", FIELDS_KEY: ["tasks", "segments"],
             f"{CHOICE_PREFIX}correct:7|tasks": "a,b", f"{CHOICE_PREFIX}correct:8|segments": "x",
             "answer:tasks": "typed text"}
    activity = act.submit("http://127.0.0.1:1", act.account(DANA, "Dana"), "card-1", value)
    event = card_action(activity)
    assert event is not None and event.values == {"tasks": "a,b", "segments": ""}
    checkin = card_action(act.submit("http://127.0.0.1:1", act.account(DANA, "Dana"), "card-1",
                                     {**value, ACTION_KEY: "checkin:3", FIELDS_KEY: None}))
    assert checkin is not None and checkin.values == {"tasks": "typed text"}


def test_a_choice_form_card_validates_at_any_size() -> None:
    many = tuple(Choice(f"task_{i:03d}", f"Task {i} " + "x" * 600) for i in range(120))
    form = ChoiceForm("correct:9", "Correct what I read " * 300, "Not right? " * 20, (
        ChoiceField("tasks", "Tasks " * 300, many, initial=("task_001", "gone"), hint="h " * 3000),
        ChoiceField("segments", "Segments", (Choice("a", "A"),), multi=False, initial=("a", "b")),
        ChoiceField("none", "Nothing to pick", ())))
    card = message_card(Message("feedback", blocks=(Text("Feedback", style="heading"), form)))
    assert card_problems(card) == [] and card_size(card) <= 80_000
    [show] = card["actions"]
    assert len(show["title"]) <= 100
    picks = inputs(show)
    assert set(picks) == {"tasks", "segments"}  # a field with nothing to pick is left out
    assert picks["tasks"]["style"] == "compact" and picks["tasks"]["value"] == "task_001"
    assert picks["segments"]["style"] == "expanded" and picks["segments"]["value"] == "a"
    assert not picks["segments"]["isMultiSelect"]
    assert show["card"]["actions"][0]["data"][FIELDS_KEY] == ["tasks", "segments"]


async def test_the_card_pressed_on_is_updated_in_place_with_the_corrected_reading(
        teams: Teams, core: BotCore) -> None:
    """Teams keeps a card as it was sent, so after Save the old card would still offer the old
    picks: the bot updates that card (updateActivity on the replyToId) with each feedback on it
    written afresh - the corrected one's lines and pre-filled picks changed, the others and the
    "saved" lines as they were."""
    connector = teams.connector
    card, card_id, before = await answered(teams)
    show = not_right(card, f"correct:{before.id}")
    pressed = act.submit(connector.service_url, teams.user(DANA), card_id, saved(show, {"tasks": CORRECTED}))
    earlier = len(connector.of("update", teams.dm(DANA)))  # the check-in card, shown answered
    assert await teams.post(pressed) == 200

    [update] = connector.of("update", teams.dm(DANA))[earlier:]
    assert update.activity_id == card_id
    updated = update.body["attachments"][0]["content"]
    assert card_problems(updated) == []
    now = card_text(updated)
    maps = next(line for line in now.splitlines() if "Maps to our sales tasks" in line)
    assert "Map the buying committee" in maps and "Build an ROI business case with finance" in maps
    assert "Prepare the security review" not in maps
    again = not_right(updated, f"correct:{before.id}")
    assert sorted(inputs(again)["tasks"]["value"].split(",")) == sorted(CORRECTED)
    # What else the card said is still there, in its place: the saved lines, the other feedback.
    was, is_now = body_lines(card), body_lines(updated)
    tasks_at = next(i for i, line in enumerate(was) if "sales tasks" in line.lower())
    assert is_now[:tasks_at + 1] == was[:tasks_at + 1] != []
    assert [x for x in is_now if x.startswith("Thanks - saved")] == [
        x for x in was if x.startswith("Thanks - saved")] != []
    assert is_now != was
    assert len([a for a in updated["actions"] if a["title"].startswith("Not right?")]) == 3
    # The updated card's Save corrects again, and updates the card again.
    back = act.submit(connector.service_url, teams.user(DANA), card_id,
                      saved(again, {"tasks": ["compliance_discovery"]}))
    assert await teams.post(back) == 200
    assert len(connector.of("update", teams.dm(DANA))) == earlier + 2
    assert read(await tasks_answer(core)).tasks == ("compliance_discovery",)
    # The chat holds one feedback on that answer, showing the latest correction: no reply card
    # below still shows (and offers to correct) the first one.
    holding = {aid: a["content"] for (cid, aid), body in connector.activities.items()
               if cid == teams.dm(DANA) for a in body.get("attachments") or []
               if "Maps to our sales tasks" in card_text(a["content"])}
    assert list(holding) == [card_id]
    maps = next(line for line in card_text(holding[card_id]).splitlines() if "Maps to our sales" in line)
    assert "compliance" in maps.lower() and "Build an ROI" not in maps


async def test_a_refused_save_leaves_the_card_as_it_was_and_says_why(teams: Teams, core: BotCore) -> None:
    """Dana is forgotten; Lee (say the card was forwarded to him) presses Save on her card: he is
    told the answer is gone, not that it is someone else's, and no card is changed."""
    connector = teams.connector
    card, card_id, before = await answered(teams)
    await teams.install(LEE)
    assert "Added Lee" in (await teams.say(ADA, "team add lee@acme.example rep"))[0]
    data = saved(not_right(card, f"correct:{before.id}"), {"tasks": CORRECTED})
    assert "Forget Dana?" in (await teams.say(ADA, "align forget dana@acme.example"))[0]
    sent = connector.of("send", teams.dm(ADA))[-1]
    confirm = actions(sent.body["attachments"][0]["content"])["forget:confirm"]
    preview_id = next(aid for (_, aid), body in connector.activities.items() if body is sent.body)
    pressed = act.submit(connector.service_url, teams.user(ADA), preview_id, confirm["data"])
    assert await teams.post(pressed) == 200
    updates = len(connector.of("update"))
    assert await teams.post(act.submit(connector.service_url, teams.user(LEE), card_id, data)) == 200
    assert connector.card_texts(conversation=teams.dm(LEE))[-1].startswith(
        "That answer is no longer there to correct")
    assert len(connector.of("update")) == updates


def test_a_card_too_long_to_carry_its_layout_is_not_updated_in_place() -> None:
    """Each Save carries the card's layout; past MAX_LAYOUT it is left out (the reply still comes)."""
    form = ChoiceForm("correct:9", "Correct what I read", "Not right?", (
        ChoiceField("tasks", "Tasks", (Choice("a", "A"),)),))
    short = message_card(Message("f", blocks=(Text("saved"), Text("Feedback", style="heading"), form)))
    [show] = short["actions"]
    assert show["card"]["actions"][0]["data"][CARD_KEY] == [{"text": "saved", "style": "plain"}, "correct:9"]
    heading = Text("Feedback", style="heading")
    long = message_card(Message("f", blocks=(Text("x" * MAX_LAYOUT), heading, form)))
    assert CARD_KEY not in long["actions"][0]["card"]["actions"][0]["data"]
    assert card_problems(short) == card_problems(long) == []
