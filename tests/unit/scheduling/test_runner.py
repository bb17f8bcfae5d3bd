"""The periodic tick: one APScheduler job with a fixed id that survives a failing tick."""

from __future__ import annotations

import asyncio

from bot.scheduling.runner import TICK_JOB_ID, TickRunner


async def test_ticks_at_once_with_a_fixed_job_id_and_survives_failures() -> None:
    calls: list[int] = []
    ticked = asyncio.Event()

    async def tick() -> None:
        calls.append(len(calls))
        ticked.set()
        raise RuntimeError("database went away")

    runner = TickRunner(tick, every_seconds=3600)
    runner.start()
    try:
        await asyncio.wait_for(ticked.wait(), timeout=10)
        jobs = runner.scheduler.get_jobs()
        assert [job.id for job in jobs] == [TICK_JOB_ID]
        assert jobs[0].max_instances == 1 and jobs[0].coalesce is True
        assert runner.failures == 1 and calls == [0]
        await runner.run_once()  # the next tick still runs after a failure
        assert calls == [0, 1] and runner.failures == 2
    finally:
        await runner.shutdown()
    assert not runner.scheduler.running
