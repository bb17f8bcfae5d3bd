"""Replay keys are kept as long as a platform can send the same event again, and no longer:
the table held every event ever received (issue 21's replay store, noticed in review)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.storage.models import InboundEvent
from bot.storage.replays import KEEP, first_time


async def stored(core: BotCore) -> int:
    async with core.ctx.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(InboundEvent))).one())


async def test_keys_older_than_a_week_are_forgotten_as_the_scheduler_ticks(
        core: BotCore, clock: ManualClock) -> None:
    db = core.ctx.db
    assert await first_time(db, "slack", "Ev-old", clock.now())
    clock.advance(KEEP - timedelta(days=1))
    assert await first_time(db, "slack", "Ev-recent", clock.now())
    await core.tick()
    assert await stored(core) == 2  # nothing is a week old yet
    assert not await first_time(db, "slack", "Ev-old", clock.now())  # a retry is still refused

    clock.advance(timedelta(days=1, hours=1))
    await core.tick()
    assert await stored(core) == 1  # Ev-old went; Ev-recent (6 days old) stays
    assert not await first_time(db, "slack", "Ev-recent", clock.now())
    assert await first_time(db, "slack", "Ev-old", clock.now())  # long past any retry

    swept_at = clock.now()  # the sweep runs at most once an hour
    assert await first_time(db, "teams", "old-activity", swept_at - KEEP - timedelta(days=1))
    clock.advance(timedelta(minutes=30))
    await core.tick()
    assert not await first_time(db, "teams", "old-activity", clock.now())  # not swept yet
    clock.advance(timedelta(minutes=31))
    await core.tick()
    assert await first_time(db, "teams", "old-activity", clock.now())  # swept an hour later
