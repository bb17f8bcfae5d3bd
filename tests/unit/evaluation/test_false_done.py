"""Nothing credited as done that the answer negates, postpones or works against (issue 18's
`false_done`): each test is one class of misreading found in the development sets, with a new
example of it, so the class is fixed rather than the item."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation.contradictions import concedes
from bot.evaluation.result import TasksResult
from bot.evaluation.rules import RulesEvaluator
from bot.strategy.loader import load_strategy
from bot.strategy.schema import Strategy

DATA = Path(__file__).parents[2] / "data"
EXAMPLE = load_strategy(Path(__file__).parents[3] / "examples" / "strategy.yaml")


def tasks(strategy: Strategy, answer: str) -> TasksResult:
    evaluation = RulesEvaluator().evaluate_sync("tasks", answer, strategy)
    assert evaluation.tasks is not None
    return evaluation.tasks


def test_a_concession_the_rep_gave_is_in_the_verdict_not_only_the_feedback() -> None:
    """'Waived the implementation fee' was told as working against pricing in the feedback,
    while the stored verdict (digests, coverage) had nothing against the strategy."""
    found = tasks(EXAMPLE, "Waived the implementation fee for Fundly so they'd sign this month.")
    assert "task:value_pricing" in found.against_ids()
    assert "value_pricing" not in found.task_ids


def test_a_price_held_in_the_sentence_of_a_discount_is_not_done() -> None:
    """"cerré con dcto del 30% ..., la suscripción a precio lista": the list price kept on one
    part of the deal was credited as the price defended, next to a 30% discount ("dcto", as
    Spanish reps write it) on the other part."""
    riego = load_strategy(DATA / "strategy_riegoandes.yaml")
    found = tasks(riego, "cerré con dcto del 25% en sondas al Fundo Las Acacias para ganar el"
                         " trato, la plataforma eso sí a precio lista")
    assert "precio_valor" not in found.task_ids
    assert "task:precio_valor" in found.against_ids()


@pytest.mark.parametrize("text", [
    "20% discount request declined, showed them the payback instead",
    "Rabatt abgelehnt",
    "held firm on the discount",
    "the competitor offers them 3 months free",
    "should we give them 10% off? they're close",
    "sent the membership waiver forms",
])
def test_a_concession_refused_held_asked_about_or_someone_elses_is_none_given(text: str) -> None:
    """Only a concession the rep gave works against pricing: one refused after it is named,
    held, a competitor's offer, a question to the manager, or a member's waiver form is not."""
    assert not concedes(text)


@pytest.mark.parametrize("text", [
    "waived the setup fee for Solvik", "gave them 20% off list", "le dimos un dto del 15%",
    "3 Monate gratis gegeben", "Gave Acme an extra 15% to close before quarter end",
    "offered them another 10% if they sign this week"])
def test_a_concession_given_is_still_one(text: str) -> None:
    assert concedes(text)


@pytest.mark.parametrize("answer", [
    "sent Fundly the SOC2 checklist. presenting the ROI business case to their CFO in feb",
    "security review with Ledgerly's CISO on the 14th",
])
def test_a_date_in_a_clause_that_reports_nothing_done_books_the_work_for_later(
        answer: str) -> None:
    """"presenting it to their board in jan": a date with no past tense is when the work will
    happen - it was credited as done."""
    found = tasks(EXAMPLE, answer)
    planned = {m.task_id for m in found.matches if m.state == "planned"}
    assert planned & {"business_case", "security_review"}
    assert not {"business_case", "security_review"} & set(found.task_ids)


def test_a_date_after_work_reported_done_stays_done() -> None:
    found = tasks(EXAMPLE, "ran the compliance discovery call with Fundly on the 3rd")
    assert found.task_ids == ["compliance_discovery"]


def test_spanish_la_otra_semana_is_next_week() -> None:
    """Mexican Spanish "la otra semana" is next week: "el business case lo vemos con el contador
    la otra semana" was credited as the business case done."""
    hotelia = load_strategy(DATA / "strategy_hotelia.yaml")
    found = tasks(hotelia, "el caso de negocio lo revisamos con el director financiero la otra"
                           " semana")
    assert "caso_negocio" not in found.task_ids
    assert "caso_negocio" in found.ids_in("planned")


def test_the_prospects_a_qualify_out_task_names_are_not_the_turning_away() -> None:
    """"declined a DPP enquiry" is the example; "DPP office reached out, had a call" works that
    out-of-scope prospect - it was credited as qualifying it out."""
    counsel = load_strategy(DATA / "strategy_counsel.yaml")
    assert "qualify_out" not in tasks(counsel, "DPP team in Victoria emailed about legal hold,"
                                               " had a long intro call").task_ids
    assert "qualify_out" in tasks(counsel, "declined a DPP enquiry from Victoria").task_ids


def test_the_buyers_negation_holds_no_line_for_us() -> None:
    """"they don't care about SRM": the buyer's view, not the rep saying no - a negated word
    the qualify-out task rules out ("no SRM") was credited as qualifying the prospect out."""
    servewell = load_strategy(DATA / "strategy_servewell.yaml")
    assert "qualify_out" not in tasks(servewell, "demo for a 20-unit franchisee in Ohio went"
                                                 " well, they don't care about SRM").task_ids


def test_handing_a_prospect_to_a_partner_turns_it_away() -> None:
    laborwerk = load_strategy(DATA / "strategy_laborwerk.yaml")
    assert "disqualifizieren" in tasks(laborwerk, "Anfrage aus Utrecht (Wasserlabor) an unseren"
                                                  " Partner weitergegeben").task_ids


def test_what_the_buyer_asks_for_is_wanted_not_done() -> None:
    """"PM at Greystones asked for our DPA + hosting details" was credited as the migration
    scoping the words name; the buyer's ask is not the rep's work (the rep asking is)."""
    found = tasks(EXAMPLE, "the CISO at Ledgerly asked for our security review pack")
    assert "security_review" not in found.task_ids
    assert "security_review" in found.ids_in("planned")
    asked = tasks(EXAMPLE, "asked about their audit findings and exam prep on a compliance"
                           " discovery call")
    assert "compliance_discovery" in asked.task_ids


@pytest.mark.parametrize("answer", [
    "exec sponsor identified at Ledgerly (the COO, not the CFO). haven't met him yet",
    "followed up the content downloads from 2 wks ago, most went cold. should have called them"
    " the next day",
])
def test_a_negation_that_points_back_undoes_the_task_just_credited(answer: str) -> None:
    """"EB identified ... haven't met her yet" and "chased the leads from 3 wks ago ... should
    have rung them the day after" were credited as done: the negation names no task of its
    own, it points back at the person just named."""
    found = tasks(EXAMPLE, answer)
    assert not {"exec_sponsor", "content_followup"} & set(found.task_ids)
    assert {"exec_sponsor", "content_followup"} & set(found.ids_in("not_done"))


def test_a_negation_about_something_else_leaves_the_task_done() -> None:
    found = tasks(EXAMPLE, "ran the compliance discovery call with Fundly. haven't sent the"
                           " SOC2 checklist yet")
    assert "compliance_discovery" in found.task_ids


def test_a_label_before_the_reps_asking_is_no_buyer_request() -> None:
    """"Discovery: asked about their last regulator exam" is the rep's discovery (rules 2.8.0's
    buyer-request reading first took the label for the asker)."""
    found = tasks(EXAMPLE, "Discovery: asked about their last regulator exam + audit findings")
    assert "compliance_discovery" in found.task_ids


def test_a_no_said_later_in_the_sentence_still_qualifies_out() -> None:
    found = tasks(EXAMPLE, "closed lost Maren Bank, global tier-1 bank, not our ICP")
    assert "qualify_out" in found.task_ids


def test_a_percentage_given_to_close_works_against_pricing_without_the_word_discount() -> None:
    """'Gave Acme an extra 15% to close' - the issue's own example, as reps write it, without
    "discount" or "off" - was listed as effort outside the strategy, not against the margin
    objective; a percentage grown is not a concession."""
    found = tasks(EXAMPLE, "Gave Acme an extra 15% to close before quarter end; couldn't reach"
                           " the CISO, security review still stuck")
    assert "task:value_pricing" in found.against_ids()
    assert not concedes("grew pipeline by an extra 15% this month")
