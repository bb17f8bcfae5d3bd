"""Helpers for the schedule acceptance tests: a timed port and readers of what was sent/stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.events import MemberRef, Message, MessageRef
from bot.storage.database import Database
from bot.storage.models import CheckIn, Member
from tests.support.loaded import prompts_from, strategy_from
from tests.support.ports import RecordingPort, Sent
from tests.support.talk import say


@dataclass
class TimedPort(RecordingPort):
    """A RecordingPort that also notes the bot's clock at every send (`times`, parallel to
    `sent`). With `stop_after=n` it cancels the task that is sending right after the platform
    accepted send number n: the process "dies" after a send and before the bot records it (with
    one send in flight at a time, ALIGNBOT_FANOUT_CONCURRENCY=1, that task is the tick)."""

    clock: ManualClock | None = None
    times: list[datetime] = field(default_factory=list)
    stop_after: int | None = None
    sends: int = 0  # by this object (`twin()`s share everything else)

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        await asyncio.sleep(0)  # a platform call yields to the loop, as real I/O does
        ref = await super().send(to, message, thread=thread)
        assert self.clock is not None
        self.times.append(self.clock.now())
        self.sends += 1
        if self.stop_after is not None and len(self.sent) == self.stop_after:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
        return ref

    def twin(self) -> TimedPort:
        """Another connection to the same platform (what one got, the other can find), which
        counts its own sends: for telling apart what each of two engines sent."""
        return TimedPort(sent=self.sent, times=self.times, _ids=self._ids, clock=self.clock)

    def timed(self) -> list[tuple[Sent, datetime]]:
        return list(zip(self.sent, self.times, strict=True))

    def asks(self, user_id: str | None = None) -> list[tuple[Sent, datetime]]:
        """Check-in invitations (the first message of a check-in), optionally to one user."""
        return [(s, t) for s, t in self.timed() if s.message.key and s.message.key.endswith(":ask")
                and (user_id is None or s.to.user_id == user_id)]

    def reminders(self, user_id: str | None = None) -> list[tuple[Sent, datetime]]:
        return [(s, t) for s, t in self.timed() if s.message.key and ":remind:" in s.message.key
                and (user_id is None or s.to.user_id == user_id)]

    def ask_times(self, user_id: str, zone: str) -> list[datetime]:
        """When `user_id` was asked, as naive local wall times in `zone`."""
        tz = ZoneInfo(zone)
        return [t.astimezone(tz).replace(tzinfo=None) for _, t in self.asks(user_id)]


async def add_members(core: BotCore, *people: tuple[str, str]) -> None:
    """Admin Ada (created first), then each (name, zone) as a rep in that time zone."""
    if "Added Ada" not in await say(core, "ada", "/align team add Ada admin"):
        raise AssertionError("could not bootstrap the admin")
    for name, zone in people:
        assert f"Added {name}" in await say(core, "ada", f"/align team add {name} rep")
        assert f"set to {zone}" in await say(core, "ada", f"/align me tz {zone} member={name}")


async def rows(core: BotCore, name: str | None = None) -> list[CheckIn]:
    """Check-in rows (optionally of one member) in occurrence order."""
    async with core.ctx.db.session() as session:
        query = select(CheckIn).join(Member, col(Member.id) == CheckIn.member_id)
        if name is not None:
            query = query.where(Member.name == name)
        return list((await session.exec(
            query.order_by(col(CheckIn.occurrence_at), col(CheckIn.id)))).all())


def local_day(instant: datetime, zone: str) -> date:
    return instant.astimezone(ZoneInfo(zone)).date()


@asynccontextmanager
async def running_core(settings: Settings, clock: ManualClock,
                       port: RecordingPort) -> AsyncIterator[BotCore]:
    """A core of its own (own Database and context) on `settings`' URL, built like the shared
    `core` fixture: a second process, or the same deployment after a restart."""
    ctx = BotContext(settings=settings, db=Database(settings.database_url), clock=clock,
                     prompts=prompts_from(settings.prompts_dir),
                     strategy=strategy_from(settings.strategy_file))
    bot = BotCore(ctx)
    bot.attach(port)
    await bot.start()
    try:
        yield bot
    finally:
        await ctx.drain()
        await ctx.db.dispose()
