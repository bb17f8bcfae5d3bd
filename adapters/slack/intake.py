"""What a request to `/slack/events` must look like before bolt and our listeners see it.

Slack signs every request; one that is signed but not shaped like Slack's payloads (not JSON, a
block action without a user or an action, a command without a user) is a bug or an attack, and
gets a 400 naming what is wrong - not a 500 from deep inside a listener, and nothing is stored.
An unsigned or stale request gets 401 before its body is even parsed. Pure functions, no I/O.
The body is parsed once, here, and bolt is handed the result.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote_plus

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


# What the listeners and converters read (`convert.py`, `port.profile`), by type: a signed body
# with a list where Slack sends an object would otherwise fail deep in a listener, after the ack.
Shape = dict[str, Any]
_NAMES = {"display_name": str, "real_name": str, "email": str}
_WHO: Shape = {"team_id": str, "enterprise_id": str, "trigger_id": str, "team": {"id": str},
               "enterprise": {"id": str}, "user": {"id": str, "team_id": str}}
_INTERACTION: Shape = {**_WHO, "channel": {"id": str}, "message": {"ts": str},
                       "container": {"channel_id": str, "message_ts": str, "is_ephemeral": bool},
                       "view": {"id": str, "hash": str, "callback_id": str, "private_metadata": str,
                                "state": {"values": dict}}}
_PERSON: Shape = {"id": str, "name": str, "real_name": str, "tz": str, "profile": _NAMES}
_EVENT: Shape = {"type": str, "channel_type": str, "channel": str, "subtype": str, "bot_id": str,
                 "thread_ts": str, "text": str, "tab": str, "tokens": {"bot": list}}


def _shape_problem(data: Any, shape: Shape, where: str = "") -> str | None:
    """The first field of `data` that is not of the type `shape` gives it (absent is fine)."""
    for key, expected in shape.items():
        value = data.get(key)
        if value is None:
            continue
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                return f"'{where}{key}' is not an object"
            if (problem := _shape_problem(value, expected, f"{where}{key}.")) is not None:
                return problem
        elif not isinstance(value, expected):
            return f"'{where}{key}' is not a {expected.__name__}"
    return None


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
    problem = _shape_problem(data, {**_WHO, "event_id": str})
    event = data.get("event")
    if problem is None and isinstance(event, dict):
        problem = _shape_problem(event, _EVENT, "event.")
        person = event.get("user")
        if problem is None and not isinstance(person, str | None):
            problem = "'event.user' is neither a user id nor a user" if not isinstance(person, dict) else (
                _shape_problem(person, _PERSON, "event.user.")
                or (None if isinstance(person.get("id"), str) and isinstance(person.get("name"), str)
                    else "'event.user' without its id and name"))
    if problem is not None:
        raise Malformed(problem)
    return data


# CPython's C decoder of backslash escapes (`codecs.escape_decode`, what `bytes` literals and
# pickle use); undocumented, so looked up, with the standard library's decoder as the fallback.
_ESCAPE_DECODE: Callable[[bytes], tuple[bytes, int]] | None = getattr(codecs, "escape_decode", None)


def unquote_form(text: str) -> str:
    """`urllib.parse.unquote_plus(text)`, in C for what Slack sends. A modal submission's payload
    is a few kilobytes of JSON with a %-escape for every quote, colon and brace (about 600 in the
    bench's check-in form), which the standard library decodes one escape at a time in Python:
    about 100 us of a 0.5 ms ack, paid again for each of 200 reps pressing Save at once. Each
    `%XX` becomes `\\xXX` (backslashes doubled first, so none of the text's own can start an
    escape) and CPython's C escape decoder does the rest. Text with anything but ASCII, or a
    `%` without two hex digits after it, goes to the standard library, which decides those
    cases (Slack's bodies have neither)."""
    if "%" not in text:
        return text.replace("+", " ")
    if _ESCAPE_DECODE is None or not text.isascii():
        return unquote_plus(text)
    escaped = text.encode("ascii").replace(b"\\", b"\\\\").replace(b"+", b" ").replace(b"%", b"\\x")
    try:
        return _ESCAPE_DECODE(escaped)[0].decode("utf-8", "replace")
    except ValueError:  # "invalid \x escape": a '%' the standard library leaves as it is
        return unquote_plus(text)


def form_fields(text: str) -> list[tuple[str, str]]:
    """`urllib.parse.parse_qsl(text, keep_blank_values=True)`, decoding with `unquote_form`:
    the same fields, in order (a field without '=' has the value "", empty ones are skipped)."""
    fields = []
    for field in text.split("&") if text else ():
        if not field:
            continue
        name, _, value = field.partition("=")
        fields.append((unquote_form(name), unquote_form(value)))
    return fields


def _form(text: str) -> Json:
    """An interaction's payload, or a slash command's fields (the last of a repeated one, as
    bolt takes them)."""
    form = dict(form_fields(text))
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
    if (problem := _shape_problem(data, _INTERACTION)) is not None:
        raise Malformed(problem)
    if kind in _USER_INTERACTIONS and not isinstance((data.get("user") or {}).get("id"), str):
        raise Malformed(f"a {kind} payload without 'user.id'")
    if kind == "block_actions":
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions or not all(
                isinstance(a, dict) and isinstance(a.get("action_id"), str)
                and isinstance(a.get("value"), str | None) for a in actions):
            raise Malformed("a block_actions payload without actions (each with an action_id)")
    view = data.get("view")
    if kind in ("view_submission", "view_closed") and not (
            isinstance(view, dict) and isinstance(view.get("type"), str)):
        raise Malformed(f"a {kind} payload without a 'view' (and its type)")
    inputs = ((view or {}).get("state") or {}).get("values") or {} if isinstance(view, dict) else {}
    if not all(isinstance(actions, dict) and all(
            isinstance(answer, dict) and isinstance(answer.get("value"), str | None)
            for answer in actions.values()) for actions in inputs.values()):
        raise Malformed("a view whose inputs ('view.state.values') are not shaped as Slack's")
    return data


__all__ = ["Malformed", "bolt_request", "form_fields", "is_ssl_check", "read_body", "signed", "unquote_form"]
