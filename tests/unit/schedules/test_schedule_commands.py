"""`/align schedule ...` as admins and members type it: adding in every readable form and cron,
precise errors, listing in the caller's zone, the next five runs, pause/resume/remove."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core import BotCore
from bot.storage.models import CheckIn, Schedule
from bot.strategy.durations import Duration
from tests.support.talk import say, setup_team
from tests.unit.schedules.support import TimedPort, add_members, rows

NY = "America/New_York"
ADD = "/align schedule add checkin"
# Reading and checking what an admin typed touches the database only to store it: these run on
# SQLite alone; everything that runs schedules runs on both databases.
PARSING_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# what the admin types -> (how it is stored, how it reads, first run in New York) at START
# (Monday 2 March 2026, 09:00 in New York)
FORMS = {
    '"weekdays 09:00"': ("weekdays 09:00", "weekdays at 09:00", "Tue 03 Mar 2026 09:00"),
    '"daily 9:00"': ("daily 09:00", "every day at 09:00", "Tue 03 Mar 2026 09:00"),
    '"every day 17:30"': ("daily 17:30", "every day at 17:30", "Mon 02 Mar 2026 17:30"),
    '"mon,thu 16:30"': ("mon,thu 16:30", "Mon, Thu at 16:30", "Mon 02 Mar 2026 16:30"),
    '"mon-fri 9am"': ("weekdays 09:00", "weekdays at 09:00", "Tue 03 Mar 2026 09:00"),
    '"tue 2:30pm"': ("tue 14:30", "Tue at 14:30", "Tue 03 Mar 2026 14:30"),
    '"sun-thu 8:00"': ("sun-thu 08:00", "Sun-Thu at 08:00", "Tue 03 Mar 2026 08:00"),
    '"fri 15:00 every 2 weeks"': ("fri 15:00 every 2 weeks", "every 2 weeks on Fri at 15:00",
                                  "Fri 06 Mar 2026 15:00"),
    '"1st mon of month 10:00"': ("1st mon of month 10:00", "1st Mon of the month at 10:00",
                                 "Mon 02 Mar 2026 10:00"),
    '"last fri of month 16:00"': ("last fri of month 16:00", "last Fri of the month at 16:00",
                                  "Fri 27 Mar 2026 16:00"),
    '"0 9 * * 1-5"': ("0 9 * * 1-5", 'weekdays at 09:00 (cron "0 9 * * 1-5")',
                      "Tue 03 Mar 2026 09:00"),
    '"30 8 1 * *"': ("30 8 1 * *", 'cron "30 8 1 * *"', "Wed 01 Apr 2026 08:30"),
}


async def schedules(core: BotCore) -> list[Schedule]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(Schedule))).all())


@PARSING_ONLY
async def test_add_reads_every_form_and_a_cron_and_says_when_it_runs(core: BotCore) -> None:
    await add_members(core, ("Dana", NY))
    for number, (typed, (stored, reads, first)) in enumerate(FORMS.items(), start=1):
        reply = await say(core, "ada", f"{ADD} {typed} to=reps")
        assert reply.startswith(f'Scheduled #{number} checkin "{stored}" ({reads}) for reps,'), reply
        assert "at each member's local time; reminder after 4h; closes at the next run" in reply
        assert f"next: {first}, " in reply and reply.endswith(f"({NY})")
    assert [s.when_text for s in await schedules(core)] == [v[0] for v in FORMS.values()]


@PARSING_ONLY
async def test_add_options_are_stored_and_described(core: BotCore) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", "/align team add Sam manager")
    await say(core, "ada", "/align team add Dana rep manager=Sam")
    reply = await say(core, "ada", f'{ADD} "mon 10:00" to=team:Sam tz=Europe/Berlin remind=2h'
                                   " reminders=3 close=1d")
    assert ("for Sam's team, at Europe/Berlin time; reminder after 2h (up to 3); closes after 1d"
            " or at the next run") in reply
    assert "for Dana, " in await say(core, "ada", f'{ADD} "mon 10:00" to=dana remind=off')
    assert "no reminder" in await say(core, "ada", f'{ADD} "mon 10:00" to=managers remind=0')
    assert "for all," in await say(core, "ada", f'{ADD} "mon 10:00" to=everyone tz=local')
    first, just_dana, managers, everyone = await schedules(core)
    assert (first.target.startswith("team:"), first.timezone, first.remind_after,
            first.reminders, first.close_after) == (True, "Europe/Berlin", "2h", 3, "1d")
    assert just_dana.target.startswith("member:") and just_dana.remind_after is None
    assert (managers.target, managers.reminders) == ("managers", 0)
    assert (everyone.target, everyone.timezone, everyone.remind_after) == ("all", None, "4h")


@PARSING_ONLY
async def test_an_unreadable_when_names_the_bad_part_and_shows_examples(core: BotCore) -> None:
    await add_members(core)
    cases = {
        '"weekdays 25:00"': "'25:00' is not a time of day; e.g. 09:00 or 4:30pm",
        '"funday 09:00"': "'funday' is not a day",
        '"weekdays"': "'weekdays' has no time of day",
        '"5th mon of month 10:00"': "'5th' is not a week of the month",
        '"0 25 * * *"': "'25' is not valid in the cron hour field",
        '"0 9 * * 8"': "'8' is not valid in the cron day-of-week field",
        '"9"': "a cron expression has 5 fields",
    }
    for typed, problem in cases.items():
        reply = await say(core, "ada", f"{ADD} {typed}")
        assert reply.startswith(f"I can't read the schedule {typed}: {problem}"), reply
        assert 'Examples: "weekdays 09:00", "mon,thu 16:30"' in reply
        assert 'or a cron like "0 9 * * 1-5"' in reply
    assert await schedules(core) == []


@PARSING_ONLY
async def test_bad_options_are_refused_with_what_to_write(core: BotCore) -> None:
    await add_members(core, ("Dana", NY))
    cases = {
        "tz=Mars/Olympus": "tz=Mars/Olympus is not a time zone I know",
        "remind=soon": "remind=soon: 'soon' is not a duration",
        "close=later": "close=later: 'later' is not a duration",
        "close=0m": "close= must be longer than zero, e.g. close=4h",
        "reminders=9": "reminders= takes a number from 0 to 5, e.g. reminders=2",
        "reminders=two": "reminders= takes a number from 0 to 5",
        "to=Nobody": "I don't know 'Nobody'. Add them first",
        "to=team:Dana": "Dana is not a manager, so has no team",
        "remind=4h close=2h": "The reminder (remind=4h) must come before the check-in closes",
        "every=2": "Unknown option every= (this command takes to=, tz=, remind=, reminders=,"
                   " close=)",
    }
    for option, problem in cases.items():
        reply = await say(core, "ada", f'{ADD} "weekdays 09:00" {option}')
        assert problem in reply, (option, reply)
        assert reply.count("like 30m, 4h") <= 1, reply  # the hint is given once
    assert "'lunch' is not something I can schedule" in await say(
        core, "ada", '/align schedule add lunch "mon 09:00"')
    assert "Say when" in await say(core, "ada", '/align schedule add checkin ""')
    assert await schedules(core) == []


async def test_members_who_are_not_admins_cannot_change_schedules(core: BotCore) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", f'{ADD} "weekdays 09:00"')
    for command in (f'{ADD} "daily 10:00"', "/align schedule pause 1",
                    "/align schedule resume 1", "/align schedule remove 1"):
        assert "is for admins" in await say(core, "dana", command)
    assert "is for admins" in await say(core, "stranger", f'{ADD} "daily 10:00"')
    (only,) = await schedules(core)
    assert only.active and only.when_text == "weekdays 09:00"
    assert "#1 checkin" in await say(core, "dana", "/align schedule list")  # reading is fine


async def test_list_shows_next_runs_in_the_callers_zone(core: BotCore) -> None:
    await add_members(core, ("Dana", NY))
    assert "No schedules yet" in await say(core, "ada", "/align schedule list")
    await say(core, "ada", "/align me tz Asia/Kolkata")
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps')
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps tz=Europe/Berlin')

    ada = await say(core, "ada", "/align schedule list")  # Monday 19:30 in Kolkata
    assert ada.startswith("Schedules (fixed-zone times in your time zone, local-time schedules in"
                          " their members' zones):")
    # a local-time schedule reaches Dana only: 09:00 in New York, not Ada's own 09:00
    assert ("next: Tue 03 Mar 2026 09:00, Wed 04 Mar 2026 09:00, Thu 05 Mar 2026 09:00"
            f" ({NY})") in ada
    assert "(Asia/Kolkata)" in ada  # the fixed-zone one, in her time
    assert ("next: Tue 03 Mar 2026 13:30, Wed 04 Mar 2026 13:30, Thu 05 Mar 2026 13:30"
            " (Asia/Kolkata)") in ada  # 09:00 in Berlin
    dana = await say(core, "dana", "/align schedule list")  # Monday 09:00 in New York
    assert f"next: Tue 03 Mar 2026 09:00, Wed 04 Mar 2026 09:00, Thu 05 Mar 2026 09:00 ({NY})" \
        in dana
    assert f"next: Tue 03 Mar 2026 03:00, Wed 04 Mar 2026 03:00, Thu 05 Mar 2026 03:00 ({NY})" \
        in dana


@PARSING_ONLY
async def test_a_local_time_schedule_shows_each_zone_it_reaches_and_the_earliest(
        core: BotCore) -> None:
    await add_members(core, ("Dana", NY), ("Lee", "Europe/Berlin"))
    await say(core, "ada", "/align me tz Asia/Kolkata")
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps')
    listed = await say(core, "ada", "/align schedule list")  # Monday 19:30 in Kolkata
    assert ("next: Tue 03 Mar 2026 09:00, Wed 04 Mar 2026 09:00, Thu 05 Mar 2026 09:00 (local time"
            f" in each of 2 zones: Europe/Berlin, {NY}); earliest Tue 03 Mar 2026 13:30"
            " (Asia/Kolkata, in Europe/Berlin)") in listed
    upcoming = await say(core, "ada", "/align schedule next 1")
    assert upcoming.splitlines()[1:6] == [
        "  Tue 03 Mar 2026 09:00", "  Wed 04 Mar 2026 09:00", "  Thu 05 Mar 2026 09:00",
        "  Fri 06 Mar 2026 09:00",
        f"  Mon 09 Mar 2026 09:00 (local time in each of 2 zones: Europe/Berlin, {NY}); earliest"
        " Tue 03 Mar 2026 13:30 (Asia/Kolkata, in Europe/Berlin)"]


@PARSING_ONLY
async def test_next_lists_five_runs_across_a_dst_change(core: BotCore) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps tz=Europe/Berlin')
    reply = await say(core, "dana", "/align schedule next 1")
    # Berlin 09:00 is 03:00 in New York until the US changes clocks (Sun 8 March), then 04:00
    assert reply.splitlines() == [
        'Next 5 runs of #1 "weekdays 09:00":', "  Tue 03 Mar 2026 03:00",
        "  Wed 04 Mar 2026 03:00", "  Thu 05 Mar 2026 03:00", "  Fri 06 Mar 2026 03:00",
        f"  Mon 09 Mar 2026 04:00 ({NY})"]
    assert "There is no schedule 7" in await say(core, "dana", "/align schedule next 7")
    assert "There is no schedule x" in await say(core, "dana", "/align schedule next x")


async def test_pause_sends_nothing_and_resume_skips_the_paused_runs(core: BotCore,
                                                                    port: TimedPort) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps')
    assert "Paused #1" in await say(core, "ada", "/align schedule pause 1")
    assert "already paused" in await say(core, "ada", "/align schedule pause #1")
    assert "- PAUSED" in await say(core, "ada", "/align schedule list")
    assert "(paused: nothing is sent until it is resumed)" in await say(
        core, "ada", "/align schedule next 1")

    await core.advance(timedelta(days=2, hours=1))  # Tue and Wed 09:00 pass (Wed an hour ago)
    assert port.sent == [] and await rows(core) == []

    resumed = await say(core, "ada", "/align schedule resume 1")
    assert resumed.startswith("Resumed #1") and "next: Thu 05 Mar 2026 09:00" in resumed
    assert "already running" in await say(core, "ada", "/align schedule resume 1")
    await core.advance(timedelta(hours=1))
    assert port.sent == []  # Wednesday's run, an hour old, is not sent late
    await core.advance(timedelta(days=1))
    assert [t.strftime("%a %d %H:%M") for t in port.ask_times("dana", NY)] == ["Thu 05 09:00"]


async def test_remove_stops_a_schedule(core: BotCore, port: TimedPort) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps remind=off')
    await core.advance(timedelta(days=1))
    assert len(port.asks()) == 1
    assert 'Removed schedule #1 checkin "weekdays 09:00"' in await say(
        core, "ada", "/align schedule remove 1")
    assert "There is no schedule 1" in await say(core, "ada", "/align schedule remove 1")
    assert "saved your answer to question 1" in await say(core, "dana", "still open")
    assert "No schedules yet" in await say(core, "ada", "/align schedule list")
    await core.advance(timedelta(days=3))
    assert len(port.asks()) == 1
    async with core.ctx.db.session() as session:
        (kept,) = (await session.exec(select(CheckIn))).all()
    assert kept.state == "expired"  # the one already sent stayed open until it closed


async def test_remove_stops_invitations_waiting_for_a_retry(core: BotCore, port: TimedPort) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps remind=off')
    port.fail_for["dana"] = False  # the send fails for now: the next pass would retry it
    await core.advance(timedelta(days=1))
    assert port.asks() == []
    assert "Removed schedule #1" in await say(core, "ada", "/align schedule remove 1")
    del port.fail_for["dana"]
    await core.advance(timedelta(minutes=10))
    assert port.asks() == []  # the admin removed it: nothing more goes out


async def test_an_ask_now_left_unsent_is_dropped_once_the_rep_has_another_check_in_open(
        core: BotCore, port: TimedPort) -> None:
    """An `ask now` whose send failed is retried by the scheduler - unless the rep has been asked
    again meanwhile (e.g. a row an earlier version left unsent before the admin asked again)."""
    await add_members(core, ("Dana", NY))
    assert "Asked 1: Dana" in await say(core, "ada", "/align ask now dana")
    (open_one,) = await rows(core, "Dana")
    async with core.ctx.db.session() as session:
        session.add(CheckIn(key="adhoc:left-unsent", member_id=open_one.member_id, schedule_id=None,
                            occurrence_at=core.ctx.clock.now() - timedelta(minutes=30),
                            audience="rep", strategy_version=open_one.strategy_version,
                            closes_at=open_one.closes_at,
                            created_at=core.ctx.clock.now() - timedelta(minutes=30)))
    await core.advance(timedelta(minutes=1))
    assert len(port.asks("dana")) == 1  # no second invitation
    left = next(r for r in await rows(core, "Dana") if r.key == "adhoc:left-unsent")
    assert (left.state, left.note) == ("skipped", "another check-in is open")


async def test_a_paused_schedule_sends_no_reminders_for_its_open_check_ins(
        core: BotCore, port: TimedPort) -> None:
    await add_members(core, ("Dana", NY))
    await say(core, "ada", f'{ADD} "weekdays 09:00" to=reps remind=2h close=8h')
    await core.advance(timedelta(days=1))  # Tue 09:00: Dana asked
    assert len(port.asks("dana")) == 1
    await say(core, "ada", "/align schedule pause 1")
    await core.advance(timedelta(hours=3))  # 11:00 reminder time passes while paused
    assert port.reminders("dana") == []
    await say(core, "ada", "/align schedule resume 1")
    await core.advance(timedelta(minutes=30))  # resumed inside the window: the reminder goes
    assert len(port.reminders("dana")) == 1


async def test_a_schedule_cannot_run_more_often_than_the_minimum_interval(core: BotCore) -> None:
    """An admin could schedule a check-in to everyone every minute."""
    await setup_team(core)
    for when in ('"* * * * *"', '"*/30 9-17 * * 1-5"', '"0,59 9 * * *"'):
        reply = await say(core, "ada", f"{ADD} {when} to=all")
        assert "at most every 1 h" in reply and "ALIGNBOT_SCHEDULE_MIN_INTERVAL" in reply, reply
    assert "Scheduled #1" in await say(core, "ada", f'{ADD} "0 * * * *" to=all remind=off')
    core.ctx.settings = core.ctx.settings.model_copy(
        update={"schedule_min_interval": Duration(15, "m")})
    assert "Scheduled #2" in await say(core, "ada", f'{ADD} "*/15 9-17 * * 1-5" to=reps remind=off')
