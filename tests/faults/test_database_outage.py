"""The database unavailable for a while on the inputs that are not chat platforms: the leads
webhook (real HTTP on the bot's own server) answers 503 with Retry-After and stores nothing, and
the sender's retry is stored once; the console says to try again and keeps running."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlmodel import select

from adapters.console.adapter import ConsoleAdapter
from bot.core import BotCore
from bot.leads.webhook import RETRY_AFTER_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.storage.database import DatabaseUnavailable
from bot.storage.models import Answer
from tests.faults.conftest import WEBHOOK_SECRET
from tests.support.outage import Outage
from tests.support.talk import setup_team
from tests.unit.leads.support import events, leads
from tests.unit.ops.support import serving

LEAD = {"source": "marketo", "external_id": "M-1", "company": "Ledgerly", "segment":
        "midmarket_fintech", "owner": "dana@example.com", "engaged_at": "2026-03-02T13:30:00Z"}
TOUCH = {"event": {"type": "touch", "at": "2026-03-02T14:20:00Z", "by": "Dana", "channel": "email",
                   "source": "marketo", "event_id": "evt-9"}}


async def post(core: BotCore, url: str, body: Any) -> tuple[int, dict[str, Any], str | None]:
    data = json.dumps(body).encode()
    timestamp = str(int(core.ctx.clock.now().timestamp()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: sign(WEBHOOK_SECRET, timestamp, "POST", urlsplit(url).path, data)}
    async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=headers) as r:
        return r.status, await r.json(), r.headers.get("Retry-After")


async def test_webhook_leads_and_events_get_503_while_the_database_is_down_and_count_once_after(
        core: BotCore, outage: Outage) -> None:
    await setup_team(core)
    async with serving(core.ctx) as base:
        await outage.begin()
        status, body, retry_after = await post(core, f"{base}/webhooks/leads", LEAD)
        assert (status, retry_after) == (503, str(RETRY_AFTER_SECONDS))
        assert body["ok"] is False and "nothing was stored" in body["error"]
        await outage.end()
        assert await leads(core) == {}

        # The sender retries after Retry-After; a retry of a request that did go through changes nothing.
        assert (await post(core, f"{base}/webhooks/leads", LEAD))[:2][0] == 201
        status, body, _ = await post(core, f"{base}/webhooks/leads", LEAD)
        assert status == 200 and body["result"] != "created"

        await outage.begin()
        status, _, retry_after = await post(core, f"{base}/webhooks/leads/M-1/events", TOUCH)
        await outage.end()
        assert (status, retry_after) == (503, str(RETRY_AFTER_SECONDS))
        assert (await leads(core))["M-1"].touches == 0
        results = [(await post(core, f"{base}/webhooks/leads/M-1/events", TOUCH))[1]["result"]
                   for _ in range(2)]
    assert results == ["stored", "duplicate"]
    assert (await leads(core))["M-1"].touches == 1 and len(await events(core, "touch")) == 1
    assert core.ctx.metrics.value("alignbot_webhook_requests_total", status="503") == 2


async def test_the_console_says_to_try_again_and_keeps_running(core: BotCore, outage: Outage) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(core, out)
    await console.start()
    for line in ("/as Ada", "/align team add Ada admin", "/align team add Dana rep",
                 "/align ask now dana", "/as Dana"):
        assert await console.handle_line(line)
    answer = "We help mid-market fintechs pass audits in half the time."
    await outage.begin()
    assert await console.handle_line(answer)
    assert await console.handle_line("/advance 1h")
    await outage.end()
    shown = out.getvalue()
    assert "couldn't save that just now" in shown and "couldn't do that just now" in shown
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Answer))).all() == []

    assert await console.handle_line(answer)
    async with core.ctx.db.session() as session:
        [stored] = (await session.exec(select(Answer))).all()
    assert stored.text == answer and "saved your answer to question 1" in out.getvalue()


async def test_readiness_asks_the_database_only_when_not_heard_from_and_shares_the_read(
        core: BotCore, outage: Outage) -> None:
    """Slack's modal waits on `database_ready` before it closes. A database that answered a
    moment ago is taken as up; once it failed, 50 reps pressing Save together share one read,
    which says it is down until it answers again."""
    await setup_team(core)
    reads = 0
    read = core.ctx.db.readable

    async def counted() -> bool:
        nonlocal reads
        reads += 1
        return await read()
    core.ctx.db.readable = counted  # type: ignore[method-assign]
    assert await asyncio.gather(*(core.database_ready() for _ in range(50))) == [True] * 50
    assert reads == 0  # it answered setting the team up

    await outage.begin()
    with pytest.raises(DatabaseUnavailable):
        async with core.ctx.db.session() as session:
            await session.exec(select(Answer))
    assert await asyncio.gather(*(core.database_ready() for _ in range(50))) == [False] * 50
    assert reads == 1
    await outage.end()
    assert await asyncio.gather(*(core.database_ready() for _ in range(50))) == [True] * 50
    assert reads <= 2  # the read still waiting on SQLite's lock, or one new one
    assert await core.database_ready() and reads <= 2  # answered: taken as up again


async def test_a_readiness_read_that_hangs_is_not_joined_past_the_database_timeout(
        core: BotCore, outage: Outage, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read stuck on a connection nobody answers (a failover that dropped it silently) must not
    keep refusing every Save once the database is back."""
    await setup_team(core)
    await outage.begin()
    with pytest.raises(DatabaseUnavailable):
        async with core.ctx.db.session() as session:
            await session.exec(select(Answer))
    await outage.end()
    never = asyncio.Event()
    reads = 0
    read = core.ctx.db.readable

    async def first_hangs() -> bool:
        nonlocal reads
        reads += 1
        if reads == 1:
            await never.wait()
        return await read()
    core.ctx.db.readable = first_hangs  # type: ignore[method-assign]
    now = [1000.0]
    monkeypatch.setattr("bot.core.monotonic", lambda: now[0])
    assert await core.database_ready(within=0.05) is False
    assert await core.database_ready(within=0.05) is False and reads == 1  # joined, still stuck
    now[0] += core.ctx.db.timeout + 0.1
    assert await core.database_ready() is True and reads == 2  # a new read
