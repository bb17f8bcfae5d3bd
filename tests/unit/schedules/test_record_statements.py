"""A fan-out page's results are recorded in one statement per table (PostgreSQL), row by row as
the executemany recorded them: the check-ins asked and the outbox rows sent, each with its own
values, only where the conditions hold; locked in the order given (the outbox's key order), each
given row finding its own by an index, whatever the size of the table.

The plans are PostgreSQL's own (EXPLAIN of the very statement and parameters sent, on the same
connection just before it runs), on 10,000 check-ins and 8,000 outbox rows: at that size the
planner had hashed the whole outbox table for every page when the given rows were simply joined."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, event, insert, select, text

from bot.core import BotCore
from bot.delivery import _RECORD_SENT, Outgoing, Recipient
from bot.scheduling.engine import _MARK_ASKED
from bot.storage.database import Database
from bot.storage.models import CheckIn, OutboundMessage
from tests.conftest import START
from tests.unit.schedules.test_due_query_plan import _populate, plans_of

_OUTBOX = OutboundMessage.__table__  # type: ignore[attr-defined]
_CHECKINS = CheckIn.__table__  # type: ignore[attr-defined]


def _sent_before(url: str) -> None:
    """An outbox row per check-in already asked (8,000), as earlier fan-outs leave them."""
    engine = create_engine(Database(url).sync_url)
    with engine.begin() as conn:
        asked = conn.execute(select(_CHECKINS.c.key, _CHECKINS.c.member_id, _CHECKINS.c.created_at)
                             .where(_CHECKINS.c.state == "asked")).all()
        conn.execute(insert(_OUTBOX), [{
            "key": f"{key}:ask", "member_id": member, "kind": "checkin", "state": "sent",
            "attempts": 1, "claimed_at": at, "sent_at": at,
            "platform_ref": json.dumps({"platform": "slack", "channel": "D1", "message_id": "1"})}
            for key, member, at in asked])
        conn.execute(text("ANALYZE"))
    engine.dispose()


async def test_a_page_is_recorded_row_by_row_in_one_statement_per_table(core: BotCore) -> None:
    db = core.ctx.db
    _populate(db.url)
    _sent_before(db.url)
    now = START + timedelta(minutes=1)
    async with db.session() as session:
        scheduled = (await session.exec(select(_CHECKINS.c.id, _CHECKINS.c.key).where(
            _CHECKINS.c.state == "scheduled").order_by(_CHECKINS.c.id.desc()).limit(6))).all()
        asked = (await session.exec(select(_CHECKINS.c.id).where(
            _CHECKINS.c.state == "asked").limit(1))).scalar_one()
        sent = sorted((await session.exec(select(_OUTBOX.c.key).order_by(
            _OUTBOX.c.id.desc()).limit(5))).scalars())
    reminder = START + timedelta(hours=2)
    asks = [{"cid": cid, "ref": f'{{"message_id": "{n}"}}', "remind": reminder if n % 2 else None}
            for n, (cid, _) in enumerate(scheduled)] + [  # one no longer scheduled: left alone
        {"cid": asked, "ref": "not written", "remind": reminder}]
    sends = [{"k": key, "ref": f"ref {key}"} for key in sent]

    with plans_of(db, "json_to_recordset") as plans:
        async with db.session() as session:
            await _MARK_ASKED.run(session, asks, sqlite=db.is_sqlite, now=now)
            await _RECORD_SENT.run(session, sends, sqlite=db.is_sqlite, now=now)

    async with db.session() as session:
        rows = {row.id: row for row in (await session.exec(select(
            _CHECKINS).where(_CHECKINS.c.id.in_([a["cid"] for a in asks])))).all()}
        outbox = {row.key: row for row in (await session.exec(select(
            _OUTBOX).where(_OUTBOX.c.key.in_(sent)))).all()}
    for ask in asks[:-1]:
        row = rows[ask["cid"]]
        assert (row.state, row.asked_at, row.current_question, row.message_ref,
                row.next_reminder_at) == ("asked", now, 0, ask["ref"], ask["remind"])
    assert rows[asked].message_ref != "not written" and rows[asked].asked_at is None
    for send in sends:
        row = outbox[send["k"]]
        assert (row.state, row.sent_at, row.platform_ref, row.error) == ("sent", now, send["ref"], None)

    if db.is_sqlite:
        assert plans == []  # an executemany there, as before
        return
    assert len(plans) == 2, plans
    for plan in plans:
        assert "Seq Scan" not in plan and "Hash" not in plan, plan  # an index lookup per row
        # the given rows in their order, each locking its own rows in a nested loop
        assert "Sort Key: record.position_" in plan and "LockRows" in plan, plan
        assert plan.index("Sort Key: record.position_") < plan.index("LockRows"), plan


async def test_a_page_of_claims_and_of_new_checkins_is_one_insert_each(core: BotCore) -> None:
    """The claim returns the keys it won - new keys, in key order - and skips one already there;
    materialising keeps an existing check-in as it is and gives the new ones the page's shared
    values. On PostgreSQL each is one INSERT ... SELECT from a JSON document (RowsInsert), not
    an INSERT per row or a statement with a placeholder per value."""
    db = core.ctx.db
    _populate(db.url)
    _sent_before(db.url)
    now = START + timedelta(minutes=1)
    async with db.session() as session:
        scheduled = (await session.exec(select(_CHECKINS.c.key, _CHECKINS.c.member_id).where(
            _CHECKINS.c.state == "scheduled").order_by(_CHECKINS.c.id).limit(4))).all()
        existing = (await session.exec(select(_OUTBOX.c.key, _OUTBOX.c.member_id).limit(1))).one()
        kept = (await session.exec(select(_CHECKINS).where(_CHECKINS.c.state == "asked").limit(1))).one()
    wanted = [Outgoing(Recipient(member, "slack", f"U{member}", "Rep", None), f"{key}:ask", "checkin",
                       None) for key, member in reversed([*scheduled, tuple(existing)])]
    new = [{"key": f"s9:m{member}:new", "member_id": member, "occurrence_at": START,
            "audience": "rep", "state": "scheduled", "note": None, "closes_at": None}
           for _, member in scheduled] + [{  # an existing key: kept as it is
        "key": kept.key, "member_id": kept.member_id, "occurrence_at": START, "audience": "manager",
        "state": "scheduled", "note": "not written", "closes_at": None}]

    async def pages(_session: Any) -> AsyncIterator[list[dict[str, Any]]]:
        yield new

    sent: list[tuple[str, bool]] = []  # (statement, executemany) of each INSERT

    def note(_conn: Any, _cursor: Any, statement: str, _parameters: Any, _context: Any,
             many: bool) -> None:
        if statement.startswith("INSERT INTO"):
            sent.append((statement, many))

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        async with db.session() as session:
            won = await core.outbox.claim(session, wanted)
        await core.engine._insert_new(pages, {"schedule_id": 9, "reminders_sent": 0,
                                              "strategy_version": "v9", "created_at": now})
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)

    assert [w.key for w in won] == [w.key for w in wanted if w.key != existing.key]
    assert all(w.claim is not None and (w.claim.at, w.claim.attempts) == (core.ctx.clock.now(), 1)
               for w in won)
    async with db.session() as session:
        claimed = (await session.exec(select(_OUTBOX).where(
            _OUTBOX.c.key.in_([w.key for w in wanted])).order_by(_OUTBOX.c.id))).all()
        stored = {row.key: row for row in (await session.exec(select(_CHECKINS).where(
            _CHECKINS.c.key.in_([row["key"] for row in new])))).all()}
    fresh = [row for row in claimed if row.key != existing.key]
    assert [row.key for row in fresh] == sorted(w.key for w in won)  # inserted in key order
    assert {(row.state, row.kind, row.attempts, row.claimed_at) for row in fresh} == {
        ("claimed", "checkin", 1, core.ctx.clock.now())}
    assert stored[kept.key] == kept
    for row in new[:-1]:
        assert (stored[row["key"]].schedule_id, stored[row["key"]].strategy_version,
                stored[row["key"]].reminders_sent, stored[row["key"]].created_at,
                stored[row["key"]].state, stored[row["key"]].member_id) == (
            9, "v9", 0, now, "scheduled", row["member_id"])
    assert len(sent) == 2, sent  # one statement for the page of claims, one for the check-ins
    if not db.is_sqlite:  # each a single statement with one JSON parameter
        assert all("json_to_recordset" in text and not many for text, many in sent), sent
