"""Graceful shutdown in the middle of a fan-out (SQLite and PostgreSQL): the tick runner stops
the tick after its grace, what went out is recorded, the send that was in flight has its claim
released, the sends never started are given back, and a second core
(another process, or this one restarted) finishes the fan-out at once - without waiting for the
lease - asking every member exactly once, whether or not the platform had accepted the
interrupted send."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.delivery import LEASE
from bot.events import MemberRef, Message, MessageRef
from bot.scheduling.runner import TickRunner
from bot.storage.models import CheckIn, OutboundMessage
from tests.support.talk import say
from tests.unit.schedules.support import TimedPort, running_core
from tests.unit.schedules.test_fanout import add_reps, all_rows

MEMBERS = 40
HANG_AT = 17  # the send that is in flight when SIGTERM comes


@dataclass
class HangingPort(TimedPort):
    """Send number `hang_at` never returns (a platform call still in flight at shutdown); with
    `accepted`, the platform has taken that message already and only its answer is outstanding."""

    hang_at: int | None = None
    accepted: bool = False
    calls: int = 0
    in_flight: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        self.calls += 1
        if self.calls == self.hang_at:
            if self.accepted:
                await super().send(to, message, thread=thread)
            self.in_flight.set()
            await asyncio.Event().wait()  # until cancelled
        return await super().send(to, message, thread=thread)


@pytest.mark.parametrize("lanes", [1, 8], ids=["one-in-flight", "eight-in-flight"])
@pytest.mark.parametrize("accepted", [False, True], ids=["not-yet-accepted", "accepted"])
async def test_shutdown_mid_fanout_releases_the_send_in_flight_and_a_second_core_finishes(
        core: BotCore, settings: Settings, clock: ManualClock, accepted: bool, lanes: int) -> None:
    settings = settings.model_copy(update={"fanout_concurrency": lanes})
    core.ctx.settings = settings
    port = HangingPort(clock=clock, hang_at=HANG_AT, accepted=accepted)
    core.attach(port)
    await add_reps(core, MEMBERS)
    assert "Scheduled #1" in await say(
        core, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
    clock.set(datetime(2026, 3, 2, 15, tzinfo=UTC))

    runner = TickRunner(core.tick, every_seconds=3600, metrics=core.ctx.metrics)
    runner.start()
    await asyncio.wait_for(port.in_flight.wait(), timeout=30)
    await asyncio.wait_for(runner.shutdown(grace=0), timeout=30)  # SIGTERM, grace over
    await core.ctx.drain()
    sent_before = len(port.sent)
    # one lane: sends 1-16 went out and the rest of the page waits; eight: the other lanes sent
    # everything else while send 17 hung
    went_out = HANG_AT - 1 if lanes == 1 else MEMBERS - 1
    assert sent_before == went_out + accepted

    interrupted = [o for o in await all_rows(core, OutboundMessage) if o.state == "claimed"]
    assert len(interrupted) == 1  # only the send in flight; it was released, not left leased:
    assert interrupted[0].claimed_at < clock.now() - LEASE
    assert interrupted[0].key.endswith(f"m{interrupted[0].member_id}:20260302T150000Z:ask")

    port.hang_at = None
    clock.advance(timedelta(seconds=30))  # well inside the lease
    async with running_core(settings, clock, port) as second:
        await second.tick()
        checkins = await all_rows(second, CheckIn)
        outbound = await all_rows(second, OutboundMessage)
        async with second.ctx.db.session() as session:
            retaken = (await session.exec(select(OutboundMessage).where(
                OutboundMessage.key == interrupted[0].key))).one()

    asks = Counter(s.to.user_id for s, _ in port.asks())
    assert len(asks) == MEMBERS and set(asks.values()) == {1}  # nobody lost, nobody twice
    assert len(port.sent) == MEMBERS
    assert {c.state for c in checkins} == {"asked"} and len(checkins) == MEMBERS
    assert {o.state for o in outbound} == {"sent"} and len(outbound) == MEMBERS
    assert retaken.attempts == 2  # the second core took the released claim over
    # what went out before the shutdown was recorded then, not left to the second core to find
    assert core.ctx.metrics.value("alignbot_checkins_asked_total", audience="rep") == went_out
