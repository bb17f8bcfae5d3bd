"""A claim handed back unsent is not a delivery attempt: in a 429 storm a page runs past half its
lease again and again, and each retake counted as one more attempt, so after five the check-in was
abandoned without ever having been tried five times (1 of 2,000 members never asked)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.delivery import _ABANDONED, _RELEASED, MAX_ATTEMPTS, Outbox, Outgoing, Seen
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


@pytest.mark.parametrize("mark", [_RELEASED, _ABANDONED], ids=["after-a-429", "after-a-timeout"])
async def test_claims_given_back_unsent_do_not_use_up_the_attempts(
        core: BotCore, port: RecordingPort, clock: ManualClock, mark: datetime) -> None:
    """The first try ended in a 429 (released) or a timeout (abandoned: the platform is asked
    before the next try); pages given back unsent, however many, are not tries."""
    await setup_team(core)
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Member).where(Member.name == "Dana"))).one()
        session.add(OutboundMessage(key=KEY, member_id=dana.id, kind="checkin", state="claimed",
                                    claimed_at=mark, attempts=1,  # one try so far
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


async def test_a_message_is_tried_five_times_in_all_then_given_up_a_give_back_between_them_included(
        core: BotCore, port: RecordingPort, clock: ManualClock) -> None:
    """Three real 429s so far, then a page handed back unsent, then two more real 429s: that is
    five tries, so the fifth gives up (the check-in is closed as failed, nothing more is sent),
    neither earlier nor later."""
    await setup_team(core)
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Member).where(Member.name == "Dana"))).one()
        session.add(OutboundMessage(key=KEY, member_id=dana.id, kind="checkin", state="claimed",
                                    claimed_at=_RELEASED, attempts=3, error="rate limited"))
    outbox = Outbox(core.ctx)
    page = await _page(core, outbox, dana)
    clock.advance(outbox.lease)
    assert await outbox.send(page) == []  # not started: given back, not a try
    port.fail_for[dana.platform_user_id] = False  # every try is a 429 from here on
    [fourth] = await outbox.send(await _page(core, outbox, dana))
    assert fourth.error is not None and not fourth.given_up
    assert (await _row(core)).state == "claimed"  # to be tried again
    [fifth] = await outbox.send(await _page(core, outbox, dana))
    assert fifth.error is not None and fifth.given_up
    assert (await _row(core)).state == "failed"
    del port.fail_for[dana.platform_user_id]
    clock.advance(outbox.lease * 3)
    assert await _page(core, outbox, dana) == []  # given up for good: nobody sends it later
    assert port.texts_to(dana.platform_user_id) == []


async def test_a_fifth_try_cut_short_by_a_dead_process_is_the_last(
        core: BotCore, port: RecordingPort, clock: ManualClock) -> None:
    """Four 429s, then a process died during the fifth try. The next process asks the platform
    (nothing arrived), tries once more, gets a 429 again and gives up: nobody keeps trying."""
    await setup_team(core)
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Member).where(Member.name == "Dana"))).one()
        session.add(OutboundMessage(key=KEY, member_id=dana.id, kind="checkin", state="claimed",
                                    claimed_at=clock.now(), attempts=MAX_ATTEMPTS,
                                    error="rate limited"))
    outbox = Outbox(core.ctx)
    clock.advance(outbox.lease * 2)  # the dead holder's lease is over
    port.fail_for[dana.platform_user_id] = False
    [outcome] = await outbox.send(await _page(core, outbox, dana))
    assert outcome.error is not None and outcome.given_up
    assert (await _row(core)).state == "failed"
    clock.advance(outbox.lease * 3)
    assert await _page(core, outbox, dana) == []


async def test_two_processes_that_both_saw_a_dead_holders_claim_take_it_over_once(
        core: BotCore, port: RecordingPort, clock: ManualClock) -> None:
    """Both read the page while the claim was stale; the first takes it over and the second,
    at the same instant, gets nothing to send."""
    await setup_team(core)
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Member).where(Member.name == "Dana"))).one()
        session.add(OutboundMessage(key=KEY, member_id=dana.id, kind="checkin", state="claimed",
                                    claimed_at=clock.now(), attempts=1))
    first, second = Outbox(core.ctx), Outbox(core.ctx)
    clock.advance(first.lease * 2)  # the holder died
    row = await _row(core)
    seen = [Outgoing(dana, KEY, "checkin", None, seen=Seen(row.state, row.claimed_at),
                     message=Message.plain("How did your week go?")) for _ in range(2)]
    async with core.ctx.db.session() as session:
        assert len(await first.claim(session, [seen[0]])) == 1
    async with core.ctx.db.session() as session:
        assert await second.claim(session, [seen[1]]) == []
    await first.send([seen[0]])
    assert len(port.texts_to(dana.platform_user_id)) == 1
