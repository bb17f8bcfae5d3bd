"""Property: whatever reaches /slack/events - slash commands, events and interactions, signed or
not, mutated at any depth, nested too deep, oversized, with odd headers - gets a clear answer:
401 unsigned, 4xx malformed, 200 otherwise; never a 500, no ERROR log line (the work started
after the ack included), and a refused request changes no row. Over real HTTP into the real bolt
app, the Web API faked on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.core import BotCore
from tests.adapters.slack.conftest import ADA, DANA, SECRET, Slack
from tests.support.databases import row_counts
from tests.support.mutations import JSON, NESTED, mutated
from tests.support.slack_api import block_action, dm_event, event_callback, signature, slash_command

Json = dict[str, Any]
FORM, JSON_TYPE = "application/x-www-form-urlencoded", "application/json"
VIEW = {"type": "modal", "callback_id": "checkin:form", "id": "V0VIEW900", "hash": "1.x",
        "private_metadata": json.dumps({"form": "checkin:1", "channel": "D0DANA001", "ts": "1.2"}),
        "state": {"values": {"strategy": {"answer": {"type": "plain_text_input", "value": "We win."}}}}}
SUBMISSION = {"type": "view_submission", "team": {"id": "T0TEAM001"},
              "user": {"id": DANA, "team_id": "T0TEAM001"}, "trigger_id": "trigger-p", "view": VIEW}
COMMAND = slash_command(ADA, "team list", "http://127.0.0.1:9/respond/p")
EVENTS = [dm_event(DANA, "We win mid-market fintech on audit readiness.", "Ev0PROP01", "D0DANA001"),
          event_callback({"type": "app_home_opened", "user": DANA, "tab": "home"}, "Ev0PROP02"),
          event_callback({"type": "user_change", "user": {"id": DANA, "name": "dana", "tz": "Europe/Paris",
                                                          "profile": {"real_name": "Dana"}}}, "Ev0PROP03"),
          event_callback({"type": "tokens_revoked", "tokens": {"bot": ["U0BOT0001"]}}, "Ev0PROP04")]
ACTION = block_action(DANA, {"action_id": "lead:done:1", "value": "1"}, "D0DANA001", "1.2", "trigger-q")


def form(fields: Any) -> str:
    if not isinstance(fields, dict):
        return urlencode({"payload": json.dumps(fields)})
    return urlencode({str(k): v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()})


BODY = st.one_of(
    mutated(COMMAND).map(lambda c: (FORM, form(c))),
    st.sampled_from(EVENTS).flatmap(mutated).map(lambda e: (JSON_TYPE, json.dumps(e))),
    mutated(SUBMISSION, 4).map(lambda p: (FORM, urlencode({"payload": json.dumps(p)}))),
    mutated(ACTION).map(lambda p: (FORM, urlencode({"payload": json.dumps(p)}))),
    JSON.map(lambda j: (JSON_TYPE, json.dumps(j))),
    JSON.map(lambda j: (FORM, urlencode({"payload": json.dumps(j)}))),
    NESTED.map(lambda n: (JSON_TYPE, n)), NESTED.map(lambda n: (FORM, urlencode({"payload": n}))),
    st.binary(max_size=300).map(lambda b: (st_choice_type(b), b.decode("latin-1"))),
    st.just((FORM, "ssl_check=1&token=x")), st.just((JSON_TYPE, "x" * (1024 * 1024 + 10))),
)
SIGNING = st.sampled_from(["signed", "signed", "signed", "unsigned", "wrong secret", "stale",
                           "garbage stamp"])


def st_choice_type(data: bytes) -> str:
    return (FORM, JSON_TYPE, "text/plain", "multipart/form-data")[len(data) % 4]


def headers(how: str, body: str, content_type: str) -> dict[str, str]:
    now = int(time.time())
    if how == "unsigned":
        return {"Content-Type": content_type}
    stamp = {"stale": str(now - 600), "garbage stamp": "12a"}.get(how, str(now))
    secret = "not-the-secret" if how == "wrong secret" else SECRET
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(secret, stamp, body)}


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(body=BODY, how=SIGNING)
async def test_any_request_gets_a_clear_answer_and_no_error(slack: Slack, core: BotCore,
                                                            caplog: pytest.LogCaptureFixture,
                                                            body: tuple[str, str], how: str) -> None:
    if not slack.commands:  # the organisation fixed by the team's own workspace first
        assert "Added Ada" in (await slack.command(ADA, f"team add <@{ADA}> admin"))[0]
        await slack.command(ADA, f"team add <@{DANA}> rep")
    caplog.clear()
    before = await row_counts(core.ctx.db)
    content_type, text = body
    async with aiohttp.ClientSession() as session, session.post(
            slack.poster.url, data=text.encode("utf-8", "surrogatepass"),
            headers=headers(how, text, content_type)) as response:
        status, answer = response.status, await response.text()
    await core.ctx.drain()
    event(f"{how}: {status}")  # --hypothesis-show-statistics: how many got how far
    assert status < 500, f"{how} {text[:300]!r}: {status} {answer[:300]}"
    ssl_check = text.startswith("ssl_check=")
    if how != "signed" and not ssl_check and status != 413:
        assert status == 401, f"{how} {text[:200]!r}: {status}"
    if status >= 400 or ssl_check:
        assert await row_counts(core.ctx.db) == before, f"{how} {text[:200]!r}: {status}"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [], text[:300]


async def test_a_signed_body_nested_too_deeply_is_a_400_not_a_recursion_error(
        slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    """Found by the property above: the decoder recursed once per level (a 500 and a traceback)."""
    for content_type, text in ((JSON_TYPE, "[" * 100_000 + "]" * 100_000),
                               (FORM, urlencode({"payload": '{"a":' * 5000 + "1" + "}" * 5000}))):
        status, answer = await slack.poster.post(text, content_type)
        assert status == 400 and "nested too deeply" in answer
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_response_url_that_does_not_answer_is_a_warning_not_an_error(
        slack: Slack, core: BotCore, caplog: pytest.LogCaptureFixture) -> None:
    """Found by the property above: Slack failing (here its response_url) is not our bug, so it is
    no ERROR with a traceback; the person cannot be told either, and the log says so."""
    assert (await slack.poster.form(slash_command(ADA, "help", "http://127.0.0.1:9/respond/x")))[0] == 200
    await core.ctx.drain()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Slack failed while handling CommandInvoked: ClientConnectorError" in caplog.text


@pytest.mark.parametrize("payload", [
    {**ACTION, "channel": ["D0DANA001"]},  # each found by the property above: a 500 or an ERROR
    {**ACTION, "actions": [{"action_id": "lead:done:1", "value": ["1"]}]},
    {**ACTION, "team": [1]}, {**SUBMISSION, "user": ["U0DANA001"]},
    {**SUBMISSION, "view": {**VIEW, "state": {"values": {"strategy": []}}}},
])
async def test_signed_interactions_shaped_unlike_slacks_are_a_400(
        slack: Slack, core: BotCore, caplog: pytest.LogCaptureFixture, payload: Json) -> None:
    status, answer = await slack.poster.interaction(payload)
    await core.ctx.drain()
    assert status == 400 and "malformed Slack request" in answer
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_signed_user_change_without_the_users_name_is_a_400(
        slack: Slack, core: BotCore, caplog: pytest.LogCaptureFixture) -> None:
    nameless = event_callback({"type": "user_change", "user": {"id": DANA}}, "Ev0X")
    status, _ = await slack.poster.event(nameless)
    await core.ctx.drain()
    assert status == 400 and [r for r in caplog.records if r.levelno >= logging.ERROR] == []
