"""Slack payloads -> the core's events, as pure functions (tested with recorded JSON shapes)."""

from __future__ import annotations

import html
import re
from typing import Any

from adapters.slack.blocks import ANSWER_ACTION, CHOOSE_ACTION
from bot.events import ActionInvoked, CommandInvoked, MemberRef, MessageRef, UserMessage
from bot.people.installations import Workspace

PLATFORM = "slack"
Json = dict[str, Any]

# <@U123>, <@U123|dana>; <mailto:dana@x.com|dana@x.com>
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_MAILTO = re.compile(r"<mailto:([^|>]+)(?:\|[^>]*)?>")
# Message subtypes that are a person writing; others (edits, joins, bot posts) are not answers.
_PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}


def member(user_id: str) -> MemberRef:
    return MemberRef(PLATFORM, user_id)


def normalize_text(text: str) -> str:
    """Slack's escaped mentions and links as the plain references the core understands:
    `<@U123|dana>` -> `U123` (a user id the directory and `lookup` resolve), mailto links -> the
    address, and `&lt;` `&gt;` `&amp;` back to characters."""
    text = _USER_MENTION.sub(r"\1", text)
    text = _MAILTO.sub(r"\1", text)
    return html.unescape(text)


def command_event(body: Json) -> CommandInvoked:
    """A slash command (form-encoded fields, parsed by bolt) as the core's CommandInvoked. Its
    `trigger_id` (unique per invocation) is the event id, so the core runs a signed request
    replayed inside Slack's 5-minute window once."""
    trigger = body.get("trigger_id")
    return CommandInvoked(member(body["user_id"]), normalize_text(body.get("text") or ""),
                          channel=body.get("channel_id") or "",
                          event_id=f"command:{trigger}"[:200] if isinstance(trigger, str) and trigger
                          else None, raw=body)


def message_event(body: Json) -> UserMessage | None:
    """A DM a person typed to the bot, or None for anything else (channels, edits, bot posts)."""
    event: Json = body.get("event") or {}
    if event.get("type") != "message" or event.get("channel_type") != "im":
        return None
    if event.get("subtype") not in _PERSON_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return None
    return UserMessage(member(event["user"]), normalize_text(event.get("text") or ""),
                       channel=event.get("channel") or "", event_id=body.get("event_id"), raw=body)


def reply_thread(body: Json) -> str | None:
    """The thread a reply to this DM belongs in: the person's thread, if they wrote in one."""
    event: Json = body.get("event") or {}
    thread = event.get("thread_ts")
    return str(thread) if thread else None


def action_message(body: Json) -> MessageRef | None:
    """The message whose button was pressed (block_actions payload)."""
    container: Json = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    ts = (body.get("message") or {}).get("ts") or container.get("message_ts")
    return MessageRef(PLATFORM, channel, ts) if channel and ts else None


def workspace_of(body: Json) -> Workspace | None:
    """The workspace (team) and org (enterprise) a request comes from, in any payload shape:
    slash commands and events carry `team_id`, interactions `team.id`."""
    team = (body.get("team_id") or (body.get("team") or {}).get("id")
            or (body.get("user") or {}).get("team_id"))
    org = body.get("enterprise_id") or (body.get("enterprise") or {}).get("id")
    return Workspace(str(team), str(org) if org else None) if team else None


def action_event(body: Json) -> ActionInvoked:
    """A button press (block_actions) as the core's ActionInvoked, with the message it was on,
    so the core can update that message in place (a nudge marked done, snoozed...)."""
    action: Json = body["actions"][0]
    trigger = body.get("trigger_id")  # unique per press: a replayed request is run once
    return ActionInvoked(member(body["user"]["id"]), action["action_id"], action.get("value") or "",
                         message=action_message(body),
                         event_id=f"action:{trigger}"[:200] if isinstance(trigger, str) and trigger
                         else None, raw=body)


def action_thread(body: Json) -> MessageRef | None:
    """Where replies to a button press belong: the thread of the message it was on (a button on
    feedback in a check-in's thread), else under that message (a check-in invitation)."""
    where = action_message(body)
    if where is None:
        return None
    thread = (body.get("message") or {}).get("thread_ts") or (body.get("container") or {}).get("thread_ts")
    return MessageRef(PLATFORM, where.channel, str(thread)) if thread else where


def submission_id(body: Json) -> str | None:
    """A modal submission's identity: the view's id and hash (a new hash whenever the view is
    opened or updated), else its trigger id. A signed submission replayed inside Slack's 5-minute
    window has the same one, so the core stores its answers once (see `bot.storage.replays`)."""
    view: Json = body.get("view") or {}
    view_id, version = view.get("id"), view.get("hash")
    if isinstance(view_id, str) and view_id and isinstance(version, str) and version:
        return f"view:{view_id}:{version}"[:200]
    trigger = body.get("trigger_id")
    return f"view:{trigger}"[:200] if isinstance(trigger, str) and trigger else None


def form_values(view: Json) -> dict[str, str]:
    """A submitted modal's inputs by field id (the block_id): typed text, or the chosen options'
    values joined by commas; an empty input or no choice as ""."""
    values: dict[str, str] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        actions = actions or {}
        if CHOOSE_ACTION in actions:
            chosen = actions[CHOOSE_ACTION] or {}
            options = chosen.get("selected_options")
            if options is None:  # a single-choice menu
                options = [chosen["selected_option"]] if chosen.get("selected_option") else []
            values[block_id] = ",".join(str(o.get("value") or "") for o in options if o)
        else:
            answer = actions.get(ANSWER_ACTION) or {}
            values[block_id] = answer.get("value") or ""
    return values


def typed_fields(view: Json) -> list[str]:
    """The modal's free-text inputs (a check-in's questions), in order: only those must not all
    be left empty - choosing nothing in a pick-list is an answer ("none of these")."""
    return [str(b.get("block_id")) for b in view.get("blocks") or []
            if b.get("type") == "input" and (b.get("element") or {}).get("type") == "plain_text_input"]


__all__ = ["PLATFORM", "action_event", "action_message", "action_thread", "command_event", "form_values",
           "member", "message_event", "normalize_text", "reply_thread", "submission_id", "typed_fields",
           "workspace_of"]
