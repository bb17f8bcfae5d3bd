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


async def test_an_activity_that_changes_nothing_writes_nothing(core: BotCore) -> None:
    """Every inbound Teams activity notes its sender; the same person in the same chat with the
    same time zone leaves the row as it is (a read, no write), and a new time zone is written."""
    from datetime import timedelta

    from sqlalchemy import event

    book = ContactBook(core.ctx.db, core.ctx.clock)
    dana = ContactInfo("teams", "29:dana", name="Dana", timezone="Europe/Lisbon")
    await book.note(dana, address='{"chat": 1}', conversation_id="a:dm", personal=True)
    first = await book.get("teams", "29:dana")
    assert first is not None
    writes: list[str] = []
    engine = core.ctx.db._worker  # note()'s unit runs on the database's own engine
    assert engine is not None

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
            writes.append(statement)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        core.ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
        before, row = await book.note(dana, address='{"chat": 1}', conversation_id="a:dm", personal=True)
        assert before == "Europe/Lisbon" and row.timezone == "Europe/Lisbon" and writes == []
        again = await book.get("teams", "29:dana")
        assert again is not None and again.updated_at == first.updated_at
        moved = ContactInfo("teams", "29:dana", name="Dana", timezone="Asia/Tokyo")
        before, row = await book.note(moved, address='{"chat": 1}', conversation_id="a:dm", personal=True)
        assert before == "Europe/Lisbon" and row.timezone == "Asia/Tokyo" and len(writes) == 1
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    stored = await book.get("teams", "29:dana")
    assert stored is not None and stored.timezone == "Asia/Tokyo"
