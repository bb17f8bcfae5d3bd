"""The contact book: how the bot can reach people on each platform, learnt from the platform.

People install the app (or join a team the bot is in) before an admin adds them to the team, so a
contact exists apart from a `Member`. Adapters store their own opaque address (for Teams a
conversation reference) and profile hints (email, time zone, directory id); the core keeps them
and answers look-ups by user id, directory id, email or name, never reading the address itself.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, bindparam, func, insert, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.clock import Clock
from bot.storage.database import Database
from bot.storage.models import Contact


@dataclass(frozen=True)
class ContactInfo:
    """What a platform told us about a person; empty fields keep what was stored."""

    platform: str
    user_id: str
    name: str = ""
    email: str | None = None
    timezone: str | None = None
    external_id: str | None = None


_CONTACTS: Table = Contact.__table__  # type: ignore[attr-defined]
_CONTACT_FIELDS = ("platform", "user_id", "name", "email", "timezone", "external_id",
                   "conversation_id", "personal", "address", "updated_at")
_CHANGING = tuple(c for c in _CONTACT_FIELDS if c != "updated_at")  # what an activity may change
_CONTACT_BY_USER = core_select(_CONTACTS).where(_CONTACTS.c.platform == bindparam("platform"),
                                           _CONTACTS.c.user_id == bindparam("user_id"))
_INSERT_CONTACT = insert(_CONTACTS).values(
    {c: bindparam(c, type_=_CONTACTS.c[c].type) for c in _CONTACT_FIELDS}).returning(_CONTACTS.c.id)
_UPDATE_CONTACT = update(_CONTACTS).where(_CONTACTS.c.id == bindparam("contact_id")).values(
    {c: bindparam(c, type_=_CONTACTS.c[c].type) for c in _CONTACT_FIELDS})


def _merge(row: Contact, info: ContactInfo, address: str | None, conversation_id: str | None,
           personal: bool) -> None:
    """What the platform said, over what was stored: empty fields keep it, and a personal
    address is never replaced by a shared one."""
    row.name = info.name or row.name
    row.email = info.email or row.email
    row.timezone = info.timezone or row.timezone
    row.external_id = info.external_id or row.external_id
    if address is not None and (personal or not row.personal):
        row.address, row.conversation_id, row.personal = address, conversation_id, personal


def _merged(stored: RowMapping, info: ContactInfo, address: str | None,
            conversation_id: str | None, personal: bool) -> dict[str, Any]:
    """`_merge` on a stored row's values (a dict of every column)."""
    values = dict(stored)
    values["name"] = info.name or stored["name"]
    values["email"] = info.email or stored["email"]
    values["timezone"] = info.timezone or stored["timezone"]
    values["external_id"] = info.external_id or stored["external_id"]
    if address is not None and (personal or not stored["personal"]):
        values["address"], values["conversation_id"], values["personal"] = address, conversation_id, personal
    return values


def _note(connection: Connection, info: ContactInfo, address: str | None, conversation_id: str | None,
          personal: bool, now: datetime, *, nested: bool) -> tuple[str | None, Contact]:
    """`ContactBook.note`'s unit: read the contact, write only what changed (see `note`);
    `nested`: each write in a savepoint (see `noting`)."""
    found = connection.execute(_CONTACT_BY_USER, {"platform": info.platform,
                                                  "user_id": info.user_id}).first()
    if found is None:
        row = Contact(platform=info.platform, user_id=info.user_id, updated_at=now)
        _merge(row, info, address, conversation_id, personal)
        values = {c: getattr(row, c) for c in _CONTACT_FIELDS}
        if not nested:
            row.id = connection.execute(_INSERT_CONTACT, values).scalar_one()
            return None, row
        try:
            with connection.begin_nested():
                row.id = connection.execute(_INSERT_CONTACT, values).scalar_one()
            return None, row
        except IntegrityError:  # inserted by a concurrent request since we looked: update it
            found = connection.execute(_CONTACT_BY_USER, {"platform": info.platform,
                                                          "user_id": info.user_id}).first()
            if found is None:
                raise
    stored = found._mapping
    values = _merged(stored, info, address, conversation_id, personal)
    if any(values[c] != stored[c] for c in _CHANGING):
        values["updated_at"] = now
        update_values = {"contact_id": stored["id"], **{c: values[c] for c in _CONTACT_FIELDS}}
        with connection.begin_nested() if nested else nullcontext():
            connection.execute(_UPDATE_CONTACT, update_values)
    # else nothing new: no write. The row is made once, from the merged values: merging
    # into a made row set each field through the model's instrumentation, and cost more
    # than the read.
    return stored["timezone"], Contact(**values)


class ContactBook:
    """Stores and finds contacts; each call is its own short transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def remember(self, info: ContactInfo, *, address: str | None = None,
                       conversation_id: str | None = None, personal: bool = False) -> Contact:
        """Insert or update a contact. A personal address is never replaced by a shared one:
        a team conversation only reaches someone the bot cannot already message privately.

        Someone new is often seen by several requests at once (Teams sends an install as two
        activities; a burst of messages is saved together after the acks): the writers that
        lose the race to insert them find the row inserted meanwhile and update it."""
        try:
            return await self._remember(info, address, conversation_id, personal)
        except IntegrityError:  # inserted by a concurrent request (or process) since we looked
            return await self._remember(info, address, conversation_id, personal)

    async def _remember(self, info: ContactInfo, address: str | None, conversation_id: str | None,
                        personal: bool) -> Contact:
        async with self.db.session() as session:
            row = (await session.exec(select(Contact).where(
                Contact.platform == info.platform, Contact.user_id == info.user_id))).first()
            if row is None:
                row = Contact(platform=info.platform, user_id=info.user_id,
                              updated_at=self.clock.now())
            _merge(row, info, address, conversation_id, personal)
            row.updated_at = self.clock.now()
            session.add(row)
            await session.flush()
            await session.refresh(row)
            return row

    async def note(self, info: ContactInfo, *, address: str | None = None,
                   conversation_id: str | None = None, personal: bool = False) -> tuple[str | None, Contact]:
        """`remember` for every inbound activity, as one unit of work on the database's thread
        (Core statements built once): the time zone stored before, and the contact now. Most
        activities change nothing (the same person, chat and time zone as their last one): the
        row is then left as it is, `updated_at` included (the time it last changed), so the unit
        only reads. `noting` is the same as a step of another unit (an answer's)."""
        now = self.clock.now()

        def unit(connection: Connection) -> tuple[str | None, Contact]:
            return _note(connection, info, address, conversation_id, personal, now, nested=False)
        try:
            return await self.db.run(unit)
        except IntegrityError:  # inserted by a concurrent process since we looked: update it
            return await self.db.run(unit)

    def noting(self, info: ContactInfo, *, address: str | None = None, conversation_id: str | None = None,
               personal: bool = False) -> Callable[[Connection], tuple[str | None, Contact]]:
        """`note` as a step of another unit of work (an inbound answer's, `BotCore.respond`'s
        `alongside`: one hand-off to the database's thread for both). Its writes, when there are
        any, go in a savepoint: a write that fails (an insert that lost the race to a concurrent
        one is then retried as an update) undoes nothing else of the unit."""
        now = self.clock.now()

        def step(connection: Connection) -> tuple[str | None, Contact]:
            return _note(connection, info, address, conversation_id, personal, now, nested=True)
        return step

    async def forget_address(self, platform: str, user_id: str) -> None:
        """The person removed the app: keep their profile, drop how to reach them, so the next
        send reports them as unreachable instead of failing at the platform."""
        async with self.db.session() as session:
            row = (await session.exec(select(Contact).where(
                Contact.platform == platform, Contact.user_id == user_id))).first()
            if row is not None:
                row.address, row.conversation_id, row.personal = None, None, False
                row.updated_at = self.clock.now()
                session.add(row)

    async def get(self, platform: str, user_id: str) -> Contact | None:
        async with self.db.session() as session:
            return (await session.exec(select(Contact).where(
                Contact.platform == platform, Contact.user_id == user_id))).first()

    async def by_conversation(self, platform: str, conversation_id: str) -> Contact | None:
        """The contact whose private conversation this is (to update a message sent there)."""
        async with self.db.session() as session:
            return (await session.exec(select(Contact).where(
                Contact.platform == platform, Contact.conversation_id == conversation_id)
                .order_by(col(Contact.personal).desc()))).first()

    async def find(self, platform: str, reference: str) -> list[Contact]:
        """Contacts an admin may mean: exact user id, directory id, email or name (any case)."""
        text = reference.strip().lstrip("@").lower()
        if not text:
            return []
        async with self.db.session() as session:
            rows = await session.exec(select(Contact).where(
                Contact.platform == platform,
                or_(func.lower(Contact.user_id) == text, func.lower(Contact.external_id) == text,
                    func.lower(Contact.email) == text, func.lower(Contact.name) == text))
                .order_by(col(Contact.id)))
            return list(rows.all())

    async def shared_addresses(self, platform: str) -> list[str]:
        """Distinct team-conversation addresses known on the platform (for roster look-ups)."""
        async with self.db.session() as session:
            rows = await session.exec(select(Contact.address).where(
                Contact.platform == platform, Contact.personal == False,  # noqa: E712
                col(Contact.address).is_not(None)).distinct())
            return [a for a in rows.all() if a]
