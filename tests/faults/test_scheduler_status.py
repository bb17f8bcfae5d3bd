"""Admins see the scheduler's health in `/align status` without reading logs: no tick recorded,
the last tick (age, lag, duration, which process), ticks failing while the database is down, and
a scheduler that stopped ticking."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.core import BotCore
from bot.ops.heartbeat import Heartbeats
from bot.scheduling.runner import TickRunner
from tests.support.outage import Outage
from tests.support.talk import say, setup_team


async def test_status_shows_the_last_tick_its_failures_and_a_stopped_scheduler(
        core: BotCore, clock: ManualClock, outage: Outage) -> None:
    await setup_team(core)
    assert "none recorded - is a process with the scheduler role" in await say(core, "ada", "/align status")

    runner = TickRunner(core.tick, every_seconds=30, metrics=core.ctx.metrics,
                        on_tick=Heartbeats(core.ctx).tick)
    await runner.run_once()
    status = await say(core, "ada", "/align status")
    assert "Last tick: 0 s ago on " in status and "took" in status and "failed" not in status

    async def tick_during_outage() -> None:
        await outage.begin()
        try:
            await core.tick()
        finally:
            await outage.end()
    clock.advance(timedelta(seconds=30))
    failing = TickRunner(tick_during_outage, every_seconds=30, on_tick=Heartbeats(core.ctx).tick)
    await failing.run_once()
    await failing.run_once()
    status = await say(core, "ada", "/align status")
    assert "the last 2 tick(s) failed: DatabaseUnavailable" in status
    assert "last success: Mon 02 Mar 09:00" in status  # Ada's time zone (New York)

    clock.advance(timedelta(hours=2))
    assert "no tick for 2 h: the scheduler may be stopped" in await say(core, "ada", "/align status")
    await runner.run_once()
    status = await say(core, "ada", "/align status")
    assert "failed" not in status.split("Scheduler")[1] and "stopped" not in status
    assert "is for admins" in await say(core, "dana", "/align status")
