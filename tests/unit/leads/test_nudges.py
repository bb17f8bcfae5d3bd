"""Nudges end to end on a core with a manual clock: one message per rep per run listing the leads
due, buttons that log a touch, snooze or disqualify and update the nudge in place, each step nudged
once, the daily cap, working hours, and escalation to the manager."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.core import BotCore
from bot.events import ActionInvoked, Buttons, MemberRef
from bot.leads.csv_import import import_csv
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team
from tests.unit.leads.support import escalations, lead_row, leads, nudges, write_csv

# START (conftest) is Monday 2 March 2026 14:00 UTC = 09:00 in New York, every member's zone.
NUDGE_TIMES = '/align schedule add nudges "0 10,14 * * 1-5" to=all'


async def manager_added_last(core: BotCore) -> None:
    """setup_team's people, with Sam added after his reps: in a run, members go in the order
    they were added, so the reps' runs come before his."""
    assert "Added Ada" in await say(core, "ada", "/align team add Ada admin")
    for rep in ("Dana", "Lee"):
        assert f"Added {rep}" in await say(core, "ada", f"/align team add {rep} rep")
    assert "Added Sam" in await say(core, "ada", "/align team add Sam manager")
    for rep in ("Dana", "Lee"):
        assert f"Updated {rep}" in await say(core, "ada", f"/align team add {rep} rep manager=Sam")


async def team_with_leads(core: BotCore, tmp_path: Path, manager_last: bool = False) -> None:
    await (manager_added_last(core) if manager_last else setup_team(core))
    rows = [lead_row("L1", "Ledgerly", "Dana", "2026-03-02T13:30:00Z"),  # 08:30: due 10:00
            lead_row("L2", "Acme Bank", "dana@example.com", "2026-03-02T13:45:00Z",
                     segment="regional_banks", content="ffiec_exam_playbook"),  # 4h SLA: 13:00
            lead_row("L3", "Paynode", "Lee", "2026-03-02T13:30:00Z")]
    report = await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", rows))
    assert (report.created, report.errors) == (3, [])
    assert "#1" in await say(core, "ada", NUDGE_TIMES)


def click(member: str, action: str, value: str = "", message: object = None) -> ActionInvoked:
    return ActionInvoked(MemberRef("test", member), action, value, message=message)  # type: ignore[arg-type]


async def test_one_nudge_per_rep_per_run_listing_what_is_due_each_step_once(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)

    await core.advance(timedelta(hours=1))  # Mon 10:00: L1 and L3 are due, L2 only at 13:00
    (dana,) = nudges(port, "dana")
    assert "1 lead to follow up, Dana" in dana.message.text and "Ledgerly" in dana.message.text
    assert "Acme Bank" not in dana.message.text
    assert "Paynode" in nudges(port, "lee")[0].message.text
    blocks = " ".join(str(b) for b in dana.message.blocks)
    assert "SOC 2" in blocks or "soc2" in blocks.lower()  # what it engaged with
    assert "fintech_roi_calculator" not in blocks and "ROI" in blocks  # suggested, by title
    buttons = [b for block in dana.message.blocks if isinstance(block, Buttons)
               for b in block.buttons]
    assert {b.action_id.split(":")[1] for b in buttons} == {"done", "snooze", "disqualify"}

    await core.advance(timedelta(hours=4))  # Mon 14:00: only L2 is new for Dana; Lee has nothing
    assert len(nudges(port, "dana")) == 2 and len(nudges(port, "lee")) == 1
    second = nudges(port, "dana")[1].message.text
    assert "Acme Bank" in second and "Ledgerly" not in second  # L1's step was nudged already


async def test_done_logs_a_touch_moves_the_next_due_time_and_updates_the_nudge(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    await core.advance(timedelta(hours=1))
    nudge = nudges(port, "dana")[0]
    lead_id = (await leads(core))["L1"].id

    replies = await core.handle(click("dana", f"lead:done:{lead_id}", message=nudge.ref))

    assert "Logged a touch on *Ledgerly* (1 so far)" in replies[0].text
    assert "follow-up 1 of 4" in replies[0].text  # the default cadence has 4 steps
    l1 = (await leads(core))["L1"]
    assert (l1.touches, l1.status) == (1, "working")
    assert l1.next_due_at is not None and l1.next_due_at > core.ctx.clock.now() + timedelta(hours=7)
    ((ref, updated),) = port.updates
    assert ref == nudge.ref and "Logged a touch on *Ledgerly*" in " ".join(str(b) for b in updated.blocks)
    assert not any(isinstance(b, Buttons) for b in updated.blocks)  # its only lead was handled


async def test_snooze_brings_the_same_step_back_when_it_ends(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    await core.advance(timedelta(hours=1))
    lead_id = (await leads(core))["L1"].id
    replies = await core.handle(click("dana", f"lead:snooze:{lead_id}", "1d"))
    assert "Snoozed *Ledgerly* until Tue 03 Mar 10:00" in replies[0].text

    await core.advance(timedelta(hours=4))  # Mon 14:00: still snoozed
    assert all("Ledgerly" not in s.message.text for s in nudges(port, "dana")[1:])
    await core.advance(timedelta(hours=20))  # Tue 10:00: the snooze has ended
    assert "Ledgerly" in nudges(port, "dana")[-1].message.text


async def test_disqualify_asks_for_a_reason_then_closes_the_lead(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    lead_id = (await leads(core))["L2"].id
    (ask,) = await core.handle(click("dana", f"lead:disqualify:{lead_id}"))
    reasons = [b for block in ask.blocks if isinstance(block, Buttons) for b in block.buttons]
    assert "No budget" in [b.label for b in reasons]
    (done,) = await core.handle(click("dana", f"lead:disqualify:{lead_id}", "No budget"))
    assert "Disqualified *Acme Bank*: No budget" in done.text
    l2 = (await leads(core))["L2"]
    assert (l2.status, l2.status_reason, l2.next_due_at) == ("disqualified", "No budget", None)
    await core.advance(timedelta(hours=5))
    assert all("Acme Bank" not in s.message.text for s in nudges(port, "dana"))


async def test_only_the_owner_their_manager_and_admins_may_act_on_a_lead(
        core: BotCore, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    lead_id = (await leads(core))["L1"].id
    (refused,) = await core.handle(click("lee", f"lead:done:{lead_id}"))
    assert "not one you can act on" in refused.text
    assert (await leads(core))["L1"].touches == 0
    assert "Logged a touch" in await say(core, "sam", f"/align lead touched #{lead_id} called")
    await core.advance(timedelta(minutes=30))  # not a burst: both touches count
    assert "Logged a touch" in await say(core, "ada", "/align lead touched Ledgerly emailed")
    assert (await leads(core))["L1"].touches == 2


async def test_the_daily_cap_and_working_hours_limit_nudges(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    core.ctx.settings.nudges_per_day = 1
    await team_with_leads(core, tmp_path)
    await say(core, "ada", '/align schedule add nudges "daily 20:00" to=reps')  # after hours
    await core.advance(timedelta(hours=12))  # Mon 10:00, 14:00 and 20:00 runs
    assert len(nudges(port, "dana")) == 1  # the 14:00 run is over the cap, 20:00 after hours
    await core.advance(timedelta(hours=13))  # Tue 10:00: a new day
    assert len(nudges(port, "dana")) == 2


async def test_overdue_leads_escalate_to_the_manager_once_per_step(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path, manager_last=True)  # the reps' runs come first
    await core.advance(timedelta(hours=24))  # through Tue 09:00: L3 due Mon 10:00, 1d not passed
    assert escalations(port) == []
    await core.advance(timedelta(hours=6))  # Tue 14:00 run: more than 1 business day overdue

    (escalation,) = escalations(port, "sam")  # Sam gets the schedule too: one for the team
    text = escalation.message.text
    assert "leads on Sam's team need attention" in text
    assert "Paynode" in text and "owner Lee" in text and "business hours late" in text
    assert "Ledgerly" in text and "owner Dana" in text
    await core.advance(timedelta(days=1))
    assert len([e for e in escalations(port, "sam") if "Paynode" in e.message.text]) == 1


async def test_without_the_schedule_the_manager_hears_from_each_reps_run(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    assert "Removed" in await say(core, "ada", "/align schedule remove 1")
    await say(core, "ada", '/align schedule add nudges "0 10,14 * * 1-5" to=reps')
    await core.advance(timedelta(hours=30))  # Tue 14:00: Dana's and Lee's leads overdue
    texts = sorted(e.message.text for e in escalations(port, "sam"))
    assert len(texts) == 2 and "owner Dana" in texts[0] + texts[1] and "owner Lee" in texts[0] + texts[1]
    assert all(("owner Dana" in t) != ("owner Lee" in t) for t in texts)  # one per rep's run


async def test_leads_of_an_away_owner_go_to_their_manager(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    await say(core, "ada", "/align away until 2026-03-06 member=Lee")
    await core.advance(timedelta(hours=1))  # Mon 10:00: Lee is skipped, Sam's run escalates

    assert nudges(port, "lee") == []
    (away,) = escalations(port, "sam")
    assert "Paynode" in away.message.text and "Lee is away until 2026-03-06" in away.message.text


async def test_max_touches_ends_the_cadence_and_the_nudges(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)  # healthcare caps at 5 touches; the default at 6
    for number in range(6):
        reply = await say(core, "dana", f"/align lead touched Ledgerly touch {number + 1}")
        assert f"({number + 1} so far)" in reply
        await core.advance(timedelta(minutes=11))  # apart enough to count as separate touches
    assert "No more follow-ups are due" in reply
    assert (await leads(core))["L1"].next_due_at is None
    await core.advance(timedelta(days=20))
    assert all("Ledgerly" not in s.message.text for s in nudges(port, "dana"))
    assert len(nudges(port, "dana")) >= 1  # Acme Bank was still nudged: the runs happened


async def test_a_nudge_with_two_leads_keeps_showing_what_was_done_to_each(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await setup_team(core)
    rows = [lead_row("L1", "Ledgerly", "Dana", "2026-03-02T13:30:00Z"),
            lead_row("L4", "Coinrail", "Dana", "2026-03-02T13:40:00Z")]
    assert (await import_csv(core.ctx, write_csv(tmp_path / "l.csv", rows))).created == 2
    await say(core, "ada", NUDGE_TIMES)
    await core.advance(timedelta(hours=1))  # Mon 10:00: both first touches are due
    (nudge,) = nudges(port, "dana")
    ids = {k: v.id for k, v in (await leads(core)).items()}

    await core.handle(click("dana", f"lead:snooze:{ids['L1']}", "3d", message=nudge.ref))
    await core.handle(click("dana", f"lead:done:{ids['L4']}", message=nudge.ref))

    shown = " ".join(str(b) for b in port.updates[-1][1].blocks)
    assert "Snoozed until Thu 05 Mar 10:00" in shown  # the earlier click, in Dana's time
    assert "Logged a touch on *Coinrail*" in shown
    assert not any(isinstance(b, Buttons) for b in port.updates[-1][1].blocks)
