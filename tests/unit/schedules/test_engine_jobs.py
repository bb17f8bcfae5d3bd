"""Digest and nudge schedules run through the same engine as check-ins: each recipient's run of
each occurrence happens at their local time, not on their days off, once, and again after a
transient failure (the job's outbox key drops what was already sent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import BotCore
from bot.events import Message
from bot.port import DeliveryError
from bot.storage.models import Member, Schedule
from tests.support.talk import say
from tests.unit.schedules.support import TimedPort, add_members

NY, BERLIN = "America/New_York", "Europe/Berlin"


@dataclass
class RecordingJob:
    """A job that sends one message per run through the core's outbox, like digests do."""

    core: BotCore
    kind: str = "digest"
    fail_for: set[str] = field(default_factory=set)
    runs: list[tuple[str, datetime, str]] = field(default_factory=list)

    async def run(self, schedule: Schedule, member: Member, occurrence: datetime, key: str) -> bool:
        self.runs.append((member.name, occurrence, key))
        if member.name in self.fail_for:
            raise DeliveryError("connector timed out")
        ref = await self.core.outbox.deliver(member, key, "digest", Message.plain("digest"))
        return ref is not None


def use_job(core: BotCore, job: RecordingJob) -> None:
    core.engine.jobs[job.kind] = job


async def test_a_job_schedule_runs_once_per_member_at_their_local_time(
        core: BotCore, port: TimedPort) -> None:
    job = RecordingJob(core)
    use_job(core, job)
    await add_members(core, ("Dana", NY), ("Lars", BERLIN))
    assert "Tue, Wed, Thu, Fri, Sat" in await say(core, "ada", "/align me days tue-sat member=Lars")
    reply = await say(core, "ada", '/align schedule add digest "weekdays 08:00" to=reps')
    assert "#1" in reply, reply

    await core.advance(timedelta(days=7))

    local = {user: [t.astimezone(ZoneInfo(zone)).strftime("%a %H:%M")
                    for s, t in port.timed() if s.to.user_id == user]
             for user, zone in (("dana", NY), ("lars", BERLIN))}
    # START is Mon 2 March 14:00 UTC: Berlin's Monday 08:00 has passed, New York's has too
    assert local == {"dana": ["Tue 08:00", "Wed 08:00", "Thu 08:00", "Fri 08:00", "Mon 08:00"],
                     "lars": ["Tue 08:00", "Wed 08:00", "Thu 08:00", "Fri 08:00"]}
    assert len(job.runs) == len({key for _, _, key in job.runs}) == 9


async def test_a_failed_run_is_retried_next_tick_without_resending_the_others(
        core: BotCore, port: TimedPort) -> None:
    job = RecordingJob(core, fail_for={"Lee"})
    use_job(core, job)
    await add_members(core, ("Dana", NY), ("Lee", NY))
    await say(core, "ada", '/align schedule add digest "weekdays 08:00" to=reps')

    await core.advance(timedelta(hours=23))  # Tue 08:00 New York: Lee's run fails
    assert [s.to.user_id for s in port.sent] == ["dana"]
    job.fail_for.clear()
    await core.advance(timedelta(minutes=30))  # the next tick repeats the occurrence

    assert sorted(s.to.user_id for s in port.sent) == ["dana", "lee"]
    assert [name for name, _, _ in job.runs].count("Dana") >= 2  # re-run, but not re-sent


async def test_every_job_kind_can_be_scheduled_and_a_kind_without_a_job_cannot(
        core: BotCore) -> None:
    await add_members(core)
    assert set(core.engine.jobs) == {"digest", "nudges", "leads-sync"}
    for kind in ("digest", "nudges", "leads-sync"):
        assert "Scheduled #" in await say(core, "ada", f'/align schedule add {kind} "mon 08:00"')
    del core.engine.jobs["nudges"]  # a build without the job refuses rather than stores it
    reply = await say(core, "ada", '/align schedule add nudges "mon 08:00"')
    assert "not in this version yet" in reply
