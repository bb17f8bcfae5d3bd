"""What one engine tick reports and records, checked where a mutation of the engine went
unnoticed (issue 25): the tick's counts, a schedule's mark (what it has already turned into
check-ins), and a reminder recorded only on a check-in still waiting for an answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import update

from bot.clock import ManualClock
from bot.core import BotCore
from bot.events import MemberRef, Message, MessageRef
from bot.storage.models import CheckIn
from tests.support.talk import say
from tests.unit.schedules.support import TimedPort, add_members, rows

NY = "America/New_York"
TUE_0900_NY = datetime(2026, 3, 3, 14, tzinfo=UTC)  # the first run after START (Mon 09:00 NY)


async def test_a_tick_reports_who_was_asked_and_who_was_skipped(
        core: BotCore, clock: ManualClock) -> None:
    await add_members(core, ("Dana", NY), ("Lee", NY))
    assert "away until 2026-03-04" in await say(core, "ada", "/align away until 2026-03-04 member=Lee")
    await say(core, "ada", '/align schedule add checkin "daily 09:00" to=reps remind=off')
    clock.set(TUE_0900_NY)
    report = await core.tick()
    assert (report.asked, report.skipped, report.missed, report.jobs) == (1, 1, 0, 0)


async def test_someone_added_after_a_run_is_asked_at_the_next_run_not_about_the_last(
        core: BotCore, clock: ManualClock, port: TimedPort) -> None:
    """The schedule's mark moves past each run it turned into check-ins (its own mark: the
    first schedule's too), so a rep added at 09:30 is not asked about 09:00."""
    await add_members(core, ("Dana", NY))
    await say(core, "ada", '/align schedule add checkin "daily 09:00" to=reps remind=off')
    clock.set(TUE_0900_NY)
    await core.tick()
    clock.advance(timedelta(minutes=30))
    assert "Added Kim" in await say(core, "ada", "/align team add Kim rep")
    await say(core, "ada", f"/align me tz {NY} member=Kim")
    await core.tick()
    assert port.asks("kim") == []
    assert [c.occurrence_at for c in await rows(core, "Kim")] == []
    await core.advance(timedelta(days=1))
    assert [t for _, t in port.asks("kim")] == [TUE_0900_NY + timedelta(days=1)]


@dataclass
class ClosingPort(TimedPort):
    """While a reminder is on its way, another process closes that check-in (its window ended)."""

    core: BotCore | None = None

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        ref = await super().send(to, message, thread=thread)
        if message.key and ":remind:" in message.key and self.core is not None:
            async with self.core.ctx.db.session() as session:
                await session.exec(update(CheckIn).where(  # type: ignore[call-overload]
                    CheckIn.key == message.key.split(":remind:")[0]).values(state="expired"))
        return ref


async def test_a_reminder_does_not_reopen_a_checkin_closed_while_it_was_sent(
        core: BotCore, clock: ManualClock) -> None:
    closing = ClosingPort(clock=clock, core=core)
    core.attach(closing)
    await add_members(core, ("Dana", NY))
    await say(core, "ada", '/align schedule add checkin "daily 09:00" to=reps remind=2h')
    clock.set(TUE_0900_NY)
    await core.tick()
    clock.advance(timedelta(hours=2))
    await core.tick()
    assert any(":remind:" in (s.message.key or "") for s in closing.sent)  # the reminder went
    [checkin] = await rows(core, "Dana")
    assert checkin.state == "expired"  # not "reminded": that would reopen it for answers
