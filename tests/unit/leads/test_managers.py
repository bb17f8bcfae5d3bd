"""Managers in control of the follow-up queue: reassigning a lead (escalation button and typed
command), out-of-scope leads nudged for disqualification, bursts of touches counted once, and
touches before the lead engaged refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import BotCore
from bot.events import Button, Buttons, FactList
from bot.leads.book import LeadBook, TouchRefused
from bot.leads.cadence import merge_touches
from bot.leads.csv_import import import_csv
from bot.storage.models import Lead
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team
from tests.unit.leads.support import escalations, events, lead_row, leads, nudges, write_csv
from tests.unit.leads.test_nudges import NUDGE_TIMES, click, team_with_leads


def buttons_of(blocks: tuple[object, ...]) -> list[Button]:
    return [b for block in blocks if isinstance(block, Buttons) for b in block.buttons]


async def member_id(core: BotCore, name: str) -> int:
    async with core.ctx.db.session() as session:
        from sqlmodel import select

        from bot.storage.models import Member
        member = (await session.exec(select(Member).where(Member.name == name))).one()
        assert member.id is not None
        return member.id


# --- reassigning --------------------------------------------------------------------------

async def test_a_manager_reassigns_a_lead_by_command_with_a_multi_word_company(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    reply = await say(core, "sam", "/align lead reassign Acme Bank Lee")  # no quotes needed
    assert "*Acme Bank* is now Lee's lead" in reply
    stored = (await leads(core))["L2"]
    assert stored.owner_id == await member_id(core, "Lee")
    (moved,) = await events(core, "reassigned")
    assert moved.detail == "Dana -> Lee" and moved.via == "command"
    await core.advance(timedelta(hours=5))  # Mon 14:00: Acme Bank's first touch is due (13:00)
    assert any("Acme Bank" in n.message.text for n in nudges(port, "lee"))
    assert not any("Acme Bank" in n.message.text for n in nudges(port, "dana"))
    assert "is Lee's lead already" in await say(core, "sam", "/align lead reassign L2 Lee")


async def test_a_rep_cannot_hand_a_lead_to_a_peer_and_nothing_changes(
        core: BotCore, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    reply = await say(core, "dana", "/align lead reassign Ledgerly Lee")
    assert "team only" in reply
    assert (await leads(core))["L1"].owner_id == await member_id(core, "Dana")
    assert await events(core, "reassigned") == []
    assert "I don't know 'Nobody'" in await say(core, "sam", "/align lead reassign Ledgerly Nobody")


async def test_the_escalation_offers_reassign_buttons_that_hand_the_lead_on(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path, manager_last=True)
    await core.advance(timedelta(hours=30))  # Tue 14:00: Paynode (Lee) more than 1 day overdue
    (escalation,) = escalations(port, "sam")
    assert "Reassign them" in " ".join(str(b) for b in escalation.message.blocks)
    paynode = (await leads(core))["L3"].id
    offered = [b for b in buttons_of(escalation.message.blocks)
               if b.action_id == f"lead:reassign:{paynode}"]
    labels = {b.label: b.value for b in offered}
    assert labels == {"Give to Dana": str(await member_id(core, "Dana")),
                      "Take it myself": str(await member_id(core, "Sam"))}

    (reply,) = await core.handle(click("sam", f"lead:reassign:{paynode}", labels["Give to Dana"]))

    assert "*Paynode* is now Dana's lead" in reply.text
    stored = (await leads(core))["L3"]
    assert stored.owner_id == await member_id(core, "Dana") and stored.escalated_step is None
    (moved,) = await events(core, "reassigned")
    assert moved.via == "escalation" and moved.detail == "Lee -> Dana"
    await core.advance(timedelta(hours=20))  # Wed 10:00: Dana is nudged for Paynode's step
    assert any("Paynode" in n.message.text for n in nudges(port, "dana"))


# --- out of scope -------------------------------------------------------------------------

async def test_an_out_of_scope_lead_is_nudged_to_disqualify_with_the_strategys_reason(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await setup_team(core)
    rows = [lead_row("L5", "Tiny Startup", "Dana", "2026-03-02T13:30:00Z",
                     segment="small_business", content="")]
    assert (await import_csv(core.ctx, write_csv(tmp_path / "l.csv", rows))).created == 1
    await say(core, "ada", NUDGE_TIMES)
    await core.advance(timedelta(hours=1))  # Mon 10:00

    (nudge,) = nudges(port, "dana")
    assert "Tiny Startup: out of scope - disqualify?" in nudge.message.text
    blocks = nudge.message.blocks
    facts = " ".join(f.value for b in blocks if isinstance(b, FactList) for f in b.facts)
    assert "cost to serve exceeds their contract value" in facts  # the segment's description
    assert "Send next" not in " ".join(f.label for b in blocks if isinstance(b, FactList)
                                       for f in b.facts)
    (button,) = buttons_of(blocks)  # no Done, no snooze: it is not for follow-up
    assert button.action_id.startswith("lead:disqualify:")
    assert button.value == "Out of scope: Small businesses"

    (reply,) = await core.handle(click("dana", button.action_id, button.value, nudge.ref))
    assert "Disqualified *Tiny Startup*: Out of scope: Small businesses" in reply.text
    stored = (await leads(core))["L5"]
    assert (stored.status, stored.status_reason) == ("disqualified",
                                                     "Out of scope: Small businesses")


# --- touches ------------------------------------------------------------------------------

def test_touches_within_the_window_count_once_at_the_first() -> None:
    t0 = datetime(2026, 3, 2, 15, tzinfo=UTC)
    touches = [t0 + timedelta(minutes=m) for m in (7, 0, 3, 12, 40, 45)]
    assert merge_touches(touches, timedelta(minutes=10)) == [
        t0, t0 + timedelta(minutes=12), t0 + timedelta(minutes=40)]
    assert len(merge_touches(touches, timedelta(0))) == 6


async def test_a_call_and_its_recap_email_count_once_for_the_cadence(
        core: BotCore, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    assert "(1 so far)" in await say(core, "dana", "/align lead touched Ledgerly called")
    await core.advance(timedelta(minutes=4))
    reply = await say(core, "dana", "/align lead touched Ledgerly emailed the recap")
    assert "counts with the touch a few minutes before it" in reply
    assert "follow-up 1 of 4" in reply  # the cadence did not jump to step 2
    stored = (await leads(core))["L1"]
    assert stored.touches == 1 and len(await events(core, "touch")) == 2  # both kept as events
    await core.advance(timedelta(minutes=30))
    assert "(2 so far)" in await say(core, "dana", "/align lead touched Ledgerly called again")


async def test_a_touch_before_the_lead_engaged_is_refused_with_the_reason(
        core: BotCore, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    async with core.ctx.db.session() as session:
        from sqlmodel import select
        lead = (await session.exec(select(Lead).where(Lead.external_id == "L1"))).one()
        book = LeadBook(core.ctx, session)
        try:
            await book.touch(lead, None, datetime(2026, 3, 1, 12, tzinfo=UTC), "webhook")
        except TouchRefused as exc:
            reason = str(exc)
        else:
            raise AssertionError("a touch before the engagement was accepted")
    assert "2026-03-01 12:00 UTC is before the lead first engaged (2026-03-02 13:30 UTC)" in reason
    assert await events(core, "touch") == []
