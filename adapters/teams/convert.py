"""Teams activities (the JSON Bot Framework posts) -> the core's events, as pure functions.

They work on the activity's wire JSON (camelCase, as recorded from Teams), so they are tested with
recorded payloads and do not depend on botbuilder's classes.

Commands: in a personal chat `/align team list` and `align team list` are commands (the core
recognises both), and so is a bare command from the manifest's command menu: a command that takes
no arguments typed alone ("team list", "help"), or a two-word command followed by its arguments
("team add Dana rep"). Anything else is an answer. In a channel or group chat the bot only hears
messages that @mention it: the mention is removed and the rest is always a command.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Any

from adapters.teams.cards import ACTION_KEY, CHOICE_PREFIX, FIELDS_KEY, INPUT_PREFIX, VALUE_KEY
from bot.commands.strategy import is_strategy_upload
from bot.core import command_text
from bot.events import ActionInvoked, CommandInvoked, MemberRef, MessageRef, UserMessage
from bot.people.contacts import ContactInfo
from bot.text import strip_controls

PLATFORM = "teams"
Json = dict[str, Any]
TeamsEvent = UserMessage | CommandInvoked | ActionInvoked

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def member(user_id: str) -> MemberRef:
    return MemberRef(PLATFORM, user_id)


def conversation_type(activity: Json) -> str:
    """personal | groupChat | channel (Teams' `conversation.conversationType`)."""
    return str((activity.get("conversation") or {}).get("conversationType") or "personal")


def is_personal(activity: Json) -> bool:
    return conversation_type(activity) == "personal"


def normalize_text(text: str, entities: list[Json] | None, bot_id: str) -> str:
    """The typed text without the bot's @mention; other people's mentions become their user id
    (what `lookup` resolves), leftover markup is dropped and entities are unescaped."""
    for entity in entities or []:
        if entity.get("type") != "mention":
            continue
        mentioned = entity.get("mentioned") or {}
        shown = entity.get("text") or ""
        if not shown:
            continue
        replacement = "" if mentioned.get("id") == bot_id else f" {mentioned.get('id', '')} "
        text = text.replace(shown, replacement)
    text = html.unescape(_TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()


def _values(value: Json, action_id: str) -> dict[str, str]:
    """The submitted inputs by field id. A ChoiceForm's Save (its data lists its fields) sends only
    its own pick-lists, each as the chosen values joined by commas ("" for one left with nothing
    chosen, which Teams leaves out); any other submit the card's text inputs."""
    fields = value.get(FIELDS_KEY)
    if isinstance(fields, list):
        picks = {str(f): "" for f in fields}
        for key, v in value.items():
            form, _, field = key.removeprefix(CHOICE_PREFIX).rpartition("|")
            if key.startswith(CHOICE_PREFIX) and form == action_id and field in picks:
                picks[field] = "" if v is None else str(v)
        return picks
    return {key[len(INPUT_PREFIX):]: "" if v is None else str(v)
            for key, v in value.items() if key.startswith(INPUT_PREFIX)}


def card_action(activity: Json) -> ActionInvoked | None:
    """An Action.Submit from one of our cards: a message activity whose `value` carries the
    action id (and the card's inputs); `replyToId` is the card's own activity id."""
    value = activity.get("value")
    if not isinstance(value, dict) or not isinstance(value.get(ACTION_KEY), str):
        return None
    conversation = str((activity.get("conversation") or {}).get("id") or "")
    card_id = activity.get("replyToId")
    where = MessageRef(PLATFORM, conversation, str(card_id)) if conversation and card_id else None
    return ActionInvoked(member(_sender(activity)), value[ACTION_KEY], str(value.get(VALUE_KEY) or ""),
                         values=_values(value, value[ACTION_KEY]), message=where,
                         event_id=activity.get("id"), raw=activity)


@dataclass(frozen=True)
class BareCommands:
    """Which texts are commands without `/align`: `exact` titles alone, `prefixes` + arguments."""

    exact: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()

    def match(self, text: str) -> bool:
        lowered = text.lower()
        return lowered in self.exact or lowered.startswith(self._starts)

    @functools.cached_property
    def _starts(self) -> tuple[str, ...]:
        """Each prefix and the space after it, for one `str.startswith` (on every message)."""
        return tuple(p + " " for p in self.prefixes)


def message_event(activity: Json, bare: BareCommands) -> TeamsEvent | None:
    """What a message activity means to the core, or None if nothing (empty, from a bot)."""
    if activity.get("type") != "message" or not _sender(activity):
        return None
    if (action := card_action(activity)) is not None:
        return action
    bot_id = str((activity.get("recipient") or {}).get("id") or "")
    text = normalize_text(str(activity.get("text") or ""), activity.get("entities"), bot_id)
    who, channel, event_id = member(_sender(activity)), _conversation_id(activity), activity.get("id")
    if not is_personal(activity):
        typed = command_text(text)
        return CommandInvoked(who, typed if typed is not None else text, channel=channel,
                              event_id=event_id, raw=activity)
    if bare.match(text):
        return CommandInvoked(who, text, channel=channel, event_id=event_id, raw=activity)
    if not text and not shared_files(activity):
        return None
    return UserMessage(who, text, channel=channel, event_id=event_id, raw=activity)


FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"


def shared_files(activity: Json) -> list[tuple[str, str]]:
    """(name, pre-authenticated download URL) of the strategy YAML files a person attached in
    the personal chat; other attachments (cards, images) are not ours to fetch."""
    found = []
    for attachment in activity.get("attachments") or []:
        if not isinstance(attachment, dict) or attachment.get("contentType") != FILE_DOWNLOAD_INFO:
            continue
        name, url = str(attachment.get("name") or ""), (attachment.get("content") or {}).get("downloadUrl")
        if isinstance(url, str) and url.startswith(("https://", "http://")) and is_strategy_upload(name):
            found.append((name, url))
    return found


def client_timezone(activity: Json) -> str | None:
    """The IANA zone Teams' client reports in the activity's `clientInfo` entity, if any."""
    for entity in activity.get("entities") or []:
        if entity.get("type") == "clientInfo" and entity.get("timezone"):
            return str(entity["timezone"])
    return None


def tenant_id(activity: Json) -> str | None:
    channel_data: Json = activity.get("channelData") or {}
    conversation: Json = activity.get("conversation") or {}
    tenant = (channel_data.get("tenant") or {}).get("id") or conversation.get("tenantId")
    return str(tenant) if tenant else None


def contact_info(account: Json, timezone: str | None = None) -> ContactInfo:
    """A Teams account (ChannelAccount / TeamsChannelAccount JSON) as contact details."""
    email = account.get("email") or None
    upn = account.get("userPrincipalName") or ""
    if not email and "@" in upn:
        email = upn
    return ContactInfo(PLATFORM, str(account["id"]), name=strip_controls(str(account.get("name") or "")),
                       email=strip_controls(str(email)) if email else None, timezone=timezone,
                       external_id=account.get("aadObjectId") or account.get("objectId") or None)


def sender_info(activity: Json) -> ContactInfo | None:
    """The person who sent this activity, with the time zone their client reported."""
    sender = activity.get("from") or {}
    if not sender.get("id") or sender.get("role") == "bot":
        return None
    return contact_info(sender, client_timezone(activity))


def joined_accounts(activity: Json) -> list[Json]:
    """People (not the bot) the activity says can now be reached: conversationUpdate's
    membersAdded, or whoever installed the app (installationUpdate "add")."""
    bot_id = (activity.get("recipient") or {}).get("id")
    kind = activity.get("type")
    if kind == "conversationUpdate":
        return [m for m in activity.get("membersAdded") or [] if m.get("id") and m.get("id") != bot_id]
    if kind == "installationUpdate" and str(activity.get("action") or "").startswith("add"):
        sender = activity.get("from") or {}
        return [sender] if sender.get("id") else []
    return []


def bot_added(activity: Json) -> bool:
    """The bot itself was added to a conversation (installed in a team, chat or personally)."""
    bot_id = (activity.get("recipient") or {}).get("id")
    if activity.get("type") == "installationUpdate":
        return str(activity.get("action") or "").startswith("add")
    return any(m.get("id") == bot_id for m in activity.get("membersAdded") or [])


def uninstalled_personally(activity: Json) -> str | None:
    """The user id of someone who removed the app from their personal scope, else None."""
    removed = str(activity.get("action") or "").startswith("remove")
    if activity.get("type") == "installationUpdate" and removed and is_personal(activity):
        return _sender(activity) or None
    return None


_TEXTS = ("id", "type", "text", "action", "replyToId", "serviceUrl", "channelId", "name")
_ACCOUNT_TEXTS = ("id", "name", "aadObjectId", "objectId", "email", "userPrincipalName", "role",
                  "conversationType", "tenantId")
_ENTITY_TEXTS = ("type", "text", "timezone")


def malformed(activity: Json) -> str | None:
    """Why an activity is not shaped as Bot Framework's (what the functions here read: texts,
    accounts, the tenant, entities, members added), or None. Bot Framework's models type most
    fields, but the wire JSON read here is not checked by them (`channelData` is any object), and
    one list where an object belongs would otherwise be a 500 deep in a converter."""
    for key in _TEXTS:
        if not isinstance(activity.get(key), str | None):
            return f"'{key}' is not a string"
    accounts = [("from", activity.get("from")), ("recipient", activity.get("recipient")),
                ("conversation", activity.get("conversation"))]
    for key in ("membersAdded", "membersRemoved"):
        members = activity.get(key)
        if not isinstance(members, list | None):
            return f"'{key}' is not a list"
        accounts += [(key, m) for m in members or []]
    for key, account in accounts:
        if not isinstance(account, dict | None):
            return f"'{key}' is not an object"
        if any(not isinstance((account or {}).get(field), str | None) for field in _ACCOUNT_TEXTS):
            return f"'{key}' has a field that is not a string"
    channel_data = activity.get("channelData")
    if not isinstance(channel_data, dict | None) or not isinstance(
            (channel_data or {}).get("tenant"), dict | None) or not isinstance(
            ((channel_data or {}).get("tenant") or {}).get("id"), str | None):
        return "'channelData' is not shaped as Teams' (an object with a tenant object and id)"
    entities = activity.get("entities")
    if not isinstance(entities, list | None) or not all(
            isinstance(e, dict) and all(isinstance(e.get(f), str | None) for f in _ENTITY_TEXTS)
            and isinstance(e.get("mentioned"), dict | None)
            and isinstance((e.get("mentioned") or {}).get("id"), str | None) for e in entities or []):
        return "'entities' is not a list of entity objects"
    return None


def _sender(activity: Json) -> str:
    sender = activity.get("from") or {}
    return "" if sender.get("role") == "bot" else str(sender.get("id") or "")


def _conversation_id(activity: Json) -> str:
    return str((activity.get("conversation") or {}).get("id") or "")


__all__ = ["PLATFORM", "BareCommands", "TeamsEvent", "bot_added", "card_action", "client_timezone",
           "contact_info",
           "conversation_type", "is_personal", "joined_accounts", "malformed", "member", "message_event",
           "normalize_text", "sender_info", "tenant_id", "uninstalled_personally"]
