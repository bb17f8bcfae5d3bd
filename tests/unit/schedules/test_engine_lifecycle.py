"""A scheduled check-in's life: who is asked (working days, time away, holidays), reminders to
those who have not answered, editing until close, expiry, one open check-in at a time, and what
happens to occurrences that fell inside downtime."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlmodel import col, select

from bot.checkins.service import OPEN_STATES
from bot.clock import ManualClock
from bot.core import BotCore
from bot.storage.models import Answer, CheckIn
from tests.support.talk import say
from tests.unit.schedules.support import TimedPort, add_members, local_day, rows

NY = "America/New_York"
TUE_0900_NY = datetime(2026, 3, 3, 14, tzinfo=UTC)  # the first run after START (Mon 09:00 NY)


def by_day(checkins: list[CheckIn], zone: str = NY) -> dict[str, tuple[str, str | None]]:
    return {local_day(c.occurrence_at, zone).strftime("%a %d"): (c.state, c.note)
            for c in checkins}


# --- who is asked ------------------------------------------------------------------------


async def test_days_off_time_away_and_holidays_are_skipped_with_a_note(
        core: BotCore, port: TimedPort) -> None:
    await add_members(core, ("Dana", NY), ("Lee", NY))
    assert "Mon, Tue, Wed, Thu, Sun" in await say(core, "ada", "/align me days sun-thu member=Dana")
    assert "away until 2026-03-04" in await say(core, "ada",
                                                "/align away until 2026-03-04 member=Lee")
    assert "Added holiday 2026-03-05 (Thursday): Founders Day" in await say(
        core, "ada", "/align holiday add 2026-03-05 Founders Day")
    await say(core, "ada", '/align schedule add checkin "daily 09:00" to=reps remind=off')

    await core.advance(timedelta(days=7))  # Tue 3 .. Mon 9 March, 09:00 New York

    asked = {name: [local_day(t, NY).strftime("%a %d") for _, t in port.asks(name.lower())]
             for name in ("Dana", "Lee")}
    assert asked == {"Dana": ["Tue 03", "Wed 04", "Sun 08", "Mon 09"],
                     "Lee": ["Fri 06", "Mon 09"]}
    dana, lee = by_day(await rows(core, "Dana")), by_day(await rows(core, "Lee"))
    assert dana["Thu 05"] == ("skipped", "holiday: Founders Day")
    assert dana["Fri 06"] == dana["Sat 07"] == ("skipped", "day off")
    assert lee["Tue 03"] == lee["Wed 04"] == ("skipped", "away until 2026-03-04")
    assert lee["Thu 05"] == ("skipped", "holiday: Founders Day")
    assert lee["Sat 07"] == lee["Sun 08"] == ("skipped", "day off")
    assert len(dana) == len(lee) == 7  # a row for every member and occurrence, asked or not
    assert {state for state, _ in dana.values()} == {"skipped", "expired", "asked"}


async def test_away_until_then_back_resumes_with_the_next_run(core: BotCore,
                                                             port: TimedPort) -> None:
    await add_members(core, ("Lee", NY))
    assert "away until 2026-03-31" in await say(core, "lee", "/align away until 2026-03-31")
    await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps remind=off')

    await core.advance(timedelta(days=2))  # Tue and Wed pass while Lee is away
    assert port.asks() == []
    assert "Welcome back, Lee" in await say(core, "lee", "/align back")
    await core.advance(timedelta(days=1))

    assert [local_day(t, NY) for _, t in port.asks("lee")] == [date(2026, 3, 5)]
    assert [(s, n) for s, n in by_day(await rows(core, "Lee")).values()] == [
        ("skipped", "away until 2026-03-31"), ("skipped", "away until 2026-03-31"),
        ("asked", None)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # only reads what was typed
async def test_only_admins_set_availability_for_someone_else(core: BotCore) -> None:
    await add_members(core, ("Lee", NY), ("Dana", NY))
    assert "Only admins" in await say(core, "dana", "/align away until 2026-03-31 member=Lee")
    assert "Only admins" in await say(core, "dana", "/align me tz Asia/Kolkata member=Lee")
    assert "is for admins" in await say(core, "dana", "/align holiday add 2026-03-05")
    assert "not a time zone" in await say(core, "lee", "/align me tz Mars/Olympus")
    assert "'funday' is not a day" in await say(core, "lee", "/align me days mon-funday")
    assert "has already passed" in await say(core, "lee", "/align away until 2026-03-01")


# --- reminders, editing, expiry ----------------------------------------------------------


@pytest.mark.parametrize(("options", "expected_hours"), [
    pytest.param("", [4], id="default-one-after-4h"),
    pytest.param("reminders=2", [4, 8], id="reminders-2"),
    pytest.param("remind=2h reminders=3", [2, 4, 6], id="every-2h-3-times"),
    pytest.param("remind=off", [], id="remind-off"),
])
async def test_reminders_go_only_to_members_who_have_not_answered(
        core: BotCore, port: TimedPort, options: str, expected_hours: list[int]) -> None:
    await add_members(core, ("Dana", NY), ("Lee", NY))
    await say(core, "ada", f'/align schedule add checkin "weekdays 09:00" to=reps {options}')
    await core.advance(timedelta(days=1))  # Tue 09:00 New York: both asked
    assert len(port.asks()) == 2
    for answer in ("We win mid-market fintech.", "Fintech, not government.", "Mapped Acme."):
        await say(core, "dana", answer)
    await say(core, "lee", "Only the first answer.")

    await core.advance(timedelta(hours=23, minutes=59))  # up to just before Wednesday's run

    assert port.reminders("dana") == []
    lee = port.reminders("lee")
    assert [t - TUE_0900_NY for _, t in lee] == [timedelta(hours=h) for h in expected_hours]
    ask_ref = port.asks("lee")[0][0].ref
    for sent, _ in lee:
        assert sent.thread == ask_ref  # in the check-in's thread
        assert "still open (2 of 3 questions left)" in sent.message.text
        assert "Question 2 of 3" in sent.message.text
    (lee_row,) = await rows(core, "Lee")
    assert lee_row.reminders_sent == len(expected_hours)
    assert lee_row.state == ("reminded" if expected_hours else "asked")


async def test_answers_can_be_edited_until_close_then_it_expires(core: BotCore, clock: ManualClock,
                                                                 port: TimedPort) -> None:
    """close=6h closes at 15:00, before the next run: that is when the window ends."""
    await add_members(core, ("Dana", NY), ("Lee", NY))
    assert "closes after 6h or at the next run" in await say(
        core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps remind=2h close=6h')
    await core.advance(timedelta(days=1))
    for answer in ("s", "sc", "t"):
        await say(core, "dana", answer)
    await say(core, "lee", "first only")
    closes = TUE_0900_NY + timedelta(hours=6)
    assert {c.closes_at for c in await rows(core)} == {closes}

    await core.advance(closes - clock.now() - timedelta(minutes=1))  # 14:59 local
    assert "Updated your answer to question 3" in await say(
        core, "dana", "/align answer 3 ran discovery at Acme")
    await core.advance(timedelta(minutes=2))  # 15:01 local
    assert "no open check-in" in await say(core, "dana", "/align answer 3 too late")
    assert "no open check-in" in await say(core, "lee", "a late answer")

    dana, lee = (await rows(core, "Dana"))[0], (await rows(core, "Lee"))[0]
    assert (dana.state, lee.state) == ("answered", "expired")
    assert lee.closed_at == lee.closes_at == closes  # closed at its own time, not at 15:01
    assert len(port.reminders("lee")) == 1 and port.reminders("dana") == []
    async with core.ctx.db.session() as session:
        answers = {a.question: a.text for a in (await session.exec(
            select(Answer).where(Answer.checkin_id == dana.id))).all()}
    assert answers["tasks"] == "ran discovery at Acme"


async def test_a_long_close_still_closes_at_the_next_run_so_only_one_is_ever_open(
        core: BotCore, clock: ManualClock, port: TimedPort) -> None:
    await add_members(core, ("Dana", NY), ("Lee", "Asia/Kolkata"))
    for name in ("Dana", "Lee"):
        await say(core, "ada", f"/align me days daily member={name}")
    assert "closes after 3d or at the next run" in await say(
        core, "ada", '/align schedule add checkin "daily 09:00" to=reps close=3d')
    await say(core, "dana", "a")  # nothing open yet

    for _ in range(4 * 3):  # four days, looking every eight hours
        await core.advance(timedelta(hours=8))
        await say(core, "dana", "an answer")  # Dana answers what is open; Lee never does
        async with core.ctx.db.session() as session:
            open_rows = (await session.exec(select(CheckIn).where(
                col(CheckIn.state).in_(OPEN_STATES),
                col(CheckIn.closes_at) > clock.now()))).all()
        per_member = [c.member_id for c in open_rows]
        assert len(per_member) == len(set(per_member))

    for name in ("Dana", "Lee"):
        mine = await rows(core, name)
        assert len(mine) == 4 and all(c.state != "skipped" for c in mine)
        for this, following in pairwise(mine):
            assert this.closes_at == following.occurrence_at == following.asked_at  # not +3d
    dana, lee = await rows(core, "Dana"), await rows(core, "Lee")
    assert [c.state for c in dana] == ["answered"] * 3 + ["asked"]
    assert [c.state for c in lee] == ["expired"] * 3 + ["reminded"]
    for closed in dana[:3] + lee[:3]:
        assert closed.closed_at == closed.closes_at  # closed as the next one was asked
    assert len(port.asks("dana")) == len(port.asks("lee")) == 4


async def test_an_answered_checkin_keeps_the_time_it_closed(core: BotCore) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps close=6h')
    await core.advance(timedelta(days=1))
    for answer in ("s", "sc", "t"):
        await say(core, "dana", answer)
    await core.advance(timedelta(days=1))
    first = (await rows(core, "Dana"))[0]
    assert first.state == "answered" and first.closed_at == first.closes_at


async def test_nobody_is_asked_again_while_a_checkin_of_the_schedule_is_open(
        core: BotCore, port: TimedPort) -> None:
    """Lee moves from Kolkata to New York: New York's 09:00 comes while the Kolkata one is still
    open, so that run is skipped for Lee rather than opening a second check-in."""
    await add_members(core, ("Lee", "Asia/Kolkata"))
    await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps remind=off')
    await core.advance(timedelta(hours=14))  # Tue 09:00 Kolkata (03:30 UTC): asked
    assert len(port.asks("lee")) == 1
    await say(core, "ada", f"/align me tz {NY} member=Lee")
    await core.advance(timedelta(hours=12))  # Tue 09:00 New York (14:00 UTC) passes

    assert len(port.asks("lee")) == 1
    first, second = await rows(core, "Lee")
    assert first.state == "asked"
    assert (second.state, second.note) == ("skipped", "the previous check-in is still open")
    await core.advance(timedelta(days=1))  # the Kolkata check-in closed; Wednesday is fresh
    assert len(port.asks("lee")) == 2


# --- downtime ----------------------------------------------------------------------------


async def test_after_downtime_recent_runs_are_asked_and_older_ones_recorded_missed(
        core: BotCore, clock: ManualClock, port: TimedPort) -> None:
    await add_members(core, ("Nia", NY), ("Bea", "Europe/Berlin"))
    await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps')

    clock.set(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))  # down from Mon 14:00 to Wed 15:00 UTC
    report = await core.tick()

    # Nia: Tue 09:00 NY is 25h old (missed); Wed 09:00 NY is 1h old (asked, late)
    # Bea: Tue 09:00 and Wed 09:00 Berlin are 31h and 7h old (both missed)
    assert [(s.to.user_id, t) for s, t in port.asks()] == [("nia", clock.now())]
    assert str(port.asks()[0][0].message.key).endswith("20260304T140000Z:ask")
    assert (report.asked, report.missed) == (1, 3)
    assert [(c.state, c.note) for c in await rows(core, "Nia")] == [
        ("missed", "the bot was not running at the time"), ("asked", None)]
    assert [(c.state, c.note) for c in await rows(core, "Bea")] == [
        ("missed", "the bot was not running at the time")] * 2
    await core.advance(timedelta(days=1))  # running again: Thursday is normal for both
    assert [local_day(t, "Europe/Berlin") for _, t in port.asks("bea")] == [date(2026, 3, 5)]


@pytest.mark.parametrize(("late", "asked"), [
    pytest.param(timedelta(hours=1, minutes=59), True, id="1h59m-late-asked"),
    pytest.param(timedelta(hours=2, minutes=1), False, id="2h01m-late-missed"),
])
async def test_the_grace_period_is_two_hours(core: BotCore, clock: ManualClock, port: TimedPort,
                                             late: timedelta, asked: bool) -> None:
    await add_members(core, ("Nia", NY))
    await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps')
    clock.advance(TUE_0900_NY + late - clock.now())
    await core.tick()
    assert len(port.asks()) == int(asked)
    assert [c.state for c in await rows(core)] == ["asked" if asked else "missed"]


async def test_after_downtime_the_latest_run_within_grace_is_asked_even_if_an_earlier_one_was(
        core: BotCore, clock: ManualClock, port: TimedPort) -> None:
    """Hourly runs, bot down 14:00-16:30 UTC: 15:00 (its window already closed at 16:00) is
    missed, 16:00 (30 minutes ago, still open) is asked."""
    await add_members(core, ("Nia", "UTC"))
    await say(core, "ada", '/align schedule add checkin "0 * * * *" to=reps remind=off')

    clock.set(datetime(2026, 3, 2, 16, 30, tzinfo=UTC))
    await core.tick()

    assert [s.message.key for s, _ in port.asks()] == [
        f"{(await rows(core))[1].key}:ask"]
    assert [(c.occurrence_at.hour, c.state) for c in await rows(core)] == [
        (15, "missed"), (16, "asked")]


async def test_a_checkin_asked_late_after_downtime_is_not_reminded_at_once(
        core: BotCore, clock: ManualClock, port: TimedPort) -> None:
    """Asked an hour late with remind=30m: the reminders come 30m and 60m after the ask, not
    together with it."""
    await add_members(core, ("Nia", NY))
    await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=reps remind=30m'
                           " reminders=2")
    clock.set(TUE_0900_NY + timedelta(hours=1))
    await core.tick()
    assert len(port.asks()) == 1 and port.reminders() == []

    await core.advance(timedelta(hours=3))
    asked_at = port.asks()[0][1]
    assert [t - asked_at for _, t in port.reminders()] == [timedelta(minutes=30),
                                                           timedelta(minutes=60)]
