"""Slack failing (429 with a long Retry-After, 500, 503, a call that times out after posting) while
the scheduler sends check-ins, through the real slack_sdk client against the fake Web API:
retries are bounded and back off, an ambiguous failure is checked against the DM's history so the
member gets exactly one message, and a send given up for good is recorded and shown to admins
(`/align status`, and one alert DM that day)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.delivery import MAX_ATTEMPTS
from bot.storage.models import CheckIn, OutboundMessage
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, team
from tests.support.slack_api import SlackReply, dm_event

ADA_DM = "D" + ADA[1:]
SCHEDULE = 'schedule add checkin "weekdays 09:00" to=reps remind=off'


async def ask_row(core: BotCore) -> OutboundMessage:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "checkin"))).one()


async def checkin_state(core: BotCore) -> str:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(CheckIn.state))).one()


async def next_pass(core: BotCore, clock: ManualClock, after: timedelta = timedelta(seconds=30)) -> None:
    """One scheduler tick, `after` the previous one."""
    clock.advance(after)
    await core.tick()
    await core.ctx.drain()


async def first_pass(core: BotCore, clock: ManualClock) -> None:
    """The tick at Tue 09:00 in New York (14:00 UTC), when Dana's check-in is due."""
    await next_pass(core, clock, timedelta(days=1))


async def test_a_long_retry_after_is_not_waited_and_a_send_given_up_is_shown_to_admins(
        slack: Slack, core: BotCore, clock: ManualClock) -> None:
    api = slack.api
    await team(slack)
    await slack.command(ADA, SCHEDULE)
    api.fail("chat.postMessage", *[SlackReply.rate_limited(retry_after=120)] * MAX_ATTEMPTS)
    await first_pass(core, clock)
    assert len(api.posts(DANA_DM)) == 1  # the 120 s Retry-After was not waited in place
    for attempt in range(2, MAX_ATTEMPTS + 1):
        await next_pass(core, clock)
        assert len(api.posts(DANA_DM)) == attempt  # one call per pass, no retry storm
    row = await ask_row(core)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS) and "ratelimited" in (row.error or "")
    await next_pass(core, clock)  # no sixth attempt; the check-in is marked failed
    assert len(api.posts(DANA_DM)) == MAX_ATTEMPTS and await checkin_state(core) == "failed"

    [alert] = [p for p in api.posts(ADA_DM) if "could not be delivered" in p["text"]]
    assert "1 message(s)" in alert["text"] and "checkin (slack): 1" in alert["text"]
    for _ in range(3):  # later passes the same day: no second alert
        await next_pass(core, clock)
    assert sum("could not be delivered" in p["text"] for p in api.posts(ADA_DM)) == 1

    [status] = await slack.command(ADA, "status")
    assert "Failed for good" in status and "1 - checkin (slack): 1" in status
    assert "checkin to Dana (slack)" in status and "ratelimited" in status
    assert "Last tick" in status
    assert "for admins" in (await slack.command(DANA, "status"))[0]


@pytest.mark.parametrize("failure", ["500", "timed out after posting"])
async def test_an_ambiguous_failure_is_checked_against_history_and_sent_exactly_once(
        slack: Slack, core: BotCore, clock: ManualClock, failure: str) -> None:
    api = slack.api
    await team(slack)
    await slack.command(ADA, SCHEDULE)
    reply = SlackReply.server_error(500) if failure == "500" else SlackReply.slow(1.5)
    api.fail("chat.postMessage", reply)
    await first_pass(core, clock)
    assert len(api.calls_to("chat.postMessage")) == 1  # not re-posted blindly in place
    assert (await ask_row(core)).state == "claimed" and await checkin_state(core) == "scheduled"

    await next_pass(core, clock)  # the outbox asks the DM's history before sending again
    assert api.calls_to("conversations.history")
    row = await ask_row(core)
    assert (row.state, row.attempts) == ("sent", 2) and await checkin_state(core) == "asked"
    assert len([m for m in api.messages[DANA_DM] if "check-in" in m["text"]]) == 1
    await next_pass(core, clock)
    assert len([m for m in api.messages[DANA_DM] if "check-in" in m["text"]]) == 1


async def test_a_503_is_retried_in_place_with_backoff(slack: Slack, core: BotCore) -> None:
    api = slack.api
    await team(slack)
    api.fail("chat.postMessage", SlackReply.server_error(503))
    assert "Asked 1: Dana" in (await slack.command(ADA, "ask now dana"))[0]
    first, second = api.calls_to("chat.postMessage")
    assert second.at - first.at >= 0.5  # slack_sdk's exponential backoff (0.5 s, then 1 s)
    assert len(api.messages[DANA_DM]) == 1


@pytest.mark.parametrize("failure", ["500", "timed out after posting"])
async def test_ask_now_that_failed_for_now_is_sent_once_by_the_next_pass_and_can_be_answered(
        slack: Slack, core: BotCore, clock: ManualClock, failure: str) -> None:
    api = slack.api
    await team(slack)
    api.fail("chat.postMessage", SlackReply.server_error(500) if failure == "500" else SlackReply.slow(1.5))
    [reply] = await slack.command(ADA, "ask now dana")
    assert "Could not reach 1: Dana" in reply and "the bot will try again in a minute" in reply
    [again] = await slack.command(ADA, "ask now dana")  # the admin tries again meanwhile
    assert "Skipped 1: Dana (an earlier ask is being retried)" in again
    assert len(api.calls_to("chat.postMessage")) == 1

    await next_pass(core, clock)  # the scheduler's pass: history first, then at most one send
    assert api.calls_to("conversations.history")
    invitations = [m for m in api.messages[DANA_DM] if "check-in" in m["text"]]
    assert len(invitations) == 1 and await checkin_state(core) == "asked"
    await next_pass(core, clock)
    assert len([m for m in api.messages[DANA_DM] if "check-in" in m["text"]]) == 1

    await slack.poster.event(dm_event(DANA, "We make mid-market fintechs audit-ready.", "Ev0001", DANA_DM))
    await core.ctx.drain()
    assert any("saved your answer to question 1" in m["text"] for m in api.messages[DANA_DM])
