"""Inbound work under a burst: it starts only once requests stop arriving (or after the longest
deferral), a few pieces at a time, in the order the requests came; a piece cancelled before its
turn never runs. Time is the injected clock: the intake's sleep advances it."""

from __future__ import annotations

import asyncio
import gc
import warnings
from dataclasses import dataclass, field

from bot.runtime.intake import Intake


@dataclass
class FakeTime:
    now: float = 100.0
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Work:
    clock: FakeTime
    started: list[tuple[int, float]] = field(default_factory=list)
    running: int = 0
    most: int = 0

    async def __call__(self, n: int) -> int:
        self.started.append((n, self.clock.now))
        self.running += 1
        self.most = max(self.most, self.running)
        for _ in range(20):  # some database and Web API calls
            await asyncio.sleep(0)
        self.running -= 1
        return n


async def test_a_burst_is_acknowledged_before_its_work_starts_a_few_at_a_time_in_order() -> None:
    clock = FakeTime()
    intake = Intake(limit=3, quiet=0.005, max_defer=1.0, now=clock, sleep=clock.sleep)
    work = Work(clock)
    tasks = []
    last_arrival = clock.now
    for n in range(10):  # ten requests, a millisecond apart
        intake.arrived()
        last_arrival = clock.now
        tasks.append(asyncio.create_task(intake.in_turn(work(n))))
        await asyncio.sleep(0)
        clock.now += 0.001
    assert work.started == []  # nothing ran while requests kept coming
    assert await asyncio.gather(*tasks) == list(range(10))
    assert [n for n, _ in work.started] == list(range(10))  # in the order they arrived
    assert all(at >= last_arrival + 0.005 - 1e-9 for _, at in work.started)
    assert work.most == 3


async def test_a_steady_stream_does_not_hold_work_back_longer_than_the_deferral() -> None:
    clock = FakeTime()
    intake = Intake(limit=2, quiet=0.005, max_defer=0.05, now=clock, sleep=clock.sleep)
    work = Work(clock)
    intake.arrived()
    first = asyncio.create_task(intake.in_turn(work(1)))
    start = clock.now
    while not work.started:  # a request every 2 ms, forever
        intake.arrived()
        await asyncio.sleep(0)
        clock.now += 0.002
    assert await first == 1
    assert start + 0.05 <= work.started[0][1] <= start + 0.06


async def test_a_lone_request_waits_only_the_quiet_moment() -> None:
    clock = FakeTime()
    intake = Intake(limit=8, quiet=0.005, now=clock, sleep=clock.sleep)
    intake.arrived()
    assert await intake.in_turn(Work(clock)(7)) == 7
    assert sum(clock.slept) <= 0.005


async def test_work_cancelled_before_its_turn_never_runs_and_leaves_no_warning() -> None:
    clock = FakeTime()
    intake = Intake(limit=1, now=clock, sleep=clock.sleep)
    work = Work(clock)
    intake.arrived()
    waiting = asyncio.create_task(intake.in_turn(work(1)))
    await asyncio.sleep(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" would be an error
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    assert waiting.cancelled() and work.started == []


async def test_urgent_work_waits_for_the_acks_but_not_for_a_slot() -> None:
    clock = FakeTime()
    intake = Intake(limit=1, quiet=0.005, now=clock, sleep=clock.sleep)
    work = Work(clock)
    release = asyncio.Event()

    async def long_job() -> None:
        await release.wait()

    intake.arrived()
    busy = asyncio.create_task(intake.in_turn(long_job()))  # holds the only slot
    urgent = asyncio.create_task(intake.after_lull(work(1)))
    assert await urgent == 1 and work.started[0][1] >= 100.005 - 1e-9
    release.set()
    await busy


async def test_running_work_makes_way_for_arrivals_at_its_next_step() -> None:
    """Work that started before a burst waits at its next step until requests stop arriving (at
    most the longest deferral); with no request lately it goes on without waiting."""
    clock = FakeTime()
    intake = Intake(limit=3, quiet=0.005, max_defer=1.0, now=clock, sleep=clock.sleep)
    await intake.make_way()
    assert clock.slept == []  # nothing arrived: no wait, not even a turn of the loop
    intake.arrived()
    step = asyncio.create_task(intake.make_way())
    for _ in range(5):  # requests keep coming, a millisecond apart
        await asyncio.sleep(0)
        clock.now += 0.001
        intake.arrived()
    last_arrival = clock.now
    await step
    assert clock.now >= last_arrival + 0.005 - 1e-9
    intake.arrived()
    steady = asyncio.create_task(intake.make_way())
    while not steady.done():  # a stream that never pauses: the step still goes on after max_defer
        intake.arrived()
        await asyncio.sleep(0)
    assert clock.now <= last_arrival + 1.0 + 0.01


async def test_work_waits_while_a_request_is_still_being_answered() -> None:
    """A request counts as arriving from its handler's first line to its answer: an ack that
    itself waits (for the database, a token check) is not overtaken by work waiting for the lull,
    however long past the last arrival - up to the longest deferral."""
    clock = FakeTime()
    intake = Intake(limit=3, quiet=0.005, max_defer=1.0, now=clock, sleep=clock.sleep)
    answered = asyncio.Event()
    answers: list[float] = []

    async def request() -> None:
        with intake.entering():
            await answered.wait()
        answers.append(clock.now)

    handler = asyncio.create_task(request())
    await asyncio.sleep(0)
    clock.now += 0.1  # long past `quiet`, the request still unanswered
    step = asyncio.create_task(intake.make_way())
    for _ in range(10):
        await asyncio.sleep(0)
    assert not step.done()
    answered.set()
    await handler
    await step
    assert answers[0] + 0.005 - 1e-9 <= clock.now < answers[0] + 0.1
    # A handler that never answers holds work back for the longest deferral only.
    stuck = asyncio.create_task(request())
    answered.clear()
    await asyncio.sleep(0)
    start = clock.now
    await intake.make_way()
    assert start + 1.0 - 1e-9 <= clock.now <= start + 1.01
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)


async def test_the_collector_is_held_while_a_burst_is_answered_and_given_back_at_the_lull() -> None:
    """With `hold_collector` the garbage collector does not run in the middle of a burst's acks:
    off from the first request, on again once requests have paused for `quiet` (real time)."""
    assert gc.isenabled()
    intake = Intake(limit=3, quiet=0.01, max_defer=1.0)
    intake.hold_collector = True
    try:
        for _ in range(5):  # a burst: requests one after the other
            with intake.entering():
                assert not gc.isenabled()
            await asyncio.sleep(0.001)
        assert not gc.isenabled()  # 1 ms apart: still the burst
        await asyncio.sleep(0.05)
        assert gc.isenabled()  # the lull
        without = Intake(limit=3)  # a test, the console: the collector is left alone
        with without.entering():
            assert gc.isenabled()
    finally:
        intake.close()
        gc.enable()


async def test_a_steady_stream_gets_a_collection_every_longest_deferral() -> None:
    clock = FakeTime()
    intake = Intake(limit=3, quiet=0.005, max_defer=0.05, now=clock, sleep=clock.sleep)
    intake.hold_collector = True
    states = []
    try:
        for _ in range(40):  # a request every 2 ms for 80 ms, never a lull
            with intake.entering():
                states.append(gc.isenabled())
            clock.now += 0.002
        assert states[0] is False and True in states  # held, but let go after 50 ms of it
        assert 25 <= states.index(True) <= 26 and states[states.index(True) + 1] is False
        intake.close()
        assert gc.isenabled()
    finally:
        intake.close()
        gc.enable()
