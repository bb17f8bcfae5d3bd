"""What reaches the endpoint: only correctly signed, fresh requests; retried deliveries once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from sqlmodel import func, select

from adapters.slack.app import SlackAdapter
from bot.core import BotCore
from bot.storage.models import Answer, InboundEvent, Member
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, stored_answers, team
from tests.support.slack_api import BOT_USER, dm_event, event_callback, slash_command


async def members(core: BotCore) -> int:
    async with core.ctx.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(Member))).one())


async def test_forged_signature_is_rejected_and_changes_nothing(slack: Slack, core: BotCore) -> None:
    command = slash_command(ADA, f"team add <@{ADA}> admin", slack.api.response_url("forged"))
    status, _ = await slack.poster.form(command, sign_with="not-the-signing-secret")
    assert status == 401
    await core.ctx.drain()
    assert await members(core) == 0
    assert slack.api.calls == [] and slack.api.responses == []


async def test_stale_timestamp_is_rejected_and_changes_nothing(slack: Slack, core: BotCore) -> None:
    command = slash_command(ADA, f"team add <@{ADA}> admin", slack.api.response_url("stale"))
    status, _ = await slack.poster.form(command, timestamp=int(time.time()) - 10 * 60)
    assert status == 401
    await core.ctx.drain()
    assert await members(core) == 0
    assert slack.api.calls == [] and slack.api.responses == []


async def test_a_retried_event_records_the_answer_once(slack: Slack, core: BotCore) -> None:
    await team(slack)
    await slack.command(ADA, "ask now dana")
    event = dm_event(DANA, "We win mid-market fintech on audit readiness.", "Ev0RETRY1", DANA_DM)
    assert (await slack.poster.event(event))[0] == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await slack.poster.event(event, headers=retry))[0] == 200
    await core.ctx.drain()
    assert await stored_answers(core) == {"strategy": "We win mid-market fintech on audit readiness."}
    async with core.ctx.db.session() as session:
        answer = (await session.exec(select(Answer))).one()
    assert answer.edits == 0
    saved = [p for p in slack.api.posts(DANA_DM) if "saved your answer" in p["text"]]
    assert len(saved) == 1


async def test_an_event_is_acked_before_bolt_dispatches_it_and_its_retry_still_stores_nothing(
        slack: Slack, core: BotCore, adapter: SlackAdapter) -> None:
    """Under a burst bolt's dispatch is most of an ack's CPU: an event (whose ack is an empty
    200 whatever its listener does) is acked once its signature is checked, and bolt runs it in
    its turn after the acks. Nothing is lost on the way, a retry acked meanwhile still stores
    nothing twice, and a forged request is refused before anything is queued."""
    await team(slack)
    await slack.command(ADA, "ask now dana")
    dispatched: list[Any] = []
    later = adapter._dispatch_later  # bolt's dispatch, or a DM's listener without it

    async def recorded(request: Any, kind: str) -> Any:
        dispatched.append(request.body.get("event_id"))
        return await later(request, kind)

    adapter._dispatch_later = recorded  # type: ignore[method-assign]
    lull, waiting = asyncio.Event(), asyncio.Event()
    real_sleep = core.ctx.intake._sleep

    async def held(seconds: float) -> None:  # the acks' lull does not come until we say
        waiting.set()
        await lull.wait()
        await real_sleep(seconds)

    core.ctx.intake._sleep = held
    event = dm_event(DANA, "We win mid-market fintech on audit readiness.", "Ev0LATER1", DANA_DM)
    try:
        assert (await slack.poster.event(event))[0] == 200
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert (await slack.poster.event(event, headers=retry))[0] == 200
        forged = dm_event(DANA, "not from Slack", "Ev0FORGED", DANA_DM)
        assert (await slack.poster.event(forged, sign_with="not-the-signing-secret"))[0] == 401
        await asyncio.wait_for(waiting.wait(), 10)  # the turn is queued behind the lull
        for _ in range(10):  # and anything not held by it has had its turns of the loop
            await asyncio.sleep(0)
        assert dispatched == [] and await stored_answers(core) == {}  # acked, not yet dispatched
    finally:
        lull.set()
    await core.ctx.drain()
    assert dispatched == ["Ev0LATER1", "Ev0LATER1"]
    assert await stored_answers(core) == {"strategy": "We win mid-market fintech on audit readiness."}
    saved = [p for p in slack.api.posts(DANA_DM) if "saved your answer" in p["text"]]
    assert len(saved) == 1


def bolt_dispatches(adapter: SlackAdapter) -> list[Any]:
    """The event ids bolt's dispatch is asked to handle from now on, in order (it still
    handles them)."""
    dispatched: list[Any] = []
    bolt = adapter.app.async_dispatch

    async def recorded(request: Any) -> Any:
        dispatched.append(request.body.get("event_id"))
        return await bolt(request)

    adapter.app.async_dispatch = recorded  # type: ignore[method-assign]
    return dispatched


async def test_a_dm_goes_to_its_listener_without_bolts_dispatch_once_bolt_has_authorized(
        slack: Slack, core: BotCore, adapter: SlackAdapter) -> None:
    """A rep's DM answer is a message event: with one workspace, once bolt has made (and
    cached) its auth.test on the first request, the listener is called without bolt's dispatch
    - its middleware and listener matching cost a DM answer as much CPU as a Web API call - and
    the answer is stored and answered as before. Other events still go through bolt."""
    await team(slack)  # slash commands: bolt's dispatch, which makes and keeps the auth.test
    await slack.command(ADA, "ask now dana")
    dispatched = bolt_dispatches(adapter)
    answer = "We win mid-market fintech on audit readiness."
    assert (await slack.poster.event(dm_event(DANA, answer, "Ev0DIRECT1", DANA_DM)))[0] == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await slack.poster.event(dm_event(DANA, answer, "Ev0DIRECT1", DANA_DM), headers=retry))[0] == 200
    opened = event_callback({"type": "app_home_opened", "user": DANA, "channel": DANA_DM, "tab": "home"},
                            "Ev0HOME001")
    assert (await slack.poster.event(opened))[0] == 200
    await core.ctx.drain()
    assert dispatched == ["Ev0HOME001"]
    assert await stored_answers(core) == {"strategy": answer}
    posts = slack.api.posts(DANA_DM)
    assert len([p for p in posts if "saved your answer" in p["text"]]) == 1
    assert any(p.get("thread_ts") for p in posts)  # in the check-in's thread, as through bolt
    assert [c.method for c in slack.api.calls].count("auth.test") == 1


async def test_a_dm_goes_through_bolt_when_a_middleware_of_our_own_is_registered(
        slack: Slack, core: BotCore, adapter: SlackAdapter) -> None:
    """The fast path knows bolt's own middlewares only: once someone adds one with `app.use`,
    every DM goes through bolt's dispatch again, so that middleware sees it."""
    await team(slack)
    await slack.command(ADA, "ask now dana")
    seen: list[Any] = []

    async def ours(body: dict[str, Any], next: Any) -> Any:
        seen.append((body.get("event") or {}).get("type"))
        return await next()

    adapter.app.use(ours)
    answer = "We win mid-market fintech on audit readiness."
    assert (await slack.poster.event(dm_event(DANA, answer, "Ev0MIDDLE1", DANA_DM)))[0] == 200
    await core.ctx.drain()
    assert "message" in seen
    assert await stored_answers(core) == {"strategy": answer}


async def test_a_dm_before_bolt_has_authorized_goes_through_bolt(
        slack: Slack, core: BotCore, adapter: SlackAdapter) -> None:
    """The first request bolt sees makes its auth.test: a DM arriving first goes through bolt's
    dispatch (which authorizes it), and is answered as any other."""
    dispatched = bolt_dispatches(adapter)
    assert (await slack.poster.event(dm_event(DANA, "hello", "Ev0FIRST01", DANA_DM)))[0] == 200
    await core.ctx.drain()
    assert dispatched == ["Ev0FIRST01"]
    assert [c.method for c in slack.api.calls].count("auth.test") == 1


async def test_the_bots_own_dm_is_ignored_without_bolts_dispatch_too(
        slack: Slack, core: BotCore, adapter: SlackAdapter) -> None:
    """bolt ignores the bot's own events (its user id or bot id, from auth.test); so does the
    DM path that skips bolt's dispatch: a message from the bot's user is no answer."""
    await team(slack)
    await slack.command(ADA, "ask now dana")
    own = dm_event(BOT_USER, "an echo of the bot", "Ev0SELF001", DANA_DM)
    assert (await slack.poster.event(own))[0] == 200
    await core.ctx.drain()
    assert await stored_answers(core) == {}
    assert not [p for p in slack.api.posts(DANA_DM) if "an echo" in p["text"]]
    async with core.ctx.db.session() as session:  # not even its event id recorded
        assert (await session.exec(select(InboundEvent).where(
            InboundEvent.event_id == "Ev0SELF001"))).all() == []


async def test_bot_messages_and_channel_messages_are_not_answers(slack: Slack, core: BotCore) -> None:
    await team(slack)
    await slack.command(ADA, "ask now dana")
    own = dm_event(DANA, "an echo of the bot", "Ev0BOT001", DANA_DM)
    own["event"]["bot_id"] = "B0BOT0001"
    edited = dm_event(DANA, "edited", "Ev0EDIT01", DANA_DM)
    edited["event"]["subtype"] = "message_changed"
    channel = dm_event(DANA, "in a channel", "Ev0CHAN01", "C0GENERAL")
    channel["event"]["channel_type"] = "channel"
    for event in (own, edited, channel):
        assert (await slack.poster.event(event))[0] == 200
    await core.ctx.drain()
    assert await stored_answers(core) == {}


async def test_url_verification_and_health(slack: Slack) -> None:
    status, body = await slack.poster.event({"type": "url_verification", "challenge": "c-123",
                                             "token": "legacy"})
    assert status == 200 and "c-123" in body
    health = slack.poster.url.replace("/slack/events", "/healthz")
    async with aiohttp.ClientSession() as session, session.get(health) as response:
        assert response.status == 200 and await response.text() == "ok"


async def test_an_identical_signed_slash_command_replayed_inside_the_window_runs_once(
        slack: Slack, core: BotCore) -> None:
    """A captured request (same body, timestamp and signature: same trigger_id) sent again
    within Slack's 5 minutes passes the signature check; its trigger_id is seen before."""
    await team(slack)
    command = slash_command(ADA, "holiday add 2026-12-24 Christmas Eve", slack.api.response_url("h"))
    stamp = int(time.time())
    for _ in range(2):
        assert (await slack.poster.form(command, timestamp=stamp))[0] == 200
        await core.ctx.drain()
    replies = [body["text"] for key, body in slack.api.responses if key == "h"]
    assert len(replies) == 1 and "Added holiday" in replies[0], replies
    # Another invocation (a new trigger_id) of the same text runs again, as typed twice.
    again = slash_command(ADA, "holiday add 2026-12-24 Christmas Eve", slack.api.response_url("h2"))
    assert (await slack.poster.form(again))[0] == 200
    await core.ctx.drain()
    assert next(b["text"] for k, b in slack.api.responses if k == "h2").startswith("Renamed holiday")
