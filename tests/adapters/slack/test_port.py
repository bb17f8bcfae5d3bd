"""SlackPort against the fake Web API: DMs with metadata, find_sent, lookups, and how Slack's
errors become permanent or transient DeliveryErrors (after slack_sdk's own retries)."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.http_retry.response import HttpResponse
from sqlmodel import select

import adapters.slack.port as port_module
from adapters.slack.limits import WebApiLimits
from adapters.slack.port import SlackPort, build_client
from adapters.slack.ratelimit import (
    RateLimits,
    SharedRateLimitRetryHandler,
    limits_of,
    method_of,
    retry_after,
)
from bot.core import BotCore
from bot.events import MemberRef, Message, MessageRef, Text
from bot.port import DeliveryError
from bot.storage.models import OutboundMessage
from tests.adapters.slack.conftest import ADA, DANA, LEE, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, team
from tests.support.slack_api import FakeSlackApi, SlackReply

DANA_REF = MemberRef("slack", DANA)


@pytest.fixture
def port(api: FakeSlackApi) -> SlackPort:  # overrides the core's recording port in these tests
    return SlackPort(build_client("xoxb-test-token", base_url=api.base_url))


async def test_send_posts_to_the_user_id_then_to_the_dm_it_learned_and_find_sent_finds_it(
        port: SlackPort, api: FakeSlackApi) -> None:
    first = await port.send(DANA_REF, Message("hello <there> & welcome", key="k-1"))
    second = await port.send(DANA_REF, Message.plain("again"))
    assert first.channel == second.channel == DANA_DM
    assert [p["channel"] for p in api.posts()] == [DANA, DANA_DM]  # Slack opened the DM itself
    assert api.calls_to("conversations.open") == []  # one call per message, not two
    assert api.posts()[0]["text"] == "hello &lt;there&gt; &amp; welcome"
    assert await port.find_sent(DANA_REF, "k-1") == first
    assert await port.find_sent(DANA_REF, "k-2") is None
    assert api.calls_to("conversations.history")[0].args["include_all_metadata"] in ("1", 1, True)
    assert api.calls_to("conversations.open") == []  # the DM channel came with the first answer


async def test_thread_replies_and_updates(port: SlackPort, api: FakeSlackApi) -> None:
    parent = await port.send(DANA_REF, Message.plain("question"))
    await port.send(DANA_REF, Message.plain("feedback"), thread=parent)
    assert api.posts()[1]["thread_ts"] == parent.message_id
    await port.update(parent, Message.plain("question (closed)"))
    assert api.messages[DANA_DM][0]["text"] == "question (closed)"


async def test_a_post_carries_what_slack_sdks_own_call_would(port: SlackPort, api: FakeSlackApi) -> None:
    """chat.postMessage goes out without slack_sdk's per-call machinery (adapters/slack/webapi.py):
    the same method, arguments and headers as `api_call` sends, on a kept or a per-call session."""
    body = {"channel": DANA, "text": "hi", "blocks": [{"type": "section", "text": {
        "type": "mrkdwn", "text": "hi"}}], "metadata": {"event_type": "alignbot_message",
                                                        "event_payload": {"key": "k-1"}}}
    await port.client.api_call("chat.postMessage", json=dict(body))
    await port.send(DANA_REF, Message("hi", blocks=(Text("hi"),), key="k-1"))
    sdk, ours = api.calls_to("chat.postMessage")
    assert ours.args == sdk.args
    for header in ("Authorization", "User-Agent", "Content-Type"):
        assert ours.headers[header] == sdk.headers[header]


async def test_rate_limit_is_retried_after_retry_after(port: SlackPort, api: FakeSlackApi) -> None:
    api.fail("chat.postMessage", SlackReply.rate_limited(retry_after=0))
    ref = await port.send(DANA_REF, Message.plain("hi"))
    assert len(api.calls_to("chat.postMessage")) == 2 and ref.channel == DANA_DM


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "cannot_dm_bot",
                                   "channel_not_found"])
async def test_unreachable_people_fail_permanently(port: SlackPort, api: FakeSlackApi,
                                                   error: str) -> None:
    # Slack refuses the user id as a channel; opening the DM says why
    api.fail("chat.postMessage", SlackReply.error_code("channel_not_found"))
    api.fail("conversations.open", SlackReply.error_code(error))
    with pytest.raises(DeliveryError) as failed:
        await port.send(DANA_REF, Message.plain("hi"))
    assert failed.value.permanent and error in str(failed.value)
    assert [c.method for c in api.calls] == ["chat.postMessage", "conversations.open"]


async def test_someone_slack_does_not_know_is_unreachable(port: SlackPort, api: FakeSlackApi) -> None:
    with pytest.raises(DeliveryError) as failed:
        await port.send(MemberRef("slack", "U0NOBODY1"), Message.plain("hi"))
    assert failed.value.unreachable == "user_not_found" and api.messages == {}


async def test_when_the_user_id_is_refused_but_the_dm_opens_the_message_goes_there(
        port: SlackPort, api: FakeSlackApi) -> None:
    api.fail("chat.postMessage", SlackReply.error_code("channel_not_found"))
    ref = await port.send(DANA_REF, Message.plain("hi"))
    assert ref.channel == DANA_DM and [p["channel"] for p in api.posts()] == [DANA, DANA_DM]
    assert api.messages[DANA_DM][0]["text"] == "hi"


async def test_server_errors_and_exhausted_rate_limits_are_transient(port: SlackPort,
                                                                    api: FakeSlackApi) -> None:
    api.fail("chat.postMessage", SlackReply.server_error(500))
    with pytest.raises(DeliveryError) as failed:
        await port.send(DANA_REF, Message.plain("hi"))
    assert not failed.value.permanent and failed.value.ambiguous  # it may have been posted
    assert len(api.calls_to("chat.postMessage")) == 1  # so not re-posted blindly: the outbox asks
    api.fail("chat.postMessage", *[SlackReply.server_error(503)] * 3)
    with pytest.raises(DeliveryError) as unavailable:
        await port.send(DANA_REF, Message.plain("hi"))
    assert not unavailable.value.permanent and not unavailable.value.ambiguous
    assert len(api.calls_to("chat.postMessage")) == 1 + 3  # a 503 is retried twice, then given up
    impatient = SlackPort(build_client("xoxb-test-token", base_url=api.base_url,
                                       limits=WebApiLimits(max_retries=1)))
    api.fail("chat.update", SlackReply.rate_limited(0), SlackReply.rate_limited(0))
    with pytest.raises(DeliveryError) as limited:
        await impatient.update(MessageRef("slack", DANA_DM, "1.0"), Message.plain("x"))
    assert not limited.value.permanent and "ratelimited" in str(limited.value)


async def test_lookup_by_mention_id_email_and_name(port: SlackPort) -> None:
    by_mention = await port.lookup(f"<@{DANA}|dana>")
    assert by_mention is not None and by_mention.timezone == "America/New_York"
    assert by_mention.email == "dana@acme.example" and not by_mention.is_platform_admin
    ada = await port.lookup(ADA)
    assert ada is not None and ada.is_platform_admin and ada.name == "Ada"
    assert (await port.lookup("dana@acme.example")) == by_mention
    assert (await port.lookup("@lee")) is not None and (await port.lookup("Lee")).ref.user_id == LEE  # type: ignore[union-attr]
    assert await port.lookup("nobody@acme.example") is None
    assert await port.lookup("U0NOBODY1") is None
    assert await port.lookup("Nobody") is None


async def test_a_deactivated_member_is_marked_not_retried(slack: Slack, core: BotCore) -> None:
    await team(slack)
    slack.api.fail("chat.postMessage", SlackReply.error_code("channel_not_found"))
    slack.api.fail("conversations.open", SlackReply.error_code("account_inactive"))
    reply = (await slack.command(ADA, "ask now dana"))[0]
    assert "Dana (could not be reached)" in reply
    assert slack.api.messages[DANA_DM] == []  # nothing reached her
    async with core.ctx.db.session() as session:
        [outbound] = (await session.exec(select(OutboundMessage))).all()
    assert outbound.state == "failed" and "account_inactive" in (outbound.error or "")
    assert outbound.attempts == 1  # given up at once, not retried on every tick


class NotedLimits(RateLimits):
    """Sets `closed` when a 429 closes a gate."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = asyncio.Event()

    def hold(self, method: str, seconds: float) -> None:
        super().hold(method, seconds)
        self.closed.set()


async def test_a_429_holds_every_post_of_the_workspace_until_retry_after(
        port: SlackPort, api: FakeSlackApi) -> None:
    """Not only the refused call waits: a post started meanwhile waits for the same gate, so a
    fan-out does not keep hitting the limit (adapters/slack/ratelimit.py)."""
    [handler] = [h for h in port.client.retry_handlers if isinstance(h, SharedRateLimitRetryHandler)]
    handler.limits = noted = NotedLimits()
    assert limits_of(port.client) is noted
    api.fail("chat.postMessage", SlackReply.rate_limited(retry_after=1))
    first = asyncio.create_task(port.send(DANA_REF, Message.plain("one")))
    await asyncio.wait_for(noted.closed.wait(), 5)  # the 429 has come back
    await port.send(MemberRef("slack", LEE), Message.plain("two"))
    await first
    refused, *after = api.calls_to("chat.postMessage")
    assert len(after) == 2 and all(call.at - refused.at >= 1.0 for call in after)
    assert [m["text"] for m in api.messages[DANA_DM]] == ["one"]


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": ["3"]}, 3.0), ({"retry-after": "0"}, 0.0), ({}, 1.0), ({"Retry-After": ["soon"]}, 1.0)])
def test_retry_after_is_read_in_seconds(headers: dict[str, object], seconds: float) -> None:
    response = HttpResponse(status_code=429, headers=headers, body={})  # type: ignore[arg-type]
    assert retry_after(response) == seconds
    assert method_of("http://127.0.0.1:1/api/chat.postMessage") == "chat.postMessage"


async def test_dm_channels_are_remembered_for_the_most_recent_users_only(
        api: FakeSlackApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fan-out sends to every member: the DMs learnt from its answers stay bounded (issue 24:
    two entries per member grew the bot's peak memory with the organisation), and a user whose
    DM was forgotten is still reached in one call, through their user id."""
    monkeypatch.setattr(port_module, "DM_CACHE", 2, raising=False)
    port = SlackPort(build_client("xoxb-test-token", base_url=api.base_url))
    users = [ADA, DANA, LEE]
    for _ in range(3):
        for user in users:
            await port.send(MemberRef("slack", user), Message.plain("hi"))
    assert len(port._dm) == 2 and len(port._dm_user) == 0  # one bot token: no reverse map needed
    assert dict(port._dm) == {u: "D" + u[1:] for u in users[-2:]}
    api.calls.clear()
    ref = await port.send(MemberRef("slack", users[0]), Message.plain("again"))
    assert ref.channel == "D" + users[0][1:]
    assert [p["channel"] for p in api.posts()] == [users[0]]  # one call, to the user id
    assert list(port._dm) == [LEE, ADA]
