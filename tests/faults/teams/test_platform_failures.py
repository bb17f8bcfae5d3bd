"""Teams failing while the scheduler sends check-ins, through the real botbuilder CloudAdapter
and the local Bot Connector: throttling is retried a bounded number of times with capped waits,
then recorded; a send given up for good is shown to admins (`align status` and one alert card);
a Bot Connector that does not answer is given up on after the timeout, not waited for."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.delivery import MAX_ATTEMPTS
from bot.storage.models import OutboundMessage
from tests.adapters.teams.conftest import ADA, DANA, Sleeps, Teams
from tests.adapters.teams.test_flow import setup_team

SCHEDULE = 'align schedule add checkin "weekdays 09:00" to=reps remind=off'
RETRIES = 3  # the adapter's max_retries (conftest)


async def ask_row(core: BotCore) -> OutboundMessage:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "checkin"))).one()


async def tick_after(core: BotCore, clock: ManualClock, step: timedelta) -> None:
    clock.advance(step)
    await core.tick()
    await core.ctx.drain()


async def test_throttling_is_retried_boundedly_then_given_up_and_admins_are_told(
        teams: Teams, core: BotCore, clock: ManualClock, sleeps: Sleeps) -> None:
    connector = teams.connector
    await setup_team(teams)
    await teams.say(ADA, SCHEDULE)
    connector.fail("send", 429, retry_after=3600, times=(1 + RETRIES) * MAX_ATTEMPTS)
    await tick_after(core, clock, timedelta(days=1))  # Tue 09:00 in New York
    for _ in range(MAX_ATTEMPTS):
        await tick_after(core, clock, timedelta(seconds=30))
    assert len(connector.of("send-failed", teams.dm(DANA))) == (1 + RETRIES) * MAX_ATTEMPTS
    assert sleeps.waits == [30.0] * RETRIES * MAX_ATTEMPTS  # Retry-After 3600 capped at 30 s
    row = await ask_row(core)
    assert (row.state, row.attempts) == ("failed", MAX_ATTEMPTS) and "HTTP 429" in (row.error or "")
    assert connector.of("send", teams.dm(DANA)) == []

    alerts = [t for t in connector.card_texts(conversation=teams.dm(ADA)) if "could not be delivered" in t]
    assert len(alerts) == 1 and "checkin (teams): 1" in alerts[0]
    [status] = await teams.say(ADA, "align status")
    assert "checkin to Dana (teams)" in status and "HTTP 429" in status


async def test_a_bot_connector_that_does_not_answer_is_given_up_on_after_the_timeout(
        teams: Teams, core: BotCore, clock: ManualClock, sleeps: Sleeps) -> None:
    connector = teams.connector
    await setup_team(teams)
    await teams.say(ADA, SCHEDULE)
    connector.slow("send", 1.5)  # answered after the 1 s timeout (msrest's own is 100 s)
    await tick_after(core, clock, timedelta(days=1))
    assert sleeps.waits == []  # a send that timed out may have arrived: not repeated in place
    row = await ask_row(core)
    assert row.state == "claimed" and "timed out" in (row.error or "")
    # Teams keeps no history to ask, so the next pass sends again (see README, Limits).
    await tick_after(core, clock, timedelta(seconds=30))
    assert (await ask_row(core)).state == "sent"
