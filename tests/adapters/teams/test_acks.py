"""What /api/messages does before its HTTP answer: nothing that waits for the database. How to
reach the sender is saved after the ack, before their activity is handled; a burst of activities
is acknowledged while the database is still busy with the first."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from adapters.teams.app import TeamsAdapter
from bot.clock import ManualClock
from bot.core import BotCore
from bot.people.contacts import ContactBook
from bot.storage.models import Contact
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import DANA, Teams


class HeldContacts:
    """The adapter's contact book with every write held until `release()`: a database that is
    slow to answer, without time passing."""

    def __init__(self, book: ContactBook) -> None:
        self.write = book.note
        self.gate = asyncio.Event()
        self.waiting = 0

    async def note(self, *args: Any, **kwargs: Any) -> tuple[str | None, Contact]:
        self.waiting += 1
        await self.gate.wait()
        return await self.write(*args, **kwargs)

    def release(self) -> None:
        self.gate.set()


async def contacts(core: BotCore) -> list[Contact]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(Contact))).all())


async def test_activities_are_acknowledged_before_the_sender_is_saved(
        teams: Teams, core: BotCore, adapter: TeamsAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    held = HeldContacts(adapter.contacts)
    monkeypatch.setattr(adapter.contacts, "note", held.note)
    hellos = [act.message(teams.connector.service_url, teams.user(DANA), "help", timezone="Europe/Berlin")
              for _ in range(3)]
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(10):
            for hello in hellos:  # each answered while the contact write is still held
                async with session.post(teams.url, json=hello) as response:
                    assert response.status == 200
        assert await contacts(core) == [] and teams.connector.calls == []
    finally:
        held.release()
    await core.ctx.drain()
    [dana] = await contacts(core)  # saved after the acks, before her messages were handled
    assert (dana.user_id, dana.timezone, dana.conversation_id) == (DANA, "Europe/Berlin", teams.dm(DANA))
    assert held.waiting == 3
    replies = teams.connector.card_texts(conversation=teams.dm(DANA))
    assert len(replies) == 3 and all("sales-align-bot commands" in reply for reply in replies)


async def test_a_failure_saving_the_sender_still_answers_the_message(
        teams: Teams, core: BotCore, adapter: TeamsAdapter, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """After the 200 Teams sends nothing again: whatever goes wrong noting how to reach someone,
    their message is still handled (and the failure logged with its traceback)."""
    async def broken(*args: Any, **kwargs: Any) -> tuple[str | None, Contact]:
        raise RuntimeError("a bug in the contact book")
    monkeypatch.setattr(adapter.contacts, "note", broken)
    async with aiohttp.ClientSession() as session:
        hello = act.message(teams.connector.service_url, teams.user(DANA), "help")
        async with session.post(teams.url, json=hello) as response:
            assert response.status == 200
    await core.ctx.drain()
    [reply] = teams.connector.card_texts(conversation=teams.dm(DANA))
    assert "sales-align-bot commands" in reply
    assert any("could not save the sender" in r.message and r.exc_info for r in caplog.records)


async def test_a_message_is_acknowledged_before_its_work_and_without_botbuilders_turn(
        teams: Teams, core: BotCore, adapter: TeamsAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a burst botbuilder's turn (connector, turn context, the activity converted) is much
    of an ack's CPU: a message, whose answer is an empty 200 whatever the turn does, is acked
    once its token and shape are checked, and its work runs in its place in line after the
    acks. botbuilder's turn is not run for it at all (msrest's Activity neither: the work reads
    the wire JSON and its conversation reference), and the reply still comes, once."""
    turns: list[str | None] = []
    process = adapter.cloud.process_activity

    async def recorded(auth: Any, activity: Any, logic: Any) -> Any:
        turns.append(activity.id)
        return await process(auth, activity, logic)

    monkeypatch.setattr(adapter.cloud, "process_activity", recorded)
    lull, waiting = asyncio.Event(), asyncio.Event()
    real_sleep = core.ctx.intake._sleep

    async def held(seconds: float) -> None:  # the acks' lull does not come until we say
        waiting.set()
        await lull.wait()
        await real_sleep(seconds)

    monkeypatch.setattr(core.ctx.intake, "_sleep", held)
    hello = act.message(teams.connector.service_url, teams.user(DANA), "help", timezone="Europe/Berlin")
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(10), \
                session.post(teams.url, json=hello) as response:
            assert response.status == 200
        await asyncio.wait_for(waiting.wait(), 10)  # the turn is queued behind the lull
        for _ in range(10):  # and anything not held by it has had its turns of the loop
            await asyncio.sleep(0)
        assert turns == [] and teams.connector.calls == [] and await contacts(core) == []
    finally:
        lull.set()
    await core.ctx.drain()
    assert turns == []
    assert len(await contacts(core)) == 1 and len(teams.connector.of("send")) == 1


async def test_a_message_in_the_1_1_chat_writes_nothing_when_nothing_about_its_sender_changed(
        teams: Teams, core: BotCore, clock: ManualClock) -> None:
    """Every message has a new activity id: stored in the 1:1 chat's address, it made noting
    the sender a write of the contact row on every message. The address is kept without it
    (nothing sent there threads on it), so the second message changes nothing stored - and
    the replies still reach the chat."""
    await teams.install(DANA)
    assert await teams.say(DANA, "help")
    [first] = await contacts(core)
    clock.advance(timedelta(minutes=5))
    assert await teams.say(DANA, "help")
    [second] = await contacts(core)
    assert (second.address, second.updated_at) == (first.address, first.updated_at)
    address = second.address or ""
    assert "activityId" not in address and teams.connector.service_url in address
