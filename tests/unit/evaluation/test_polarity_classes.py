"""Polarity by class (issue 18: nothing credited as done that the answer negates, postpones or
makes conditional). Each test is one class the polarity development set
(`tests/data/alignment_eval_polarity.jsonl`, written before the evaluator ran on it) showed,
with new examples of it - so the class is fixed rather than the item."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation.result import TasksResult
from bot.evaluation.rules import RulesEvaluator
from bot.strategy.loader import load_strategy

DATA = Path(__file__).parents[2] / "data"
SCHOOLS = load_strategy(DATA / "strategy_polarity.yaml")
EXAMPLE = load_strategy(Path(__file__).parents[3] / "examples" / "strategy.yaml")


def tasks(answer: str, strategy=SCHOOLS) -> TasksResult:  # type: ignore[no-untyped-def]
    evaluation = RulesEvaluator().evaluate_sync("tasks", answer, strategy)
    assert evaluation.tasks is not None
    return evaluation.tasks


def state_of(found: TasksResult, task_id: str) -> str | None:
    states = [m.state for m in found.matches if m.task_id == task_id]
    return "done" if "done" in states else (states[0] if states else None)


@pytest.mark.parametrize(("answer", "task_id", "state"), [
    ("we'll scope the migration for Hartwell over Easter", "migration_scoping", "planned"),
    ("I'll map the fee plans for Kilbrack with the data team", "migration_scoping", "planned"),
    ("she'll present to the governors at St Aldric's", "governors_buyin", "planned"),
    ("they'll get the chair of governors on the demo", "governors_buyin", "planned"),
])
def test_will_written_into_its_subject_is_a_plan(answer: str, task_id: str, state: str) -> None:
    """"we'll", "I'll", "she'll" were read as nothing at all, so the plan was credited done."""
    assert state_of(tasks(answer), task_id) == state


@pytest.mark.parametrize(("answer", "task_id"), [
    ("rang the bursar at Hartwell Prep three times, no luck", "bursar_discovery"),
    ("sample export from Kilbrack's old MIS - nope", "migration_scoping"),
    ("modelled the fee arrears for Dublin Bay, not done", "fees_case"),
    ("fee plan mapping w/ the data team for Hartwell, nothing yet", "migration_scoping"),
])
def test_a_bare_verdict_after_a_comma_undoes_the_clause_before(answer: str, task_id: str) -> None:
    """"no luck", "nope", "not done" after a comma name nothing of their own: they say the
    clause before did not happen, which was credited as done."""
    assert state_of(tasks(answer), task_id) == "not_done"


@pytest.mark.parametrize(("answer", "task_id"), [
    ("Pilot at Idiomas Sierra? not yet.", "term_pilot"),
    ("the fee arrears model? nope", "fees_case"),
])
def test_a_verdict_answering_a_question_undoes_it(answer: str, task_id: str) -> None:
    assert state_of(tasks(answer), task_id) == "not_done"


@pytest.mark.parametrize(("answer", "task_id"), [
    ("pilot at Sprachwerk's Graz centre is dead", "term_pilot"),
    ("migration scoping for Hartwell on ice", "migration_scoping"),
    ("the fee arrears model got shelved", "fees_case"),
    ("would've done the fee arrears model but no ledger", "fees_case"),
    ("could have mapped their fee plans if IT had sent the export", "migration_scoping"),
])
def test_stalls_and_counterfactuals_are_not_done(answer: str, task_id: str) -> None:
    assert state_of(tasks(answer), task_id) == "not_done"


@pytest.mark.parametrize(("answer", "task_id"), [
    ("aim to have the fee arrears model for St Aldric's by Fri", "fees_case"),
    ("Sprachwerk pilot to start 3 Feb", "term_pilot"),
    ("Thu: presenting to the Kilbrack governors", "governors_buyin"),
    ("if the bursar agrees, migration scoping call Thu", "migration_scoping"),
    ("fee arrears model pencilled in for the new term", "fees_case"),
])
def test_aims_dated_participles_and_conditions_are_plans(answer: str, task_id: str) -> None:
    assert state_of(tasks(answer), task_id) == "planned"


def test_a_day_with_a_past_tense_stays_done() -> None:
    """Weekly answers label days: "Tues: visited ..." is what happened on Tuesday."""
    assert state_of(tasks("Tues: school visit at Hartwell, sat with admissions"),
                    "school_visit") == "done"


@pytest.mark.parametrize("answer", [
    "can we set up a reference call for Dublin Bay? they keep asking",
    "does anyone have a boarding school case study I can send Kilbrack?",
])
def test_a_question_to_the_manager_does_nothing(answer: str) -> None:
    assert "reference_call" not in tasks(answer).task_ids


def test_a_verdict_is_not_read_into_a_refusal_we_said() -> None:
    """"told them no" reports a refusal done: no bare verdict."""
    found = tasks("told a university in Galway no, not a fit", EXAMPLE)
    assert all(m.state != "not_done" for m in found.matches)


@pytest.mark.parametrize("answer", [
    "a prep school near Bath, 320 pupils, bursar keen",
    "a 600-pupil prep school in Kent, bursar new in post",
])
def test_the_role_a_task_is_about_names_no_task_done(answer: str) -> None:
    """"bursar keen" names who the discovery task is with, not a discovery: a role alone in a
    fragment credits no task (someone doing something - "CFO accepted", "met" - still does)."""
    assert "bursar_discovery" not in tasks(answer).task_ids


def test_a_role_that_did_something_still_counts() -> None:
    found = tasks("Priced the rollout at list, no discounts, CFO accepted",
                  load_strategy(DATA / "strategy_servewell.yaml"))
    assert "exec_buyin" in found.task_ids


def test_the_buyer_asking_if_we_could_is_their_ask_not_our_work() -> None:
    """"the bursar asked if we could show her what late fees cost them": reported speech."""
    found = tasks("the bursar at Kilbrack asked if we could model what late fees cost them")
    assert found.task_ids == []
    assert tasks("I asked if their MIS contract renews in August").task_ids == ["bursar_discovery"]


def test_an_hourglass_marks_a_task_pending() -> None:
    """"migration scoping ⏳" is still pending: read as a ❌ is, never as done."""
    found = tasks("bursar disco Hartwell ✅ migration scoping ⏳")
    assert state_of(found, "bursar_discovery") == "done"
    assert state_of(found, "migration_scoping") == "not_done"
