"""Readings a VP of Sales would question, found by walking the console as one (issue 19): a vague
week is asked for detail, an absence is an answer, one activity is never both credited and
flagged, an answer the strategy's words cannot meet says so, quotes keep what they quote, public
bodies are the public sector, and a statement's glossary word is no objective. Built from the
real rules evaluator and the shipped wording."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.evaluation.feedback import FeedbackTexts, FeedbackWriter, coaching_about
from bot.evaluation.result import Question
from bot.evaluation.rules import RulesEvaluator
from bot.strategy.loader import load_strategy
from bot.strategy.schema import Strategy

EXAMPLE = load_strategy(REPO_ROOT / "examples" / "strategy.yaml")
HOTELIA = load_strategy(REPO_ROOT / "tests" / "data" / "strategy_hotelia.yaml")
WRITER = FeedbackWriter(FeedbackTexts(REPO_ROOT / "prompts" / "feedback.yaml"))
OFF_STRATEGY = "Not one of our sales tasks"
DETAIL = "Coaching: tell me what you did, for whom and what happened"


def feedback(question: Question, answer: str, strategy: Strategy = EXAMPLE) -> str:
    evaluation = RulesEvaluator().evaluate_sync(question, answer, strategy)
    return "\n".join(WRITER.lines(evaluation, strategy, answer=answer))


@pytest.mark.parametrize("answer", ["did some calls, busy week", "just stuff", "the usual",
                                    "emails and meetings", "same as last week"])
def test_a_vague_week_is_asked_for_detail_and_lists_no_off_strategy_effort(answer: str) -> None:
    text = feedback("tasks", answer)
    assert OFF_STRATEGY not in text
    assert text.splitlines()[-1].startswith(DETAIL)
    assert "Critical tasks you did not mention" not in text


def test_work_with_a_what_or_a_whom_is_still_effort_outside_the_strategy() -> None:
    assert OFF_STRATEGY in feedback("tasks", "calls with the Finlo marketing agency about a podcast")
    assert OFF_STRATEGY in feedback("tasks", "reorganised my inbox")


@pytest.mark.parametrize("answer", ["Nothing this week, on PTO", "OOO all week",
                                    "was out of office, nothing to report",
                                    "Diese Woche nichts, war im Urlaub"])
def test_an_absence_is_acknowledged_not_nagged_or_asked_for_detail(answer: str) -> None:
    text = feedback("tasks", answer)
    assert text.startswith("Thanks - noted that you were away")
    assert "Coaching:" not in text and "Critical" not in text and OFF_STRATEGY not in text
    evaluation = RulesEvaluator().evaluate_sync("tasks", answer, EXAMPLE)
    assert coaching_about(evaluation, EXAMPLE, answer=answer) == {"kind": "away", "id": ""}


def test_an_absence_with_work_done_is_judged_as_work() -> None:
    text = feedback("tasks", "on PTO Monday, then mapped the buying committee at Ledgerly")
    assert "✅ Maps to our sales tasks: Map the buying committee" in text
    assert "noted that you were away" not in text


def test_objectives_need_two_typed_words_not_one_glossary_entry() -> None:
    """"RMS" stands for "revenue management system, el software de precios" in Hotelia's
    glossary, and so does the RMS in its cross-sell objective: one typed word is no goal."""
    evaluation = RulesEvaluator().evaluate_sync(
        "strategy", "Somos el RMS más barato para cadenas", HOTELIA)
    assert evaluation.statement is not None
    covered = {c.component: c.covered for c in evaluation.statement.components}
    assert covered["objectives"] is False
    text = feedback("strategy", "Somos el RMS más barato para cadenas", HOTELIA)
    assert "✅ Covered: objectives" not in text
    # a real objective, said in two words of its own, is still read
    evaluation = RulesEvaluator().evaluate_sync(
        "strategy", "Crecer el ARR un 35% con hoteles independientes", HOTELIA)
    assert evaluation.statement is not None
    assert evaluation.statement.components[0].covered
