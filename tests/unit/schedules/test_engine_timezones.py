"""Each member is asked at their own local wall-clock time, on both sides of every 2026 DST change.

Members live in New York (US DST: Mar 8 / Nov 1), Berlin (EU: Mar 29 / Oct 25), Kolkata (no DST)
and Lord Howe Island (a 30-minute shift: Apr 5 / Oct 4). The clock starts a few days before a
transition and the bot runs (core.advance) for five days; every ask must land at 09:00 local.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.core import BotCore
from tests.support.talk import say
from tests.unit.schedules.support import TimedPort, add_members, rows

PEOPLE = {"Nia": "America/New_York", "Bea": "Europe/Berlin", "Kai": "Asia/Kolkata",
          "Lou": "Australia/Lord_Howe"}

# (zone whose clocks change, the Sunday they change, offset before, offset after)
TRANSITIONS = [
    pytest.param("America/New_York", date(2026, 3, 8), -5 * 60, -4 * 60, id="us-spring"),
    pytest.param("Europe/Berlin", date(2026, 3, 29), 60, 120, id="eu-spring"),
    pytest.param("Australia/Lord_Howe", date(2026, 4, 5), 11 * 60, 10 * 60 + 30, id="lhi-autumn"),
    pytest.param("Australia/Lord_Howe", date(2026, 10, 4), 10 * 60 + 30, 11 * 60, id="lhi-spring"),
    pytest.param("Europe/Berlin", date(2026, 10, 25), 120, 60, id="eu-autumn"),
    pytest.param("America/New_York", date(2026, 11, 1), -4 * 60, -5 * 60, id="us-autumn"),
]


def expected_weekday_nines(zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Local 09:00 on each weekday whose instant is in (start, end], as naive local times."""
    tz = ZoneInfo(zone)
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    found = []
    while day <= last:
        instant = datetime.combine(day, time(9), tzinfo=tz)
        if day.weekday() < 5 and start < instant <= end:
            found.append(instant.replace(tzinfo=None))
        day += timedelta(days=1)
    return found


def minutes(offset: timedelta | None) -> int:
    assert offset is not None
    return int(offset.total_seconds() // 60)


@pytest.mark.parametrize(("changing", "sunday", "before", "after"), TRANSITIONS)
async def test_weekdays_0900_stays_at_0900_local_across_the_transition(
        core: BotCore, clock: ManualClock, port: TimedPort, changing: str, sunday: date,
        before: int, after: int) -> None:
    start = datetime.combine(sunday - timedelta(days=3), time(12), tzinfo=UTC)  # Thursday noon
    end = start + timedelta(days=5)  # Tuesday noon: Fri before the change, Mon (Tue) after it
    clock.set(start)
    await add_members(core, *PEOPLE.items())
    assert "Scheduled #1" in await say(core, "ada",
                                       '/align schedule add checkin "weekdays 09:00" to=reps'
                                       " remind=off")

    await core.advance(end - start)

    for name, zone in PEOPLE.items():
        asked = port.ask_times(name.lower(), zone)
        assert asked == expected_weekday_nines(zone, start, end), name
        assert len(asked) >= 2 and all(t.time() == time(9) for t in asked), name
        assert asked[0].date() < sunday < asked[-1].date(), name
    # the zone in focus really crossed its transition: same wall time, different UTC offset
    tz = ZoneInfo(changing)
    offsets = [minutes(t.astimezone(tz).utcoffset())
               for s, t in port.asks() if s.to.user_id == _user_in(changing)]
    assert offsets[0] == before and offsets[-1] == after
    assert sorted(set(offsets)) == sorted({before, after})
    assert {t.time() for _, t in port.asks("kai")} == {time(3, 30)}  # Kolkata never moves (UTC)
    # one row per member and occurrence, each asked at its occurrence
    for name in PEOPLE:
        mine = await rows(core, name)
        assert [r.occurrence_at for r in mine] == [t for _, t in port.asks(name.lower())]
        assert all(r.asked_at == r.occurrence_at for r in mine)


def _user_in(zone: str) -> str:
    return next(name.lower() for name, z in PEOPLE.items() if z == zone)


# --- wall times that do not exist or exist twice -----------------------------------------

GAP_AND_FOLD = [
    # (schedule, member zone, start (UTC), days to run, local times it must fire at, index of
    # the ask on a day whose wall time exists twice, or None)
    pytest.param('"daily 02:30"', "America/New_York", datetime(2026, 3, 6, 12, tzinfo=UTC), 4,
                 ["2026-03-07 02:30", "2026-03-08 03:00", "2026-03-09 02:30",
                  "2026-03-10 02:30"], None, id="us-gap-0230-fires-at-0300"),
    pytest.param('"daily 01:30"', "America/New_York", datetime(2026, 10, 30, 12, tzinfo=UTC), 3,
                 ["2026-10-31 01:30", "2026-11-01 01:30", "2026-11-02 01:30"], 1,
                 id="us-fold-0130-fires-once"),
    pytest.param('"daily 02:30"', "Europe/Berlin", datetime(2026, 3, 27, 12, tzinfo=UTC), 3,
                 ["2026-03-28 02:30", "2026-03-29 03:00", "2026-03-30 02:30"], None,
                 id="eu-gap-0230-fires-at-0300"),
    pytest.param('"daily 02:30"', "Europe/Berlin", datetime(2026, 10, 23, 12, tzinfo=UTC), 3,
                 ["2026-10-24 02:30", "2026-10-25 02:30", "2026-10-26 02:30"], 1,
                 id="eu-fold-0230-fires-once"),
    pytest.param('"sun 02:15"', "Australia/Lord_Howe", datetime(2026, 9, 20, tzinfo=UTC), 21,
                 ["2026-09-27 02:15", "2026-10-04 02:30", "2026-10-11 02:15"], None,
                 id="lhi-gap-0215-fires-at-0230"),
    pytest.param('"sun 01:45"', "Australia/Lord_Howe", datetime(2026, 3, 22, tzinfo=UTC), 21,
                 ["2026-03-29 01:45", "2026-04-05 01:45", "2026-04-12 01:45"], 1,
                 id="lhi-fold-0145-fires-once"),
]


# Wall-clock arithmetic does not depend on the database (instants are stored as UTC, which the
# weekday test above checks on both): these edge cases run on SQLite only.
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@SQLITE
@pytest.mark.parametrize(("when", "zone", "start", "days", "local_times", "fold_index"),
                         GAP_AND_FOLD)
async def test_times_in_a_gap_or_fold_fire_exactly_once(
        core: BotCore, clock: ManualClock, port: TimedPort, when: str, zone: str,
        start: datetime, days: int, local_times: list[str], fold_index: int | None) -> None:
    """A wall time inside a spring-forward gap fires once, at the end of the gap; one that
    occurs twice at fall-back fires once, at its first occurrence (still on summer time)."""
    clock.set(start)
    await add_members(core, ("Nia", zone))
    assert "Working days of Nia" in await say(core, "ada", "/align me days daily member=Nia")
    assert "Scheduled #1" in await say(core, "ada",
                                       f"/align schedule add checkin {when} to=Nia remind=off")

    await core.advance(timedelta(days=days))

    asked = port.ask_times("nia", zone)
    assert [t.strftime("%Y-%m-%d %H:%M") for t in asked] == local_times
    instants = [t for _, t in port.asks()]
    assert len(set(instants)) == len(instants) == len(local_times)  # never twice
    tz = ZoneInfo(zone)
    if fold_index is not None:
        fold_day = instants[fold_index].astimezone(tz)
        assert fold_day.fold == 0  # the first of the two identical wall times
        assert fold_day.utcoffset() == instants[0].astimezone(tz).utcoffset()  # summer time
    states = [r.state for r in await rows(core)]
    assert states == ["expired"] * (len(local_times) - 1) + ["asked"]


@SQLITE
async def test_schedule_tz_overrides_the_member_zone(core: BotCore, clock: ManualClock,
                                                     port: TimedPort) -> None:
    """tz=Australia/Lord_Howe: every member is asked at Lord Howe's 02:15 (their local Saturday
    afternoon or evening), and the LHI spring gap still moves it to 02:30 only on Oct 4."""
    clock.set(datetime(2026, 9, 26, tzinfo=UTC))
    await add_members(core, ("Nia", "America/New_York"), ("Bea", "Europe/Berlin"))
    for name in ("Nia", "Bea"):
        await say(core, "ada", f"/align me days daily member={name}")
    assert "at Australia/Lord_Howe time" in await say(
        core, "ada", '/align schedule add checkin "sun 02:15" tz=Australia/Lord_Howe remind=off')

    await core.advance(timedelta(days=14))

    lhi = ["2026-09-27 02:15", "2026-10-04 02:30"]
    for user in ("nia", "bea"):
        assert [t.strftime("%Y-%m-%d %H:%M") for t in port.ask_times(user, "Australia/Lord_Howe")
                ] == lhi
    assert [t.strftime("%a %H:%M") for t in port.ask_times("nia", "America/New_York")] == [
        "Sat 11:45", "Sat 11:30"]  # 15:45 and 15:30 UTC
