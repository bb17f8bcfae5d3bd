"""The feedback a rep reads: what went against the strategy first, states apart, never praise
for an answer that says nothing, and a statement told which part is wrong (issues 18 and 19).
Feedback is built from the real rules evaluator and the shipped wording."""

from __future__ import annotations

import pytest

from bot.config import REPO_ROOT
from bot.evaluation.feedback import FeedbackTexts, FeedbackWriter, coaching_about
from bot.evaluation.result import Evaluation, Evidence, Question, TasksResult
from bot.evaluation.rules import RulesEvaluator
from bot.strategy.loader import load_strategy
from bot.strategy.schema import Strategy

EXAMPLE = load_strategy(REPO_ROOT / "examples" / "strategy.yaml")
WRITER = FeedbackWriter(FeedbackTexts(REPO_ROOT / "prompts" / "feedback.yaml"))
PRAISE = "Nice - that maps cleanly"


def feedback(question: Question, answer: str) -> str:
    evaluation = RulesEvaluator().evaluate_sync(question, answer, EXAMPLE)
    return "\n".join(WRITER.lines(evaluation, EXAMPLE))


def test_a_discount_is_reported_as_working_against_and_coached_first() -> None:
    text = feedback("tasks", "gave the startup a 30% discount to close, mapped the committee")
    assert '⛔ Works against our strategy: "gave the startup a 30% discount to close"' in text
    assert "Keep gross margin at or above 75% (no discount-led deals)" in text
    coaching = text.splitlines()[-1]
    assert coaching.startswith("Coaching:") and "opposite of \"Defend price with value" in coaching
    assert "make time for" not in text and PRAISE not in text


@pytest.mark.parametrize("answer", ["won a big deal with Ledgerly", "moved the Finlo deal to procurement",
                                    "gave a 30% discount to a startup to close before quarter end"])
def test_a_deal_or_a_quarter_end_is_not_working_against_a_task(answer: str) -> None:
    """Found in the console: "Say no quickly to deals outside our segments so effort goes where
    we win" made every answer with "deal" in it work against "Disqualify out-of-scope
    opportunities early", and "quarter end" (one word of "not an open-ended free trial") work
    against "Run a scoped proof of value"."""
    text = feedback("tasks", answer)
    assert '"Disqualify out-of-scope opportunities early"' not in text
    assert '"Run a scoped proof of value"' not in text


def test_what_a_task_rules_out_is_still_working_against_it() -> None:
    assert 'goes against "Run a scoped proof of value"' in feedback(
        "tasks", "gave them an open-ended free trial")
    assert 'goes against "Defend price with value, not discounts"' in feedback(
        "tasks", "gave a discount to get it signed")
    # A price cut is a discount by other words, never "Defend price with value" done.
    dropped = feedback("tasks", "dropped the price 20% to win")
    assert 'goes against "Defend price with value, not discounts"' in dropped and "Maps to" not in dropped


def test_planned_and_stalled_are_shown_apart_and_the_stall_is_coached() -> None:
    text = feedback("tasks", "couldn't reach the CISO, security questionnaire still stuck. "
                             "will map the buying committee next week")
    assert '⏸ Not done or stalled: Prepare the security review' in text
    assert "🗓 Planned, not done yet: Map the buying committee" in text
    assert "✅" not in text
    assert "Coaching: Prepare the security review is stuck - find who can unblock it" in text
    assert "Map the buying committee" not in text.split("Critical tasks you did not mention")[-1]


def coaching(answer: str) -> str:
    return feedback("tasks", answer).splitlines()[-1]


def test_a_task_held_up_by_the_buyer_is_coached_with_who_unblocks_it_and_what_it_gates() -> None:
    stuck = coaching("couldn't reach the CISO, security review still stuck")
    assert stuck.startswith("Coaching: Prepare the security review is stuck - find who can unblock it (")
    assert "it stands between you and the business case" in stuck  # the stage after the review
    silent = coaching("compliance discovery call got pushed to next month, the CFO went silent")
    assert "Run a compliance discovery call is stuck - find who can unblock it (" in silent
    assert "put a date on the next step" in silent  # no stage of the process is about discovery


@pytest.mark.parametrize("answer", ["haven't called the webinar leads yet",
                                    "didn't get to the webinar leads this week"])
def test_a_task_the_rep_has_not_got_to_yet_needs_a_time_not_the_buyers_org_chart(answer: str) -> None:
    text = coaching(answer)
    assert text == ('Coaching: "Follow up on content engagement within one business day" is still'
                    " to do, and it is one of our critical tasks - put a time on it before your"
                    " next check-in, and I'll ask how it went.")


def test_a_plan_is_acknowledged_with_when_the_bot_asks_before_anything_missing() -> None:
    text = feedback("tasks", "haven't called the webinar leads yet, will do Monday")
    assert "🗓 Planned, not done yet: Follow up on content engagement within one business day" in text
    assert "tell me how it went at your next check-in" in text  # when the bot asks about it
    assert text.splitlines()[-1] == (
        'Coaching: good that "Follow up on content engagement within one business day" has a plan.'
        " If it slips, say what is in the way - that is where your manager and I can help.")
    assert "Critical tasks you did not mention: Map the buying committee" in text  # still listed


@pytest.mark.parametrize("answer", ["👍", "idk", "calls", "", "-"])
def test_an_answer_that_says_nothing_gets_a_request_for_detail_never_praise(answer: str) -> None:
    text = feedback("tasks", answer)
    assert PRAISE not in text and "✅" not in text
    assert "Coaching: tell me what you did, for whom and what happened" in text
    assert "Not one of our sales tasks" not in text  # "calls" is not off-strategy effort


@pytest.mark.parametrize("answer", ["they're keen. Big one.", "pipeline looks big, customer happy",
                                    "sdfsdf lkjlkj"])
def test_an_answer_of_remarks_or_mash_gets_a_request_for_detail(answer: str) -> None:
    """"they're keen" is how the buyer seems, not something the rep did: no off-strategy line,
    no list of everything missing - the rep is asked what they did."""
    text = feedback("tasks", answer)
    assert "Not one of our sales tasks" not in text and PRAISE not in text and "✅" not in text
    assert text.splitlines()[-1].startswith("Coaching: tell me what you did, for whom and what happened")


@pytest.mark.parametrize(("language", "quotes", "effort"), [
    ("en", ["they're keen", "got Dr", "big", "CRM cleanup all week"], "CRM cleanup all week"),
    ("de", ["Kunde ist begeistert", "sieht gut aus", "Angebot für Krämer geschrieben"],
     "Angebot für Krämer geschrieben"),
    ("es", ["están muy interesados", "pinta bien", "preparé la propuesta para Miramar"],
     "preparé la propuesta para Miramar"),
])
def test_remarks_an_llm_quotes_as_unmapped_are_not_listed_as_effort(
        language: str, quotes: list[str], effort: str) -> None:
    """The LLM evaluator quotes what it found; the feedback lists only what was done, in the
    answer's own language."""
    answer = ", ".join(quotes)
    spans = [Evidence(text=q, start=answer.index(q), end=answer.index(q) + len(q)) for q in quotes]
    evaluation = Evaluation(question="tasks", evaluator="llm", evaluator_version="test",
                            strategy_version=EXAMPLE.version, overall=0.0,
                            tasks=TasksResult(unmapped=spans), language=language)
    text = "\n".join(WRITER.lines(evaluation, EXAMPLE))
    [listed] = [line for line in text.splitlines() if "Not one of our sales tasks" in line]
    assert listed.endswith(f'"{effort}"')
    assert coaching_about(evaluation, EXAMPLE) == {"kind": "activity", "id": ""}
    only_remarks = evaluation.model_copy(update={"tasks": TasksResult(unmapped=spans[:2])})
    assert coaching_about(only_remarks, EXAMPLE) == {"kind": "detail", "id": ""}


@pytest.mark.parametrize("question", ["strategy", "scope", "tasks"])
@pytest.mark.parametrize("answer", ["🙂", "👍👍", "idk", "", "-", "asdfghjkl"])
def test_no_question_gives_a_tick_to_an_answer_that_says_nothing(question: Question, answer: str) -> None:
    """Found in the console: an emoji-only statement got "✅ 0 words (limit 50)"."""
    text = feedback(question, answer)
    assert "✅" not in text and PRAISE not in text


def test_a_short_statement_that_says_something_keeps_its_tick() -> None:
    assert "✅ 8 words (limit 50)." in feedback("strategy", "We win mid-market fintech on audit"
                                                            " readiness, fast.")


@pytest.mark.parametrize("answer", ["mostly Pinecrest and Acme", "whoever has budget", "?"])
def test_a_scope_answer_with_no_segment_is_never_praised(answer: str) -> None:
    text = feedback("scope", answer)
    assert PRAISE not in text
    assert "name the segments you are actually selling into - ours are Mid-market fintech" in text
    assert "whoever has budget\"" not in text.splitlines()[-1]  # found in make run: quoted to a "?"
    assert text.count("Healthcare provider groups") == 1  # our segments named once, not twice


def test_named_tier_one_banks_are_the_segment_we_do_not_play_in() -> None:
    """The example strategy lists the tier-1 banks by name: 'mostly JPMorgan and Citi' is out
    of scope, and said so, instead of 'I couldn't find a segment'."""
    text = feedback("scope", "mostly JPMorgan and Citi")
    assert "Out of scope: Global tier-1 banks" in text and PRAISE not in text


def test_a_statement_with_the_wrong_scope_and_advantage_is_told_which_part_is_wrong() -> None:
    text = feedback("strategy", "We grow revenue 50% by being the cheapest option for startups "
                                "and government.")
    assert "⛔ Not our strategy: scope (Small businesses, Government and public sector: not where"\
           " we play), advantage (we don't win on price)" in text
    assert "Missing: advantage" not in text and "add advantage" not in text
    assert "Ours: Mid-market fintech, Regional and community banks" in text
    # one coaching line names both wrong parts and quotes ours (found in make run: only the scope)
    coaching = text.splitlines()[-1]
    assert "has us winning on price" in coaching
    assert "Our advantage: Continuous control monitoring with pre-mapped regulator frameworks" in coaching


@pytest.mark.parametrize("answer", ["idk", "👍", "We sell software to whoever needs it."])
def test_a_statement_that_covers_nothing_is_asked_for_all_three_parts(answer: str) -> None:
    """Found in make run: "idk" was coached to "add objectives" - as if the rest were there."""
    coaching = feedback("strategy", answer).splitlines()[-1]
    assert coaching.startswith("Coaching: say it in your own words, one line each: what we aim to"
                               " achieve, where we play and why we win.")


def test_a_statement_missing_one_part_is_told_to_add_that_part() -> None:
    coaching = feedback("strategy", "Grow net new ARR 35% in mid-market fintech.").splitlines()[-1]
    assert coaching.startswith("Coaching: add advantage (why we win) to your statement")


@pytest.mark.parametrize("answer", ["same as last week", "did some calls, busy week"])
def test_a_request_for_detail_does_not_call_a_sentence_one_word(answer: str) -> None:
    """Found in make run: "One word or an emoji doesn't show ..." said to a rep who wrote a
    sentence. (A rep who was on holiday is not asked for detail at all: test_coaching_readings.)"""
    coaching = feedback("tasks", answer).splitlines()[-1]
    assert coaching.startswith("Coaching: tell me what you did, for whom and what happened")
    assert "One word" not in coaching


def test_a_quote_cut_inside_brackets_keeps_them_closed() -> None:
    """Found in make run: "demo for Caltrans (state DOT" quoted with its bracket open."""
    text = feedback("tasks", "demo for Caltrans (state DOT), CRM cleanup all week")
    assert '"demo for Caltrans (state DOT)"' in text


def test_at_most_two_critical_tasks_are_listed_as_missing() -> None:
    text = feedback("tasks", "built an ROI model with the CFO at Ledgerly")
    line = next(t for t in text.splitlines() if "Critical tasks you did not mention" in t)
    assert line.endswith("(and 2 more)") and line.count(",") == 1


def test_an_answer_in_a_language_we_do_not_read_says_so_and_judges_nothing() -> None:
    text = feedback("tasks", "Ho fatto la demo con il titolare e mandato la proposta ieri sera")
    assert text.startswith("I can't read answers in Italian yet, so I haven't judged it")
    assert "Critical" not in text and PRAISE not in text


def test_off_strategy_effort_lists_only_what_says_something() -> None:
    text = feedback("tasks", "got Dr, big, asdfghjkl qwerty, mapped the buying committee,"
                             " reorganised my inbox")
    line = next(t for t in text.splitlines() if "Not one of our sales tasks" in t)
    assert line.endswith(': "reorganised my inbox"')


def test_an_out_of_scope_deal_is_coached_with_the_segments_reason_in_one_sentence() -> None:
    """Found in make run: "(... exceed their contract value.)." - the description's full stop
    inside the brackets."""
    text = feedback("tasks", "pitched a 10-person startup on our platform").splitlines()
    coaching = text[-1]
    # the deal where we don't play is named before the tasks not mentioned (found in make run)
    assert text[-3].startswith("⚠ Out of scope: Small businesses")
    assert text[-2].startswith("⚠ Critical tasks you did not mention")
    assert coaching.startswith("Coaching: Small businesses is outside our strategy (Companies under"
                               " 50 employees; cost to serve exceeds their contract value). Qualify")


def test_a_scope_answer_that_leaves_out_our_segments_is_not_praised() -> None:
    """Found in make run: "You did not mention: Regional and community banks, ..." followed by
    "Nice - that maps cleanly to the strategy" for "fintech ✅ banks ❌"."""
    text = feedback("scope", "fintech ✅ banks ❌")
    assert "You did not mention: Regional and community banks, Healthcare provider groups" in text
    assert PRAISE not in text
    assert text.splitlines()[-1] == ("Coaching: Regional and community banks, Healthcare provider"
                                     " groups are ours too - when a deal there comes up, it is one to win.")


@pytest.mark.parametrize(("answer", "about"), [
    ("fintech ✅ banks ❌", {"kind": "segment", "id": "regional_banks", "state": "missing"}),
    ("mid-market fintech", {"kind": "process", "id": "midmarket_fintech", "state": "unknown"}),
    ("fintech, CFO signs", {"kind": "process", "id": "midmarket_fintech", "state": "role_missing"}),
    ("?", {"kind": "segments", "id": ""}),
])
def test_what_a_scope_coaching_is_about_follows_the_line_written(answer: str, about: dict[str, str]) -> None:
    """`alignbot evaluate --json` says what the coaching line is about: for a scope answer it said
    nothing once the segments were in scope, though the line coached a process or a segment."""
    evaluation = RulesEvaluator().evaluate_sync("scope", answer, EXAMPLE)
    assert coaching_about(evaluation, EXAMPLE) == about


COUNSEL = load_strategy(REPO_ROOT / "tests" / "data" / "strategy_counsel.yaml")


def feedback_on(strategy: Strategy, answer: str) -> tuple[str, dict[str, str] | None]:
    """The feedback a tasks answer gets under a strategy, and what its coaching is about, each
    given the answer's text as the bot gives it."""
    evaluation = RulesEvaluator().evaluate_sync("tasks", answer, strategy)
    return ("\n".join(WRITER.lines(evaluation, strategy, answer=answer)),
            coaching_about(evaluation, strategy, answer=answer))


@pytest.mark.parametrize(("answer", "quote"), [
    ("Waived the implementation fee for First Valley Credit Union so they'd sign this month.",
     "Waived the implementation fee"),
    ("Held price with Brightpay by tying it to audit hours saved, but threw in free training to"
     " get the signature.", "threw in free training to get the signature"),
    ("Gave Pinebridge the first year free to win the logo.", "Gave Pinebridge the first year free"),
    ("Diese Woche: Discovery-Call mit einer Fintech in Toronto, Rabatt von 15% angeboten damit sie"
     " unterschreiben.", "Rabatt von 15% angeboten"),
    ("Le regalé tres meses a una fintech para cerrar.", "Le regalé tres meses"),
])
def test_a_concession_is_flagged_against_our_pricing_not_listed_as_other_effort(
        answer: str, quote: str) -> None:
    """Found playing a VP of Sales in the console: a waived fee, free training or a German
    "Rabatt" was listed as "effort outside the strategy" and coached to "make time for Map the
    buying committee" - the concession itself never named against our margin."""
    text, about = feedback_on(EXAMPLE, answer)
    against = next(line for line in text.splitlines() if line.startswith("⛔ Works against"))
    assert quote in against and '"Defend price with value, not discounts"' in against
    assert not any(quote in line for line in text.splitlines() if line.startswith("➖"))
    assert text.splitlines()[-1].startswith(f'Coaching: "{quote}')
    assert about == {"kind": "task", "id": "value_pricing", "state": "against"}


def test_a_concession_the_reader_credited_as_a_task_earns_no_tick() -> None:
    """"Free onboarding ... if they sign" was ✅ "Hand off to onboarding with success criteria"."""
    text, _ = feedback_on(EXAMPLE, "Free onboarding for Helix Health if they sign this quarter.")
    assert "✅" not in text and "Hand off to onboarding" not in text
    assert '⛔ Works against our strategy: "Free onboarding for Helix Health' in text


def test_every_concession_in_an_answer_is_quoted() -> None:
    text, _ = feedback_on(EXAMPLE, "Hab der Fintech den Setup erlassen und 3 Monate gratis gegeben.")
    against = next(line for line in text.splitlines() if line.startswith("⛔"))
    assert '"Hab der Fintech den Setup erlassen"' in against and '"3 Monate gratis gegeben"' in against


@pytest.mark.parametrize("answer", [
    "They asked for 20% off, we said no and built the ROI model with their CFO.",
    "Avoided a discount with Fundly by tying price to audit hours saved."])
def test_a_discount_asked_for_or_refused_is_not_working_against_pricing(answer: str) -> None:
    """"They asked for 20% off" is the buyer's ask: the rep who said no was told "⛔ Works
    against our strategy" and coached as if they had given it."""
    text, about = feedback_on(EXAMPLE, answer)
    assert "⛔" not in text and "opposite of" not in text
    assert about is None or about.get("state") != "against"


def test_free_hosting_is_coached_against_the_margin_objective_not_the_poc_task() -> None:
    """Tidemark lists "threw in six months of free hosting" under its margin objective; the
    POC task's "not a free trial" also matched, and the coaching said it was "the opposite of
    Run a proof of concept on a closed matter"."""
    text, about = feedback_on(COUNSEL, "Threw in six months of free hosting for Thornbury Vale to"
                                       " get them over the line.")
    assert text.splitlines()[-1].startswith(
        'Coaching: "Threw in six months of free hosting for Thornbury Vale to…" breaks our'
        ' objective "Keep gross margin at or above 70%"')
    assert about == {"kind": "objective", "id": "gross_margin", "state": "against"}
    # the hosting is given already: "before you commit to it" came too late
    assert text.splitlines()[-1].endswith("Before you offer the next concession, take it to your"
                                          " manager - and sell the value instead.")


def test_a_stalled_task_is_coached_in_the_buying_process_of_the_deals_own_segment() -> None:
    """Found in the console: a corporate legal team's security questionnaire stuck with its
    CISO was coached with the law firms' process - "find who can unblock it (managing partner,
    head of litigation) ... the partners' meeting approval" - the first segment in the file.
    Corporate legal's own process: the CISO, then the business case."""
    text, about = feedback_on(COUNSEL, "Security questionnaire for Outback Freight stuck with their"
                                       " CISO, no reply for 2 weeks.")
    coaching = text.splitlines()[-1]
    assert coaching == ("Coaching: Clear the security and data sovereignty review is stuck - find who"
                        " can unblock it (CISO) and agree a date - it stands between you and the"
                        " business case.")
    assert about == {"kind": "task", "id": "security_sovereignty", "state": "not_done"}


@pytest.mark.parametrize("answer", ["We're the cheapest compliance tool for big banks.",
                                    "The cheapest option for startups."])
def test_a_short_statement_that_is_all_wrong_gets_no_tick_for_being_short(answer: str) -> None:
    """Found in the console: "✅ 8 words (limit 50)." above "⛔ Not our strategy: scope ...,
    advantage ..." - praise for the one thing right about a statement that is all wrong."""
    text = feedback("strategy", answer)
    assert "⛔ Not our strategy" in text and "✅" not in text


def test_our_advantage_is_quoted_in_short_when_a_statement_gets_it_wrong() -> None:
    """Tidemark's advantage is 52 words; quoted whole, the coaching line ran to 90 words. Its
    first part, up to the dash, is what a rep can repeat."""
    evaluation = RulesEvaluator().evaluate_sync("strategy", "We're the cheapest e-discovery tool"
                                                " for global firms.", COUNSEL)
    coaching = WRITER.lines(evaluation, COUNSEL)[-1]
    assert coaching.endswith("Our advantage: Legal hold and e-discovery in one platform, hosted in"
                             " Sydney and Auckland so client data never leaves ANZ, with flat"
                             " per-user pricing instead of per-GB bills.")
    assert len(coaching.split()) < 75


def test_work_against_a_task_that_is_not_about_price_is_not_told_to_hold_the_line() -> None:
    """"Next time, hold the line: told a sole practitioner we're not the right fit" - the
    pricing idiom was the wording for every task worked against."""
    text, _ = feedback_on(COUNSEL, "Demo for a firm in Singapore, they want a trial.")
    assert text.splitlines()[-1].endswith(
        'Next time: "told a sole practitioner we\'re not the right fit".')


def test_a_writer_for_managers_keeps_the_manager_wording_and_the_rep_wording_is_unchanged() -> None:
    evaluation = RulesEvaluator().evaluate_sync("tasks", "coached Dana on discovery", EXAMPLE)
    manager = FeedbackWriter(WRITER.t.for_audience("manager"))
    for text in ("\n".join(manager.lines(evaluation, EXAMPLE)),
                 "\n".join(WRITER.lines(evaluation, EXAMPLE, audience="manager"))):
        assert "for yourself or your team" in text and 'is your team doing "Map the buying' in text
    rep = "\n".join(WRITER.lines(evaluation, EXAMPLE))
    assert "yourself or your team" not in rep and 'make time for "Map the buying committee"' in rep


BAUFUCHS = load_strategy(REPO_ROOT / "tests" / "data" / "strategy_baufuchs.yaml")


def test_the_discount_is_quoted_not_the_clause_that_says_why() -> None:
    """Found in the console: "Dem Kunden 20% Rabatt gegeben, damit er noch dieses Quartal
    unterschreibt" was told '"damit er noch dieses Quartal unterschreibt" goes against "Preis
    über Nutzen verteidigen"' - the reason quoted, the discount itself left out."""
    text, about = feedback_on(BAUFUCHS, "Dem Kunden 20% Rabatt gegeben, damit er noch dieses Quartal"
                                        " unterschreibt.")
    against = next(line for line in text.splitlines() if line.startswith("⛔"))
    assert against.startswith('⛔ Works against our strategy: "Dem Kunden 20% Rabatt gegeben" goes'
                              ' against "Preis über Nutzen verteidigen"')
    assert "damit er" not in text
    assert about == {"kind": "task", "id": "preis_halten", "state": "against"}


def test_a_price_defended_is_not_quoted_with_the_discount_the_buyer_wanted() -> None:
    """'✅ ... Preis über Nutzen verteidigen ("Der Kunde wollte 15% Rabatt")' - the tick quoted
    the buyer's ask, not what the rep did."""
    text, _ = feedback_on(BAUFUCHS, "Der Kunde wollte 15% Rabatt, habe abgelehnt und den Nutzen"
                                    " vorgerechnet.")
    ticked = next(line for line in text.splitlines() if line.startswith("✅"))
    assert "Preis über Nutzen verteidigen" in ticked and "Rabatt" not in ticked


def test_a_plan_is_acknowledged_even_for_a_task_also_done_this_week() -> None:
    """Found in the console: "Will run the POC on a closed matter at Kestrel Mining Group from
    Monday, success criteria agreed" was only ✅ ("success criteria agreed"): the POC itself,
    planned for Monday, was never acknowledged nor said to be asked about."""
    text, _ = feedback_on(COUNSEL, "Will run the POC on a closed matter at Kestrel Mining Group from"
                                   " Monday, success criteria agreed.")
    assert ('🗓 Planned, not done yet: Run a proof of concept on a closed matter ("Will run the POC'
            in text)
    assert "tell me how it went at your next check-in" in text
    assert '✅ Maps to our sales tasks: Run a proof of concept on a closed matter ("success' in text


def test_a_refused_discount_stays_the_quote_for_the_price_defended() -> None:
    text, _ = feedback_on(load_strategy(REPO_ROOT / "tests" / "data" / "strategy_hotelia.yaml"),
                          "No di descuento, le enseñé el ahorro en comisiones al dueño del Hotel"
                          " Cala Blanca.")
    assert '✅ Maps to our sales tasks: Defender el precio con valor, sin descuentos ("No di' in text


def test_a_discount_given_after_the_buyers_ask_is_flagged_and_price_defence_not_ticked() -> None:
    """The reader quoted "they wanted 30% off" (the buyer's ask) for "we gave 10% off": the
    concession the rep gave is the quote, and "Negotiated on scope instead of price" earns no
    ✅ "Defend price with value" in the same week."""
    answer = ("Negotiated on scope instead of price with Fundly; they wanted 30% off, we gave 10% off"
              " in exchange for a 3-year term.")
    text, about = feedback_on(EXAMPLE, answer)
    assert ('⛔ Works against our strategy: "we gave 10% off in exchange for a 3-year term" goes'
            ' against "Defend price with value, not discounts"' in text)
    assert "wanted 30%" not in text and "✅" not in text
    assert about == {"kind": "task", "id": "value_pricing", "state": "against"}
    # without the answer's text (a caller that has none), the ask alone is no work against us
    evaluation = RulesEvaluator().evaluate_sync("tasks", answer, EXAMPLE)
    assert "wanted 30%" not in "\n".join(WRITER.lines(evaluation, EXAMPLE))


HOTELIA = load_strategy(REPO_ROOT / "tests" / "data" / "strategy_hotelia.yaml")


def test_a_refusal_said_is_done_not_a_negation_of_what_follows() -> None:
    """"we said no and held the price": the "no" is what was said; holding the price is done."""
    text, _ = feedback_on(EXAMPLE, "CFO at Finova pushed for a discount, we said no and held the price")
    assert "⏸" not in text and "held the price" in text.split("\n")[0]


def test_who_holds_work_up_is_read_from_the_rest_of_its_sentence() -> None:
    """"No he podido hablar con el dueño, sigue sin contestar": the owner does not answer, so
    the coaching is who can unblock it, not "put a time on it"."""
    held, _ = feedback_on(HOTELIA, "No he podido hablar con el dueño del Hotel Miramar, sigue sin contestar")
    not_yet, _ = feedback_on(HOTELIA, "No he podido hablar con el dueño del Hotel Miramar todavía")
    assert "unblock" in held.splitlines()[-1]
    assert "put a time on it" in not_yet.splitlines()[-1]


def test_a_deal_closed_is_not_effort_outside_the_strategy() -> None:
    text, _ = feedback_on(EXAMPLE, "Closed Acme! 🎉")
    assert "outside the strategy" not in text
