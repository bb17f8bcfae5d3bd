"""Scheduled jobs other than check-ins: what a `digest` or `nudges` schedule does for a recipient.

The engine owns *when* (occurrences in each member's zone, availability, the downtime grace, the
`processed_until` mark); a job owns *what*: it builds and delivers one recipient's message for one
occurrence. Jobs must send through the outbox with the `key` they are given, so re-running an
occurrence after a crash or in a second process sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.storage.models import Member, Schedule


class ScheduledJob(Protocol):
    """One kind of schedule's work for one recipient at one occurrence."""

    kind: str
    # A job may also set `every_day = True` (e.g. the CRM sync): it then runs on its recipient's
    # days off and time away too, which only make sense to respect for messages to people.

    async def run(self, schedule: Schedule, member: Member, occurrence: datetime, key: str) -> bool:
        """Do the work; True if something was sent. Raise `DeliveryError` for a transient failure
        (the engine reports it; the occurrence is retried on the next tick)."""
        ...


def job_key(schedule_id: int, member_id: int, occurrence: datetime) -> str:
    """The idempotency key of one recipient's run of one occurrence of a job schedule."""
    return f"j{schedule_id}:m{member_id}:{occurrence.strftime('%Y%m%dT%H%M%SZ')}"
