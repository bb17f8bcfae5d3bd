"""The tick runner's metrics (lag after the due time, duration) and its shutdown: a running tick
may finish within the grace period, and is cancelled after it."""

from __future__ import annotations

import asyncio

from apscheduler.schedulers.base import STATE_PAUSED

from bot.ops.metrics import Metrics
from bot.scheduling.runner import TickRunner


async def test_a_scheduled_tick_reports_its_lag_and_duration() -> None:
    ticked = asyncio.Event()

    async def tick() -> None:
        ticked.set()

    metrics = Metrics()
    runner = TickRunner(tick, every_seconds=3600, metrics=metrics)
    runner.start()
    try:
        await asyncio.wait_for(ticked.wait(), timeout=10)
    finally:
        await runner.shutdown(grace=5)
    assert metrics.value("alignbot_scheduler_lag_seconds_count") == 1
    assert 0 <= metrics.value("alignbot_scheduler_lag_seconds_sum") < 10
    assert metrics.value("alignbot_tick_duration_seconds_count") == 1
    await runner.run_once()  # run by hand: no due time, so no lag; still a duration
    assert metrics.value("alignbot_scheduler_lag_seconds_count") == 1
    assert metrics.value("alignbot_tick_duration_seconds_count") == 2


async def _runner_in_a_tick(gate: asyncio.Event, started: asyncio.Event,
                            finished: list[str]) -> TickRunner:
    async def tick() -> None:
        started.set()
        await gate.wait()
        finished.append("tick")

    runner = TickRunner(tick, every_seconds=3600)
    runner.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    assert runner.ticking
    return runner


async def test_shutdown_lets_a_running_tick_finish_within_the_grace() -> None:
    gate, started, finished = asyncio.Event(), asyncio.Event(), []
    runner = await _runner_in_a_tick(gate, started, finished)
    stopping = asyncio.create_task(runner.shutdown(grace=30))
    for _ in range(5):
        await asyncio.sleep(0)
    assert runner.scheduler.state == STATE_PAUSED  # no new ticks
    assert not stopping.done() and runner.ticking  # but this one may finish
    gate.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert finished == ["tick"] and not runner.ticking and not runner.scheduler.running


async def test_shutdown_cancels_a_tick_that_outlives_the_grace() -> None:
    gate, started, finished = asyncio.Event(), asyncio.Event(), []
    runner = await _runner_in_a_tick(gate, started, finished)
    await asyncio.wait_for(runner.shutdown(grace=0), timeout=10)
    assert finished == [] and not runner.ticking and not runner.scheduler.running
