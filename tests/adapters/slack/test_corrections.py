""""Not right?" on Slack end to end, through the real bolt app and slack_sdk with a real core on
SQLite: a rep answers, the feedback in the check-in's thread ends with a "Not right?" button, the
button opens a modal of multi-selects pre-filled with what the bot read, saving a changed set
re-judges the answer, the feedback message it was pressed on is rewritten in place (chat.update)
and the corrected feedback follows in the same thread. Every call is checked against the Web API
spec and Block Kit's limits (conftest), every modal also by slack_sdk."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlmodel import select

from adapters.slack.app import _feedback_pressed
from adapters.slack.blocks import CHOOSE_ACTION, OPEN_FORM_ACTION, form_view, message_blocks
from adapters.slack.convert import form_values
from bot.core import BotCore
from bot.evaluation.result import Evaluation
from bot.events import Choice, ChoiceField, ChoiceForm, Message
from bot.learning.lessons import Labels
from bot.storage.models import Answer
from tests.adapters.slack.conftest import ADA, DANA, LEE, Slack
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM, team
from tests.adapters.slack.test_forget import buttons, ephemeral_click
from tests.support.slack_api import (
    SlackReply,
    block_action,
    block_problems,
    dm_event,
    view_problems,
    view_submission,
)

Json = dict[str, Any]
LEE_DM = "D" + LEE[1:]
CORRECTED = ["map_buying_committee", "business_case"]


def blocks_of(post: Json) -> list[Json]:
    blocks = post.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def not_right(post: Json) -> Json | None:
    """The "Not right?" button on a posted message, if it has one."""
    return next((el for b in blocks_of(post) if b["type"] == "actions" for el in b["elements"]
                 if el["action_id"] == OPEN_FORM_ACTION and el["value"].startswith("correct:")), None)


async def tasks_answer(core: BotCore) -> Answer:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Answer).where(Answer.question == "tasks"))).one()


def read(answer: Answer) -> Labels:
    """What the stored verdict says the answer names."""
    return Labels.of(Evaluation.model_validate_json(answer.evaluation or ""))


async def answered(slack: Slack) -> tuple[Json, Json, str]:
    """Dana answers all three questions by DM; the tasks feedback post, its button, the thread."""
    await team(slack)
    await slack.command("U0ADA0001", "ask now dana")
    for number, text in enumerate(ANSWERS.values()):
        await slack.poster.event(dm_event(DANA, text, f"Ev{number}", DANA_DM, ts=f"1772461000.{number}"))
    await slack.core.ctx.drain()
    answer = await tasks_answer(slack.core)
    post, button = next((p, b) for p in slack.api.posts(DANA_DM)
                        if (b := not_right(p)) and b["value"] == f"correct:{answer.id}")
    return post, button, slack.api.messages[DANA_DM][0]["ts"]


def refusal(view: Json) -> str:
    """The text of a modal that only says why (no submit, one close button)."""
    View(**view).validate_json()
    assert view_problems(view) == [] and "submit" not in view and view["close"]["text"] == "OK"
    return " ".join(b["text"]["text"] for b in view["blocks"])


def sent_message(slack: Slack, post: Json, channel: str) -> Json:
    """The message as Slack holds it now (its ts; updated in place by chat.update)."""
    return next(m for m in slack.api.messages[channel] if m["text"] == post["text"])


def press(slack: Slack, post: Json, button: Json, user: str, channel: str, trigger: str) -> Json:
    """The button pressed on the posted message (in the check-in's thread, with the message's
    blocks, as Slack sends them)."""
    sent = sent_message(slack, post, channel)
    payload = block_action(user, button, channel, sent["ts"], trigger)
    payload["message"]["thread_ts"] = payload["container"]["thread_ts"] = sent["thread_ts"]
    payload["message"]["blocks"] = sent["blocks"]
    return payload


async def test_not_right_opens_the_choices_and_saving_sends_corrected_feedback(
        slack: Slack, core: BotCore) -> None:
    api = slack.api
    post, button, ask_ts = await answered(slack)
    assert post["thread_ts"] == ask_ts  # feedback in the check-in's thread
    assert button["text"]["text"] == "Not right?" and "style" not in button
    before = await tasks_answer(core)
    feedback_ts = sent_message(slack, post, DANA_DM)["ts"]

    status, _ = await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-open"))
    assert status == 200
    await core.ctx.drain()
    [opened] = api.calls_to("views.open")
    assert opened.args["trigger_id"] == "trigger-open"
    view = opened.args["view"]
    View(**view).validate_json()
    assert view["title"]["text"] == "Correct what I read" and view["submit"]["text"] == "Save"
    assert json.loads(view["private_metadata"]) == {"form": button["value"], "channel": DANA_DM,
                                                    "ts": ask_ts, "feedback": feedback_ts}
    tasks, segments = view["blocks"]
    assert (tasks["block_id"], segments["block_id"]) == ("tasks", "segments")
    assert tasks["element"]["type"] == "multi_static_select" and tasks["optional"]
    assert len(tasks["element"]["options"]) == len(core.ctx.strategy.sales_tasks)
    picked = [o["value"] for o in tasks["element"]["initial_options"]]
    assert picked and set(picked) != set(CORRECTED)  # pre-filled with what the bot read
    assert "Build an ROI business case" not in post["text"].split("Critical")[0]

    posts = len(api.posts(DANA_DM))
    status, body = await slack.poster.interaction(view_submission(
        DANA, view, {"tasks": CORRECTED, "segments": ["midmarket_fintech", "regional_banks"]}))
    assert (status, body) == (200, "")  # the modal closes at once
    await core.ctx.drain()
    [note] = api.posts(DANA_DM)[posts:]  # the feedback itself is rewritten in place
    corrected = next(m for m in api.messages[DANA_DM] if m["ts"] == feedback_ts)
    assert {note["thread_ts"], corrected["thread_ts"]} == {ask_ts}
    assert "re-read your answer" in note["text"]
    maps = next(line for line in corrected["text"].splitlines() if "Maps to our sales tasks" in line)
    assert "Map the buying committee" in maps and "Build an ROI business case with finance" in maps
    assert "Prepare the security review" not in maps and "Prepare the security review" in corrected["text"]
    assert not_right(corrected) is not None  # the corrected feedback can be corrected again
    after = await tasks_answer(core)
    assert after.evaluation != before.evaluation
    assert sorted(read(after).tasks) == sorted(CORRECTED) != sorted(read(before).tasks)
    assert sorted(read(after).segments) == ["midmarket_fintech", "regional_banks"]

    # Opening it again shows the correction as the current choice.
    await slack.poster.interaction(press(slack, corrected, not_right(corrected) or {}, DANA, DANA_DM,
                                         "trigger-again"))
    await core.ctx.drain()
    again = api.calls_to("views.open")[-1].args["view"]
    assert sorted(o["value"] for o in again["blocks"][0]["element"]["initial_options"]) == sorted(CORRECTED)


async def test_choosing_nothing_is_a_correction_not_an_empty_form(slack: Slack, core: BotCore) -> None:
    post, button, ask_ts = await answered(slack)
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-open"))
    await core.ctx.drain()
    view = slack.api.calls_to("views.open")[0].args["view"]
    status, body = await slack.poster.interaction(view_submission(DANA, view, {"tasks": [], "segments": []}))
    assert (status, body) == (200, "")  # no "write at least one answer": none of these is an answer
    await core.ctx.drain()
    assert read(await tasks_answer(core)) == Labels((), ())
    last = slack.api.posts(DANA_DM)[-1]
    assert last["thread_ts"] == ask_ts and "Maps to our sales tasks" not in last["text"]


async def test_a_replayed_submission_is_saved_once(slack: Slack, core: BotCore) -> None:
    post, button, _ = await answered(slack)
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-open"))
    await core.ctx.drain()
    view = slack.api.calls_to("views.open")[0].args["view"]
    submission = view_submission(DANA, view, {"tasks": CORRECTED}, trigger_id="trigger-save")
    await slack.poster.interaction(submission)
    await core.ctx.drain()
    posts = len(slack.api.posts(DANA_DM))
    status, _ = await slack.poster.interaction(submission)  # the same signed request again
    assert status == 200
    await core.ctx.drain()
    assert len(slack.api.posts(DANA_DM)) == posts


async def test_someone_elses_answer_is_refused(slack: Slack, core: BotCore) -> None:
    post, button, _ = await answered(slack)
    assert "Added Lee" in (await slack.command("U0ADA0001", "team add Lee rep"))[0]
    before = (await tasks_answer(core)).evaluation
    # Lee presses Dana's button (say it was forwarded): not the form but a modal saying why,
    # seen only by Lee, with nothing to submit; nothing is posted anywhere.
    posts = len(slack.api.posts())
    await slack.poster.interaction(block_action(LEE, button, LEE_DM, "1772469999.000100", "trigger-lee"))
    await core.ctx.drain()
    [notice] = slack.api.calls_to("views.open")
    assert notice.args["trigger_id"] == "trigger-lee" and refusal(notice.args["view"]).startswith(
        "Only the person who answered can correct how I read it")
    assert len(slack.api.posts()) == posts
    # A submission in Lee's name for Dana's answer (Dana's modal, as if Lee had it): refused.
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-open"))
    await core.ctx.drain()
    view = {**slack.api.calls_to("views.open")[1].args["view"],
            "private_metadata": json.dumps({"form": button["value"]})}
    await slack.poster.interaction(view_submission(LEE, view, {"tasks": CORRECTED}))
    await core.ctx.drain()
    assert "Only the person who answered" in slack.api.posts(LEE_DM)[-1]["text"]
    assert (await tasks_answer(core)).evaluation == before


def test_the_choice_form_renders_within_block_kits_limits() -> None:
    many = tuple(Choice(f"task_{i:03d}", f"Task number {i} " + "x" * 80) for i in range(230))
    form = ChoiceForm("correct:9", "Correct what I read and more " * 3, "Not right? " * 10, (
        ChoiceField("tasks", "Tasks " * 500, many, initial=("task_001", "task_150", "gone"),
                    hint="hint " * 500),
        ChoiceField("segments", "Segments", (Choice("a", "A"),)),
        ChoiceField("none", "Nothing to pick", ())), submit_label="Save")
    blocks = message_blocks(Message("feedback", blocks=(form,)))
    assert block_problems(blocks, 50) == []
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    [element] = blocks[0]["elements"]
    assert (element["action_id"], element["value"]) == (OPEN_FORM_ACTION, "correct:9")
    view = form_view(form, {"form": "correct:9"})
    assert view_problems(view) == []
    View(**view).validate_json()
    tasks, segments = view["blocks"]  # a field with no options is left out
    groups = tasks["element"]["option_groups"]
    assert [len(g["options"]) for g in groups] == [100, 100, 30]
    assert [o["value"] for o in tasks["element"]["initial_options"]] == ["task_001", "task_150"]
    assert segments["element"]["action_id"] == CHOOSE_ACTION and "initial_options" not in segments["element"]
    state = view_submission(DANA, view, {"tasks": ["task_001", "task_229"]})["view"]
    assert form_values(state) == {"tasks": "task_001,task_229", "segments": ""}


async def test_a_forgotten_authors_answer_is_gone_not_someone_elses(slack: Slack, core: BotCore) -> None:
    """Dana asked to be forgotten: Lee pressing her (forwarded) button is told the answer is gone."""
    _, button, _ = await answered(slack)
    assert "Added Lee" in (await slack.command("U0ADA0001", "team add Lee rep"))[0]
    [preview] = await slack.command(ADA, f"forget <@{DANA}>")
    assert preview.startswith("Forget Dana?")
    confirm = buttons(slack.api.responses[-1][1])["forget:confirm"]
    await slack.poster.interaction(ephemeral_click(ADA, confirm, slack.api.response_url("click")))
    await core.ctx.drain()
    assert await _answers(core) == 0
    await slack.poster.interaction(block_action(LEE, button, LEE_DM, "1772469999.000100", "trigger-lee"))
    await core.ctx.drain()
    view = slack.api.calls_to("views.open")[-1].args["view"]
    assert refusal(view).startswith("That answer is no longer there to correct")


async def test_a_trigger_that_expired_asks_to_press_again(slack: Slack, core: BotCore) -> None:
    """Slack refuses a modal whose trigger is older than 3 s: the person is told to press again,
    in their DM, rather than "something went wrong"."""
    post, button, _ = await answered(slack)
    slack.api.fail("views.open", SlackReply.error_code("expired_trigger_id"))
    posts = len(slack.api.posts(DANA_DM))
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-late"))
    await core.ctx.drain()
    [note] = slack.api.posts(DANA_DM)[posts:]
    assert "took too long to open" in note["text"] and "press the button again" in note["text"]
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-again"))
    await core.ctx.drain()
    assert slack.api.calls_to("views.open")[-1].args["view"]["title"]["text"] == "Correct what I read"


async def _answers(core: BotCore) -> int:
    async with core.ctx.db.session() as session:
        return len((await session.exec(select(Answer))).all())


def maps_line(text: str) -> str:
    return next((line for line in text.splitlines() if "Maps to our sales tasks" in line), "")


async def test_the_feedback_pressed_on_is_rewritten_in_place_with_the_corrected_reading(
        slack: Slack, core: BotCore) -> None:
    """Slack keeps a message as it was posted, so after Save the thread would show the old
    verdict above the corrected one: the bot updates the feedback message the button was on
    (chat.update on its channel and ts, carried in the modal's private_metadata) with the
    feedback as it stands now - its lines and its "Not right?" pre-filled with the correction."""
    api = slack.api
    post, button, ask_ts = await answered(slack)
    old = maps_line(post["text"])
    assert "Prepare the security review" in old and "Build an ROI business case" not in old
    feedback_ts = sent_message(slack, post, DANA_DM)["ts"]
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-open"))
    await core.ctx.drain()
    view = api.calls_to("views.open")[0].args["view"]
    updates = len(api.calls_to("chat.update"))
    await slack.poster.interaction(view_submission(DANA, view, {"tasks": CORRECTED}))
    await core.ctx.drain()

    [update] = [c for c in api.calls_to("chat.update")[updates:] if c.args["ts"] == feedback_ts]
    assert update.args["channel"] == DANA_DM
    held = next(m for m in api.messages[DANA_DM] if m["ts"] == feedback_ts)
    assert held["thread_ts"] == ask_ts  # still where it was, in the check-in's thread
    now = maps_line(held["text"])
    assert "Map the buying committee" in now and "Build an ROI business case with finance" in now
    assert "Prepare the security review" not in now
    assert maps_line(api.posts(DANA_DM)[-1]["text"]) == ""  # below it the note, not a copy
    rewritten = {"text": held["text"], "blocks": held["blocks"]}
    again = not_right(rewritten)
    assert again is not None and again["value"] == button["value"]
    # Pressing "Not right?" on the rewritten message starts from the correction.
    await slack.poster.interaction(press(slack, rewritten, again, DANA, DANA_DM, "trigger-again"))
    await core.ctx.drain()
    reopened = api.calls_to("views.open")[-1].args["view"]
    picked = [o["value"] for o in reopened["blocks"][0]["element"]["initial_options"]]
    assert sorted(picked) == sorted(CORRECTED)
    assert json.loads(reopened["private_metadata"])["feedback"] == feedback_ts


async def test_a_second_correction_rewrites_the_same_feedback_and_no_copy_keeps_the_first(
        slack: Slack, core: BotCore) -> None:
    """Dana corrects her answer, then corrects it again: the thread holds one feedback on that
    answer, showing the latest correction (a copy posted after the first Save kept showing the
    first correction above the second)."""
    api = slack.api
    post, button, _ = await answered(slack)
    feedback_ts = sent_message(slack, post, DANA_DM)["ts"]
    for number, tasks in enumerate((CORRECTED, ["business_case"])):
        held = next(m for m in api.messages[DANA_DM] if m["ts"] == feedback_ts)
        shown = {"text": held["text"], "blocks": held["blocks"]}
        await slack.poster.interaction(press(slack, shown, not_right(shown) or {}, DANA, DANA_DM,
                                             f"trigger-{number}"))
        await core.ctx.drain()
        view = api.calls_to("views.open")[-1].args["view"]
        assert json.loads(view["private_metadata"])["feedback"] == feedback_ts
        await slack.poster.interaction(view_submission(DANA, view, {"tasks": tasks}))
        await core.ctx.drain()
    assert read(await tasks_answer(core)).tasks == ("business_case",)
    holding = [m for m in api.messages[DANA_DM] if (b := not_right(m)) and b["value"] == button["value"]]
    assert [m["ts"] for m in holding] == [feedback_ts]
    latest = maps_line(holding[0]["text"])
    assert latest.endswith("Maps to our sales tasks: Build an ROI business case with finance")


async def test_a_feedback_message_that_cannot_be_updated_still_gets_the_corrected_reply(
        slack: Slack, core: BotCore) -> None:
    """Dana deleted the old feedback meanwhile (Slack: message_not_found): the correction is saved
    and the corrected feedback still follows; no "something went wrong"."""
    post, button, ask_ts = await answered(slack)
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-open"))
    await core.ctx.drain()
    view = slack.api.calls_to("views.open")[0].args["view"]
    slack.api.fail("chat.update", SlackReply.error_code("message_not_found"))
    posts = len(slack.api.posts(DANA_DM))
    await slack.poster.interaction(view_submission(DANA, view, {"tasks": CORRECTED}))
    await core.ctx.drain()
    note, corrected = slack.api.posts(DANA_DM)[posts:]
    assert "re-read your answer" in note["text"] and corrected["thread_ts"] == ask_ts
    assert "Build an ROI business case with finance" in maps_line(corrected["text"])
    assert sorted(read(await tasks_answer(core)).tasks) == sorted(CORRECTED)


async def test_someone_elses_submission_leaves_the_feedback_as_it_was(slack: Slack, core: BotCore) -> None:
    """A refused Save (Lee submitting Dana's modal) rewrites nothing."""
    post, button, _ = await answered(slack)
    assert "Added Lee" in (await slack.command("U0ADA0001", "team add Lee rep"))[0]
    await slack.poster.interaction(press(slack, post, button, DANA, DANA_DM, "trigger-open"))
    await core.ctx.drain()
    view = slack.api.calls_to("views.open")[0].args["view"]
    updates = len(slack.api.calls_to("chat.update"))
    await slack.poster.interaction(view_submission(LEE, view, {"tasks": CORRECTED}))
    await core.ctx.drain()
    assert slack.api.calls_to("chat.update")[updates:] == []
    assert sent_message(slack, post, DANA_DM)["text"] == post["text"]


def test_only_a_message_holding_that_one_feedback_is_rewritten() -> None:
    """Each feedback is its own post; should a message ever hold two, rewriting it with one
    would drop the other, so it is left as it was (the corrected reply still follows)."""
    def pressed(*values: str) -> Json:
        elements = [{"type": "button", "action_id": OPEN_FORM_ACTION, "value": v} for v in values]
        payload = block_action(DANA, elements[0], DANA_DM, "1772461000.000200", "t")
        payload["message"]["blocks"] = [{"type": "actions", "elements": elements}]
        return payload
    assert _feedback_pressed(pressed("correct:7"), "correct:7") is not None
    assert _feedback_pressed(pressed("correct:7", "correct:8"), "correct:7") is None
    assert _feedback_pressed(pressed("checkin:3"), "checkin:3") is None  # not a correction
