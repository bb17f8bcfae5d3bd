"""`/align leads` and `/align lead ...`: who sees which leads, and the typed actions."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.core import BotCore
from bot.leads.csv_import import import_csv
from tests.support.talk import say
from tests.unit.leads.support import lead_row, leads, write_csv
from tests.unit.leads.test_nudges import team_with_leads


async def test_reps_see_their_own_leads_managers_their_team_admins_everyone(
        core: BotCore, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    mine = await say(core, "dana", "/align leads")
    assert "Ledgerly" in mine and "Acme Bank" in mine and "Paynode" not in mine
    assert "only, not Lee's" in await say(core, "dana", "/align leads Lee")
    team = await say(core, "sam", "/align leads Lee")
    assert "Paynode" in team and "Lee's open leads" in team
    await core.advance(timedelta(hours=2))  # Mon 11:00: L1 and L3 overdue, L2 due at 13:00
    overdue = await say(core, "ada", "/align leads overdue")
    assert "Ledgerly" in overdue and "Paynode" in overdue and "Acme Bank" not in overdue
    assert "Paynode" not in await say(core, "dana", "/align leads overdue")


async def test_typed_actions_touch_snooze_disqualify_and_qualify(core: BotCore,
                                                                 tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    ids = {k: v.id for k, v in (await leads(core)).items()}
    assert "Logged a touch on *Ledgerly*" in await say(
        core, "dana", '/align lead touched Ledgerly "called Maya, demo booked"')
    assert "Snoozed *Acme Bank* until Fri 06 Mar 09:00" in await say(
        core, "dana", f"/align lead snooze #{ids['L2']} until 2026-03-06")
    assert "already passed" in await say(core, "dana", "/align lead snooze L2 until 2026-03-01")
    assert "Snooze for a time like 1d" in await say(core, "dana", "/align lead snooze L2 soonish")
    assert "Usage: `/align lead disqualify <lead> <reason>`" in await say(
        core, "lee", f"/align lead disqualify #{ids['L3']}")  # a reason is required
    assert "Disqualified *Paynode*: no budget this year" in await say(
        core, "lee", f"/align lead disqualify #{ids['L3']} no budget this year")
    assert "can't find a lead 'Paynode'" in await say(core, "dana", "/align lead qualify Paynode")
    assert "qualified - nice work" in await say(core, "dana", "/align lead qualify L1")
    stored = await leads(core)
    assert [stored[k].status for k in ("L1", "L2", "L3")] == ["qualified", "new", "disqualified"]


async def test_a_manager_of_managers_sees_and_works_the_leads_of_their_whole_tree(
        core: BotCore, tmp_path: Path) -> None:
    """Val manages Sam, who manages Dana and Lee: Val sees (and may log work on) Dana's and
    Lee's leads two levels down; Mia, a manager beside Sam, sees none of them."""
    await team_with_leads(core, tmp_path)
    assert "Added Val" in await say(core, "ada", "/align team add Val manager")
    assert "Updated Sam" in await say(core, "ada", "/align team add Sam manager manager=Val")
    assert "Added Mia" in await say(core, "ada", "/align team add Mia manager manager=Val")

    dana = await say(core, "val", "/align leads Dana")
    assert "Dana's open leads" in dana and "Ledgerly" in dana and "Acme Bank" in dana
    assert "Paynode" in await say(core, "val", "/align leads Lee")
    await core.advance(timedelta(hours=2))  # Mon 11:00: L1 and L3 overdue
    overdue = await say(core, "val", "/align leads overdue")
    assert "Ledgerly" in overdue and "Paynode" in overdue
    assert "Logged a touch on *Ledgerly*" in await say(
        core, "val", '/align lead touched Ledgerly "covered for Dana, called Maya"')

    assert "only, not Dana's" in await say(core, "mia", "/align leads Dana")
    assert "Paynode" not in await say(core, "mia", "/align leads overdue")
    assert "can't find a lead" in await say(core, "mia", "/align lead touched Paynode called")


async def test_multi_word_companies_need_no_quotes_unless_two_readings_name_leads(
        core: BotCore, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)  # Dana owns Ledgerly and Acme Bank
    assert "Snoozed *Acme Bank* until" in await say(core, "dana", "/align lead snooze Acme Bank 3d")
    assert "Logged a touch on *Acme Bank*" in await say(
        core, "dana", "/align lead touched acme bank called Raj, demo Tuesday")
    assert "Disqualified *Acme Bank*: no budget" in await say(
        core, "sam", "/align lead disqualify Acme Bank no budget")
    rows = [lead_row("L9", "Acme", "Dana", "2026-03-02T13:30:00Z")]
    assert (await import_csv(core.ctx, write_csv(tmp_path / "more.csv", rows))).created == 1
    ambiguous = await say(core, "dana", "/align lead touched Acme Bank called")
    assert "could name more than one lead (#2, #4)" in ambiguous and "#id" in ambiguous
    acme = (await leads(core))["L9"].id
    assert "Logged a touch on *Acme*" in await say(core, "dana", f"/align lead touched #{acme} Bank")
    assert "Logged a touch on *Acme Bank*" in await say(
        core, "dana", '/align lead touched "Acme Bank" called')
