"""The queries that moved to partial indexes in 0016_fanout_indexes still find their rows by an
index, on a history where nearly every check-in is closed and nearly every send is sent: due
reminders (`ix_checkins_reminder_due`, in its order), the closer (`ix_checkins_closing`) and the
three lookups of sends not recorded sent (`ix_outbound_messages_unsent`), and materialising's open
check-ins (`ix_checkins_due`, `ix_checkins_closing`; 0017). A partial index is only
used when the query states its predicate with literals, which a bound parameter would silently
lose (a sequential scan of the whole history on every tick), so the plans are asserted.

The plans are the databases' own (EXPLAIN QUERY PLAN / EXPLAIN), of the very statement and
parameters sent, taken on the same connection just before it runs (`plans_of`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, insert, text, update
from sqlmodel import select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.evaluation.review import FEEDBACK_KIND
from bot.leads.writeback import WriteBacks
from bot.ops.status import failed_sends
from bot.storage.database import Database
from bot.storage.models import CheckIn, Member, OutboundMessage, Schedule
from tests.conftest import START
from tests.unit.schedules.test_due_query_plan import _populate, plans_of
from tests.unit.schedules.test_record_statements import _sent_before

_OUTBOX = OutboundMessage.__table__  # type: ignore[attr-defined]
_CHECKINS = CheckIn.__table__  # type: ignore[attr-defined]
REMINDED = 100  # of today's check-ins: asked, a reminder due within the hour


def _history(url: str) -> None:
    """`_populate`'s 10,000 check-ins, with the earlier days' 8,000 closed as a year of fan-outs
    leaves them (half answered and kept 'answered', half expired, each with the reminder time it
    was planned with) and each of them sent; of today's, REMINDED asked with a reminder due, the
    rest scheduled. A handful of sends not recorded sent: feedback failed for now, CRM writes
    queued, one given up. Then statistics, as autovacuum would have."""
    _populate(url)
    _sent_before(url)
    engine = create_engine(Database(url).sync_url)
    c = _CHECKINS.c
    with engine.begin() as conn:
        conn.execute(update(_CHECKINS).where(c.state == "asked").values(
            state=text("CASE WHEN id % 2 = 0 THEN 'answered' ELSE 'expired' END"),
            closed_at=c.closes_at, next_reminder_at=c.occurrence_at))
        today = [row[0] for row in conn.execute(
            text("SELECT id FROM checkins WHERE state = 'scheduled' ORDER BY id LIMIT :n"),
            {"n": REMINDED})]
        conn.execute(update(_CHECKINS).where(c.id.in_(today)).values(
            state="asked", asked_at=START - timedelta(hours=5),
            next_reminder_at=START + timedelta(minutes=30)))
        member = conn.execute(text("SELECT min(id) FROM members")).scalar_one()
        conn.execute(insert(_OUTBOX), [
            *({"key": f"fb:{n}:0", "member_id": member, "kind": FEEDBACK_KIND, "state": "claimed",
               "attempts": 1, "claimed_at": START - timedelta(minutes=n), "error": "timeout"}
              for n in range(5)),
            *({"key": f"crm:hubspot:ev{n}", "member_id": member, "kind": "crm_hubspot",
               "state": "claimed", "attempts": 0, "claimed_at": START, "error": None}
              for n in range(5)),
            {"key": "gone:1", "member_id": member, "kind": "checkin", "state": "failed",
             "attempts": 3, "claimed_at": START - timedelta(hours=1), "error": "user_not_found"}])
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _uses(plan: str, index: str, *, ordered: bool = False) -> None:
    assert index in plan, plan
    if ordered:  # the index's own order: no sort of the rows it found
        assert ("TEMP B-TREE" not in plan) and ("Sort" not in plan), plan


async def test_reminders_and_the_closer_read_their_partial_indexes(core: BotCore,
                                                                   clock: ManualClock) -> None:
    db = core.ctx.db
    _history(db.url)
    now = START + timedelta(hours=1)
    engine = core.engine
    with plans_of(db, "next_reminder_at") as plans:
        async with db.session() as session:
            due = await engine._due_reminders(session, now, None)
    assert len(due) == REMINDED
    assert len(plans) == 1, plans
    # PostgreSQL sorts the hundred rows it found there rather than walk them in order and join
    # each: the index holds only check-ins awaiting a reminder, so that sort stays small.
    _uses(plans[0], "ix_checkins_reminder_due", ordered=db.is_sqlite)

    with plans_of(db, "ORDER BY checkins.next_reminder_at") as plans:
        assert await engine.next_due(START, now) == START + timedelta(minutes=30)
    assert len(plans) == 1, plans
    _uses(plans[0], "ix_checkins_reminder_due")  # SQLite may sort the range it found per schedule

    with plans_of(db, "closes_at") as plans:
        assert await core.closer.next_due(START, START + timedelta(days=1)) == START + timedelta(hours=3)
    assert len(plans) == 1, plans
    _uses(plans[0], "ix_checkins_closing", ordered=True)

    clock.set(START + timedelta(hours=4))
    with plans_of(db, "checkins.closed_at IS NULL") as plans:
        assert await core.closer.close_due() == REMINDED  # today's asked ones; the history was closed
    assert len(plans) == 1, plans
    _uses(plans[0], "ix_checkins_closing")


async def test_sends_not_recorded_sent_are_found_by_the_unsent_index(core: BotCore) -> None:
    db = core.ctx.db
    _history(db.url)
    with plans_of(db, "outbound_messages.error IS NOT NULL") as plans:
        failed = await failed_sends(core.ctx, START - timedelta(days=1))
        retrying = await failed_sends(core.ctx, START - timedelta(days=1), state="claimed")
    assert [f.kind for f in failed] == ["checkin"]
    assert {f.kind for f in retrying} == {FEEDBACK_KIND}
    # The catch-up's query, as the reviewer sends it (the rebuilt reviews are its own test's).
    with plans_of(db, "outbound_messages.error IS NOT NULL") as feedback_plans:
        await core.reviewer._undelivered()
    with plans_of(db, "outbound_messages.kind IN") as writeback_plans:
        assert await WriteBacks(core.ctx).drain() == {"sent": 0, "retry": 0, "failed": 0}
    assert len(plans) == 2 and len(feedback_plans) == 1 and len(writeback_plans) == 1
    for plan in [*plans, *feedback_plans, *writeback_plans]:
        _uses(plan, "ix_outbound_messages_unsent")


async def test_materialising_reads_open_check_ins_from_the_partial_indexes(core: BotCore,
                                                                           clock: ManualClock) -> None:
    """Which members still have a check-in of the schedule open: from the check-ins still to be
    asked (`ix_checkins_due`) and those asked and not closed (`ix_checkins_closing`), never from
    the schedule's whole history (0017 dropped `ix_checkins_schedule_id`, its old path)."""
    db = core.ctx.db
    _history(db.url)
    clock.set(START + timedelta(hours=1))
    async with db.session() as session:
        schedule = (await session.exec(select(Schedule))).one()
        member_ids = set((await session.exec(select(Member.id))).all())
    with plans_of(db, "checkins.schedule_id =") as plans:
        async with db.session() as session:
            open_for = await core.engine._open_member_ids(session, schedule)
    assert open_for == member_ids  # today's: REMINDED asked, the rest scheduled; all still open
    assert len(plans) == 2, plans
    _uses(plans[0], "ix_checkins_due")
    _uses(plans[1], "ix_checkins_closing")
    assert not any("schedule_id" in plan and "Seq Scan" in plan for plan in plans), plans
