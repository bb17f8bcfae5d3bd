"""Parsing `<when>` texts and computing their occurrences, including across DST transitions."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.when import (
    CronRecurrence,
    DayError,
    MonthlyRecurrence,
    Recurrence,
    WeeklyRecurrence,
    WhenError,
    local_to_utc,
    parse_cron,
    parse_day_set,
    parse_time_of_day,
    parse_when,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
UTC_ZONE = ZoneInfo("UTC")
ANCHOR = date(2026, 1, 7)  # a Wednesday


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def wall(instants: list[datetime], tz: ZoneInfo) -> list[str]:
    """Occurrences as local wall-clock text with weekday and offset, for readable assertions."""
    return [instant.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %z") for instant in instants]


def in_march(text: str, tz: ZoneInfo = NEW_YORK, count: int = 4) -> list[str]:
    recurrence = parse_when(text, anchor_date=ANCHOR)
    return wall(recurrence.next_occurrences(utc(2026, 2, 1), tz, count), tz)


# --- accepted forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "description", "canonical"),
    [
        ("weekdays 09:00", "weekdays at 09:00", "weekdays 09:00"),
        ("daily 9:00", "every day at 09:00", "daily 09:00"),
        ("every day 17:30", "every day at 17:30", "daily 17:30"),
        ("mon,thu 16:30", "Mon, Thu at 16:30", "mon,thu 16:30"),
        ("mon-fri 9am", "weekdays at 09:00", "weekdays 09:00"),
        ("tue 2:30pm", "Tue at 14:30", "tue 14:30"),
        ("fri 15:00 every 2 weeks", "every 2 weeks on Fri at 15:00", "fri 15:00 every 2 weeks"),
        ("1st mon of month 10:00", "1st Mon of the month at 10:00", "1st mon of month 10:00"),
        ("last fri of month 16:00", "last Fri of the month at 16:00", "last fri of month 16:00"),
        ("2nd tue of month 9:00", "2nd Tue of the month at 09:00", "2nd tue of month 09:00"),
        ("3rd wed of month 9:00", "3rd Wed of the month at 09:00", "3rd wed of month 09:00"),
        ("4th thu of month 9:00", "4th Thu of the month at 09:00", "4th thu of month 09:00"),
        ("weekends 10:00", "weekends at 10:00", "weekends 10:00"),
        ("weekend 10:00", "weekends at 10:00", "weekends 10:00"),
        ("0 9 * * 1-5", 'weekdays at 09:00 (cron "0 9 * * 1-5")', "0 9 * * 1-5"),
        ("  MON , Thu   4:30 PM ", "Mon, Thu at 16:30", "mon,thu 16:30"),
        ("Weekdays AT 9:00", "weekdays at 09:00", "weekdays 09:00"),
        ("sun-thu 8:00", "Sun-Thu at 08:00", "sun-thu 08:00"),
        ("Mon\u2013Fri 9am", "weekdays at 09:00", "weekdays 09:00"),
        ("every weekday 8am", "weekdays at 08:00", "weekdays 08:00"),
        ("fri 15:00 every other week", "every 2 weeks on Fri at 15:00", "fri 15:00 every 2 weeks"),
        ("First Monday of the month 10am", "1st Mon of the month at 10:00", "1st mon of month 10:00"),
        ("0   9 * *   MON-FRI", "weekdays at 09:00 (cron \"0 9 * * mon-fri\")", "0 9 * * mon-fri"),
        ("*/15 9-10 * * *", 'cron "*/15 9-10 * * *"', "*/15 9-10 * * *"),
        ("0 9 */2 * *", 'cron "0 9 */2 * *"', "0 9 */2 * *"),
        ("0 0 * jan *", 'cron "0 0 * jan *"', "0 0 * jan *"),
        ("0 9,17 * * 1-5", 'weekdays at 09:00, 17:00 (cron "0 9,17 * * 1-5")', "0 9,17 * * 1-5"),
    ],
)
def test_accepted_forms_describe_and_canonical_text(
    text: str, description: str, canonical: str
) -> None:
    recurrence = parse_when(text, anchor_date=ANCHOR)
    assert recurrence.describe() == description
    assert recurrence.text == canonical
    assert parse_when(recurrence.text, anchor_date=ANCHOR) == recurrence


@pytest.mark.parametrize(
    "text",
    [
        "weekdays 09:00",
        "mon,thu 16:30",
        "sun-thu 8:00",
        "fri 15:00 every 2 weeks",
        "last fri of month 16:00",
        "mon-wed,fri 7:45am",
    ],
)
def test_a_description_reads_back_as_the_same_recurrence(text: str) -> None:
    recurrence = parse_when(text, anchor_date=ANCHOR)
    assert parse_when(recurrence.describe(), anchor_date=ANCHOR) == recurrence


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("weekdays 09:00", WeeklyRecurrence),
        ("1st mon of month 10:00", MonthlyRecurrence),
        ("0 9 * * 1-5", CronRecurrence),
    ],
)
def test_each_form_parses_to_its_kind(text: str, kind: type[Recurrence]) -> None:
    assert isinstance(parse_when(text), kind)


@pytest.mark.parametrize(
    ("text", "cron"),
    [
        ("every 15m", "*/15 * * * *"),
        ("Every 30 minutes", "*/30 * * * *"),
        ("every 5 min", "*/5 * * * *"),
        ("every hour", "0 * * * *"),
        ("every 2h", "0 */2 * * *"),
    ],
)
def test_a_short_interval_reads_as_the_cron_it_means(text: str, cron: str) -> None:
    assert parse_when(text) == parse_cron(cron)


@pytest.mark.parametrize("text", ["every 7m", "every 90 minutes", "every 5h", "every 24h"])
def test_an_interval_off_the_clocks_marks_is_refused_with_the_ones_that_work(text: str) -> None:
    with pytest.raises(WhenError, match="does not divide"):
        parse_when(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "weekdays 09:00",
            ["Mon 2026-02-02 09:00 -0500", "Tue 2026-02-03 09:00 -0500",
             "Wed 2026-02-04 09:00 -0500", "Thu 2026-02-05 09:00 -0500",
             "Fri 2026-02-06 09:00 -0500", "Mon 2026-02-09 09:00 -0500"],
        ),
        (
            "every day 17:30",
            ["Sun 2026-02-01 17:30 -0500", "Mon 2026-02-02 17:30 -0500",
             "Tue 2026-02-03 17:30 -0500", "Wed 2026-02-04 17:30 -0500",
             "Thu 2026-02-05 17:30 -0500", "Fri 2026-02-06 17:30 -0500"],
        ),
        (
            "mon,thu 16:30",
            ["Mon 2026-02-02 16:30 -0500", "Thu 2026-02-05 16:30 -0500",
             "Mon 2026-02-09 16:30 -0500", "Thu 2026-02-12 16:30 -0500",
             "Mon 2026-02-16 16:30 -0500", "Thu 2026-02-19 16:30 -0500"],
        ),
        (
            "tue 2:30pm",
            ["Tue 2026-02-03 14:30 -0500", "Tue 2026-02-10 14:30 -0500",
             "Tue 2026-02-17 14:30 -0500", "Tue 2026-02-24 14:30 -0500",
             "Tue 2026-03-03 14:30 -0500", "Tue 2026-03-10 14:30 -0400"],
        ),
        (
            "sun-thu 8:00",
            ["Sun 2026-02-01 08:00 -0500", "Mon 2026-02-02 08:00 -0500",
             "Tue 2026-02-03 08:00 -0500", "Wed 2026-02-04 08:00 -0500",
             "Thu 2026-02-05 08:00 -0500", "Sun 2026-02-08 08:00 -0500"],
        ),
    ],
)
def test_weekly_forms_fire_on_their_days(text: str, expected: list[str]) -> None:
    assert in_march(text, count=6) == expected


def test_cron_day_of_week_is_crontab_numbering_not_apschedulers() -> None:
    # APScheduler 3's from_crontab reads "1-5" as Tue-Sat; crontab(5) means Mon-Fri.
    assert in_march("0 9 * * 1-5", count=6) == in_march("weekdays 09:00", count=6)
    assert in_march("0 9 * * 0", count=2) == in_march("0 9 * * 7", count=2)
    assert in_march("0 9 * * 0", count=2) == ["Sun 2026-02-01 09:00 -0500",
                                               "Sun 2026-02-08 09:00 -0500"]


def test_cron_with_both_day_fields_fires_on_either_as_vixie_cron_does() -> None:
    assert in_march("0 9 13 * fri", count=4) == [
        "Fri 2026-02-06 09:00 -0500", "Fri 2026-02-13 09:00 -0500",
        "Fri 2026-02-20 09:00 -0500", "Fri 2026-02-27 09:00 -0500",
    ]
    assert in_march("0 9 1,15 * mon", count=4) == [
        "Sun 2026-02-01 09:00 -0500", "Mon 2026-02-02 09:00 -0500",
        "Mon 2026-02-09 09:00 -0500", "Sun 2026-02-15 09:00 -0500",
    ]


def test_cron_with_a_star_day_field_needs_both_to_match() -> None:
    # "*/14" starts with '*': days 1, 15, 29 AND Sunday.
    assert in_march("0 9 */14 * sun", count=2) == ["Sun 2026-02-01 09:00 -0500",
                                                    "Sun 2026-02-15 09:00 -0500"]


def test_cron_lists_ranges_steps_and_month_names() -> None:
    assert in_march("15,45 8-9/1 * feb *", count=5) == [
        "Sun 2026-02-01 08:15 -0500", "Sun 2026-02-01 08:45 -0500",
        "Sun 2026-02-01 09:15 -0500", "Sun 2026-02-01 09:45 -0500",
        "Mon 2026-02-02 08:15 -0500",
    ]
    assert in_march("0 12 1 3/3 *", count=3) == [
        "Sun 2026-03-01 12:00 -0500", "Mon 2026-06-01 12:00 -0400", "Tue 2026-09-01 12:00 -0400",
    ]


def test_cron_on_the_29th_of_february_waits_for_a_leap_year() -> None:
    assert in_march("0 9 29 2 *", count=2) == ["Tue 2028-02-29 09:00 -0500",
                                                "Sun 2032-02-29 09:00 -0500"]


# --- monthly -----------------------------------------------------------------------------


def test_first_monday_of_month_including_a_month_starting_on_monday() -> None:
    recurrence = parse_when("1st mon of month 10:00")
    found = recurrence.occurrences_between(utc(2026, 5, 1), utc(2026, 9, 1), BERLIN)
    assert wall(found, BERLIN) == [
        "Mon 2026-05-04 10:00 +0200", "Mon 2026-06-01 10:00 +0200",
        "Mon 2026-07-06 10:00 +0200", "Mon 2026-08-03 10:00 +0200",
    ]


def test_last_friday_of_month_including_a_month_ending_on_friday() -> None:
    recurrence = parse_when("last fri of month 16:00")
    found = recurrence.occurrences_between(utc(2026, 5, 1), utc(2026, 9, 1), BERLIN)
    assert wall(found, BERLIN) == [
        "Fri 2026-05-29 16:00 +0200", "Fri 2026-06-26 16:00 +0200",
        "Fri 2026-07-31 16:00 +0200", "Fri 2026-08-28 16:00 +0200",
    ]


def test_second_tuesday_and_fourth_thursday() -> None:
    assert in_march("2nd tue of month 9:00", count=3) == [
        "Tue 2026-02-10 09:00 -0500", "Tue 2026-03-10 09:00 -0400", "Tue 2026-04-14 09:00 -0400",
    ]
    assert in_march("4th thu of month 9:00", count=2) == [
        "Thu 2026-02-26 09:00 -0500", "Thu 2026-03-26 09:00 -0400",
    ]


# --- every N weeks -----------------------------------------------------------------------


def test_every_two_weeks_starts_on_the_first_matching_day_after_the_anchor() -> None:
    recurrence = parse_when("fri 15:00 every 2 weeks", anchor_date=date(2026, 1, 7))
    found = recurrence.next_occurrences(utc(2025, 12, 1), NEW_YORK, 4)
    assert wall(found, NEW_YORK) == [
        "Fri 2026-01-09 15:00 -0500", "Fri 2026-01-23 15:00 -0500",
        "Fri 2026-02-06 15:00 -0500", "Fri 2026-02-20 15:00 -0500",
    ]


def test_every_two_weeks_created_after_this_weeks_day_starts_next_week() -> None:
    recurrence = parse_when("fri 15:00 every 2 weeks", anchor_date=date(2026, 1, 10))  # a Sat
    found = recurrence.next_occurrences(utc(2026, 1, 1), NEW_YORK, 2)
    assert wall(found, NEW_YORK) == ["Fri 2026-01-16 15:00 -0500", "Fri 2026-01-30 15:00 -0500"]


def test_every_two_weeks_cadence_is_the_same_from_any_restart_point() -> None:
    recurrence = parse_when("fri 15:00 every 2 weeks", anchor_date=ANCHOR)
    whole_year = recurrence.occurrences_between(utc(2026, 1, 1), utc(2027, 1, 1), NEW_YORK)
    assert len(whole_year) == 26
    two_weeks = {timedelta(weeks=2), timedelta(weeks=2, hours=1), timedelta(weeks=2, hours=-1)}
    assert all(b - a in two_weeks for a, b in itertools.pairwise(whole_year))  # +-1h: DST
    for restart in (utc(2026, 3, 7, 12), utc(2026, 6, 19, 19), utc(2026, 6, 19, 20),
                    utc(2026, 11, 1, 6, 30)):
        later = [instant for instant in whole_year if instant > restart]
        reparsed = parse_when(recurrence.text, anchor_date=ANCHOR)
        assert reparsed.next_occurrences(restart, NEW_YORK, 3) == later[:3]


def test_every_two_weeks_with_several_days_keeps_whole_weeks_together() -> None:
    recurrence = parse_when("mon,thu 9:00 every 2 weeks", anchor_date=ANCHOR)  # Wed
    found = recurrence.next_occurrences(utc(2026, 1, 1), KOLKATA, 5)
    assert wall(found, KOLKATA) == [
        "Thu 2026-01-08 09:00 +0530", "Mon 2026-01-19 09:00 +0530", "Thu 2026-01-22 09:00 +0530",
        "Mon 2026-02-02 09:00 +0530", "Thu 2026-02-05 09:00 +0530",
    ]


def test_another_anchor_week_gives_the_other_parity() -> None:
    first = parse_when("fri 15:00 every 2 weeks", anchor_date=date(2026, 1, 5))
    second = parse_when("fri 15:00 every 2 weeks", anchor_date=date(2026, 1, 12))
    after = utc(2026, 1, 20)
    assert first.next_occurrences(after, UTC_ZONE, 1) == [utc(2026, 1, 23, 15)]
    assert second.next_occurrences(after, UTC_ZONE, 1) == [utc(2026, 1, 30, 15)]


def test_every_n_weeks_without_an_anchor_is_a_programming_error() -> None:
    recurrence = parse_when("fri 15:00 every 3 weeks")
    assert recurrence.describe() == "every 3 weeks on Fri at 15:00"
    with pytest.raises(ValueError, match="anchor_date"):
        recurrence.next_occurrences(utc(2026, 1, 1), NEW_YORK, 1)


def test_weekly_without_interval_ignores_the_anchor() -> None:
    anchored = parse_when("weekdays 09:00", anchor_date=date(2026, 6, 1))
    assert anchored.next_occurrences(utc(2026, 1, 1), KOLKATA, 1) == [utc(2026, 1, 1, 3, 30)]



# --- time zones and DST ------------------------------------------------------------------


def transitions(tz: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(instant, offset before, offset after) of every UTC offset change in `year`."""

    def offset(instant: datetime) -> timedelta | None:
        return instant.astimezone(tz).utcoffset()

    found = []
    day = utc(year, 1, 1)
    while day.year == year:  # find the days with a change, then its quarter hour
        if offset(day) != offset(day + timedelta(days=1)):
            instant = day
            while offset(instant) == offset(day):
                instant += timedelta(minutes=15)
            before, after = offset(day), offset(instant)
            assert before is not None and after is not None
            found.append((instant, before, after))
        day += timedelta(days=1)
    return found


def test_the_2026_transitions_these_tests_rely_on() -> None:
    hours = timedelta(hours=1)
    assert transitions(NEW_YORK, 2026) == [
        (utc(2026, 3, 8, 7), -5 * hours, -4 * hours),
        (utc(2026, 11, 1, 6), -4 * hours, -5 * hours),
    ]
    assert transitions(BERLIN, 2026) == [
        (utc(2026, 3, 29, 1), 1 * hours, 2 * hours),
        (utc(2026, 10, 25, 1), 2 * hours, 1 * hours),
    ]
    # Lord Howe shifts by 30 minutes: +11:00 -> +10:30 on 5 April, back on 4 October.
    assert transitions(LORD_HOWE, 2026) == [
        (utc(2026, 4, 4, 15), timedelta(hours=11), timedelta(hours=10, minutes=30)),
        (utc(2026, 10, 3, 15, 30), timedelta(hours=10, minutes=30), timedelta(hours=11)),
    ]
    assert transitions(KOLKATA, 2026) == []


@pytest.mark.parametrize(
    ("tz", "start", "end", "expected_utc"),
    [
        # New York: EST (-5) until Sun 8 March, EDT (-4) until Sun 1 November.
        (NEW_YORK, utc(2026, 3, 5), utc(2026, 3, 11),
         [utc(2026, 3, 5, 14), utc(2026, 3, 6, 14), utc(2026, 3, 9, 13), utc(2026, 3, 10, 13)]),
        (NEW_YORK, utc(2026, 10, 29), utc(2026, 11, 4),
         [utc(2026, 10, 29, 13), utc(2026, 10, 30, 13), utc(2026, 11, 2, 14),
          utc(2026, 11, 3, 14)]),
        # Berlin: CET (+1) until Sun 29 March, CEST (+2) until Sun 25 October.
        (BERLIN, utc(2026, 3, 26), utc(2026, 4, 1),
         [utc(2026, 3, 26, 8), utc(2026, 3, 27, 8), utc(2026, 3, 30, 7), utc(2026, 3, 31, 7)]),
        (BERLIN, utc(2026, 10, 22), utc(2026, 10, 28),
         [utc(2026, 10, 22, 7), utc(2026, 10, 23, 7), utc(2026, 10, 26, 8),
          utc(2026, 10, 27, 8)]),
        # Kolkata: +5:30 all year, 09:00 is always 03:30 UTC.
        (KOLKATA, utc(2026, 3, 26), utc(2026, 4, 1),
         [utc(2026, 3, 26, 3, 30), utc(2026, 3, 27, 3, 30), utc(2026, 3, 30, 3, 30),
          utc(2026, 3, 31, 3, 30)]),
        # Lord Howe: +11 until Sun 5 April, +10:30 until Sun 4 October (09:00 is the day before
        # in UTC).
        (LORD_HOWE, utc(2026, 4, 1, 12), utc(2026, 4, 7, 12),
         [utc(2026, 4, 1, 22), utc(2026, 4, 2, 22), utc(2026, 4, 5, 22, 30),
          utc(2026, 4, 6, 22, 30)]),
        (LORD_HOWE, utc(2026, 9, 30, 12), utc(2026, 10, 6, 12),
         [utc(2026, 9, 30, 22, 30), utc(2026, 10, 1, 22, 30), utc(2026, 10, 4, 22),
          utc(2026, 10, 5, 22)]),
    ],
)
def test_weekdays_0900_stays_at_0900_local_across_both_transitions(
    tz: ZoneInfo, start: datetime, end: datetime, expected_utc: list[datetime]
) -> None:
    found = parse_when("weekdays 09:00").occurrences_between(start, end, tz)
    assert found == expected_utc
    assert all(instant.tzinfo is UTC for instant in found)
    assert {instant.astimezone(tz).strftime("%H:%M") for instant in found} == {"09:00"}


@pytest.mark.parametrize("tz", [NEW_YORK, BERLIN, KOLKATA, LORD_HOWE])
def test_weekdays_0900_all_year_is_0900_local_on_every_weekday(tz: ZoneInfo) -> None:
    found = parse_when("weekdays 09:00").occurrences_between(utc(2026, 1, 1), utc(2027, 1, 1), tz)
    local = [instant.astimezone(tz) for instant in found]
    assert len(found) == 261  # weekdays in 2026
    assert all(moment.time() == time(9) and moment.weekday() < 5 for moment in local)
    assert len({moment.date() for moment in local}) == len(found)


@pytest.mark.parametrize(
    ("tz", "text", "day", "expected"),
    [
        # 02:30 does not exist in New York on 8 March: it fires once at 03:00 EDT.
        (NEW_YORK, "daily 2:30", date(2026, 3, 8), [utc(2026, 3, 8, 7)]),
        (BERLIN, "daily 2:30", date(2026, 3, 29), [utc(2026, 3, 29, 1)]),
        # Lord Howe skips 02:00-02:30 on 4 October: 02:15 fires at 02:30 (+11).
        (LORD_HOWE, "daily 2:15", date(2026, 10, 4), [utc(2026, 10, 3, 15, 30)]),
        # Several times inside one gap collapse into one occurrence, not one per time.
        (NEW_YORK, "*/15 2 * * *", date(2026, 3, 8), [utc(2026, 3, 8, 7)]),
        (NEW_YORK, "0,30 2,3 * * *", date(2026, 3, 8), [utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30)]),
    ],
)
def test_a_time_in_the_spring_gap_fires_once_when_the_gap_ends(
    tz: ZoneInfo, text: str, day: date, expected: list[datetime]
) -> None:
    start = local_to_utc(datetime.combine(day, time()), tz)
    end = local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz)
    assert parse_when(text).occurrences_between(start, end, tz) == expected


@pytest.mark.parametrize(
    ("tz", "text", "day", "expected"),
    [
        # 01:30 happens twice in New York on 1 November: only the first (EDT) fires.
        (NEW_YORK, "daily 1:30", date(2026, 11, 1), [utc(2026, 11, 1, 5, 30)]),
        (BERLIN, "daily 2:30", date(2026, 10, 25), [utc(2026, 10, 25, 0, 30)]),
        (LORD_HOWE, "daily 1:45", date(2026, 4, 5), [utc(2026, 4, 4, 14, 45)]),
        (NEW_YORK, "*/30 1 * * *", date(2026, 11, 1), [utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30)]),
    ],
)
def test_a_time_in_the_autumn_fold_fires_once_at_its_first_occurrence(
    tz: ZoneInfo, text: str, day: date, expected: list[datetime]
) -> None:
    start = local_to_utc(datetime.combine(day, time()), tz)
    end = local_to_utc(datetime.combine(day + timedelta(days=1), time()), tz)
    assert parse_when(text).occurrences_between(start, end, tz) == expected


def test_a_window_starting_where_the_gap_ends_still_sees_the_gap_occurrence() -> None:
    # 02:30 on 8 March maps to 07:00 UTC, whose wall time is 03:00 - after 02:30.
    recurrence = parse_when("daily 2:30")
    gap_end = utc(2026, 3, 8, 7)
    assert recurrence.occurrences_between(gap_end, gap_end + timedelta(hours=1), NEW_YORK) == [
        gap_end
    ]
    assert recurrence.next_occurrences(gap_end - timedelta(seconds=1), NEW_YORK, 1) == [gap_end]


def test_local_to_utc_gap_fold_and_plain_times() -> None:
    assert local_to_utc(datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc(2026, 3, 8, 7)
    assert local_to_utc(datetime(2026, 3, 8, 3, 0), NEW_YORK) == utc(2026, 3, 8, 7)
    assert local_to_utc(datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    assert local_to_utc(datetime(2026, 10, 4, 2, 0), LORD_HOWE) == utc(2026, 10, 3, 15, 30)
    assert local_to_utc(datetime(2026, 7, 1, 9, 0), KOLKATA) == utc(2026, 7, 1, 3, 30)
    with pytest.raises(ValueError, match="naive"):
        local_to_utc(utc(2026, 7, 1), KOLKATA)


# --- windows, determinism ----------------------------------------------------------------


def test_occurrences_between_is_half_open_and_next_is_strictly_after() -> None:
    recurrence = parse_when("daily 9:00")
    nine = utc(2026, 7, 1, 9)
    assert recurrence.occurrences_between(nine, nine + timedelta(days=1), UTC_ZONE) == [nine]
    assert recurrence.occurrences_between(nine - timedelta(days=1), nine, UTC_ZONE) == [
        nine - timedelta(days=1)
    ]
    assert recurrence.next_occurrences(nine, UTC_ZONE, 1) == [nine + timedelta(days=1)]
    assert recurrence.next_occurrences(nine - timedelta(microseconds=1), UTC_ZONE, 1) == [nine]
    assert recurrence.next_occurrences(nine, UTC_ZONE, 0) == []


@pytest.mark.parametrize("text", ["*/30 1-3 * * *", "daily 2:30", "weekdays 09:00", "0 0-4 * * *"])
@pytest.mark.parametrize("tz", [NEW_YORK, LORD_HOWE])
def test_split_windows_give_the_same_occurrences_as_one_window(text: str, tz: ZoneInfo) -> None:
    recurrence = parse_when(text)
    start, end = utc(2026, 3, 1), utc(2026, 11, 15)
    whole = recurrence.occurrences_between(start, end, tz)
    assert whole == sorted(set(whole))  # strictly increasing, no duplicates
    pieces: list[datetime] = []
    cut = start
    while cut < end:  # odd-sized steps land cuts inside gaps, folds and on occurrences
        step = min(cut + timedelta(hours=7, minutes=30), end)
        pieces += recurrence.occurrences_between(cut, step, tz)
        cut = step
    assert pieces == whole


def test_next_occurrences_chain_matches_a_window() -> None:
    recurrence = parse_when("*/30 1-3 * * *")
    chained: list[datetime] = []
    after = utc(2026, 10, 31)
    for _ in range(30):
        after = recurrence.next_occurrences(after, NEW_YORK, 1)[0]
        chained.append(after)
    assert chained == recurrence.occurrences_between(utc(2026, 10, 31), chained[-1] +
                                                     timedelta(seconds=1), NEW_YORK)


def test_naive_datetimes_are_refused() -> None:
    recurrence = parse_when("daily 9:00")
    with pytest.raises(ValueError, match="aware"):
        recurrence.next_occurrences(datetime(2026, 1, 1), NEW_YORK, 1)
    with pytest.raises(ValueError, match="aware"):
        recurrence.occurrences_between(datetime(2026, 1, 1), utc(2026, 1, 2), NEW_YORK)


def test_results_are_utc_whatever_zone_the_bounds_use() -> None:
    after = datetime(2026, 3, 1, 12, tzinfo=BERLIN)
    found = parse_when("daily 9:00").next_occurrences(after, KOLKATA, 2)
    assert found == [utc(2026, 3, 2, 3, 30), utc(2026, 3, 3, 3, 30)]
    assert all(instant.tzinfo is UTC for instant in found)


# --- times of day ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("09:00", time(9)), ("9:00", time(9)), ("17:30", time(17, 30)), ("9am", time(9)),
        ("2:30pm", time(14, 30)), ("12am", time(0)), ("12pm", time(12)), ("12:15AM", time(0, 15)),
        ("0:00", time(0)), ("23:59", time(23, 59)), ("9 am", time(9)),
    ],
)
def test_times_of_day(token: str, expected: time) -> None:
    assert parse_time_of_day(token) == expected


@pytest.mark.parametrize("token", ["25:00", "24:00", "9:60", "13pm", "0am", "9", "9.30", "noon"])
def test_bad_times_of_day(token: str) -> None:
    with pytest.raises(WhenError) as error:
        parse_time_of_day(token)
    assert str(error.value) == f"'{token}' is not a time of day; e.g. 09:00 or 4:30pm"


# --- error messages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fryday 16:30",
         "'fryday' is not a day; use mon, tue, ... sun, weekdays or daily - e.g. \"mon,thu 16:30\""),
        ("mon-fryday 9:00",
         "'fryday' is not a day; use mon, tue, ... sun, weekdays or daily - e.g. \"mon,thu 16:30\""),
        ("mon 25:00", "'25:00' is not a time of day; e.g. 09:00 or 4:30pm"),
        ("weekdays 9", "'9' is not a time of day; e.g. 09:00 or 4:30pm"),
        ("weekdays", "'weekdays' has no time of day; add one - e.g. \"weekdays 09:00\""),
        ("mon,thu", "'mon,thu' has no time of day; add one - e.g. \"mon,thu 09:00\""),
        ("9:00", "'9:00' does not say which days; add days before the time - e.g. \"mon,thu 16:30\""),
        ("", "the schedule needs a when, e.g. \"mon,thu 16:30\" or \"0 9 * * 1-5\""),
        ("mon 9:00 17:00",
         "'mon 9:00 17:00' has 2 times of day; a schedule has one - add a second schedule or use "
         "a cron expression like \"0 9,17 * * 1-5\""),
        ("0 9 * *",
         "a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
         "'0 9 * *' has 4 - e.g. \"0 9 * * 1-5\""),
        ("60 9 * * *",
         "'60' is not valid in the cron minute field; use 0-59, '*', lists (1,15), ranges (1-5) "
         "or steps (*/15) - e.g. \"0 9 * * 1-5\""),
        ("0 24 * * *",
         "'24' is not valid in the cron hour field; use 0-23, '*', lists (1,15), ranges (1-5) "
         "or steps (*/15) - e.g. \"0 9 * * 1-5\""),
        ("0 9 0 * *",
         "'0' is not valid in the cron day-of-month field; use 1-31, '*', lists (1,15), "
         "ranges (1-5) or steps (*/15) - e.g. \"0 9 * * 1-5\""),
        ("0 9 * foo *",
         "'foo' is not valid in the cron month field; use 1-12 or jan-dec, '*', lists (1,15), "
         "ranges (1-5) or steps (*/15) - e.g. \"0 9 * * 1-5\""),
        ("0 9 * * 8",
         "'8' is not valid in the cron day-of-week field; use 0-7 or sun-sat, '*', lists (1,15), "
         "ranges (1-5) or steps (*/15) - e.g. \"0 9 * * 1-5\""),
        ("*/0 9 * * *",
         "'*/0' is not valid in the cron minute field; use 0-59, '*', lists (1,15), ranges (1-5) "
         "or steps (*/15) - e.g. \"0 9 * * 1-5\""),
        ("0 9 * * 5-1",
         "'5-1' is not valid in the cron day-of-week field; use 0-7 or sun-sat, '*', lists (1,15), "
         "ranges (1-5) or steps (*/15) - e.g. \"0 9 * * 1-5\""),
        ("0 9 31 2,4 *",
         "cron \"0 9 31 2,4 *\" never fires: none of its months has those days of the month"),
        ("5th mon of month 9:00",
         "'5th' is not a week of the month; use 1st, 2nd, 3rd, 4th or last - "
         "e.g. \"1st mon of month 10:00\""),
        ("last fry of month 9:00",
         "'fry' is not a day; use mon, tue, ... sun - e.g. \"1st mon of month 10:00\""),
        ("1st mon of month",
         "'1st mon of month' has no time of day; add one - e.g. \"1st mon of month 10:00\""),
        ("1st mon 9:00", "a monthly day needs 'of month' - e.g. \"1st mon of month 10:00\""),
        ("the month of mon 9:00",
         "'the month of mon 9:00' is not a monthly day; write it like \"1st mon of month 10:00\""),
        ("1st mon of month 9:00 every 2 weeks",
         "'every N weeks' does not go with a day of the month - e.g. \"1st mon of month 10:00\""),
        ("fri 9:00 every 0 weeks",
         "'every 0 weeks' is not a week interval; use a number from 1 to 52 - "
         "e.g. \"fri 15:00 every 2 weeks\""),
        ("fri 9:00 every two weeks",
         "'every two weeks' is not a week interval; use a number from 1 to 52 - "
         "e.g. \"fri 15:00 every 2 weeks\""),
    ],
)
def test_error_messages_name_the_bad_part_and_show_an_example(text: str, message: str) -> None:
    with pytest.raises(WhenError) as error:
        parse_when(text)
    assert str(error.value) == message


def test_when_error_is_a_value_error() -> None:
    assert issubclass(WhenError, ValueError)


def test_days_may_be_written_in_the_plural() -> None:
    assert parse_day_set("mondays, fridays") == {0, 4}
    assert parse_day_set("tuesdays-thursdays") == {1, 2, 3}
    with pytest.raises(DayError, match="ms"):
        parse_day_set("ms")


def test_a_weekly_recurrence_built_without_an_interval_is_every_week() -> None:
    monday_9 = WeeklyRecurrence(days=frozenset({0}), at=time(9))
    assert monday_9.text == "mon 09:00"
    # from Tuesday 3 March 2026: the next two Mondays, a week apart
    assert monday_9.next_occurrences(datetime(2026, 3, 3, tzinfo=UTC), UTC_ZONE, 2) == [
        datetime(2026, 3, 9, 9, tzinfo=UTC), datetime(2026, 3, 16, 9, tzinfo=UTC)]
