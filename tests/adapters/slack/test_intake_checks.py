"""What Slack's request checks let through (adapters/slack/intake.py), with slack_sdk's real
verifier on a fixed clock: a signed request is taken only with a numeric timestamp of the last five
minutes, and a signed body that is not shaped like Slack's payloads is refused with its reason
(the endpoint answers 401 and 400; tests/adapters/slack/test_requests.py checks those over HTTP)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from adapters.slack.intake import Malformed, is_ssl_check, read_body, signed

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_780_000_000
JSON, FORM = "application/json", "application/x-www-form-urlencoded"


class FixedClock(Clock):
    def now(self) -> float:
        return float(NOW)


VERIFIER = SignatureVerifier(SECRET, clock=FixedClock())


def headers(body: bytes, timestamp: str | int = NOW, *, sign_with: str | int | None = None
            ) -> dict[str, str]:
    stamp = str(timestamp)
    signature = VERIFIER.generate_signature(timestamp=str(sign_with or stamp), body=body)
    assert signature is not None
    return {"x-slack-request-timestamp": stamp, "x-slack-signature": signature}


BODY = b'{"type": "event_callback"}'


def test_a_request_signed_now_or_within_five_minutes_is_taken() -> None:
    assert signed(VERIFIER, BODY, headers(BODY))
    assert signed(VERIFIER, BODY, headers(BODY, NOW - 300))
    assert not signed(VERIFIER, BODY, headers(BODY, NOW - 301))  # a replay of an old request


def test_a_signature_without_a_usable_timestamp_is_refused() -> None:
    good = headers(BODY)
    assert not signed(VERIFIER, BODY, {"x-slack-signature": good["x-slack-signature"]})
    for stamp in ("", "soon", f"{NOW}.0", f"-{NOW}", f" {NOW}"):
        assert not signed(VERIFIER, BODY, {**headers(BODY, sign_with=NOW),
                                           "x-slack-request-timestamp": stamp}), stamp


def test_a_wrong_or_missing_signature_is_refused() -> None:
    assert not signed(VERIFIER, BODY, {"x-slack-request-timestamp": str(NOW)})
    assert not signed(VERIFIER, BODY + b" ", headers(BODY))  # the body was changed
    other = SignatureVerifier("another-secret", clock=FixedClock())
    assert not signed(other, BODY, headers(BODY))


def test_a_body_that_is_not_utf8_is_refused_not_an_error() -> None:
    body = b"\xff\xfe not utf-8"
    assert not signed(VERIFIER, body, {"x-slack-request-timestamp": str(NOW),
                                       "x-slack-signature": "v0=00"})


def test_ssl_check_only_as_a_form_field_set_to_one() -> None:
    assert is_ssl_check(b"ssl_check=1&token=x", FORM)
    assert not is_ssl_check(b"ssl_check=0", FORM)
    assert not is_ssl_check(b"ssl_check=1", JSON)
    assert not is_ssl_check(b"ssl_check=1", "text/plain")
    assert not is_ssl_check(b"text=ssl_check%3D1", FORM)
    assert not is_ssl_check(b"ssl_check=1&\xff", FORM)


def form(**fields: str) -> bytes:
    return urlencode(fields).encode()


def payload(data: object) -> bytes:
    return form(payload=json.dumps(data))


USER = {"id": "U0DANA001"}
COMMAND = {"command": "/align", "user_id": "U0DANA001", "team_id": "T0TEAM001", "text": "help"}


@pytest.mark.parametrize(("body", "content_type", "reason"), [
    (b"<xml/>", "text/xml", "unexpected content type 'text/xml' (Slack sends JSON or a form)"),
    (b"{}", "application/ecmascript",
     "unexpected content type 'application/ecmascript' (Slack sends JSON or a form)"),
    (b"a=1", "application/octet-stream",
     "unexpected content type 'application/octet-stream' (Slack sends JSON or a form)"),
    (b"{not json", JSON, "the body is not valid JSON"),
    (b"[1, 2]", JSON, "the body is not a JSON object"),
    (b'{"event": {}}', JSON, "no 'type' in the event envelope"),
    (b'{"type": "event_callback", "event_id": "Ev1"}', JSON,
     "an event_callback without an 'event' object and its type"),
    (b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": 7}}', JSON,
     "an event_callback without an 'event' object and its type"),
    (b'{"type": "event_callback", "event": {"type": "message"}}', JSON,
     "an event_callback without an 'event_id'"),
    (b'{"type": "url_verification"}', JSON, "a url_verification without a 'challenge'"),
    (form(**{**COMMAND, "team_id": ""}), FORM, "a slash command without team_id"),
    (form(command="/align", text="x"), FORM, "a slash command without user_id, team_id"),
    (form(text="hello"), FORM, "a form that is neither a slash command nor an interaction payload"),
    (form(payload="{oops"), FORM, "the payload is not valid JSON"),
    (payload({"user": USER}), FORM, "no 'type' in the interaction payload"),
    (payload({"type": "shortcut", "user": {}}), FORM, "a shortcut payload without 'user.id'"),
    (payload({"type": "block_actions", "user": USER}), FORM,
     "a block_actions payload without actions (each with an action_id)"),
    (payload({"type": "block_actions", "user": USER, "actions": []}), FORM,
     "a block_actions payload without actions (each with an action_id)"),
    (payload({"type": "block_actions", "user": USER, "actions": [{"action_id": "a"}, {}]}), FORM,
     "a block_actions payload without actions (each with an action_id)"),
    (payload({"type": "view_submission", "user": USER}), FORM,
     "a view_submission payload without a 'view' (and its type)"),
    (payload({"type": "view_closed", "user": USER, "view": {"id": "V1"}}), FORM,
     "a view_closed payload without a 'view' (and its type)"),
])
def test_a_signed_body_not_shaped_like_slacks_is_refused_with_its_reason(
        body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(Malformed) as refused:
        read_body(body, content_type)
    said = str(refused.value)  # the reason, then (for JSON) where the parser stopped
    assert said == reason or (reason.endswith("not valid JSON") and said.startswith(reason + ": "))


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"type": "url_verification", "challenge": "c"}', JSON),
    (b'{"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}}', JSON),
    (b'{"type": "app_rate_limited"}', JSON),
    (form(**COMMAND), FORM),
    (payload({"type": "block_actions", "user": USER, "actions": [{"action_id": "a"}]}), FORM),
    (payload({"type": "view_closed", "user": USER, "view": {"type": "modal"}}), FORM),
    (payload({"type": "interactive_message"}), FORM),  # names no person: not ours to require
    # types Slack may add later are bolt's to ignore, whatever they sort next to
    (b'{"type": "workspace_event"}', JSON), (payload({"type": "attachment_preview"}), FORM),
])
def test_well_formed_bodies_are_read(body: bytes, content_type: str) -> None:
    text, data = read_body(body, content_type)
    assert text == body.decode()
    assert isinstance(data, dict) and data


def test_a_slash_command_with_no_text_keeps_its_empty_text() -> None:
    """`/align` alone: the listeners read the command's text, empty rather than missing."""
    _, data = read_body(form(**{**COMMAND, "text": ""}), FORM)
    assert data["text"] == ""
