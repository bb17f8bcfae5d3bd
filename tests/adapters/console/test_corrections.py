""""Not right?" in the console, through the real console adapter and a real core on SQLite: the
feedback ends with `[Not right?: /click correct:<id>]`, that click alone lists the choices
numbered with [x] for what the bot read, and `/click correct:<id> tasks=...` saves a correction,
which re-judges the answer and prints the corrected feedback."""

from __future__ import annotations

import re

from sqlmodel import select

from adapters.console.adapter import HELP
from bot.core import BotCore
from bot.evaluation.result import Evaluation
from bot.learning.lessons import Labels
from bot.storage.models import Answer
from tests.adapters.console.conftest import Console

ANSWERS = (
    "We help mid-market fintechs pass audits in half the time, winning on audit readiness.",
    "Mid-market fintech and regional banks; not tier-1 banks or government.",
    "Mapped the buying committee at Ledgerly, sent the SOC 2 report, ran discovery calls.",
)


async def tasks_answer(core: BotCore) -> Answer:
    """Dana's (the only one asked)."""
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Answer).where(Answer.question == "tasks"))).one()


def read(answer: Answer) -> Labels:
    return Labels.of(Evaluation.model_validate_json(answer.evaluation or ""))


async def answered(console: Console, core: BotCore) -> tuple[str, Answer]:
    """Dana answers her check-in; what she saw, her tasks answer."""
    await console.type("/as Ada", "/align team add Ada admin", "/align team add Dana rep",
                       "/align ask now dana")
    shown = await console.type("/as Dana", *ANSWERS)
    return shown, await tasks_answer(core)


def numbers(form: str, field_label: str) -> dict[str, tuple[int, bool]]:
    """The listed options under a field: name -> (number, chosen)."""
    section = form.split(field_label + ":\n", 1)[1]
    found = {}
    for line in section.splitlines():
        match = re.match(r"  \[([x ])\] (\d+)\. (.+) \(([a-z0-9_\-]+)\)$", line)
        if match:
            found[match[4]] = (int(match[2]), match[1] == "x")
        elif found:
            break
    return found


async def test_not_right_lists_the_choices_and_saving_prints_corrected_feedback(
        console: Console, core: BotCore) -> None:
    shown, before = await answered(console, core)
    assert f"[Not right?: /click correct:{before.id}]" in shown
    form = await console.type(f"/click correct:{before.id}")
    assert form.startswith("CORRECT WHAT I READ\nSales tasks you did:\n  Only tasks you did (not planned")
    tasks = numbers(form, "Sales tasks you did")
    assert len(tasks) == len(core.ctx.strategy.sales_tasks)
    assert {task for task, (_, chosen) in tasks.items() if chosen} == set(read(before).tasks)
    chosen_now = ",".join(str(n) for n, chosen in tasks.values() if chosen)
    assert f"Save: /click correct:{before.id} tasks={chosen_now} segments=" in form

    # Numbers and ids mixed, ids in any case; segments left out stay as read.
    pick = f"tasks={tasks['map_buying_committee'][0]},Business_Case"
    saved = await console.type(f"/click correct:{before.id} {pick}")
    assert "re-read your answer" in saved
    maps = next(line for line in saved.splitlines() if "Maps to our sales tasks" in line)
    assert "Map the buying committee" in maps and "Build an ROI business case with finance" in maps
    assert "Prepare the security review" not in maps
    assert f"[Not right?: /click correct:{before.id}]" in saved
    after = await tasks_answer(core)
    assert after.evaluation != before.evaluation
    assert sorted(read(after).tasks) == ["business_case", "map_buying_committee"]
    assert read(after).segments == read(before).segments

    # The form shown again starts from the correction.
    again = numbers(await console.type(f"/click correct:{before.id}"), "Sales tasks you did")
    assert {task for task, (_, chosen) in again.items() if chosen} == {"business_case",
                                                                       "map_buying_committee"}
    # A second correction of the same answer replies with the latest reading (the console
    # cannot rewrite what it printed).
    second = await console.type(f"/click correct:{before.id} tasks=business_case")
    maps = next(line for line in second.splitlines() if "Maps to our sales tasks" in line)
    assert "Build an ROI business case with finance" in maps and "Map the buying committee" not in maps
    assert read(await tasks_answer(core)).tasks == ("business_case",)


async def test_none_of_these(console: Console, core: BotCore) -> None:
    _, before = await answered(console, core)
    for nothing in ("tasks=-", "tasks="):
        await console.type(f"/click correct:{before.id} tasks=1")
        saved = await console.type(f"/click correct:{before.id} {nothing}")
        assert "re-read your answer" in saved and "Maps to our sales tasks" not in saved
        assert read(await tasks_answer(core)).tasks == ()


async def test_unknown_choices_and_fields_are_refused(console: Console, core: BotCore) -> None:
    _, before = await answered(console, core)
    typed = await console.type(f"/click correct:{before.id} tasks=1,cold_calling,99")
    assert "I don't know cold_calling, 99; pick from the list." in typed
    typed = await console.type(f"/click correct:{before.id} task=1")
    assert "'task=1' is not one of this form's fields; use tasks=... segments=..." in typed
    assert (await tasks_answer(core)).evaluation == before.evaluation


async def test_someone_elses_answer_is_refused(console: Console, core: BotCore) -> None:
    _, before = await answered(console, core)
    await console.type("/as Ada", "/align team add Lee rep")
    refused = await console.type("/as Lee", f"/click correct:{before.id} tasks=1")
    assert "Only the person who answered can correct how I read it; nothing was changed." in refused
    assert "Only the person who answered" in await console.type(f"/click correct:{before.id}")
    assert "That answer is no longer there to correct" in await console.type("/click correct:999 tasks=1")
    # Someone who is not on the team is told so, not that the form is gone.
    assert "I don't know you yet" in await console.type("/as Zoe", f"/click correct:{before.id}")
    assert (await tasks_answer(core)).evaluation == before.evaluation


def test_help_says_how_to_use_forms() -> None:
    assert "/click <form> tasks=1,3 segments=-" in HELP


async def test_not_right_under_feedback_on_an_earlier_wording_says_so(
        console: Console, core: BotCore) -> None:
    """Dana edits her tasks answer: the "Not right?" under the first feedback would open a form
    about words she no longer says, so it is refused politely; the new feedback's form works."""
    _, before = await answered(console, core)
    edited = await console.type("/align answer 3 Ran a compliance discovery call with Ledgerly")
    assert f"[Not right?: /click correct:{before.id}.1]" in edited
    stale = await console.type(f"/click correct:{before.id}")
    assert "You have changed that answer since this feedback" in stale and "Nothing was changed" in stale
    assert "You have changed that answer since" in await console.type(f"/click correct:{before.id} tasks=1")
    assert read(await tasks_answer(core)).tasks == ("compliance_discovery",)
    assert "CORRECT WHAT I READ" in (await console.type(f"/click correct:{before.id}.1")).upper()
    saved = await console.type(f"/click correct:{before.id}.1 tasks=compliance_discovery,business_case")
    assert "re-read your answer" in saved
    assert sorted(read(await tasks_answer(core)).tasks) == ["business_case", "compliance_discovery"]
