"""A stalled task because a person could not be reached ("couldn't get their CISO",
"Seniorpartner nicht erreicht") is coached with another way in - the other roles of the
segment's buying process or the champion, and the stage that comes next - not "put a time on
it"; a task stuck or pushed keeps "find who can unblock it", one not started "put a time on it"
(issue 19: "the next step to unblock it, from the segment's buying process")."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.evaluation.feedback import FeedbackTexts
from bot.strategy.schema import Strategy
from tests.unit.evaluation.test_coaching_trial import EXAMPLE, PRAXIDENT, lines

ANOTHER_WAY = "try another way in"


@pytest.mark.parametrize(("strategy", "answer", "who", "others", "stage"), [
    (EXAMPLE, "POC with Medvia starts Monday; couldn't get their CISO for the security review",
     "CISO", "chief compliance officer", "business case"),
    (EXAMPLE, "couldn't get the CISO at Pinecrest Bank on the phone, security review still stuck",
     "CISO", "CFO", "business case"),
    (PRAXIDENT, "Seniorpartner nicht erreicht, die Entscheidung hängt weiter",
     "Seniorpartner", "Steuerberater", "Vertrag"),
])
def test_someone_not_reached_is_coached_with_another_way_in(
        strategy: Strategy, answer: str, who: str, others: str, stage: str) -> None:
    coaching = lines(strategy, answer)[-1]
    assert ANOTHER_WAY in coaching and "champion" in coaching, coaching
    assert f"waits on the {who}" in coaching and others in coaching and stage in coaching, coaching
    assert "put a time on it" not in coaching and "ask the " + who not in coaching, coaching


@pytest.mark.parametrize(("answer", "expected"), [
    ("security review at Pinecrest pushed to Q3", "find who can unblock it"),
    ("haven't sent the security questionnaire to Lendwise yet", "put a time on it"),
    ("couldn't get the budget signed off, business case stuck", "find who can unblock it"),
])
def test_stuck_and_not_started_are_coached_as_before(answer: str, expected: str) -> None:
    coaching = lines(EXAMPLE, answer)[-1]
    assert expected in coaching and ANOTHER_WAY not in coaching, coaching


@pytest.mark.parametrize(("text", "reached"), [
    ("no reply from the CFO", True),
    ("Seniorpartner nicht erreicht", True),
    ("die IT-Leitung meldet sich nicht", True),
    ("el dueño sigue sin contestar", True),
    ("couldnt get their CISO", True),
    ("couldn't get the budget signed off", False),
    ("security review pushed to Q3", False),
])
def test_could_not_reach_is_read_from_the_prompts(text: str, reached: bool) -> None:
    texts = FeedbackTexts(REPO_ROOT / "prompts" / "feedback.yaml")
    assert texts.unreachable(text, ["CISO", "CFO"]) is reached
