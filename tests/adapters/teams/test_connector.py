"""Throttling and failures from the Bot Connector: 429 retried after Retry-After (capped, bounded),
exponential backoff when no Retry-After is given, 5xx and 403 surfacing as the outbox expects, and
card updates hitting the same activity."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from adapters.teams.app import TeamsAdapter
from bot.core import BotCore
from bot.delivery import MAX_ATTEMPTS
from bot.events import Message
from bot.port import DeliveryError
from bot.storage.models import Member, OutboundMessage
from tests.adapters.teams.conftest import ADA, DANA, Sleeps, Teams


async def dana(teams: Teams, core: BotCore) -> Member:
    await teams.install(ADA)
    await teams.install(DANA)
    await teams.say(ADA, "align team add Ada admin")
    await teams.say(ADA, "align team add Dana rep")
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Member).where(Member.platform_user_id == DANA))).one()


async def outbound(core: BotCore, key: str) -> OutboundMessage:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(OutboundMessage).where(OutboundMessage.key == key))).one()


async def test_throttled_sends_wait_for_retry_after_then_go_through_once(
        teams: Teams, core: BotCore, sleeps: Sleeps) -> None:
    member = await dana(teams, core)
    teams.connector.fail("send", 429, retry_after=2, times=2)
    ref = await core.outbox.deliver(member, "k:1", "test", Message.plain("hello"))
    assert ref is not None
    assert sleeps.waits == [2.0, 2.0]
    assert len(teams.connector.of("send-failed")) == 2
    assert teams.connector.card_texts(conversation=teams.dm(DANA))[-1] == "hello"
    assert (await outbound(core, "k:1")).state == "sent"


async def test_retry_after_is_capped_and_retries_are_bounded(
        teams: Teams, core: BotCore, sleeps: Sleeps) -> None:
    member = await dana(teams, core)
    teams.connector.fail("send", 429, retry_after=3600, times=4)  # more than max_retries=3 allows
    with pytest.raises(DeliveryError) as raised:
        await core.outbox.deliver(member, "k:2", "test", Message.plain("hello"))
    assert not raised.value.permanent and "HTTP 429" in str(raised.value)
    assert sleeps.waits == [30.0, 30.0, 30.0]  # each wait capped at max_wait, three retries
    row = await outbound(core, "k:2")
    assert row.state == "claimed" and "429" in (row.error or "")  # the outbox retries later
    assert await core.outbox.deliver(member, "k:2", "test", Message.plain("hello")) is not None
    assert teams.connector.card_texts(conversation=teams.dm(DANA)).count("hello") == 1


async def test_backoff_without_retry_after_grows(teams: Teams, core: BotCore, sleeps: Sleeps) -> None:
    member = await dana(teams, core)
    teams.connector.fail("send", 503, times=3)
    assert await core.outbox.deliver(member, "k:3", "test", Message.plain("hi")) is not None
    first, second, third = sleeps.waits
    assert 0.5 <= first <= 1.5 and 1.0 <= second <= 3.0 and 2.0 <= third <= 6.0


async def test_a_500_is_not_retried_in_place_but_left_to_the_outbox(
        teams: Teams, core: BotCore, sleeps: Sleeps) -> None:
    """A POST that failed with 500 may have been delivered; the outbox decides (next pass,
    at most MAX_ATTEMPTS) rather than an immediate blind re-POST."""
    member = await dana(teams, core)
    teams.connector.fail("send", 500)
    with pytest.raises(DeliveryError):
        await core.outbox.deliver(member, "k:4", "test", Message.plain("hi"))
    assert sleeps.waits == [] and MAX_ATTEMPTS > 1
    assert (await outbound(core, "k:4")).state == "claimed"


async def test_blocked_by_the_user_is_permanent_and_admins_hear_of_it(
        teams: Teams, core: BotCore) -> None:
    member = await dana(teams, core)
    teams.connector.fail("send", 403)
    assert await core.outbox.deliver(member, "k:5", "test", Message.plain("hi")) is None
    await core.ctx.drain()
    assert (await outbound(core, "k:5")).state == "failed"
    notices = teams.connector.card_texts(conversation=teams.dm(ADA))
    assert any("message Dana" in t and "refused" in t for t in notices)


async def test_updates_are_retried_too(teams: Teams, core: BotCore, sleeps: Sleeps,
                                       adapter: TeamsAdapter) -> None:
    member = await dana(teams, core)
    ref = await core.outbox.deliver(member, "k:6", "test", Message.plain("v1"))
    assert ref is not None
    teams.connector.fail("update", 429, retry_after=1)
    await adapter.update(ref, Message.plain("v2"))
    assert sleeps.waits == [1.0]
    [update] = teams.connector.of("update")
    assert update.activity_id == ref.message_id
    with pytest.raises(DeliveryError) as raised:  # an activity Teams does not know
        await adapter.update(ref.__class__(ref.platform, ref.channel, "1:nope"), Message.plain("v3"))
    assert raised.value.permanent


def test_retry_after_as_seconds_or_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime
    from types import SimpleNamespace

    from adapters.teams.connector import retry_after

    def failure(value: str | None) -> Exception:
        exc = Exception("throttled")
        exc.response = SimpleNamespace(status_code=429,
                                       headers={} if value is None else {"Retry-After": value})
        return exc
    assert retry_after(failure("7")) == 7.0 and retry_after(failure("-3")) == 0.0
    assert retry_after(failure(None)) is None and retry_after(failure("soon")) is None
    now = datetime(2026, 3, 29, 0, 59, 30, tzinfo=UTC)  # any instant: the date is read against it
    later = format_datetime(now + timedelta(seconds=120), usegmt=True)
    assert retry_after(failure(later), now) == 120.0
    assert retry_after(failure(format_datetime(now - timedelta(seconds=5), usegmt=True)), now) == 0.0


async def test_sends_reuse_one_connector_client_and_its_retry_policy(
        teams: Teams, core: BotCore, monkeypatch: pytest.MonkeyPatch) -> None:
    """botbuilder builds a connector client per proactive turn, and msrest a retry policy (a
    999-entry status list) per client: kept, every send after the first builds neither."""
    from botframework.connector import ConnectorClient
    from msrest.universal_http.requests import ClientRetryPolicy

    member = await dana(teams, core)
    built: list[str] = []
    client_init, policy_init = ConnectorClient.__init__, ClientRetryPolicy.__init__

    def counted_client(self: ConnectorClient, *args: object, **kwargs: object) -> None:
        built.append("client")
        client_init(self, *args, **kwargs)

    def counted_policy(self: ClientRetryPolicy) -> None:
        built.append("policy")
        policy_init(self)  # type: ignore[no-untyped-call]
    monkeypatch.setattr(ConnectorClient, "__init__", counted_client)
    monkeypatch.setattr(ClientRetryPolicy, "__init__", counted_policy)
    for number in range(5):
        assert await core.outbox.deliver(member, f"k:keep:{number}", "test",
                                         Message.plain(f"hello {number}")) is not None
    assert built == []  # dana() already sent through the kept client: none built since
    texts = teams.connector.card_texts(conversation=teams.dm(DANA))
    assert [t for t in texts if t.startswith("hello ")] == [f"hello {n}" for n in range(5)]


async def test_sends_go_out_on_the_event_loop_not_through_requests_in_a_thread(
        teams: Teams, core: BotCore, monkeypatch: pytest.MonkeyPatch) -> None:
    """msrest would send each call with `requests` in a worker thread (a thread hand-off each
    way, about half a send's CPU): the kept clients send on the process's aiohttp session, and
    what arrives is the same card."""
    import requests

    member = await dana(teams, core)
    through_requests: list[str] = []
    request = requests.Session.request

    def counted(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        through_requests.append(url)
        return request(self, method, url, *args, **kwargs)
    monkeypatch.setattr(requests.Session, "request", counted)
    for number in range(3):
        assert await core.outbox.deliver(member, f"k:loop:{number}", "test",
                                         Message.plain(f"on the loop {number}")) is not None
    assert through_requests == []
    texts = teams.connector.card_texts(conversation=teams.dm(DANA))
    assert [t for t in texts if t.startswith("on the loop ")] == [f"on the loop {n}" for n in range(3)]


def test_an_activity_body_is_what_msrest_would_send_with_the_card_put_in_as_it_is() -> None:
    """`ActivityBodies` leaves msrest's walk over the card out; the body is the same JSON, and
    the activity keeps its card."""
    import json

    from botbuilder.core import TurnContext
    from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
    from botframework.connector.aio import ConnectorClient
    from msrest.authentication import BasicTokenAuthentication

    from adapters.teams.credentials import ActivityBodies
    from adapters.teams.port import card_activity
    from bot.events import Text

    serializer = ConnectorClient(BasicTokenAuthentication({"access_token": "t"}),
                                 base_url="http://connector.example/").conversations._serialize
    message = Message(text="Noted", blocks=(Text("Noted", "heading"), Text("3 calls booked, 1 demo"),
                                            Text("Score 4/5", "muted")))
    activity = card_activity(message)
    TurnContext.apply_conversation_reference(activity, ConversationReference(
        activity_id="1", user=ChannelAccount(id="29:u", name="U"), bot=ChannelAccount(id="28:b", name="B"),
        conversation=ConversationAccount(id="a:dm", tenant_id="t1"), channel_id="msteams",
        service_url="http://connector.example/"))
    card = activity.attachments[0].content
    expected = serializer.body(activity, "Activity")
    body = ActivityBodies(serializer).body(activity, "Activity")
    assert json.dumps(body, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert activity.attachments[0].content is card
    # every kind of value an activity can carry: a timestamp, an enum, entities (msrest drops
    # their extra fields: so does this), channel data, nested lists of models, "" and False
    from datetime import UTC, datetime

    from botbuilder.schema import (
        ActivityTypes,
        CardAction,
        Entity,
        SuggestedActions,
        TextFormatTypes,
    )

    activity.timestamp = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)
    activity.text, activity.text_format, activity.locale = "", TextFormatTypes.plain, "en-US"
    activity.type = ActivityTypes.message
    activity.entities = [Entity().deserialize({"type": "clientInfo", "timezone": "Europe/Lisbon"})]
    activity.channel_data = {"tenant": {"id": "t1"}, "notification": {"alert": False}}
    activity.suggested_actions = SuggestedActions(to=["29:u"], actions=[
        CardAction(type="imBack", title="Yes", value="yes")])
    activity.recipient.role, activity.importance = "user", "normal"
    expected = serializer.body(activity, "Activity")
    body = ActivityBodies(serializer).body(activity, "Activity")
    assert json.dumps(body, sort_keys=True) == json.dumps(expected, sort_keys=True)
    assert body["textFormat"] == "plain" and body["timestamp"].startswith("2026-12-07T09:30:15")


def test_the_access_token_is_reused_for_a_minute_only_while_msal_would_hand_it_out() -> None:
    """A token msal's cache holds with over six minutes left is reused for a minute without
    asking msal; a short-lived one (msal would not reuse it) is asked for every time."""
    import time
    from types import SimpleNamespace

    from adapters.teams.credentials import TOKEN_KEPT_SECONDS, KeptToken

    now = [1000.0]
    entries: list[dict[str, object]] = []
    cache = SimpleNamespace(CredentialType=SimpleNamespace(ACCESS_TOKEN="AccessToken"),
                            search=lambda kind: list(entries))
    asked: list[int] = []

    def fetch() -> str:
        asked.append(1)
        return f"token-{len(asked)}"
    credentials = SimpleNamespace(app=SimpleNamespace(token_cache=cache), get_access_token=fetch)
    kept = KeptToken(credentials, now=lambda: now[0])
    entries.append({"secret": "token-1", "expires_on": str(int(time.time()) + 3599)})
    assert kept() == "token-1" and kept() == "token-1" and len(asked) == 1
    now[0] += TOKEN_KEPT_SECONDS + 1
    entries[:] = [{"secret": "token-2", "expires_on": str(int(time.time()) + 200)}]  # short-lived
    assert kept() == "token-2" and len(asked) == 2
    assert kept() == "token-3" and len(asked) == 3  # not kept: msal would not reuse it either


def test_no_bot_framework_model_declares_constraints_for_msrest_to_validate() -> None:
    """`ActivityBodies` skips msrest's validation walk because no schema model declares a
    constraint: should a botbuilder upgrade add one, this fails and the walk is needed again."""
    import inspect

    import botbuilder.schema
    import botbuilder.schema.teams
    from msrest.serialization import Model

    models = [c for module in (botbuilder.schema, botbuilder.schema.teams)
              for _, c in inspect.getmembers(module, inspect.isclass) if issubclass(c, Model)]
    assert len(models) > 100
    assert [m.__name__ for m in models if getattr(m, "_validation", None)] == []


def test_a_reply_body_skips_msrests_deserializer_walk_and_stays_msrests_json(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """msrest's `body` first makes a deserializer and walks the whole activity to turn plain
    dicts into models; for the bot's own activities (every model-typed value a model) that
    walk changes nothing, and is no longer made - the JSON is still msrest's. A plain dict
    where a model belongs still goes msrest's way."""
    import json

    import msrest.serialization
    from botbuilder.core import TurnContext
    from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
    from botframework.connector.aio import ConnectorClient
    from msrest.authentication import BasicTokenAuthentication

    from adapters.teams.port import card_activity
    from adapters.teams.wire import ActivityBodies
    from bot.events import Text

    serializer = ConnectorClient(BasicTokenAuthentication({"access_token": "t"}),
                                 base_url="http://connector.example/").conversations._serialize
    activity = card_activity(Message(text="Noted", blocks=(Text("Noted", "heading"),)))
    TurnContext.apply_conversation_reference(activity, ConversationReference(
        user=ChannelAccount(id="29:u", name="U"), bot=ChannelAccount(id="28:b", name="B"),
        conversation=ConversationAccount(id="a:dm", tenant_id="t1"), channel_id="msteams",
        service_url="http://connector.example/"))
    expected = json.dumps(serializer.body(activity, "Activity"), sort_keys=True)
    bodies = ActivityBodies(serializer)
    made: list[object] = []
    real = msrest.serialization.Deserializer.__init__

    def counted(self: object, *args: object, **kwargs: object) -> None:
        made.append(self)
        real(self, *args, **kwargs)  # type: ignore[arg-type, no-untyped-call]

    def suggested() -> dict[str, Any]:  # a dict where a model belongs (msrest makes it one)
        return {"to": ["29:u"], "actions": [{"type": "imBack", "title": "Yes", "value": "y"}]}

    monkeypatch.setattr(msrest.serialization.Deserializer, "__init__", counted)
    assert json.dumps(bodies.body(activity, "Activity"), sort_keys=True) == expected
    assert made == []
    activity.suggested_actions = suggested()
    monkeypatch.setattr(msrest.serialization.Deserializer, "__init__", real)
    plain = json.dumps(serializer.body(activity, "Activity"), sort_keys=True)
    activity.suggested_actions = suggested()
    monkeypatch.setattr(msrest.serialization.Deserializer, "__init__", counted)
    assert json.dumps(bodies.body(activity, "Activity"), sort_keys=True) == plain
    assert len(made) == 1  # msrest's own way
