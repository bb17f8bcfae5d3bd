"""What a request to `/slack/events` must look like before bolt and our listeners see it.

Slack signs every request; one that is signed but not shaped like Slack's payloads (not JSON, a
block action without a user or an action, a command without a user) is a bug or an attack, and
gets a 400 naming what is wrong - not a 500 from deep inside a listener, and nothing is stored.
An unsigned or stale request gets 401 before its body is even parsed. Pure functions, no I/O.
The body is parsed once, here, and bolt is handed the result.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, parse_qsl

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.runtime.limits import parse_json

Json = dict[str, Any]
# Interactions that name the person acting (everything the bot listens to does).
_USER_INTERACTIONS = frozenset({"block_actions", "view_submission", "view_closed", "shortcut",
                                "message_action", "block_suggestion"})


def signed(verifier: SignatureVerifier, body: bytes, headers: dict[str, str]) -> bool:
    """Slack's v0 signature over the raw body, within 5 minutes (slack_sdk's verifier)."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    if not timestamp.isdigit():
        return False
    try:
        return verifier.is_valid(body, timestamp, headers.get("x-slack-signature"))
    except UnicodeDecodeError:
        return False


def is_ssl_check(body: bytes, content_type: str) -> bool:
    """Slack's certificate check (`ssl_check=1`), which it may send unsigned: bolt answers it
    with an empty 200 before verifying anything, and it touches nothing."""
    if content_type != "application/x-www-form-urlencoded" or b"ssl_check=" not in body:
        return False  # most bodies: not parsed here (a modal's form is 200 %-escapes per KB)
    try:
        return parse_qs(body.decode("utf-8")).get("ssl_check") == ["1"]
    except UnicodeDecodeError:
        return False


class Malformed(ValueError):
    """A signed body that is not a Slack request the bot can handle; the message says why."""


def read_body(body: bytes, content_type: str) -> tuple[str, Json]:
    """The body as text and as bolt reads it (the event envelope, the interaction payload or the
    slash command's fields), checked; raises Malformed. Parsed once, here: bolt is handed the
    result (`bolt_request`), as a modal's form costs more to decode than the rest of its ack."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    if content_type == "application/json":
        return text, _event_envelope(text)
    if content_type == "application/x-www-form-urlencoded":
        return text, _form(text)
    raise Malformed(f"unexpected content type {content_type!r} (Slack sends JSON or a form)")


def bolt_request(text: str, body: Json, headers: Any, query: str) -> AsyncBoltRequest:
    """Bolt's request for a body `read_body` parsed: what `AsyncBoltRequest(body=text, ...)`
    builds (raw body kept for bolt's signature check), without parsing it again; raises
    Malformed when bolt cannot read the ids in it."""
    request = AsyncBoltRequest(body="", query=query, headers=headers)
    request.raw_body, request.body = text, body
    try:
        request.context = build_async_context(AsyncBoltContext(), body)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        # bolt reads ids out of Slack's shapes (`authorizations[0].team_id`, ...) as if they
        # could not be anything else; here they were.
        raise Malformed(f"the payload's ids are not shaped as Slack's ({type(exc).__name__})") from None
    return request


def _object(text: str, what: str = "the body") -> Json:
    """The JSON object in `text`."""
    try:
        data = parse_json(text)  # bounded depth: a deep body is a 400, not a RecursionError
    except ValueError as exc:
        raise Malformed(str(exc).replace("the body", what, 1)) from None
    if not isinstance(data, dict):
        raise Malformed(f"{what} is not a JSON object")
    return data


def _event_envelope(text: str) -> Json:
    data = _object(text)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise Malformed("no 'type' in the event envelope")
    if kind == "event_callback":
        event = data.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Malformed("an event_callback without an 'event' object and its type")
        if not isinstance(data.get("event_id"), str):
            raise Malformed("an event_callback without an 'event_id'")
    if kind == "url_verification" and not isinstance(data.get("challenge"), str):
        raise Malformed("a url_verification without a 'challenge'")
    return data


def _form(text: str) -> Json:
    """An interaction's payload, or a slash command's fields (the last of a repeated one, as
    bolt takes them)."""
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return _interaction(form["payload"])
    if "command" in form:
        missing = [key for key in ("command", "user_id", "team_id") if not form.get(key)]
        if missing:
            raise Malformed(f"a slash command without {', '.join(missing)}")
        return form
    raise Malformed("a form that is neither a slash command nor an interaction payload")


def _interaction(payload: str) -> Json:
    data = _object(payload, "the payload")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise Malformed("no 'type' in the interaction payload")
    if kind in _USER_INTERACTIONS and not isinstance((data.get("user") or {}).get("id"), str):
        raise Malformed(f"a {kind} payload without 'user.id'")
    if kind == "block_actions":
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions or not all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            raise Malformed("a block_actions payload without actions (each with an action_id)")
    view = data.get("view")
    if kind in ("view_submission", "view_closed") and not (
            isinstance(view, dict) and isinstance(view.get("type"), str)):
        raise Malformed(f"a {kind} payload without a 'view' (and its type)")
    return data


__all__ = ["Malformed", "bolt_request", "is_ssl_check", "read_body", "signed"]
