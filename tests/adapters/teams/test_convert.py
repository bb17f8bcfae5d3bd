"""Teams activity JSON -> core events, as pure functions on recorded payload shapes."""

from __future__ import annotations

from adapters.teams.convert import (
    BareCommands,
    bot_added,
    client_timezone,
    contact_info,
    joined_accounts,
    message_event,
    normalize_text,
    sender_info,
    tenant_id,
)
from bot.events import ActionInvoked, CommandInvoked, MessageRef, UserMessage
from tests.adapters.teams import activities as act
from tests.support.bot_connector import BOT_ID

URL = "https://smba.trafficmanager.net/amer/"
DANA = act.account("29:dana", "Dana")
BARE = BareCommands(frozenset({"help", "team list", "me"}), frozenset({"team add", "team list"}))


def test_personal_text_is_an_answer_unless_it_is_a_command() -> None:
    answer = message_event(act.message(URL, DANA, "  We sell to fintechs  "), BARE)
    assert isinstance(answer, UserMessage) and answer.text == "We sell to fintechs"
    assert answer.member.user_id == "29:dana" and answer.event_id and answer.channel == "a:dm-29:dana"
    assert isinstance(message_event(act.message(URL, DANA, "/align team list"), BARE), UserMessage)
    # (the core turns "/align ..." and "align ..." typed as a message into a command itself)
    for text in ("help", "Team List", "team add dana@acme.example rep"):
        event = message_event(act.message(URL, DANA, text), BARE)
        assert isinstance(event, CommandInvoked) and event.text == text
    for text in ("me and my team mapped the committee", "helpful calls", "team"):
        assert isinstance(message_event(act.message(URL, DANA, text), BARE), UserMessage)


def test_channel_mentions_are_stripped_and_everything_is_a_command() -> None:
    event = message_event(act.channel_message(URL, DANA, "team list"), BARE)
    assert isinstance(event, CommandInvoked) and event.text == "team list"
    event = message_event(act.channel_message(URL, DANA, "align ask now reps"), BARE)
    assert isinstance(event, CommandInvoked) and event.text == "ask now reps"
    event = message_event(act.channel_message(URL, DANA, "/align help"), BARE)
    assert isinstance(event, CommandInvoked) and event.text == "help"


def test_other_peoples_mentions_become_their_user_id() -> None:
    text = "<at>alignbot</at> team add <at>Lee Park</at> rep"
    entities = [
        {"type": "mention", "text": "<at>alignbot</at>", "mentioned": {"id": BOT_ID, "name": "alignbot"}},
        {"type": "mention", "text": "<at>Lee Park</at>", "mentioned": {"id": "29:lee", "name": "Lee Park"}}]
    assert normalize_text(text, entities, BOT_ID) == "team add 29:lee rep"
    assert normalize_text("fintech &amp; banks<br/>not gov", None, BOT_ID) == "fintech & banks not gov"


def test_card_submit_becomes_action_with_the_cards_reference() -> None:
    data = {"alignbot_action": "checkin:3", "answer:strategy": "We win", "answer:tasks": "",
            "answer:scope": None}
    event = message_event(act.submit(URL, DANA, "1:card-9", data), BARE)
    assert isinstance(event, ActionInvoked)
    assert event.action_id == "checkin:3" and event.value == ""
    assert event.values == {"strategy": "We win", "tasks": "", "scope": ""}
    assert event.message == MessageRef("teams", "a:dm-29:dana", "1:card-9")
    pressed = message_event(act.submit(URL, DANA, "1:card-10", {"alignbot_action": "lead:snooze:7",
                                                                 "alignbot_value": "1d"}), BARE)
    assert isinstance(pressed, ActionInvoked)
    assert (pressed.action_id, pressed.value) == ("lead:snooze:7", "1d")
    # a value that is not ours (another app's card, a malformed submit) is not an action
    assert message_event(act.submit(URL, DANA, "1:x", {"action": "x"}), BARE) is None


def test_nothing_from_bots_or_empty_messages() -> None:
    bot = {"id": "28:other", "name": "bot", "role": "bot"}
    assert message_event(act.message(URL, bot, "hi"), BARE) is None
    assert message_event(act.message(URL, DANA, "   "), BARE) is None
    assert message_event(act.activity("typing", URL, DANA, act.personal("29:dana")), BARE) is None


def test_profiles_time_zone_and_tenant() -> None:
    activity = act.message(URL, DANA, "hi", timezone="America/New_York")
    assert client_timezone(activity) == "America/New_York" and tenant_id(activity) == "tenant-0001"
    info = sender_info(activity)
    assert info is not None and (info.user_id, info.external_id, info.timezone) == (
        "29:dana", "aad-dana", "America/New_York")
    upn_only = contact_info({"id": "29:x", "name": "X", "userPrincipalName": "x@acme.example"})
    assert upn_only.email == "x@acme.example"
    assert contact_info({"id": "29:y", "userPrincipalName": "no-at-sign"}).email is None


def test_who_became_reachable() -> None:
    personal = act.installed(URL, DANA)
    assert bot_added(personal) and joined_accounts(personal) == []  # only the bot was added
    update = act.installation_update(URL, DANA)
    assert bot_added(update) and joined_accounts(update) == [DANA]
    joined = act.activity("conversationUpdate", URL, DANA, act.channel(),
                          membersAdded=[{"id": "29:new"}, {"id": BOT_ID}])
    assert [a["id"] for a in joined_accounts(joined)] == ["29:new"] and bot_added(joined)
    removed = act.activity("installationUpdate", URL, DANA, act.personal("29:dana"), action="remove")
    assert not bot_added(removed) and joined_accounts(removed) == []
