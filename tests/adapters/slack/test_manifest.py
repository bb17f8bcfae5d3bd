"""The app manifest is valid for Slack and asks for exactly what the code uses."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from jsonschema import Draft7Validator

from adapters.slack.app import COMMAND, EVENTS_PATH
from bot.config import REPO_ROOT
from tests.support.specs import spec

MANIFEST = REPO_ROOT / "adapters" / "slack" / "manifest.yaml"
SCHEMA = spec("slack-app-manifest.schema.json")
# Which scope each Web API method the adapter calls needs.
SCOPES: dict[str, str | None] = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "conversations.open": "im:write",
    "conversations.history": "im:history", "users.info": "users:read", "users.list": "users:read",
    "users.lookupByEmail": "users:read.email", "views.open": None}


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_manifest_validates_against_slacks_schema() -> None:
    errors = [e.message for e in Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(manifest())]
    assert errors == []


def web_api_calls() -> set[str]:
    """The Web API methods the adapter's source calls (`client.chat_postMessage(` -> chat.postMessage)."""
    source = "\n".join(p.read_text() for p in (REPO_ROOT / "adapters" / "slack").glob("*.py"))
    return {f"{family}.{name}" for family, name in re.findall(r"client\.([a-z]+)_(\w+)\(", source)}


def test_manifest_matches_what_the_code_registers() -> None:
    m = manifest()
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["message.im"]  # app.event("message"), DMs
    assert m["settings"]["interactivity"]["is_enabled"]  # the Answer button and the modal
    called = web_api_calls()
    assert called == set(SCOPES), "a new Web API method: add its scope to SCOPES and the manifest"
    needed = {scope for scope in SCOPES.values() if scope} | {"commands"}
    assert set(m["oauth_config"]["scopes"]["bot"]) == needed
    for part in ("features", "settings"):
        assert EVENTS_PATH in json.dumps(m[part])
