"""The contact book on SQLite and PostgreSQL: upsert rules, look-ups, and forgetting an address."""

from __future__ import annotations

import asyncio

from bot.core import BotCore
from bot.people.contacts import ContactBook, ContactInfo


async def test_contacts_keep_the_private_address_and_are_found_many_ways(core: BotCore) -> None:
    book = ContactBook(core.ctx.db, core.ctx.clock)
    dana = ContactInfo("teams", "29:dana", name="Dana Reyes", email="Dana@Acme.example", external_id="aad-1")
    await book.remember(dana, address='{"team": 1}', personal=False)
    await book.remember(ContactInfo("teams", "29:dana"), address='{"chat": 1}', conversation_id="a:dm",
                        personal=True)
    await book.remember(ContactInfo("teams", "29:dana", timezone="Europe/Lisbon"), address='{"team": 2}',
                        personal=False)  # a team address never replaces the 1:1 chat
    row = await book.get("teams", "29:dana")
    assert row is not None
    assert (row.address, row.personal, row.conversation_id) == ('{"chat": 1}', True, "a:dm")
    assert (row.name, row.email, row.timezone) == ("Dana Reyes", "Dana@Acme.example", "Europe/Lisbon")
    for reference in ("29:DANA", "aad-1", "dana@acme.example", "@dana reyes"):
        assert [c.user_id for c in await book.find("teams", reference)] == ["29:dana"], reference
    assert await book.find("slack", "dana reyes") == [] and await book.find("teams", " ") == []
    assert (await book.by_conversation("teams", "a:dm")) is not None

    await book.remember(ContactInfo("teams", "29:lee", name="Lee"), address='{"team": 1}')
    assert await book.shared_addresses("teams") == ['{"team": 1}']
    await book.forget_address("teams", "29:dana")
    row = await book.get("teams", "29:dana")
    assert row is not None and row.address is None and not row.personal and row.email
    assert await book.by_conversation("teams", "a:dm") is None


async def test_someone_new_seen_by_several_requests_at_once_is_stored_once(core: BotCore) -> None:
    """Teams sends an install as two activities at once (conversationUpdate, installationUpdate),
    and a burst of messages from someone new is saved together: every writer but the first finds
    the row inserted meanwhile and updates it, instead of failing on the unique key."""
    book = ContactBook(core.ctx.db, core.ctx.clock)
    sightings = [ContactInfo("teams", "29:kim", name="Kim", timezone="Asia/Tokyo"),
                 ContactInfo("teams", "29:kim", email="kim@acme.example"),
                 ContactInfo("teams", "29:kim", external_id="aad-kim")] * 2
    saved = await asyncio.gather(*(book.remember(info, address=f'{{"chat": {i}}}', conversation_id="a:kim",
                                                 personal=True) for i, info in enumerate(sightings)))
    assert {row.id for row in saved} == {saved[0].id}
    row = await book.get("teams", "29:kim")
    assert row is not None and row.personal and row.conversation_id == "a:kim"
    assert (row.name, row.email, row.timezone, row.external_id) == (
        "Kim", "kim@acme.example", "Asia/Tokyo", "aad-kim")
