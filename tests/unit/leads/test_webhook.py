"""The leads webhook over real HTTP on 127.0.0.1: signed requests create, update and add events;
wrong, missing or stale signatures get 401 and store nothing; malformed JSON and unknown fields get
a clear 4xx; the same event delivered twice is stored once."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.core import BotCore
from bot.leads.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    LeadPayload,
    LeadWebhook,
    sign,
)
from tests.support.talk import setup_team
from tests.unit.leads.support import events, leads

SECRET = "s3cret-for-tests"
LEAD = {"source": "marketo", "external_id": "M-1", "company": "Ledgerly", "segment":
        "midmarket_fintech", "owner": "dana@example.com", "engaged_at": "2026-03-02T13:30:00Z",
        "contact_name": "Maya Chen", "content": ["soc2_checklist"]}


class Client:
    def __init__(self, session: ClientSession, base: str, core: BotCore) -> None:
        self.session, self.base, self.core = session, base, core

    async def post(self, path: str, body: Any, *, secret: str = SECRET, age: int = 0,
                   signed: bool = True, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
        data = raw if raw is not None else json.dumps(body).encode()
        timestamp = str(int(self.core.ctx.clock.now().timestamp()) - age)
        headers = {"Content-Type": "application/json"}
        if signed:
            headers |= {TIMESTAMP_HEADER: timestamp,
                        SIGNATURE_HEADER: sign(secret, timestamp, "POST", path, data)}
        async with self.session.post(self.base + path, data=data, headers=headers) as response:
            return response.status, await response.json()


@pytest.fixture
async def client(core: BotCore) -> AsyncIterator[Client]:
    core.ctx.settings.webhook_secret = SecretStr(SECRET)
    await setup_team(core)
    app = web.Application()
    LeadWebhook(core.ctx).add_to(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    async with ClientSession() as session:
        yield Client(session, str(server.make_url("")), core)
    await server.close()


async def test_a_signed_lead_is_created_then_updated_and_its_due_time_returned(
        client: Client) -> None:
    status, body = await client.post("/webhooks/leads", LEAD)
    assert (status, body["result"]) == (201, "created")
    assert body["next_due_at"] == "2026-03-02T15:00:00+00:00"  # 1h SLA from 09:00 New York

    status, body = await client.post("/webhooks/leads", {**LEAD, "contact_name": "Maya C."})
    assert (status, body["result"]) == (200, "updated")
    assert (await leads(client.core))["M-1"].contact_name == "Maya C."


@pytest.mark.parametrize("tamper", ["wrong-secret", "unsigned", "stale", "body-changed"])
async def test_bad_signatures_are_refused_and_nothing_is_stored(client: Client,
                                                                tamper: str) -> None:
    if tamper == "body-changed":
        timestamp = str(int(client.core.ctx.clock.now().timestamp()))
        signature = sign(SECRET, timestamp, "POST", "/webhooks/leads", json.dumps(LEAD).encode())
        forged = json.dumps({**LEAD, "owner": "Lee"}).encode()
        async with client.session.post(client.base + "/webhooks/leads", data=forged, headers={
                TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature}) as response:
            status, body = response.status, await response.json()
    else:
        status, body = await client.post(
            "/webhooks/leads", LEAD, secret="guess" if tamper == "wrong-secret" else SECRET,
            signed=tamper != "unsigned", age=3600 if tamper == "stale" else 0)
    assert status == 401 and body["ok"] is False
    assert await leads(client.core) == {}


async def test_malformed_json_and_unknown_fields_get_a_clear_4xx(client: Client) -> None:
    status, body = await client.post("/webhooks/leads", None, raw=b"{not json")
    assert status == 400 and "not valid JSON" in body["error"]
    status, body = await client.post("/webhooks/leads", {**LEAD, "ownr": "Dana"})
    assert status == 422 and {"field": "ownr", "problem": "Extra inputs are not permitted"} in \
        body["details"]
    status, body = await client.post("/webhooks/leads", {k: v for k, v in LEAD.items()
                                                         if k != "company"})
    assert status == 422 and body["details"][0]["field"] == "company"
    status, body = await client.post("/webhooks/leads", {**LEAD, "segment": "mars"})
    assert status == 422 and "segment 'mars' is not in the strategy" in body["error"]
    assert await leads(client.core) == {}


async def test_events_touch_and_status_and_a_redelivered_event_is_stored_once(
        client: Client) -> None:
    await client.post("/webhooks/leads", LEAD)
    touch = {"event": {"type": "touch", "at": "2026-03-02T14:20:00Z", "by": "Dana",
                       "channel": "email", "source": "marketo", "event_id": "evt-9"}}
    first = await client.post("/webhooks/leads/M-1/events", touch)
    again = await client.post("/webhooks/leads/M-1/events", touch)

    assert (first[0], first[1]["result"], again[0], again[1]["result"]) == (
        200, "stored", 200, "duplicate")
    lead = (await leads(client.core))["M-1"]
    assert (lead.touches, lead.status) == (1, "working")
    assert len(await events(client.core, "touch")) == 1

    status_event = {"event": {"type": "status", "status": "qualified", "source": "marketo"}}
    status, body = await client.post("/webhooks/leads/M-1/events", status_event)
    assert (status, body["status"], body["next_due_at"]) == (200, "qualified", None)
    status, body = await client.post("/webhooks/leads/NOPE/events", status_event)
    assert status == 404 and "create it with POST /webhooks/leads" in body["error"]
    bad = {"event": {"type": "teleport", "at": "2026-03-02T14:20:00Z"}}
    status, body = await client.post("/webhooks/leads/M-1/events", bad)
    assert status == 422


async def test_the_webhook_is_off_without_a_secret(client: Client) -> None:
    client.core.ctx.settings.webhook_secret = None
    status, body = await client.post("/webhooks/leads", LEAD)
    assert status == 503 and "ALIGNBOT_WEBHOOK_SECRET" in body["error"]


async def test_an_oversized_body_gets_413_and_control_characters_422_naming_the_field(
        client: Client) -> None:
    status, body = await client.post("/webhooks/leads", {**LEAD, "contact_name": "x" * 70_000})
    assert status == 413 and "larger than" in body["error"]
    status, body = await client.post("/webhooks/leads", {**LEAD, "company": "Ledger\x00ly"})
    assert status == 422 and body["details"] == [
        {"field": "company", "problem": "Value error, contains control characters (e.g. NUL); remove them"}]
    status, body = await client.post("/webhooks/leads", {**LEAD, "content": ["soc2_checklist", "x\x07"]})
    assert status == 422 and body["details"][0]["field"] == "content"
    await client.post("/webhooks/leads", LEAD)
    note = {"event": {"type": "touch", "at": "2026-03-02T14:20:00Z", "source": "marketo",
                      "note": "called\x00 back"}}
    status, body = await client.post("/webhooks/leads/M-1/events", note)
    assert status == 422 and body["details"][0]["field"] == "event.touch.note"
    assert list(await leads(client.core)) == ["M-1"] and await events(client.core, "touch") == []


async def test_unicode_names_are_stored_as_sent(client: Client) -> None:
    company, contact = "Ledgerly 🚀 صرافة", "Zoë Ångström"
    status, _ = await client.post("/webhooks/leads", {**LEAD, "company": company, "contact_name": contact})
    lead = (await leads(client.core))["M-1"]
    assert status == 201 and (lead.company, lead.contact_name) == (company, contact)


async def test_a_touch_before_the_lead_engaged_gets_422_with_the_reason(client: Client) -> None:
    assert (await client.post("/webhooks/leads", LEAD))[0] == 201
    early = {"event": {"type": "touch", "at": "2026-03-02T13:00:00Z", "source": "marketo",
                       "event_id": "t-early"}}
    status, body = await client.post("/webhooks/leads/M-1/events", early)
    assert status == 422
    assert "before the lead first engaged (2026-03-02 13:30 UTC)" in body["error"]
    assert await events(client.core, "touch") == []


async def test_the_readme_example_is_accepted_and_documents_every_field(client: Client) -> None:
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    body = re.search(r"BODY='(\{.*?\})'", readme, re.S)
    assert body is not None, "the README's webhook example moved"
    status, answer = await client.post("/webhooks/leads", json.loads(body.group(1)))
    assert (status, answer["result"]) == (201, "created"), answer
    table = readme[readme.index("`POST /webhooks/leads` - the lead"):]
    documented = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)?", table, re.M))
    names = {name for pair in documented for name in pair if name}
    assert set(LeadPayload.model_fields) <= names
    required = {n for n, f in LeadPayload.model_fields.items() if f.is_required()}
    assert all(f"| `{n}` | yes |" in table for n in required)


async def _send(client: Client, path: str, headers: dict[str, str], data: bytes) -> tuple[int, Any]:
    async with client.session.post(client.base + path, data=data, headers={
            "Content-Type": "application/json", **headers}) as response:
        return response.status, await response.json()


def _signed(client: Client, path: str, data: bytes) -> dict[str, str]:
    stamp = str(int(client.core.ctx.clock.now().timestamp()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, stamp, "POST", path, data)}


async def test_a_signed_event_for_one_lead_cannot_be_replayed_to_another_leads_url(
        client: Client) -> None:
    """The signature covers the method and path: v1 covered only timestamp and body."""
    await client.post("/webhooks/leads", LEAD)
    await client.post("/webhooks/leads", {**LEAD, "external_id": "M-2", "company": "Other"})
    touch = json.dumps({"event": {"type": "touch", "at": "2026-03-02T14:20:00Z", "by": "Dana",
                                  "source": "marketo"}}).encode()
    headers = _signed(client, "/webhooks/leads/M-1/events", touch)
    status, body = await _send(client, "/webhooks/leads/M-2/events", headers, touch)
    assert status == 401 and "does not match" in body["error"]
    assert (await leads(client.core))["M-2"].touches == 0


async def test_a_v1_signature_is_refused_with_a_message_naming_v2(client: Client) -> None:
    data = json.dumps(LEAD).encode()
    stamp = str(int(client.core.ctx.clock.now().timestamp()))
    v1 = hmac.new(SECRET.encode(), stamp.encode() + b"." + data, hashlib.sha256).hexdigest()
    status, body = await _send(client, "/webhooks/leads",
                               {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: f"v1={v1}"}, data)
    assert status == 401 and "v2" in body["error"]
    assert await leads(client.core) == {}


async def test_a_touch_without_event_id_replayed_inside_the_window_is_stored_once(
        client: Client) -> None:
    await client.post("/webhooks/leads", LEAD)
    touch = json.dumps({"event": {"type": "touch", "at": "2026-03-02T14:20:00Z", "by": "Dana",
                                  "source": "marketo"}}).encode()
    headers = _signed(client, "/webhooks/leads/M-1/events", touch)
    first = await _send(client, "/webhooks/leads/M-1/events", headers, touch)
    client.core.ctx.clock.advance(timedelta(minutes=4))  # still inside the 5-minute window
    again = await _send(client, "/webhooks/leads/M-1/events", headers, touch)
    assert (first[0], first[1]["result"], again[0], again[1]["result"]) == (
        200, "stored", 200, "duplicate")
    assert (await leads(client.core))["M-1"].touches == 1
    assert len(await events(client.core, "touch")) == 1
    # An old lead body replayed cannot undo a later update either.
    old = json.dumps(LEAD).encode()
    old_headers = _signed(client, "/webhooks/leads", old)
    assert (await _send(client, "/webhooks/leads", old_headers, old))[0] == 200
    await client.post("/webhooks/leads", {**LEAD, "contact_name": "Maya C."})
    status, body = await _send(client, "/webhooks/leads", old_headers, old)
    assert (status, body["result"]) == (200, "duplicate")
    assert (await leads(client.core))["M-1"].contact_name == "Maya C."


async def test_the_same_event_id_on_two_leads_is_two_events(client: Client) -> None:
    """Event ids are the sender's, per lead: a CRM numbering each lead's events from 1 is fine."""
    await client.post("/webhooks/leads", LEAD)
    await client.post("/webhooks/leads", {**LEAD, "external_id": "M-2", "company": "Other"})
    touch = {"event": {"type": "touch", "at": "2026-03-02T14:20:00Z", "by": "Dana",
                       "source": "marketo", "event_id": "1"}}
    one = await client.post("/webhooks/leads/M-1/events", touch)
    two = await client.post("/webhooks/leads/M-2/events", touch)
    assert (one[1]["result"], two[1]["result"]) == ("stored", "stored")
    both = await leads(client.core)
    assert (both["M-1"].touches, both["M-2"].touches) == (1, 1)


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59-12:00",
                                  "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00"])
async def test_dates_at_the_ends_of_the_calendar_get_a_422_naming_the_field(
        client: Client, when: str) -> None:
    status, body = await client.post("/webhooks/leads", {**LEAD, "engaged_at": when})
    assert status == 422 and body["details"][0]["field"] == "engaged_at", body
    await client.post("/webhooks/leads", LEAD)
    for kind in ({"type": "touch"}, {"type": "engagement"}, {"type": "status", "status": "working"}):
        event = {"event": {**kind, "at": when, "source": "marketo"}}
        status, body = await client.post("/webhooks/leads/M-1/events", event)
        assert status == 422 and body["details"][0]["field"].endswith(".at"), body
    lead = (await leads(client.core))["M-1"]
    assert (lead.touches, lead.status) == (0, "new")
