"""Malformed, oversized and unusual input on Slack's endpoint, through the real bolt app: a signed
request that is not shaped like Slack's payloads gets a 400 naming what is wrong (an unsigned one
401 first, a body over 1 MiB 413), and nothing is stored or sent. Text with control characters,
very long answers and unicode (emoji, right-to-left, combining marks, NUL) go through answer ->
evaluation -> feedback -> storage -> digest intact, cleaned, or cut with a message saying so."""

from __future__ import annotations

import json
import unicodedata
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlmodel import func, select

from bot.core import BotCore
from bot.storage.models import Answer, InboundEvent, Member
from bot.text import ANSWER_LIMIT
from tests.adapters.slack.conftest import ADA, DANA, LEE, SECRET, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, open_form, team
from tests.support.slack_api import TEAM, dm_event, signature, view_submission

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
USER = {"id": DANA, "team_id": TEAM}


def payload(data: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(data)})


MALFORMED = {
    "not JSON": ("{not json", JSON, "the body is not valid JSON"),
    "a JSON list": ("[1, 2]", JSON, "not a JSON object"),
    "no envelope type": (json.dumps({"token": "t", "team_id": TEAM}), JSON, "no 'type'"),
    "an event without its event": (json.dumps({"type": "event_callback", "event_id": "Ev1"}), JSON,
                                   "without an 'event' object"),
    "an event without an id": (json.dumps({"type": "event_callback", "event": {"type": "message"}}),
                               JSON, "without an 'event_id'"),
    "a payload that is not JSON": (urlencode({"payload": "{oops"}), FORM, "payload is not valid JSON"),
    "a button press without a user": (payload({"type": "block_actions", "actions": [
        {"action_id": "lead:done:1"}]}), FORM, "without 'user.id'"),
    "a button press without actions": (payload({"type": "block_actions", "user": USER, "actions": []}),
                                       FORM, "without actions"),
    "a form submission without its view": (payload({"type": "view_submission", "user": USER}), FORM,
                                           "without a 'view'"),
    "a command without a user": (urlencode({"command": "/align", "text": "help", "team_id": TEAM}),
                                 FORM, "a slash command without user_id"),
    "a command without a workspace": (urlencode({"command": "/align", "text": "help", "user_id": DANA}),
                                      FORM, "a slash command without team_id"),
    "a command with an empty workspace": (urlencode({"command": "/align", "text": "help",
                                                     "user_id": DANA, "team_id": ""}),
                                          FORM, "a slash command without team_id"),
    "a form that is nothing": (urlencode({"hello": "world"}), FORM, "neither a slash command"),
    "XML": ("<event/>", "text/xml", "unexpected content type"),
}


async def counts(core: BotCore) -> tuple[int, int, int]:
    async with core.ctx.db.session() as session:
        return tuple([(await session.exec(select(func.count()).select_from(table))).one()  # type: ignore[misc]
                      for table in (Member, InboundEvent, Answer)])


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_signed_but_malformed_request_gets_400_with_the_reason_and_changes_nothing(
        slack: Slack, core: BotCore, case: str) -> None:
    await team(slack)
    before, calls = await counts(core), len(slack.api.calls)
    body, content_type, reason = MALFORMED[case]
    status, text = await slack.poster.post(body, content_type)
    await core.ctx.drain()
    assert status == 400 and reason in json.loads(text)["error"]
    assert await counts(core) == before and len(slack.api.calls) == calls


async def test_unsigned_garbage_is_401_and_a_body_over_1_mib_is_413(slack: Slack, core: BotCore) -> None:
    await team(slack)
    before = await counts(core)
    assert (await slack.poster.post("{not json", JSON, sign_with="someone else"))[0] == 401
    huge = dm_event(DANA, "x" * 1_100_000, "Ev0HUGE01", DANA_DM)
    status, text = await slack.poster.event(huge)
    assert status == 413 and "Maximum request body size" in text
    await core.ctx.drain()
    assert await counts(core) == before


@pytest.mark.parametrize("timestamp", [None, "", "soon", "17e8", "-1700000000", " 1700000000"],
                         ids=["missing", "empty", "a word", "exponent", "negative", "spaced"])
async def test_a_signature_without_a_usable_timestamp_is_401_and_changes_nothing(
        slack: Slack, core: BotCore, timestamp: str | None) -> None:
    """Signed correctly over whatever the timestamp header says (or over an empty one): without a
    whole number of seconds nobody can tell the request is fresh, so it is refused like a stale
    one - not a 500 from inside the signature check."""
    await team(slack)
    before, calls = await counts(core), len(slack.api.calls)
    body = urlencode({"command": "/align", "text": "team add Lee rep", "user_id": ADA,
                      "team_id": TEAM, "response_url": slack.api.response_url("ts")})
    headers = {"Content-Type": FORM, "X-Slack-Signature": signature(SECRET, timestamp or "", body)}
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    async with aiohttp.ClientSession() as session, \
            session.post(slack.poster.url, data=body.encode(), headers=headers) as response:
        assert response.status == 401
    await core.ctx.drain()
    assert await counts(core) == before and len(slack.api.calls) == calls


async def stored(core: BotCore) -> dict[str, Answer]:
    async with core.ctx.db.session() as session:
        return {a.question: a for a in (await session.exec(select(Answer))).all()}


async def test_control_characters_are_taken_out_of_answers_commands_and_names(
        slack: Slack, core: BotCore) -> None:
    await team(slack)
    slack.api.users[LEE]["real_name"] = slack.api.users[LEE]["profile"]["display_name"] = "Lee\x00\x07"
    [added] = await slack.command(ADA, f"team add <@{LEE}>\x00 rep\x1b")
    assert "Added Lee as rep" in added
    await slack.command(ADA, "ask now dana")
    await slack.poster.event(dm_event(DANA, "We win\x00 mid-market\x07 fintech\tdeals.\x1b", "Ev0CTL001",
                                      DANA_DM))
    await core.ctx.drain()
    assert (await stored(core))["strategy"].text == "We win mid-market fintech\tdeals."
    async with core.ctx.db.session() as session:
        lee = (await session.exec(select(Member).where(Member.platform_user_id == LEE))).one()
    assert lee.name == "Lee"


async def test_a_very_long_answer_is_cut_with_a_message_saying_so(slack: Slack, core: BotCore) -> None:
    await team(slack)
    await slack.command(ADA, "ask now dana")
    long_answer = " ".join(f"Sent the SOC 2 report to prospect {i}." for i in range(300))
    assert len(long_answer) > ANSWER_LIMIT
    await slack.poster.event(dm_event(DANA, long_answer, "Ev0LONG01", DANA_DM))
    await core.ctx.drain()
    answer = (await stored(core))["strategy"]
    assert len(answer.text) <= ANSWER_LIMIT and long_answer.startswith(answer.text)
    texts = [p["text"] for p in slack.api.posts(DANA_DM)]
    assert any(f"kept the first {len(answer.text):,} characters (the limit is 4,000)" in t for t in texts)
    assert answer.evaluation is not None and any("FEEDBACK" in t.upper() for t in texts)
    await slack.command(DANA, "answers")  # the whole kept answer, over several blocks
    shown = "".join(b["text"]["text"] for b in slack.api.responses[-1][1]["blocks"] if b["type"] == "section")
    assert answer.text[-60:] in shown and "…" not in shown


UNICODE = {
    "strategy": "We help mid-market fintechs 🚀 pass audits in half the time - winning on audit "
                "readiness. نحن نفوز بالجاهزية",
    "scope": "Mid-market fintech and regional banks; not tier-1 banks or government. Cafe\u0301 "
             "chains are out.",
    "tasks": "Mapped the buying committee at Ledgerly 👩‍💼, sent the SOC 2 report, ran discovery "
             "calls; staffed a booth at the תערוכה 🎪 fair\x00.",
}


async def test_unicode_goes_through_answer_evaluation_feedback_storage_and_digest(
        slack: Slack, core: BotCore) -> None:
    api = slack.api
    await team(slack)
    await slack.command(ADA, "ask now dana")
    view = await open_form(slack, "trigger-1")
    ask_ts = api.messages[DANA_DM][0]["ts"]
    assert (await slack.poster.interaction(view_submission(DANA, view, UNICODE)))[0] == 200
    await core.ctx.drain()

    answers = await stored(core)
    expected = {q: unicodedata.normalize("NFC", t.replace("\x00", "")) for q, t in UNICODE.items()}
    assert {q: a.text for q, a in answers.items()} == expected
    assert "Café chains" in answers["scope"].text  # combining accent composed (NFC)
    assert "👩‍💼" in answers["tasks"].text and "תערוכה" in answers["tasks"].text
    assert all(a.evaluation and a.feedback for a in answers.values())
    thread = "\n".join(p["text"] for p in api.posts(DANA_DM) if p.get("thread_ts") == ask_ts)
    assert thread.upper().count("FEEDBACK") >= 3
    tasks_eval = json.loads(answers["tasks"].evaluation or "{}")
    assert "map_buying_committee" in {m["task_id"] for m in tasks_eval["tasks"]["matches"]}
    assert any("תערוכה" in u["text"] for u in tasks_eval["tasks"]["unmapped"])  # spans index the text

    [digest] = await slack.command(ADA, "digest team:all 2026-03")
    assert "digest" in digest.lower() and "תערוכה" in digest  # the off-strategy effort, quoted intact


async def test_a_command_that_says_payload_is_answered(slack: Slack, core: BotCore) -> None:
    """bolt reads any form containing the word "payload" as an interaction and drops a command
    that says it; the bot parses Slack's body itself, so the command gets its answer."""
    await team(slack)
    [reply] = await slack.command(ADA, "payload")
    assert "I don't know the command" in reply and "payload" in reply
    [reply] = await slack.command(ADA, "team add <@U0PAYLOAD1> rep payload")
    assert reply.startswith("Usage: `/align team add")
