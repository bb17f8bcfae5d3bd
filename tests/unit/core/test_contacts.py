"""The contact book on SQLite and PostgreSQL: upsert rules, look-ups, and forgetting an address."""

from __future__ import annotations

import asyncio
from typing import Any

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


async def test_noting_as_a_step_of_another_unit_keeps_that_unit(core: BotCore) -> None:
    """`noting` runs in someone else's unit of work (an answer's): it inserts someone new, then
    writes a changed time zone, each in a savepoint - and an insert that fails (here: the row
    already there when it looked it up as missing) is taken as an update, leaving the rest of the
    unit and its transaction usable."""
    from sqlalchemy import Connection, text

    book = ContactBook(core.ctx.db, core.ctx.clock)
    kim = ContactInfo("teams", "29:kim", name="Kim", timezone="Asia/Tokyo")

    def unit(info: ContactInfo) -> Any:
        step = book.noting(info, address='{"chat": 1}', conversation_id="a:kim", personal=True)

        def run(connection: Connection) -> Any:
            noted = step(connection)
            return noted, connection.execute(text("SELECT 1")).scalar_one()  # the unit goes on
        return run

    (before, row), rest = await core.ctx.db.run(unit(kim))
    assert before is None and row.id is not None and rest == 1
    moved = ContactInfo("teams", "29:kim", name="Kim", timezone="Europe/Oslo")
    (before, row), rest = await core.ctx.db.run(unit(moved))
    assert (before, row.timezone, rest) == ("Asia/Tokyo", "Europe/Oslo", 1)
    stored = await book.get("teams", "29:kim")
    assert stored is not None and stored.timezone == "Europe/Oslo" and stored.conversation_id == "a:kim"

    # Someone "new" inserted by a concurrent request between the look-up and the insert: the
    # look-up misses once, the insert fails on the unique key in its savepoint and is taken as an
    # update, and the unit goes on in the same transaction.
    import bot.people.contacts as contacts_module

    class MissOnce:
        def __init__(self, connection: Connection) -> None:
            self.connection, self.missed = connection, False

        def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
            if statement is contacts_module._CONTACT_BY_USER and not self.missed:
                self.missed = True
                statement = statement.where(text("1 = 0"))
            return self.connection.execute(statement, *args, **kwargs)

        def begin_nested(self) -> Any:
            return self.connection.begin_nested()

    back = ContactInfo("teams", "29:kim", name="Kim", timezone="America/Lima")
    step = book.noting(back, address='{"chat": 1}', conversation_id="a:kim", personal=True)

    def raced(connection: Connection) -> Any:
        proxy = MissOnce(connection)
        noted = step(proxy)  # type: ignore[arg-type]
        assert proxy.missed
        return noted, connection.execute(text("SELECT 1")).scalar_one()
    (before, row), rest = await core.ctx.db.run(raced)
    assert (before, row.timezone, rest) == ("Europe/Oslo", "America/Lima", 1)
    stored = await book.get("teams", "29:kim")
    assert stored is not None and stored.timezone == "America/Lima"
