"""The kept (de)serializers build and write exactly what msrest's own `deserialize` and
`serialize` do: the same models, attributes, extra properties and errors."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest.serialization import Deserializer

from adapters.teams.wire import ACTIVITIES as KEPT
from adapters.teams.wire import activity_from, address_of, reference_from, reference_of
from tests.adapters.teams import activities as act
from tests.support.mutations import mutated

URL = "https://smba.trafficmanager.net/amer/"
DANA = act.account("29:dana", "Dana")
MSREST = Deserializer(Activity._infer_class_models())
Json = dict[str, Any]


def _message() -> Json:
    return act.message(URL, DANA, "We sell to fintechs", "Europe/Berlin")


ACTIVITIES = [
    _message(), act.installed(URL, DANA, "UTC"), act.installation_update(URL, DANA),
    act.team_installed(URL, DANA), act.channel_message(URL, DANA, "<at>alignbot</at> team list"),
    act.submit(URL, DANA, "card-1", {"action": "checkin:1", "answer:tasks": "Called Ledgerly"}),
    {**_message(), "timestamp": "2026-12-07T10:00:00.123Z", "localTimestamp": "2026-12-07T11:00:00+01:00",
     "expiration": "2026-12-07T10:00:00Z", "somethingNew": {"a": [1]}, "value": [1, 2],
     "from": {**DANA, "email": "dana@acme.example", "userRole": "user"},
     "attachments": [{"contentType": "text/plain", "content": {"a": 1}, "unknown": 1}],
     "membersAdded": [{"id": "29:ed", "name": "Ed", "tenant": "t"}]},
]


def _shape(value: Any) -> Any:
    """A model tree as plain values: class, every attribute (typed) and the extra properties."""
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if hasattr(value, "_attribute_map"):
        return {"class": type(value).__name__,
                "extra": _shape(getattr(value, "additional_properties", None)),
                **{attr: _shape(getattr(value, attr)) for attr in value._attribute_map}}
    return type(value).__name__, value


@pytest.mark.parametrize("body", ACTIVITIES)
def test_activities_and_references_are_msrests(body: Json) -> None:
    expected = MSREST("Activity", copy.deepcopy(body))
    got = activity_from(copy.deepcopy(body))
    assert _shape(got) == _shape(expected)
    assert got.serialize() == expected.serialize()
    reference = TurnContext.get_conversation_reference(expected)
    reference.conversation.tenant_id = "tenant-0001"
    stored = address_of(reference)
    assert stored == json.dumps(reference.serialize(), separators=(",", ":"))
    assert _shape(reference_from(stored)) == _shape(ConversationReference().deserialize(json.loads(stored)))


@pytest.mark.parametrize("change", [{"timestamp": "not a date"}, {"from": "29:dana"},
                                    {"membersAdded": {"id": "29:ed"}}, {"entities": ["clientInfo"]}])
def test_malformed_activities_fail_as_in_msrest(change: Json) -> None:
    body = {**_message(), **change}
    with pytest.raises(ValueError) as expected:
        MSREST("Activity", copy.deepcopy(body))
    with pytest.raises(ValueError) as got:
        activity_from(copy.deepcopy(body))
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)


def _fails(build: Any) -> bool:
    try:
        build()
    except ValueError:  # msrest's DeserializationError
        return True
    return False


@pytest.mark.parametrize("body", ACTIVITIES)
def test_a_message_acked_without_its_model_is_checked_and_referenced_as_msrest_would(body: Json) -> None:
    """A message's ack checks it (`ACTIVITIES.check`) without building msrest's Activity, and
    its work reads its conversation reference from the wire JSON (`reference_of`): the same
    refusals and the same reference as the model would give."""
    KEPT.check("Activity", copy.deepcopy(body))  # no error, as msrest
    expected = TurnContext.get_conversation_reference(MSREST("Activity", copy.deepcopy(body)))
    assert _shape(reference_of(copy.deepcopy(body))) == _shape(expected)


@pytest.mark.parametrize("change", [{"timestamp": "not a date"}, {"from": "29:dana"},
                                    {"membersAdded": {"id": "29:ed"}}, {"entities": ["clientInfo"]},
                                    {"attachments": [{"contentType": "x", "contentUrl": ["y"]}, 3]},
                                    {"expiration": 5}, {"conversation": {"isGroup": "maybe"}}])
def test_the_check_refuses_what_msrest_refuses(change: Json) -> None:
    body = {**_message(), **change}
    assert _fails(lambda: MSREST("Activity", copy.deepcopy(body)))
    assert _fails(lambda: KEPT.check("Activity", copy.deepcopy(body)))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(body=st.sampled_from(ACTIVITIES).flatmap(lambda base: mutated(base, 4)))
def test_the_check_refuses_exactly_what_msrest_refuses(body: Json) -> None:
    """Any field at any depth dropped or replaced by any JSON value: the check fails exactly
    when msrest's deserializer does, and where both accept it the reference is msrest's."""
    refused = _fails(lambda: MSREST("Activity", copy.deepcopy(body)))
    assert _fails(lambda: KEPT.check("Activity", copy.deepcopy(body))) == refused
    if not refused:
        expected = TurnContext.get_conversation_reference(MSREST("Activity", copy.deepcopy(body)))
        assert _shape(reference_of(copy.deepcopy(body))) == _shape(expected)
