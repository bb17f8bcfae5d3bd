"""Who may do what, walked from the command registry so a new command is covered (or the test says
what it must declare): every admin-only command refuses a rep and a manager; every way a command
can be about someone else (`CommandSpec.reach`) refuses a rep, and a manager asking about someone
outside their team - or, for admin-only reaches, about anyone. A refusal changes nothing in the
database and shows none of the other person's data. Buttons carrying someone else's ids are
refused the same way. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.commands import build_registry
from bot.commands.registry import CommandSpec, Reach
from bot.core import BotCore
from bot.events import ActionInvoked, MemberRef
from bot.leads.csv_import import import_csv
from bot.storage.models import CheckIn, Lead
from tests.support.talk import say
from tests.unit.leads.support import lead_row, write_csv

SPECS = build_registry().specs
# How the bot says no. A new refusal wording is added here once someone has read it.
REFUSALS = ("is for admins", "Only admins", "team only", "Digests are for managers",
            "not one you can act on", "among yours", "not yours")
# What nobody outside Kim's team may see: Lee's lead and Lee's answer.
OUTSIDER_DATA = ("Outsidely", "Lemur-5")
NAMES_SOMEONE = re.compile(r"<(member|rep|manager|name|lead)>|team:|member=|team=")


async def world(core: BotCore, tmp_path: Path) -> dict[str, int]:
    """Admin Ada; manager Sam with rep Dana; manager Kim (Sam's peer) with rep Lee; a lead and an
    open check-in each for Dana and Lee. Returns the lead ids by company."""
    for text in ("team add Ada admin", "team add Sam manager", "team add Kim manager",
                 "team add Dana rep manager=Sam", "team add Lee rep manager=Kim"):
        reply = await say(core, "ada", f"/align {text}")
        assert reply.startswith("Added"), reply
    await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", [
        lead_row("L-1", "Insidely", "dana@example.com", "2026-03-02T09:00:00Z"),
        lead_row("L-2", "Outsidely", "lee@example.com", "2026-03-02T09:00:00Z")]))
    assert "Asked 2" in await say(core, "ada", "/align ask now reps")
    await say(core, "dana", "Dingo-2 plan: we win mid-market fintech on audit readiness.")
    await say(core, "lee", "Lemur-5 plan: regional banks pass audits faster with us.")
    async with core.ctx.db.session() as session:
        return {lead.company: lead.id for lead in (await session.exec(select(Lead))).all()}  # type: ignore[misc]


async def snapshot(core: BotCore) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    async with core.ctx.db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            result = await connection.execute(sa_select(table).order_by(*table.primary_key.columns))
            found[table.name] = [json.dumps(dict(row._mapping), default=str) for row in result]
    return found


def fill(reach: Reach, member: str, manager: str, lead: int) -> str:
    return reach.example.format(member=member, manager=manager, lead=f"#{lead}")


async def refused(core: BotCore, who: str, command: str) -> str | None:
    """None when `who` running `command` was refused and nothing changed; else what went wrong."""
    before = await snapshot(core)
    reply = await say(core, who, f"/align {command}")
    after = await snapshot(core)
    if not any(phrase in reply for phrase in REFUSALS):
        return f"{who}: /align {command} was not refused: {reply[:200]!r}"
    if leaked := [d for d in OUTSIDER_DATA if d in reply]:
        return f"{who}: /align {command} showed {leaked}"
    if changed := sorted(t for t in before if before[t] != after[t]):
        return f"{who}: /align {command} was refused but changed {changed}"
    return None


def test_every_command_that_can_name_someone_declares_who_may() -> None:
    undeclared = [s.name for s in SPECS if NAMES_SOMEONE.search(s.usage)
                  and not s.admin_only and not s.reach]
    assert undeclared == [], (f"{undeclared} can name someone else: declare `reach` on the spec"
                              " (who may, with an example) or make the command admin_only")
    for spec in SPECS:
        for reach in spec.reach:
            assert set(re.findall(r"{(\w+)}", reach.example)) <= {"member", "manager", "lead"}, reach
            assert reach.example.split()[0] == spec.words[0], reach


async def test_admin_commands_refuse_reps_and_managers(core: BotCore, tmp_path: Path) -> None:
    await world(core, tmp_path)
    admin_only = [s for s in SPECS if s.admin_only]
    assert len(admin_only) >= 10
    problems = [problem for spec in admin_only for who in ("dana", "sam")
                if (problem := await refused(core, who, spec.example))]
    assert problems == []


def reaches(who: str) -> list[tuple[CommandSpec, Reach]]:
    return [(s, r) for s in SPECS for r in s.reach if r.who == who]


async def test_nobody_but_admins_names_someone_through_an_admin_reach(core: BotCore, tmp_path: Path) -> None:
    leads = await world(core, tmp_path)
    assert len(reaches("admins")) >= 5
    problems = []
    for _, reach in reaches("admins"):
        for who, member, manager, lead in (("dana", "Lee", "Kim", leads["Outsidely"]),  # a rep
                                           ("sam", "Dana", "Sam", leads["Insidely"]),  # own team
                                           ("sam", "Lee", "Kim", leads["Outsidely"])):  # another
            if problem := await refused(core, who, fill(reach, member, manager, lead)):
                problems.append(problem)
    assert problems == []
    for _, reach in reaches("admins"):  # the control: an admin may
        reply = await say(core, "ada", "/align " + fill(reach, "Lee", "Kim", leads["Outsidely"]))
        assert not any(phrase in reply for phrase in REFUSALS), (reach.example, reply)


async def test_managers_reach_their_own_team_only_and_reps_nobody(core: BotCore, tmp_path: Path) -> None:
    leads = await world(core, tmp_path)
    assert len(reaches("team")) >= 6
    problems = []
    for _, reach in reaches("team"):
        for who, member, manager, lead in (("sam", "Lee", "Kim", leads["Outsidely"]),  # outside
                                           ("dana", "Lee", "Kim", leads["Outsidely"]),  # a rep
                                           ("dana", "Dana", "Sam", leads["Insidely"])):  # her manager
            command = fill(reach, member, manager, lead)
            if who == "dana" and member == "Dana" and "{manager}" not in reach.example:
                continue  # a rep may of course see her own leads
            if problem := await refused(core, who, command):
                problems.append(problem)
    assert problems == []
    # The controls: a manager reaches into their own team, an admin anywhere.
    for _, reach in reaches("team"):
        for who, member, manager, lead in (("sam", "Dana", "Sam", leads["Insidely"]),
                                           ("ada", "Lee", "Kim", leads["Outsidely"])):
            reply = await say(core, who, "/align " + fill(reach, member, manager, lead))
            assert not any(phrase in reply for phrase in REFUSALS), (who, reach.example, reply)


async def test_buttons_with_someone_elses_ids_are_refused(core: BotCore, tmp_path: Path) -> None:
    leads = await world(core, tmp_path)
    async with core.ctx.db.session() as session:
        lee_checkin = (await session.exec(select(CheckIn).join_from(
            CheckIn, Lead, CheckIn.member_id == Lead.owner_id).where(Lead.company == "Outsidely"))).one()
    before = await snapshot(core)
    presses = [("dana", f"checkin:{lee_checkin.id}", "", {"answer:strategy": "Dana overwrites Lee"}),
               ("sam", f"checkin:{lee_checkin.id}", "", {"answer:strategy": "Sam overwrites Lee"}),
               ("sam", f"lead:done:{leads['Outsidely']}", "", {}),
               ("dana", f"lead:snooze:{leads['Outsidely']}", "3d", {}),
               ("sam", f"lead:disqualify:{leads['Outsidely']}", "no budget", {}),
               ("sam", f"lead:reassign:{leads['Outsidely']}", "2", {}),  # to Sam himself
               ("dana", f"lead:reassign:{leads['Insidely']}", "5", {})]  # her own, to Lee
    for who, action, value, values in presses:
        replies = await core.handle(ActionInvoked(MemberRef("test", who), action, value, values=values))
        text = "\n".join(r.text for r in replies)
        assert any(phrase in text for phrase in REFUSALS), (who, action, text)
        assert not any(d in text for d in OUTSIDER_DATA), (who, action, text)
    await core.ctx.drain()
    assert await snapshot(core) == before


async def test_a_managers_home_shows_their_team_only(core: BotCore, tmp_path: Path) -> None:
    await world(core, tmp_path)
    home = await core.home(MemberRef("test", "sam"))
    assert "Dana" in home.text and "Lee" not in home.text
    assert not any(d in home.text for d in OUTSIDER_DATA)
