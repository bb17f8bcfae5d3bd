"""What /api/messages does with bad input: a clear 4xx, nothing stored, never a 500."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from adapters.teams.app import MESSAGES_PATH, TeamsAdapter
from bot.clock import ManualClock
from bot.core import BotCore
from bot.storage.models import Contact, InboundEvent, Member
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import DANA, LEE, Teams


async def raw_post(url: str, data: bytes, content_type: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.post(
            url, data=data, headers={"Content-Type": content_type}) as response:
        return response.status, await response.text()


async def test_malformed_bodies_get_a_clear_400(teams: Teams, core: BotCore) -> None:
    assert (await raw_post(teams.url, b"{not json", "application/json"))[0] == 400
    assert (await raw_post(teams.url, b"[1, 2]", "application/json"))[0] == 400
    assert (await raw_post(teams.url, b'{"text": "no type"}', "application/json"))[0] == 400
    bad_date = b'{"type": "message", "timestamp": "not a date", "text": "hi"}'
    assert (await raw_post(teams.url, bad_date, "application/json"))[0] == 400
    assert (await raw_post(teams.url, b"type=message", "application/x-www-form-urlencoded"))[0] == 415
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Contact))).all() == []
        assert (await session.exec(select(InboundEvent))).all() == []


async def test_huge_text_is_answered_not_dropped(teams: Teams) -> None:
    await teams.install(DANA)
    replies = await teams.say(DANA, "x" * 50_000)
    assert replies and "I don't know you yet" in replies[0]


async def test_health(adapter: TeamsAdapter) -> None:
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{adapter.bound_port}/healthz") as response:
        assert (response.status, await response.text()) == (200, "ok")
    assert MESSAGES_PATH == "/api/messages"


async def test_unknown_activity_types_are_acknowledged(teams: Teams) -> None:
    reaction = act.activity("messageReaction", teams.connector.service_url, teams.user(DANA),
                            act.personal(DANA), reactionsAdded=[{"type": "like"}])
    assert await teams.post(reaction) == 200
    assert teams.connector.calls == []


async def test_other_bot_framework_channels_are_ignored(teams: Teams, core: BotCore) -> None:
    webchat = act.message(teams.connector.service_url, teams.user(DANA), "help")
    webchat["channelId"] = "webchat"
    assert await teams.post(webchat) == 200
    assert teams.connector.calls == []
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Contact))).all() == []


async def test_the_leads_webhook_shares_the_teams_port(adapter: TeamsAdapter) -> None:
    """Mounted with the core's routes: the webhook itself answers (here: off, no secret set)."""
    async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{adapter.bound_port}/webhooks/leads", json={}) as response:
        assert response.status == 503 and "ALIGNBOT_WEBHOOK_SECRET" in await response.text()


async def test_another_tenant_is_refused_once_the_first_fixed_the_organisation(
        teams: Teams, core: BotCore, caplog: pytest.LogCaptureFixture) -> None:
    """A deployment serves one organisation: with none configured, the first tenant fixes it."""
    await teams.install(DANA)
    other = act.message(teams.connector.service_url, teams.user(DANA), "/align team add Mal admin")
    other["conversation"] = {**other["conversation"], "tenantId": "tenant-9999"}
    other["channelData"] = {"tenant": {"id": "tenant-9999"}}
    before = len(teams.connector.calls)
    assert await teams.post(other) == 200
    [told] = teams.connector.calls[before:]  # the refusal, nothing else (see the next test)
    assert told.kind == "send" and "serves another organisation" in str(told.body)
    assert "refused an activity from Teams tenant tenant-9999" in caplog.text
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Member))).all() == []


async def test_someone_in_another_tenant_is_told_why_once_a_day_and_nothing_is_stored(
        teams: Teams, core: BotCore, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    """Refused, but not silently: the sender learns why in their chat - one note per conversation
    and day however often they write, and nothing about them is stored but that note."""
    await teams.install(DANA)  # fixes the organisation to tenant-0001

    def stranger(text: str) -> dict[str, object]:
        other = act.message(teams.connector.service_url, teams.user(LEE), text)
        other["conversation"] = {**other["conversation"], "id": "a:dm-stranger", "tenantId": "tenant-9999"}
        other["channelData"] = {"tenant": {"id": "tenant-9999"}}
        return other

    for text in ("hello?", "/align help", "anyone there?"):
        assert await teams.post(stranger(text)) == 200
    told = teams.connector.card_texts(conversation="a:dm-stranger")
    assert len(told) == 1 and "serves another organisation" in told[0]
    assert "refused an activity from Teams tenant tenant-9999" in caplog.text
    clock.set(clock.now() + timedelta(days=1))
    assert await teams.post(stranger("still nothing?")) == 200
    assert len(teams.connector.card_texts(conversation="a:dm-stranger")) == 2
    async with core.ctx.db.session() as session:
        assert [c.user_id for c in (await session.exec(select(Contact))).all()] == [DANA]
        assert (await session.exec(select(Member))).all() == []
