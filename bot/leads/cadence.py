"""When a lead's next follow-up is due, derived from its touches and the strategy's cadence.

Pure: the same lead, touches, policy and owner calendar always give the same answer, so the
`next_due_at` column is only a cache of this function (recomputed on every change) and a test can
check any moment of a lead's life without a database.

The rules, all in the owner's business time (`bot.scheduling.business_time`: their zone, working
days and hours, holidays, away periods):

- step 0, the first touch, is due `first_touch_within` after the lead first engaged;
- step n >= 1 is due `steps[n-1]` after the FIRST touch (cadences are written as "day 1, 3, 7,
  14"); a step whose time had already passed when the previous touch happened (the rep caught up
  late) is due `steps[0]` after that latest touch instead, so touches never bunch up;
- no step is due once `max_touches` touches were made or the steps run out, or when the lead is
  qualified or disqualified;
- a snooze moves the due time to the end of the snooze, never earlier;
- touches within a few minutes of each other (a call, then the email recapping it) are one touch
  for the cadence (`merge_touches`): the rep worked the lead once, not twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.scheduling.business_time import add_business_time
from bot.scheduling.calendar import WorkCalendar
from bot.strategy.schema import CadencePolicy

OPEN_STATUSES = ("new", "working")
CLOSED_STATUSES = ("qualified", "disqualified")


@dataclass(frozen=True)
class DueStep:
    """The follow-up a lead is waiting for: which step (0 = first touch) and when it is due."""

    step: int
    due_at: datetime

    def label(self, policy: CadencePolicy) -> str:
        """How the step reads to a rep: "first touch", "follow-up 2 of 4"."""
        if self.step == 0:
            return "first touch"
        total = min(len(policy.steps), policy.max_touches - 1)
        return f"follow-up {self.step} of {total}"


def merge_touches(touches: Sequence[datetime], within: timedelta) -> list[datetime]:
    """The touches the cadence counts: in time order, a touch less than `within` after the last
    counted one belongs to it (a burst counts once, at its first touch)."""
    counted: list[datetime] = []
    for at in sorted(touches):
        if not counted or at - counted[-1] >= within:
            counted.append(at)
    return counted


def next_step(engaged_at: datetime, touches: Sequence[datetime], status: str,
              policy: CadencePolicy, calendar: WorkCalendar,
              snoozed_until: datetime | None = None) -> DueStep | None:
    """The next follow-up due for a lead, or None when nothing more is due (see module doc)."""
    if status in CLOSED_STATUSES:
        return None
    ordered = sorted(touches)
    done = len(ordered)
    if done >= policy.max_touches or done > len(policy.steps):
        return None
    if done == 0:
        due = add_business_time(engaged_at, policy.first_touch_within, calendar)
    else:
        due = add_business_time(ordered[0], policy.steps[done - 1], calendar)
        if done >= 2 and due <= ordered[-1]:
            due = add_business_time(ordered[-1], policy.steps[0], calendar)
    if snoozed_until is not None and snoozed_until > due:
        due = snoozed_until
    return DueStep(done, due)
