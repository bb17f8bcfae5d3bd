"""Teams activities as Teams posts them (wire JSON, camelCase), for tests.

Shapes follow recorded Teams payloads: a personal chat's conversation has conversationType
"personal" and the tenant id; channel messages carry the bot @mention as `<at>name</at>` text plus
a mention entity; card submissions are message activities with `value` and `replyToId`; the client
reports its IANA time zone in a `clientInfo` entity.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.support.bot_connector import BOT_ID, TENANT

Json = dict[str, Any]
BOT_NAME = "alignbot"
_ids = itertools.count(1)


def account(user_id: str, name: str) -> Json:
    return {"id": user_id, "name": name, "aadObjectId": f"aad-{name.lower()}"}


def personal(user_id: str) -> Json:
    return {"id": f"a:dm-{user_id}", "conversationType": "personal", "tenantId": TENANT}


def channel(team: str = "team1") -> Json:
    return {"id": f"19:{team}@thread.tacv2;messageid=1", "conversationType": "channel",
            "tenantId": TENANT, "isGroup": True}


def activity(kind: str, service_url: str, sender: Json, conversation: Json, *,
             timezone: str | None = None, **extra: Any) -> Json:
    body: Json = {
        "type": kind, "id": f"f:{next(_ids):06d}", "timestamp": "2026-03-02T14:00:00.000Z",
        "serviceUrl": service_url, "channelId": "msteams", "from": sender,
        "recipient": {"id": BOT_ID, "name": BOT_NAME}, "conversation": conversation,
        "channelData": {"tenant": {"id": TENANT}},
    }
    if timezone:
        body["entities"] = [{"type": "clientInfo", "locale": "en-US", "country": "US",
                             "platform": "Web", "timezone": timezone}]
    body.update(extra)
    return body


def installed(service_url: str, user: Json, timezone: str | None = None) -> Json:
    """The user installed the app personally: conversationUpdate adding the bot to the 1:1 chat."""
    return activity("conversationUpdate", service_url, user, personal(user["id"]), timezone=timezone,
                    membersAdded=[{"id": BOT_ID}])


def installation_update(service_url: str, user: Json) -> Json:
    return activity("installationUpdate", service_url, user, personal(user["id"]), action="add")


def team_installed(service_url: str, user: Json, team: str = "team1") -> Json:
    """The app was added to a team by `user`: membersAdded names the bot, in the General channel."""
    conv = channel(team)
    conv["id"] = f"19:{team}@thread.tacv2"
    return activity("conversationUpdate", service_url, user, conv, membersAdded=[{"id": BOT_ID}],
                    channelData={"tenant": {"id": TENANT}, "team": {"id": conv["id"]},
                                 "eventType": "teamMemberAdded"})


def message(service_url: str, user: Json, text: str, timezone: str | None = None) -> Json:
    return activity("message", service_url, user, personal(user["id"]), timezone=timezone,
                    text=text, textFormat="plain")


def channel_message(service_url: str, user: Json, text: str, team: str = "team1") -> Json:
    """A channel post that @mentions the bot ("<at>alignbot</at> team list")."""
    mention = f"<at>{BOT_NAME}</at>"
    return activity("message", service_url, user, channel(team), text=f"{mention} {text}",
                    entities=[{"type": "mention", "text": mention,
                               "mentioned": {"id": BOT_ID, "name": BOT_NAME}}])


def submit(service_url: str, user: Json, card_id: str, data: Json, conversation: Json | None = None) -> Json:
    """An Action.Submit press on the card `card_id`: Teams merges the inputs into `value`."""
    return activity("message", service_url, user, conversation or personal(user["id"]),
                    replyToId=card_id, value=data)
