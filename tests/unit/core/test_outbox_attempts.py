"""A claim handed back unsent is not a delivery attempt: in a 429 storm a page runs past half its
lease again and again, and each retake counted as one more attempt, so after five the check-in was
abandoned without ever having been tried five times (1 of 2,000 members never asked)."""

from __future__ import annotations

from sqlmodel import select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.delivery import _RELEASED, MAX_ATTEMPTS, Outbox, Outgoing, Seen
from bot.events import Message
from bot.storage.models import Member, OutboundMessage
from tests.support.ports import RecordingPort
from tests.support.talk import setup_team

KEY = "checkin:1:dana:2026-03-02T15:00"


async def _row(core: BotCore) -> OutboundMessage:
    async with core.ctx.db.session() as session:
        row = (await session.exec(select(OutboundMessage).where(OutboundMessage.key == KEY))).one()
    return row


async def _page(core: BotCore, outbox: Outbox, dana: Member) -> list[Outgoing[None]]:
    row = await _row(core)
    item = Outgoing(dana, KEY, "checkin", None, seen=Seen(row.state, row.claimed_at),
                    message=Message.plain("How did your week go?"))
    async with core.ctx.db.session() as session:
        return await outbox.claim(session, [item])


async def test_claims_given_back_unsent_do_not_use_up_the_attempts(
        core: BotCore, port: RecordingPort, clock: ManualClock) -> None:
    await setup_team(core)
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Member).where(Member.name == "Dana"))).one()
        session.add(OutboundMessage(key=KEY, member_id=dana.id, kind="checkin", state="claimed",
                                    claimed_at=_RELEASED, attempts=1,  # one 429 so far
                                    error="rate limited"))
    outbox = Outbox(core.ctx)
    for _ in range(MAX_ATTEMPTS + 2):  # pages that ran past half their lease before this send
        page = await _page(core, outbox, dana)
        assert len(page) == 1
        clock.advance(outbox.lease)
        assert await outbox.send(page) == []  # not started: given back
        assert (await _row(core)).attempts == 1
    port.fail_for[dana.platform_user_id] = False  # one more 429, a real attempt this time
    page = await _page(core, outbox, dana)
    [outcome] = await outbox.send(page)
    assert outcome.error is not None and not outcome.given_up  # the second real attempt
    row = await _row(core)
    assert (row.state, row.attempts) == ("claimed", 2)
    del port.fail_for[dana.platform_user_id]
    page = await _page(core, outbox, dana)
    [outcome] = await outbox.send(page)
    assert outcome.ref is not None
    assert (await _row(core)).state == "sent"
