"""The body is parsed once, before bolt (adapters/slack/intake.py): bolt must see exactly the
request it would have built from the raw body, so its listeners, context and signature check
behave as documented. Checked against the installed bolt, so an upgrade that changes how it
builds requests fails here rather than in production."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest

from adapters.slack.intake import Malformed, bolt_request, form_fields, is_ssl_check, read_body, unquote_form
from tests.support.slack_api import TEAM, block_action, dm_event, slash_command

JSON, FORM = "application/json", "application/x-www-form-urlencoded"
BUTTON = {"type": "button", "action_id": "checkin:open", "value": "f1", "text": {"type": "plain_text",
                                                                                    "text": "Answer"}}
SUBMISSION = {"type": "view_submission", "team": {"id": TEAM, "domain": "acme"},
              "user": {"id": "U0DANA001", "team_id": TEAM}, "api_app_id": "A0APP0001",
              "view": {"type": "modal", "callback_id": "checkin:form", "private_metadata": "{}",
                       "state": {"values": {"strategy": {"answer": {"value": "ünïcode & 100% {json}"}}}}}}
BODIES = {
    "DM event": (json.dumps(dm_event("U0DANA001", "We win on audit readiness", "Ev1", "D0DANA001")), JSON),
    "button": (urlencode({"payload": json.dumps(
        block_action("U0DANA001", BUTTON, "D0DANA001", "1.2", "t1"))}), FORM),
    "modal submission": (urlencode({"payload": json.dumps(SUBMISSION)}), FORM),
    "slash command": (urlencode(slash_command("U0ADA0001", "team add <@U0X> rep", "https://x/y")), FORM),
}


def same_request(ours: AsyncBoltRequest, bolts: AsyncBoltRequest) -> dict[str, tuple[Any, Any]]:
    """What differs between two bolt requests (empty when bolt cannot tell them apart)."""
    fields = ("raw_body", "body", "query", "headers", "content_type", "mode", "lazy_only",
              "lazy_function_name")
    differs = {f: (getattr(ours, f), getattr(bolts, f)) for f in fields
               if getattr(ours, f) != getattr(bolts, f)}
    if dict(ours.context) != dict(bolts.context):
        differs["context"] = (dict(ours.context), dict(bolts.context))
    return differs


@pytest.mark.parametrize("case", list(BODIES))
def test_bolt_sees_the_request_it_would_have_parsed_itself(case: str) -> None:
    text, content_type = BODIES[case]
    headers = {"content-type": content_type, "x-slack-request-timestamp": "1772460999",
               "x-slack-signature": "v0=abc"}
    parsed_text, parsed = read_body(text.encode(), content_type)
    assert parsed_text == text
    ours = bolt_request(parsed_text, parsed, headers, "a=1")
    assert same_request(ours, AsyncBoltRequest(body=text, query="a=1", headers=headers)) == {}
    assert ours.context["team_id"] == TEAM and ours.context.get("user_id")


def test_a_command_that_says_payload_keeps_its_fields() -> None:
    """bolt's own parser takes any form containing "payload" for an interaction (and finds none)."""
    text = urlencode(slash_command("U0ADA0001", "payload", "https://x/y"))
    _, parsed = read_body(text.encode(), FORM)
    assert parsed["command"] == "/align" and parsed["text"] == "payload"
    assert AsyncBoltRequest(body=text, headers={"content-type": FORM}).body == {}


def test_ssl_check_is_recognised_only_as_its_own_field() -> None:
    assert is_ssl_check(b"ssl_check=1&token=x", FORM)
    assert is_ssl_check(b"token=x&ssl_check=1", FORM)
    assert not is_ssl_check(b"ssl_check=0&token=x", FORM)
    assert not is_ssl_check(b"xssl_check=1&token=x", FORM)  # the text alone is not the field
    assert not is_ssl_check(urlencode({"payload": '{"text": "ssl_check=1"}'}).encode(), FORM)
    assert not is_ssl_check(b"ssl_check=1", JSON)


def test_a_body_that_is_not_utf8_is_malformed() -> None:
    with pytest.raises(Malformed, match="not UTF-8"):
        read_body(b"payload=\xff\xfe", FORM)


# What can sit in a form field's text: %-escapes (valid, cut short, not hex, of non-ASCII UTF-8,
# of bytes that are not UTF-8), '+', the separators, backslashes that could pass for escapes of
# their own, and characters beyond ASCII.
FORM_TEXT = st.lists(st.one_of(
    st.sampled_from(["%", "%2", "%22", "%7B", "%7b", "%25", "%2B", "%zz", "%C3%A9", "%C3", "%E2%82",
                     "%ff", "+", "&", "=", "\\", "\\x41", "\\\\", "x41", "a", "0", "é", "\u2603"]),
    st.text(max_size=4)), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(FORM_TEXT)
def test_form_fields_read_as_the_standard_library_does(text: str) -> None:
    assert form_fields(text) == parse_qsl(text, keep_blank_values=True)
    assert unquote_form(text) == unquote_plus(text)


def test_slacks_bodies_are_decoded_in_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """A modal submission's payload (ASCII, every escape whole) never reaches the standard
    library's decoder, which walks its ~600 escapes in Python."""
    text, _ = BODIES["modal submission"]
    expected = read_body(text.encode(), FORM)
    monkeypatch.setattr("adapters.slack.intake.unquote_plus", lambda _: pytest.fail("decoded in Python"))
    assert read_body(text.encode(), FORM) == expected
    assert expected[1]["view"]["state"]["values"]["strategy"]["answer"]["value"] == "ünïcode & 100% {json}"
