"""A lead's next follow-up in the owner's business time: the SLA and the steps skip weekends,
holidays and time away, follow the wall clock across a DST change, and stop at max touches."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.leads.cadence import DueStep, next_step
from bot.scheduling.calendar import WorkCalendar
from bot.strategy.durations import Duration
from bot.strategy.schema import CadencePolicy

NY = ZoneInfo("America/New_York")  # DST starts Sunday 8 March 2026
POLICY = CadencePolicy(first_touch_within=Duration(1, "h"),
                       steps=[Duration(1, "d"), Duration(3, "d"), Duration(7, "d")], max_touches=6)


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=NY)


def calendar(holidays: tuple[date, ...] = (), away: tuple[tuple[date, date], ...] = ()
             ) -> WorkCalendar:
    return WorkCalendar(NY, holidays=frozenset(holidays), away=away)


def due(engaged: datetime, touches: list[datetime], cal: WorkCalendar | None = None,
        status: str = "new", policy: CadencePolicy = POLICY,
        snoozed: datetime | None = None) -> DueStep | None:
    return next_step(engaged, touches, status, policy, cal or calendar(), snoozed)


def test_first_touch_sla_runs_in_working_hours_across_a_weekend_and_the_dst_change() -> None:
    # Friday 16:30 EST: 30 working minutes left that day, the other 30 on Monday (now EDT)
    step = due(ny(6, 16, 30), [])
    assert step == DueStep(0, ny(9, 9, 30))
    assert step.due_at.utcoffset() != ny(6, 9).utcoffset()  # the wall clock, not UTC, is kept


def test_a_holiday_and_time_away_push_the_sla_to_the_next_working_day() -> None:
    assert due(ny(6, 16, 30), [], calendar(holidays=(date(2026, 3, 9),))) == DueStep(
        0, ny(10, 9, 30))
    away = ((date(2026, 3, 9), date(2026, 3, 10)),)
    assert due(ny(6, 16, 30), [], calendar(away=away)) == DueStep(0, ny(11, 9, 30))


def test_follow_up_steps_count_working_days_from_the_first_touch() -> None:
    engaged, first = ny(2, 9, 0), ny(2, 9, 40)
    assert due(engaged, [first]) == DueStep(1, ny(3, 9, 40))  # 1d: Tuesday
    assert due(engaged, [first, ny(3, 10)]) == DueStep(2, ny(5, 9, 40))  # 3d: Thursday
    # 7 working days after Monday 2 March is Wednesday 11 March (the weekend does not count)
    assert due(engaged, [first, ny(3, 10), ny(5, 11)]) == DueStep(3, ny(11, 9, 40))


def test_a_step_that_fell_behind_is_due_one_first_step_after_the_latest_touch() -> None:
    # step 2 was due Thursday 09:40 but the second touch only came on Friday 11:00
    assert due(ny(2, 9), [ny(2, 9, 40), ny(6, 11)]) == DueStep(2, ny(9, 11))


def test_a_touch_made_right_when_the_step_was_due_still_moves_the_next_one_on() -> None:
    # step 2 (3d after the first touch) is due Thursday 09:40; the second touch came at exactly
    # that moment, so step 2 is one first step after it: Friday 09:40, not due the instant it
    # was done
    assert due(ny(2, 9), [ny(2, 9, 40), ny(5, 9, 40)]) == DueStep(2, ny(6, 9, 40))


def test_only_the_latest_touch_says_whether_a_step_fell_behind() -> None:
    # step 3 (7d) is due Wednesday 11 March 09:40: before the latest touch (Friday 13 March
    # 10:00), though after the second one (Tuesday 3 March), so it is due a day after Friday's
    assert due(ny(2, 9), [ny(2, 9, 40), ny(3, 10), ny(13, 10)]) == DueStep(3, ny(16, 10))


def test_max_touches_and_the_end_of_the_steps_stop_the_cadence() -> None:
    touches = [ny(2, 10), ny(3, 10), ny(5, 10)]
    capped = POLICY.model_copy(update={"max_touches": 3})
    assert due(ny(2, 9), touches, policy=capped) is None
    assert due(ny(2, 9), [*touches, ny(11, 10)]) is None  # three steps, all done
    # more touches logged than the cadence asks for (the rep kept at it): still nothing due
    four_steps = capped.model_copy(update={"steps": [*POLICY.steps, Duration(14, "d")]})
    assert due(ny(2, 9), [*touches, ny(11, 10)], policy=four_steps) is None


@pytest.mark.parametrize("status", ["qualified", "disqualified"])
def test_closed_leads_are_never_due(status: str) -> None:
    assert due(ny(2, 9), [], status=status) is None


def test_a_snooze_moves_the_due_time_later_never_earlier() -> None:
    assert due(ny(2, 9), [], snoozed=ny(4, 9)) == DueStep(0, ny(4, 9))
    assert due(ny(2, 9), [], snoozed=ny(2, 9, 5)) == DueStep(0, ny(2, 10))


def test_step_labels_say_where_the_lead_is() -> None:
    assert DueStep(0, ny(2, 9)).label(POLICY) == "first touch"
    assert DueStep(2, ny(2, 9)).label(POLICY) == "follow-up 2 of 3"


@pytest.mark.parametrize(("steps", "max_touches", "labels"), [
    # four steps written, but three touches in all: the first touch and two follow-ups
    ((1, 3, 7, 14), 3, ["first touch", "follow-up 1 of 2", "follow-up 2 of 2"]),
    # two steps written, touches to spare: the steps run out first
    ((1, 3), 6, ["first touch", "follow-up 1 of 2", "follow-up 2 of 2"]),
    ((2,), 2, ["first touch", "follow-up 1 of 1"]),
    # an even number of touches: the first and three follow-ups, though five steps are written
    ((1, 3, 7, 14, 21), 4, ["first touch", "follow-up 1 of 3", "follow-up 2 of 3", "follow-up 3 of 3"]),
])
def test_the_follow_up_label_counts_the_follow_ups_the_rep_will_really_be_asked_for(
        steps: tuple[int, ...], max_touches: int, labels: list[str]) -> None:
    """What a rep reads in a nudge ("follow-up 2 of 2"), touch after touch, until nothing is due:
    the last label shown is always "n of n"."""
    policy = CadencePolicy(first_touch_within=Duration(1, "h"),
                           steps=[Duration(d, "d") for d in steps], max_touches=max_touches)
    engaged, touches, shown = ny(2, 9), [], []
    while (step := due(engaged, touches, policy=policy)) is not None:
        shown.append(step.label(policy))
        touches.append(step.due_at)  # the rep follows up right on time
    assert shown == labels
