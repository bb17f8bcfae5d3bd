"""One message at a time through the outbox (digests, nudges, feedback, alerts), with two bot
processes on one database and one platform: whatever the timing, a person gets the message once.

Process A's send is held at the platform (`HeldPort`) while the clock passes A's lease, so
process B takes the claim over, as it would from a process that hung or died mid-send.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.delivery import LEASE, MAX_ATTEMPTS, ref_from_json, ref_to_json
from bot.events import MemberRef, Message, MessageRef
from bot.port import DeliveryError
from bot.storage.models import Member, OutboundMessage
from tests.support.ports import RecordingPort
from tests.support.talk import say
from tests.unit.schedules.support import running_core

KEY = "digest:m2:20260302"


@dataclass
class HeldPort(RecordingPort):
    """The same platform as another RecordingPort (`sent` shared), whose sends wait at the
    platform until `release` is set: accepted first when `accept` (the platform has the message,
    the bot never hears back), then failing with `fail` if given."""

    accept: bool = False
    fail: DeliveryError | None = None
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        ref = await super().send(to, message, thread=thread) if self.accept else None
        self.reached.set()
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        assert ref is not None
        return ref


async def dana(core: BotCore) -> Member:
    assert "Added Ada" in await say(core, "ada", "/align team add Ada admin")
    assert "Added Dana" in await say(core, "ada", "/align team add Dana rep")
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Member).where(Member.name == "Dana"))).one()


async def row(core: BotCore) -> OutboundMessage:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(OutboundMessage).where(OutboundMessage.key == KEY))).one()


def copies(port: RecordingPort) -> int:
    return sum(s.message.key == KEY for s in port.sent)


async def test_a_message_taken_over_from_a_sender_that_hung_after_the_platform_took_it_is_not_sent_again(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort) -> None:
    member = await dana(core)
    hung = HeldPort(sent=port.sent, _ids=port._ids, accept=True)
    async with running_core(settings, clock, hung) as a:
        first = asyncio.create_task(a.outbox.deliver(member, KEY, "digest", Message.plain("Digest")))
        await hung.reached.wait()  # Dana has it; A never hears back
        clock.advance(LEASE + LEASE / 10)
        ref = await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest"))  # B
        assert ref == port.sent[0].ref  # the platform's word: already there
        assert copies(port) == 1
        assert (await row(core)).state == "sent"
        first.cancel()  # A gives up (shutdown): the row stays B's
        with pytest.raises(asyncio.CancelledError):
            await first
    assert (await row(core)).state == "sent"
    assert await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest")) == ref
    assert copies(port) == 1


@pytest.mark.parametrize("failure", [DeliveryError("timed out", ambiguous=True),
                                     DeliveryError("rate limited"),
                                     DeliveryError("channel_not_found", permanent=True)],
                         ids=["ambiguous", "transient", "permanent"])
async def test_a_late_failure_of_the_first_sender_does_not_undo_the_takeover(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort,
        failure: DeliveryError) -> None:
    member = await dana(core)
    slow = HeldPort(sent=port.sent, _ids=port._ids, fail=failure)
    async with running_core(settings, clock, slow) as a:
        first = asyncio.create_task(a.outbox.deliver(member, KEY, "digest", Message.plain("Digest")))
        await slow.reached.wait()  # A's send is stuck at the platform (not delivered)
        clock.advance(LEASE + LEASE / 10)
        ref = await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest"))  # B
        assert ref is not None and copies(port) == 1
        slow.release.set()  # now A hears its send failed
        if failure.permanent:
            assert await first is None
        else:
            with pytest.raises(DeliveryError):
                await first
    stored = await row(core)
    assert (stored.state, stored.platform_ref is not None) == ("sent", True)
    clock.advance(LEASE * 3)  # the next run (whichever process) does not send it again
    assert await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest")) == ref
    assert copies(port) == 1


async def test_a_late_failure_does_not_release_a_claim_the_taker_still_holds(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort) -> None:
    """B took the claim over and is still sending when A's stale send fails: a third process must
    not get the message as "released" and send a second copy."""
    member = await dana(core)
    slow = HeldPort(sent=port.sent, _ids=port._ids, fail=DeliveryError("rate limited"))
    taker = HeldPort(sent=port.sent, _ids=port._ids, accept=True)
    async with running_core(settings, clock, slow) as a, running_core(settings, clock, taker) as b:
        first = asyncio.create_task(a.outbox.deliver(member, KEY, "digest", Message.plain("Digest")))
        await slow.reached.wait()
        clock.advance(LEASE + LEASE / 10)
        second = asyncio.create_task(b.outbox.deliver(member, KEY, "digest", Message.plain("Digest")))
        await taker.reached.wait()  # B's copy is at the platform, B not yet told
        slow.release.set()
        with pytest.raises(DeliveryError):
            await first
        assert await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest")) is None
        taker.release.set()
        assert await second is not None
    assert copies(port) == 1
    assert (await row(core)).state == "sent"


@pytest.mark.parametrize("lees_key", ["digest:m3:20260302", "digest:m1:20260302"],
                         ids=["after-danas-key", "before-danas-key"])
async def test_one_persons_failed_message_leaves_anothers_send_in_flight_alone(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort,
        lees_key: str) -> None:
    """Two digests claimed at the same instant by two processes: Dana's fails (rate limited) while
    Lee's is still at the platform. Lee's claim is still held, so a third process does not send
    Lee a second copy."""
    member = await dana(core)
    assert "Added Lee" in await say(core, "ada", "/align team add Lee rep")
    async with core.ctx.db.session() as session:
        lee = (await session.exec(select(Member).where(Member.name == "Lee"))).one()
    held = HeldPort(sent=port.sent, _ids=port._ids, accept=True)
    async with running_core(settings, clock, held) as a, \
            running_core(settings, clock, RecordingPort(sent=port.sent, _ids=port._ids)) as c:
        to_lee = asyncio.create_task(a.outbox.deliver(lee, lees_key, "digest", Message.plain("Digest")))
        await held.reached.wait()  # Lee has it; A not yet told
        port.fail_for[member.platform_user_id] = False  # a transient failure for Dana
        with pytest.raises(DeliveryError):
            await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest"))
        assert await c.outbox.deliver(lee, lees_key, "digest", Message.plain("Digest")) is None
        held.release.set()
        assert await to_lee is not None
    assert sum(s.message.key == lees_key for s in port.sent) == 1
    assert await core.outbox.state_of(lees_key) == "sent"
    assert await core.outbox.state_of(KEY) == "claimed"  # Dana's: released for the next pass


@dataclass
class DeactivatingPort(RecordingPort):
    """The same platform, on which the accounts in `gone` were deactivated; `tried` lists every
    send the bot attempted, delivered or not."""

    gone: set[str] = field(default_factory=set)
    tried: list[str] = field(default_factory=list)

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        self.tried.append(to.user_id)
        if to.user_id in self.gone:
            raise DeliveryError("account_inactive", unreachable="account_inactive")
        return await super().send(to, message, thread=thread)


async def test_someone_whose_account_is_gone_is_not_messaged_again_and_nobody_else_is_affected(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort) -> None:
    member = await dana(core)
    async with core.ctx.db.session() as session:
        ada = (await session.exec(select(Member).where(Member.name == "Ada"))).one()
    platform = DeactivatingPort(sent=port.sent, _ids=port._ids, gone={member.platform_user_id})
    async with running_core(settings, clock, platform) as bot:
        assert await bot.outbox.deliver(member, KEY, "digest", Message.plain("Digest")) is None
        assert await bot.outbox.deliver(member, "nudge:m2:lead7:20260302", "nudge",
                                        Message.plain("Lead 7 is due")) is None
        assert platform.tried == [member.platform_user_id]  # the nudge was not even tried
        assert await bot.outbox.deliver(ada, "digest:m1:20260302", "digest",
                                        Message.plain("Digest")) is not None
    assert [s.to.user_id for s in port.sent] == [ada.platform_user_id]
    assert await core.outbox.state_of(KEY) == "failed"


async def test_a_message_that_keeps_failing_is_tried_five_times_then_given_up(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort) -> None:
    member = await dana(core)
    platform = DeactivatingPort(sent=port.sent, _ids=port._ids)
    platform.fail_for[member.platform_user_id] = False  # rate limited, every time
    async with running_core(settings, clock, platform) as bot:
        for _ in range(MAX_ATTEMPTS):
            with pytest.raises(DeliveryError):
                await bot.outbox.deliver(member, KEY, "digest", Message.plain("Digest"))
        assert await core.outbox.state_of(KEY) == "failed"
        clock.advance(LEASE * 3)
        assert await bot.outbox.deliver(member, KEY, "digest", Message.plain("Digest")) is None
    assert platform.tried == [member.platform_user_id] * MAX_ATTEMPTS


async def test_the_log_says_whether_a_failed_send_will_be_retried_or_was_taken_over(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort,
        caplog: pytest.LogCaptureFixture) -> None:
    member = await dana(core)
    port.fail_for[member.platform_user_id] = False  # rate limited
    with caplog.at_level(logging.WARNING, logger="bot.delivery"), pytest.raises(DeliveryError):
        await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest"))
    assert [r.getMessage() for r in caplog.records if r.name == "bot.delivery"] == [
        f"delivery {KEY} failed (will retry): cannot reach {member.platform_user_id}"]
    del port.fail_for[member.platform_user_id]
    caplog.clear()
    slow = HeldPort(sent=port.sent, _ids=port._ids, fail=DeliveryError("rate limited"))
    async with running_core(settings, clock, slow) as a:
        first = asyncio.create_task(a.outbox.deliver(member, "digest:m2:20260309", "digest",
                                                     Message.plain("Digest")))
        await slow.reached.wait()
        clock.advance(LEASE + LEASE / 10)
        assert await core.outbox.deliver(member, "digest:m2:20260309", "digest",
                                         Message.plain("Digest")) is not None  # taken over
        with caplog.at_level(logging.WARNING, logger="bot.delivery"):
            slow.release.set()
            with pytest.raises(DeliveryError):
                await first
    assert [r.getMessage() for r in caplog.records if r.name == "bot.delivery"] == [
        "delivery digest:m2:20260309 failed after another process took it over: rate limited"]


async def test_a_message_cut_off_by_a_shutdown_is_sent_by_the_next_process_at_once(
        core: BotCore, settings: Settings, clock: ManualClock, port: RecordingPort) -> None:
    """A stops (SIGTERM) while its send is at the platform, not delivered: B does not wait for A's
    lease to end, asks the platform, and sends it once."""
    member = await dana(core)
    stuck = HeldPort(sent=port.sent, _ids=port._ids)
    async with running_core(settings, clock, stuck) as a:
        first = asyncio.create_task(a.outbox.deliver(member, KEY, "digest", Message.plain("Digest")))
        await stuck.reached.wait()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
    assert await core.outbox.deliver(member, KEY, "digest", Message.plain("Digest")) is not None
    assert copies(port) == 1


@pytest.mark.parametrize("ref", [MessageRef("slack", "D0123", "1700000000.000100"),
                                 MessageRef("teams", 'a:1"x\\y', "ü€\n\t</")])
def test_a_message_ref_is_stored_as_json_dumps_writes_it(ref: MessageRef) -> None:
    """Written out field by field (a fan-out stores one per message twice), byte for byte the
    text json.dumps gives, and read back whole."""
    stored = ref_to_json(ref)
    assert stored == json.dumps({"platform": ref.platform, "channel": ref.channel,
                                 "message_id": ref.message_id})
    assert ref_from_json(stored) == ref
