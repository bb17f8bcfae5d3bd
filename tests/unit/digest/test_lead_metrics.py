"""Follow-up metrics as the HBR study measures them: real elapsed time to the first touch, shares
within 1 h and 24 h over every new lead (untouched ones count as neither), the black hole, and
overdue as a snapshot of open leads."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.core import BotCore
from bot.digest.figures import untouched_leads
from bot.leads.metrics import (
    FollowUp,
    LeadBook,
    LeadFacts,
    follow_up,
    load_lead_figures,
    load_leads,
)
from bot.storage.models import Lead, Member
from tests.support.talk import say

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW = T0 + timedelta(days=3)


def lead(owner: int, delay: timedelta | None, touches: int = 1, status: str = "working",
         due: datetime | None = None, segment: str = "fintech") -> LeadFacts:
    return LeadFacts(owner, segment, T0, status, touches if delay else 0,
                     T0 + delay if delay else None, due)


def test_shares_count_every_new_lead_and_the_median_only_touched_ones() -> None:
    cohort = [lead(1, timedelta(minutes=59)), lead(1, timedelta(hours=1)),
              lead(1, timedelta(hours=1, seconds=1), touches=3), lead(2, timedelta(hours=25)),
              lead(2, None, status="new")]
    figures = follow_up(cohort, cohort, NOW)
    assert (figures.leads, figures.touched, figures.never_touched) == (5, 4, 1)
    assert figures.within_1h == 2 / 5  # exactly one hour counts as within
    assert figures.within_24h == 3 / 5
    assert figures.median_first_touch == (timedelta(hours=1) + timedelta(hours=1, seconds=1)) / 2
    assert figures.touches_per_lead == (1 + 1 + 3 + 1 + 0) / 5
    assert follow_up([], [], NOW) == FollowUp()  # nothing to measure: no made-up zeros


def test_overdue_is_open_leads_past_due_now() -> None:
    leads = [lead(1, None, status="new", due=NOW - timedelta(minutes=1)),  # overdue
             lead(1, timedelta(hours=2), due=NOW + timedelta(hours=1)),  # due later
             lead(1, timedelta(hours=2), status="qualified", due=NOW - timedelta(days=1)),  # closed
             lead(2, timedelta(hours=2), due=None)]  # no more touches due
    assert follow_up([], leads, NOW).overdue == 1


def test_a_book_groups_by_owner_and_segment_and_narrows_to_a_period() -> None:
    early = LeadFacts(1, "banks", T0 - timedelta(days=8), "working", 1,
                      T0 - timedelta(days=8) + timedelta(minutes=10), None)
    untouched = lead(2, None, status="new", segment="banks")
    book = LeadBook([lead(1, timedelta(minutes=5)), untouched, early], [untouched], NOW)
    assert set(book.by_owner()) == {1, 2} and book.by_owner()[2].never_touched == 1
    assert book.by_segment()["banks"].leads == 2
    this_week = book.engaged_in(T0 - timedelta(days=1), NOW)
    assert this_week.total().leads == 2 and this_week.total().within_1h == 1 / 2


def test_never_touched_is_every_open_untouched_lead_whatever_its_age() -> None:
    old = LeadFacts(1, "banks", T0 - timedelta(days=40), "new", 0, None, None)  # nothing due
    fresh = lead(2, None, status="new")
    closed = LeadFacts(1, "banks", T0 - timedelta(days=9), "disqualified", 0, None, None)
    figures = follow_up([fresh], [old, fresh, closed], NOW)
    assert figures.never_touched == 2  # the old one too, though it arrived in no recent period
    assert figures.oldest_untouched == NOW - old.engaged_at
    assert figures.overdue == 0


async def test_load_leads_reads_the_period_and_the_open_leads_needing_a_touch_once_each(
        core: BotCore) -> None:
    """The period's leads and the open ones needing a touch are found separately (each on its
    own index) and read by id: a lead that is both comes back once; owners not asked about, and
    closed or touched leads not due, not at all; by owner and engagement; owners as ids or as a
    query for them."""
    for line in ("/align team add Ada admin", "/align team add Kim rep", "/align team add Lou rep",
                 "/align team add Out rep"):
        assert "Added" in await say(core, "ada", line), line
    start, end = NOW - timedelta(days=7), NOW
    async with core.ctx.db.session() as session:
        people = {m.name: m.id or 0 for m in (await session.exec(select(Member))).all()}
        kim, lou, out = people["Kim"], people["Lou"], people["Out"]
        specs = [  # owner, key, engaged, status, touches, next due
            (lou, "lou-overdue", start - timedelta(days=20), "working", 1, NOW - timedelta(hours=1)),
            (kim, "kim-new-untouched", start + timedelta(days=1), "new", 0, NOW + timedelta(days=1)),
            (kim, "kim-old-untouched", start - timedelta(days=30), "working", 0, None),
            (kim, "kim-old-closed", start - timedelta(days=9), "qualified", 0, None),
            (kim, "kim-qualified", start + timedelta(days=2), "qualified", 2, None),
            (kim, "kim-old-not-due", start - timedelta(days=3), "working", 1, NOW + timedelta(days=1)),
            (out, "out-new", start + timedelta(days=1), "new", 0, None),
        ]
        for owner, key, engaged, status, touches, due in specs:
            session.add(Lead(source="test", external_id=key, company=key, segment="fintech",
                             owner_id=owner, engaged_at=engaged, status=status, touches=touches,
                             first_touch_at=engaged + timedelta(hours=1) if touches else None,
                             next_due_at=due, created_at=NOW, updated_at=NOW))
        await session.commit()
        for owners in ([kim, lou], select(Member.id).where(col(Member.name).in_(("Kim", "Lou")))):
            book = await load_leads(session, owners, start, end, NOW)  # type: ignore[arg-type]
            assert [(r.owner_id, r.status, r.engaged_at) for r in book.cohort] == [
                (kim, "new", start + timedelta(days=1)), (kim, "qualified", start + timedelta(days=2))]
            assert [(r.owner_id, r.status, r.engaged_at) for r in book.open] == [
                (kim, "working", start - timedelta(days=30)), (kim, "new", start + timedelta(days=1)),
                (lou, "working", start - timedelta(days=20))]
        everyone = await load_leads(session, None, start, end, NOW)
        assert sorted(r.owner_id for r in everyone.cohort) == sorted([kim, kim, out])


async def test_lead_figures_equal_the_lead_book_on_awkward_times(core: BotCore) -> None:
    """load_lead_figures (times as integers from the database, one pass) says what the LeadBook
    says, on times chosen to break a careless conversion: microsecond fractions, first touches
    exactly 1 h and 24 h after (and one microsecond over, and a microsecond before a whole
    second, which SQLite's date functions round up), an even number of delays whose
    median rounds half to even, leads at the period's very start and end, before 1970 (a
    negative epoch), untouched leads of equal age, a lead both new and overdue, closed leads,
    and an owner nobody asked about."""
    for line in ("/align team add Ada admin", "/align team add Kim rep", "/align team add Lou rep",
                 "/align team add Out rep"):
        assert "Added" in await say(core, "ada", line), line
    previous, start, end = NOW - timedelta(days=14), NOW - timedelta(days=7), NOW
    us = timedelta(microseconds=1)
    async with core.ctx.db.session() as session:
        people = {m.name: m.id or 0 for m in (await session.exec(select(Member))).all()}
        kim, lou, out = people["Kim"], people["Lou"], people["Out"]
        specs = [  # owner, segment, source, engaged, status, touches, first touch after, next due
            (kim, "fintech", "crm", start, "working", 1, timedelta(hours=1), None),
            (kim, "fintech", "crm", start + 7 * us, "working", 2, timedelta(hours=24), None),
            (kim, "banks", "web", start + timedelta(days=1, microseconds=3), "working", 1,
             timedelta(seconds=1), NOW - us),
            (kim, "banks", "", end - us, "new", 0, None, None),  # 23:59:59.999999
            (kim, "banks", "web", end, "new", 0, None, None),  # the next period: open only
            (lou, "fintech", "crm", start - us, "working", 1, timedelta(hours=24) + us, None),
            (lou, "fintech", "crm", previous, "qualified", 3, timedelta(minutes=5), None),
            (lou, "banks", "web", start + timedelta(hours=5, microseconds=1), "working", 1,
             timedelta(seconds=2, microseconds=1), NOW + timedelta(days=1)),
            (lou, "banks", "web", start + timedelta(hours=5, microseconds=1), "working", 1,
             timedelta(seconds=3), None),
            (lou, "banks", "web", start + timedelta(hours=6), "working", 1,
             timedelta(hours=1) + us, None),
            (lou, "fintech", "crm", datetime(1969, 12, 31, 23, 59, 59, 500_001, tzinfo=UTC),
             "new", 0, None, None),
            (lou, "fintech", "crm", start - timedelta(days=30, microseconds=9), "working", 0, None,
             NOW - timedelta(days=1)),
            (kim, "fintech", "crm", start - timedelta(days=30, microseconds=9), "new", 0, None,
             None),
            (kim, "banks", "web", start - timedelta(days=9), "disqualified", 0, None, None),
            (out, "fintech", "crm", start + timedelta(days=2), "new", 0, None, None),
        ]
        for n, (owner, segment, source, engaged, status, touches, delay, due) in enumerate(specs):
            session.add(Lead(source=source, external_id=f"k{n}", company=f"c{n}", segment=segment,
                             owner_id=owner, engaged_at=engaged, status=status, touches=touches,
                             first_touch_at=engaged + delay if delay else None, next_due_at=due,
                             created_at=NOW, updated_at=NOW))
        await session.commit()
        for owners in ([kim, lou], select(Member.id).where(col(Member.name).in_(("Kim", "Lou")))):
            book = await load_leads(session, owners, previous, end, NOW)  # type: ignore[arg-type]
            got = await load_lead_figures(session, owners, previous, start, end, NOW)  # type: ignore[arg-type]
            now = book.engaged_in(start, end)
            assert got.by_owner == now.by_owner() and list(got.by_owner) == list(now.by_owner())
            assert got.by_segment == now.by_segment()
            assert got.now == now.total()
            assert got.before == book.engaged_in(previous, start).total()
            assert got.new_by_segment == Counter(lead.segment for lead in now.cohort)
            assert got.new_by_source == Counter((lead.segment, lead.source or "?")
                                                for lead in now.cohort)
            names = {kim: "Kim", lou: "Lou"}
            assert [(names[o], s, age) for o, s, age in got.untouched] == untouched_leads(book, names)
            assert got.by_owner[kim].within_1h == 2 / 4 and got.by_owner[kim].within_24h == 3 / 4
            assert got.by_owner[lou].median_first_touch == timedelta(seconds=3)
            assert got.by_owner[lou].within_1h == 2 / 3
            # (2.000001 s + 3 s) / 2, half a microsecond rounded to even
            assert got.by_segment["banks"].median_first_touch == timedelta(seconds=2.5)
            assert got.now.oldest_untouched == NOW - datetime(1969, 12, 31, 23, 59, 59, 500_001,
                                                              tzinfo=UTC)
