"""What a request to `/slack/events` must look like before bolt and our listeners see it.

Slack signs every request; one that is signed but not shaped like Slack's payloads (not JSON, a
block action without a user or an action, a command without a user) is a bug or an attack, and
gets a 400 naming what is wrong - not a 500 from deep inside a listener, and nothing is stored.
An unsigned or stale request gets 401 before its body is even parsed. Pure functions, no I/O.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

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
    if content_type != "application/x-www-form-urlencoded":
        return False
    try:
        return parse_qs(body.decode("utf-8")).get("ssl_check") == ["1"]
    except UnicodeDecodeError:
        return False


def problem(body: bytes, content_type: str) -> str | None:
    """Why a signed body is not a Slack request the bot can handle, or None when it is."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8"
    if content_type == "application/json":
        return _json_problem(text)
    if content_type == "application/x-www-form-urlencoded":
        return _form_problem(text)
    return f"unexpected content type {content_type!r} (Slack sends JSON or a form)"


def _object(text: str, what: str = "the body") -> Json | str:
    """The JSON object in `text`, or why there is none."""
    try:
        data = json.loads(text)
    except ValueError:
        return f"{what} is not valid JSON"
    return data if isinstance(data, dict) else f"{what} is not a JSON object"


def _json_problem(text: str) -> str | None:
    data = _object(text)
    if isinstance(data, str):
        return data
    kind = data.get("type")
    if not isinstance(kind, str):
        return "no 'type' in the event envelope"
    if kind == "event_callback":
        event = data.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return "an event_callback without an 'event' object and its type"
        if not isinstance(data.get("event_id"), str):
            return "an event_callback without an 'event_id'"
    if kind == "url_verification" and not isinstance(data.get("challenge"), str):
        return "a url_verification without a 'challenge'"
    return None


def _form_problem(text: str) -> str | None:
    form = parse_qs(text, keep_blank_values=True)
    if "ssl_check" in form:
        return None
    if "payload" in form:
        return _interaction_problem(form["payload"][0])
    if "command" in form:
        missing = [key for key in ("command", "user_id", "team_id") if not (form.get(key) or [""])[0]]
        return f"a slash command without {', '.join(missing)}" if missing else None
    return "a form that is neither a slash command nor an interaction payload"


def _interaction_problem(payload: str) -> str | None:
    data = _object(payload, "the payload")
    if isinstance(data, str):
        return data
    kind = data.get("type")
    if not isinstance(kind, str):
        return "no 'type' in the interaction payload"
    if kind in _USER_INTERACTIONS and not isinstance((data.get("user") or {}).get("id"), str):
        return f"a {kind} payload without 'user.id'"
    if kind == "block_actions":
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions or not all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "a block_actions payload without actions (each with an action_id)"
    view = data.get("view")
    if kind in ("view_submission", "view_closed") and not (
            isinstance(view, dict) and isinstance(view.get("type"), str)):
        return f"a {kind} payload without a 'view' (and its type)"
    return None


__all__ = ["is_ssl_check", "problem", "signed"]
