"""The app manifest is valid for Slack and asks for exactly what the code uses: the command, the
events the bolt app has listeners for, interactivity, the OAuth redirect, and the scopes of the
Web API methods the adapter's source calls and of the events it subscribes to."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from jsonschema import Draft7Validator
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.app import COMMAND, EVENTS, EVENTS_PATH, REDIRECT_PATH, SlackAdapter, manifest_scopes
from adapters.slack.port import build_client
from bot.config import REPO_ROOT
from bot.core import BotCore
from tests.support.specs import spec

MANIFEST = REPO_ROOT / "adapters" / "slack" / "manifest.yaml"
SCHEMA = spec("slack-app-manifest.schema.json")
# Which scope each Web API method the adapter calls needs (docs.slack.dev/reference/methods/...).
SCOPES: dict[str, str | None] = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "conversations.open": "im:write",
    "conversations.history": "im:history", "users.info": "users:read", "users.list": "users:read",
    "users.lookupByEmail": "users:read.email", "views.open": None, "views.publish": None,
    "files.upload_v2": "files:write",  # slack_sdk's helper for getUploadURLExternal + complete
    "files.info": "files:read",  # then the download: a strategy YAML sent in the DM
    "api.test": None}  # readiness with OAuth installs (no token, no scope)
# The Events API subscription and the scope each registered listener needs. `message` is only
# handled in DMs (convert.message_event), so the subscription is message.im.
EVENT_SUBSCRIPTIONS = {"message": ("message.im", "im:history"),
                       "app_home_opened": ("app_home_opened", None),
                       "team_join": ("team_join", "users:read"), "user_change": ("user_change", "users:read"),
                       "app_uninstalled": ("app_uninstalled", None),
                       "tokens_revoked": ("tokens_revoked", None)}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_manifest_validates_against_slacks_schema() -> None:
    errors = [e.message for e in Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(manifest())]
    assert errors == []


def web_api_calls() -> set[str]:
    """The Web API methods the adapter's source calls (`client.chat_postMessage(` -> chat.postMessage;
    `client.api_call("chat.postMessage"` and `.call(client, "chat.postMessage"` as they are)."""
    source = "\n".join(p.read_text() for p in (REPO_ROOT / "adapters" / "slack").glob("*.py"))
    named = re.findall(r"client\.(?!api_call)([a-z]+)_(\w+)\(", source)
    return {f"{family}.{name}" for family, name in named} | set(
        re.findall(r"(?:client\.api_call\(|\.call\(client, )\"([a-z]+\.\w+)\"", source))


# Event types a bot like this could plausibly listen to; the test asks bolt which ones match.
CANDIDATE_EVENTS = ("message", "app_home_opened", "team_join", "user_change", "app_mention",
                    "app_uninstalled", "tokens_revoked", "member_joined_channel", "reaction_added",
                    "im_created", "user_profile_changed")


async def registered_events(core: BotCore) -> set[str]:
    """The event types the adapter's bolt app has a listener for, asked of bolt's own matchers."""
    adapter = SlackAdapter(core, build_client("xoxb-test"), signing_secret="s")
    found = set()
    for event_type in CANDIDATE_EVENTS:
        body = {"type": "event_callback", "team_id": "T1",
                "event": {"type": event_type, "channel_type": "im"}}
        request = AsyncBoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})
        for listener in adapter.app._async_listeners:
            if await listener.async_matches(req=request, resp=BoltResponse(status=200)):
                found.add(event_type)
    return found


async def test_manifest_matches_what_the_code_registers(core: BotCore) -> None:
    m = manifest()
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert await registered_events(core) == set(EVENTS) == set(EVENT_SUBSCRIPTIONS)
    assert sorted(m["settings"]["event_subscriptions"]["bot_events"]) == sorted(
        sub for sub, _ in EVENT_SUBSCRIPTIONS.values())
    assert m["features"]["app_home"]["home_tab_enabled"]  # app_home_opened -> views.publish
    assert m["settings"]["interactivity"]["is_enabled"]  # the Answer button, the modal, nudge buttons
    called = web_api_calls()
    assert called == set(SCOPES), "a new Web API method: add its scope to SCOPES and the manifest"
    needed = ({scope for scope in SCOPES.values() if scope} | {"commands"}
              | {scope for _, scope in EVENT_SUBSCRIPTIONS.values() if scope})
    assert set(m["oauth_config"]["scopes"]["bot"]) == needed
    assert set(manifest_scopes()) == needed  # what an OAuth install asks for
    assert [url.endswith(REDIRECT_PATH) for url in m["oauth_config"]["redirect_urls"]] == [True]
    for part in ("features", "settings"):
        assert EVENTS_PATH in json.dumps(m[part])
