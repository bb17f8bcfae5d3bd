"""Editing the strategy in chat: the core, one segment or sales task, added or removed; typed as
fields or through the form (the console asks it field by field). Every edit is a proposal."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from adapters.console.adapter import ConsoleAdapter
from bot.core import BotCore
from bot.strategy.edits import Edit, EditError, apply, form_values
from bot.strategy.loader import load_strategy
from bot.strategy.store import CURRENT, SUPERSEDED, list_versions
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.talk import say, setup_team
from tests.unit.strategy.support import changed_file

EXAMPLE = load_strategy(EXAMPLE_STRATEGY)


def test_core_fields_change_and_objectives_keep_what_they_carried() -> None:
    edited = apply(EXAMPLE, Edit("core", {
        "statement": "Be the audit platform for mid-market fintechs, winning on speed.",
        "objectives": "Grow net new ARR 35% year over year\nKeep churn under 5%",
        "review_by": "2027-12-31"}))
    assert edited.strategy.statement.startswith("Be the audit platform")
    assert [o.text for o in edited.strategy.objectives] == ["Grow net new ARR 35% year over year",
                                                            "Keep churn under 5%"]
    assert edited.strategy.review_by == date(2027, 12, 31)
    assert edited.strategy.advantage == EXAMPLE.strategy.advantage


def test_segments_and_tasks_are_changed_added_and_removed() -> None:
    moved = apply(EXAMPLE, Edit("segment", {"in_scope": "no", "aliases": "regional bank, thrift",
                                            "stages": "exam finding, procurement"}, "regional_banks"))
    segment = moved.segment("regional_banks")
    assert not segment.in_scope and segment.aliases == ["regional bank", "thrift"]
    assert segment.buying_process is not None and segment.buying_process.stages == [
        "exam finding", "procurement"]
    added = apply(EXAMPLE, Edit("task", {"name": "Run a pilot", "description": "A 30-day pilot.",
                                         "examples": "ran a pilot | started a 30-day trial",
                                         "critical": "yes"}, "pilot", "add"))
    assert added.task("pilot").examples == ["ran a pilot", "started a 30-day trial"]
    assert added.task("pilot").critical
    assert "peer_reference" not in apply(EXAMPLE, Edit("task", {}, "peer_reference", "remove")).task_ids


def test_an_edit_with_problems_names_each_of_them() -> None:
    with pytest.raises(EditError, match="There is already a sales task 'pilot'"):
        once = apply(EXAMPLE, Edit("task", {"name": "P", "description": "d", "examples": "x"},
                                   "pilot", "add"))
        apply(once, Edit("task", {"name": "P", "description": "d", "examples": "x"}, "pilot", "add"))
    with pytest.raises(EditError, match="examples"):
        apply(EXAMPLE, Edit("task", {"name": "No examples", "description": "d"}, "bare", "add"))
    with pytest.raises(EditError, match="midmarket_fintech"):  # tasks and content point at it
        apply(EXAMPLE, Edit("segment", {}, "midmarket_fintech", "remove"))
    with pytest.raises(EditError, match="critical: write yes or no"):
        apply(EXAMPLE, Edit("task", {"critical": "maybe"}, "peer_reference"))
    with pytest.raises(EditError, match="colour is not a field"):
        apply(EXAMPLE, Edit("core", {"colour": "red"}))
    with pytest.raises(EditError, match="statement"):
        apply(EXAMPLE, Edit("core", {"statement": "word " * 60}))


def test_form_values_are_the_current_ones() -> None:
    values = form_values(EXAMPLE, "task", "map_buying_committee")
    assert values["critical"] == "yes" and values["examples"].splitlines()[0] == "mapped the buying committee"
    assert form_values(EXAMPLE, "segment", "tier1_banks")["in_scope"] == "no"
    assert form_values(EXAMPLE, "core")["review_by"] == "2027-06-30"


async def test_typed_fields_become_a_proposal(core: BotCore) -> None:
    await setup_team(core)
    reply = await say(core, "ada", '/align strategy edit task map_buying_committee critical=no'
                                   ' reason="SDRs do it now"')
    assert "Sales task Map the buying committee is no longer critical" in reply
    assert "Why: SDRs do it now" in reply
    reply = await say(core, "ada", "/align strategy remove segment midmarket_fintech")
    assert reply.startswith("Nothing was proposed - the edit has problems:")
    assert "There is no segment 'nope'" in await say(core, "ada", "/align strategy edit segment nope")
    assert "is for admins" in await say(core, "dana", "/align strategy edit")
    reply = await say(core, "ada", '/align strategy add segment dach_insurers name="DACH insurers"'
                                   " in_scope=yes aliases=\"insurer, Versicherer\"")
    assert "Segment added: DACH insurers (in scope)" in reply


async def test_the_console_asks_the_form_field_by_field(core: BotCore) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(core, out=out)
    core.attach(console)
    for line in ("/as Ada", "/align team add Ada admin", "/align strategy edit", ".",
                 "Grow net new ARR 35% | Keep churn under 5%", ".", "2027-12-31", "board review"):
        await console.handle_line(line)
    text = out.getvalue()
    assert "Statement (50 words or fewer)\n    now: Become the audit-readiness" in text
    assert "Objective added: “Keep churn under 5%”" in text
    assert "Review by: 2027-06-30 → 2027-12-31" in text and "Why: board review" in text
    token = text.split("/click strategy:confirm ")[1].split("]")[0]
    await console.handle_line(f"/click strategy:confirm {token}")
    assert "Strategy version 2 (Northbeam Compliance FY27) is current now" in out.getvalue()
    assert [r.status for r in await list_versions(core.ctx.db)] == [SUPERSEDED, CURRENT]
    await console.handle_line("/align strategy edit")
    await console.handle_line("/cancel")
    assert "Stopped; nothing was proposed." in out.getvalue()


async def test_import_reads_a_path_in_the_console_only(core: BotCore, tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(core, out=out)
    core.attach(console)
    path = changed_file(tmp_path)
    for line in ("/as Ada", "/align team add Ada admin", f"/align strategy import {path} reason=FY28"):
        await console.handle_line(line)
    assert "PROPOSED: STRATEGY VERSION 2" in out.getvalue() and "Why: FY28" in out.getvalue()


async def test_import_of_a_path_is_refused_in_chat(core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)  # on the test platform, like Slack or Teams
    reply = await say(core, "ada", f"/align strategy import {changed_file(tmp_path)}")
    assert "works in the console" in reply and "send me the YAML file" in reply
