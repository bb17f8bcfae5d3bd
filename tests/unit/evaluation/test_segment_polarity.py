"""Whether a named segment is one we said we play in (issue 18): an out-of-scope prospect turned
away in a later clause or sentence, and a negation that opens a list of segments. The strategy is
written inline, so each test shows the whole of what it relies on."""

from __future__ import annotations

import pytest

from bot.evaluation.rules import RulesEvaluator
from bot.strategy.loader import parse_strategy
from bot.strategy.schema import Strategy

STRATEGY = """
strategy:
  name: Plantwise FY27
  statement: >-
    Be the maintenance platform for mid-size food processors and dairies in the US, growing ARR
    30%, because sensors go in within a day.
  objectives: [Grow ARR 30%]
  advantage: Sensors go in within a day.
  review_by: 2027-06-30
segments:
  - id: food
    name: Food processors
    in_scope: true
    aliases: [food processor, food processors, co-packer, co-packers]
  - id: dairies
    name: Dairies
    in_scope: true
    aliases: [dairy, dairies]
  - id: oil_gas
    name: Oil and gas
    in_scope: false
    aliases: [oil & gas, oil and gas, refinery]
  - id: auto
    name: Automotive tier 1 suppliers
    in_scope: false
    aliases: [tier 1, tier-1]
  - id: public
    name: Public sector
    in_scope: false
    aliases: [government, municipality, govt lab]
sales_tasks:
  - id: discovery
    name: Run a downtime discovery call
    description: Find what an hour of downtime costs the plant.
    critical: true
    examples: [ran a discovery call on downtime, disco on their downtime, asked what downtime costs]
  - id: qualify_out
    name: Qualify out early
    description: Turn away prospects outside our segments.
    examples: [DQ'd a refinery, told a government lab we are not the right fit, passed on it]
cadence:
  default: {first_touch_within: 1d, steps: [2d, 5d], max_touches: 4}
"""


@pytest.fixture(scope="module")
def strategy() -> Strategy:
    return parse_strategy(STRATEGY)


def played(strategy: Strategy, answer: str, question: str = "tasks") -> dict[str, bool]:
    scope = RulesEvaluator().evaluate_sync(question, answer, strategy)  # type: ignore[arg-type]
    assert scope.scope is not None
    said: dict[str, bool] = {}
    for mention in scope.scope.segments:  # as the metrics read it: played if any mention says so
        said[mention.segment_id] = said.get(mention.segment_id, False) or mention.stated_as_played
    return said


@pytest.mark.parametrize(("answer", "expected"), [
    # turned away in the next clause of the same sentence; the prospect kept stays ours
    ("2 inbound demo reqs - one's a co-packer in Ohio, other is a government lab, bounced that one",
     {"food": True, "public": False}),
    # turned away two sentences later, with nothing named in between
    ("replied to a demo request from a refinery in Texas within the hr. single site, nobody in "
     "maintenance lol. told them we're not the right fit", {"oil_gas": False}),
    # ... and in the next sentence
    ("A municipality reached out about a pilot. Told them politely it's not for us.",
     {"public": False}),
])
def test_an_out_of_scope_prospect_turned_away_later_is_not_played(
        strategy: Strategy, answer: str, expected: dict[str, bool]) -> None:
    assert played(strategy, answer) == expected


def test_a_prospect_worked_without_being_turned_away_stays_played(strategy: Strategy) -> None:
    assert played(strategy, "disco with a refinery in Texas, asked what downtime costs them") == {
        "oil_gas": True}


@pytest.mark.parametrize(("answer", "expected"), [
    ("we don't do oil & gas, auto tier 1s, state/government or small shops",
     {"oil_gas": False, "auto": False, "public": False}),
    ("Don't play: oil & gas, auto tier 1, small shops or government.",
     {"oil_gas": False, "auto": False, "public": False}),
    # a negation after its segment closes what it says: the next item is ours
    ("the refinery -> not for us, 1 dairy has a meeting", {"oil_gas": False, "dairies": True}),
])
def test_a_negation_that_opens_a_list_governs_every_item(
        strategy: Strategy, answer: str, expected: dict[str, bool]) -> None:
    assert played(strategy, answer, "scope") == expected
