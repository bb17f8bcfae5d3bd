"""Digest figures on an irregular week, with every expected value worked out by hand.

The shared history (tests/unit/digest/support.py) is regular: one check-in a week per rep, every
check-in asked, each activity named as often as the next. Mistakes that only show on uneven data
slip through it, so this week is uneven on purpose:

- Ben and Cy each have a check-in that was never sent (Ben was away, Cy's is still scheduled):
  a manager must not read those as asked and missed.
- Ana answered twice (Monday's check-in and an extra one on Thursday), and her Thursday
  statement is both the better one and listed first: the digest shows her latest statement.
- Activities outside the strategy are named 3, 2, 1 and 1 times (with different case and
  punctuation): the most frequent comes first, ties alphabetically.

Team of four (no manager among them): Ana, Ben, Cy, Dee. The week is Mon 23 Feb - Sun 1 Mar 2026.
`compute` is the pure function the digest service calls with the history it loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.digest.figures import (
    Against,
    Articulation,
    DigestFigures,
    Effort,
    Mismatch,
    Participation,
    Quote,
    compute,
)
from bot.digest.history import AnswerFacts, CheckInFacts, History, ScoreFacts
from bot.digest.period import ending
from bot.evaluation.result import Against as WorkAgainst
from bot.evaluation.result import (
    ComponentCoverage,
    Evaluation,
    Evidence,
    Question,
    ScopeResult,
    SegmentMention,
    StatementResult,
    TaskMatch,
    TasksResult,
    TaskState,
)
from bot.leads.metrics import LeadBook, LeadFacts
from bot.storage.models import Member
from bot.strategy.loader import load_strategy

STRATEGY = load_strategy(Path(__file__).resolve().parents[3] / "examples" / "strategy.yaml")
WEEK = ending(datetime(2026, 3, 2, tzinfo=UTC))  # [Mon 23 Feb, Mon 2 Mar)
ANA, BEN, CY, DEE, MO = 1, 2, 3, 4, 5
MEMBERS = [Member(id=i, platform="slack", platform_user_id=f"U{i}", name=name, manager_id=boss)
           for i, name, boss in ((ANA, "Ana", MO), (BEN, "Ben", None), (CY, "Cy", None),
                                 (DEE, "Dee", MO))]


def at(day: int, hour: int, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


MON, TUE, THU, FRI, PREVIOUS_FRI = at(23, 9), at(24, 9), at(26, 9), at(27, 9), at(20, 9)


def checkin(member: int, when: datetime, state: str, *, asked: bool = True,
            reminded: bool = False, answered_after: timedelta | None = None) -> CheckInFacts:
    return CheckInFacts(member, when, state, when if asked else None,
                        when + timedelta(hours=4) if reminded else None,
                        when + answered_after if answered_after is not None else None)


CHECKINS = [
    checkin(ANA, MON, "answered", answered_after=timedelta(hours=1)),  # on time
    checkin(ANA, THU, "answered", reminded=True, answered_after=timedelta(hours=6)),  # late
    checkin(BEN, MON, "expired", reminded=True),  # missed
    checkin(BEN, THU, "scheduled", asked=False),  # never sent: Ben was away
    checkin(CY, MON, "reminded", reminded=True),  # still open
    checkin(CY, FRI, "scheduled", asked=False),  # never sent yet
    checkin(DEE, TUE, "answered", answered_after=timedelta(minutes=30)),  # on time
    checkin(ANA, PREVIOUS_FRI, "answered", answered_after=timedelta(hours=1)),  # week before
]


def evaluation(question: Question, overall: float, scores: dict[str, float], *,
               tasks: TasksResult | None = None, statement: StatementResult | None = None,
               scope: ScopeResult | None = None) -> Evaluation:
    return Evaluation(question=question, evaluator="rules", evaluator_version="test",
                      strategy_version=STRATEGY.version, tasks=tasks, statement=statement,
                      scope=scope, scores=scores, overall=overall)


def said(text: str) -> Evidence:
    return Evidence(text=text, start=0, end=len(text))


DISCOUNT = ("gave Pinecrest an extra 15% discount on the three-year contract so that they would"
            " sign before the end of the quarter")  # 117 characters


def tasks_answer(member: int, when: datetime, overall: float, done: list[str],
                 unmapped: list[str], other: tuple[str, TaskState] | None = None,
                 against: str | None = None) -> AnswerFacts:
    matches = [TaskMatch(task_id=t, confidence=0.9, evidence=said(t)) for t in done]
    if other:
        matches.append(TaskMatch(task_id=other[0], confidence=0.9, evidence=said(other[0]),
                                 state=other[1]))
    worked_against = [WorkAgainst(kind="task", target="value_pricing", evidence=said(against),
                                  name="Defend price with value, not discounts")] if against else []
    result = TasksResult(matches=matches, unmapped=[said(u) for u in unmapped],
                         against=worked_against)
    return AnswerFacts(member, when, evaluation("tasks", overall, {"focus": overall}, tasks=result),
                       text=", ".join(done + unmapped))


def statement_answer(member: int, when: datetime, overall: float, words: int,
                     covered: tuple[bool, bool, bool]) -> AnswerFacts:
    statement = StatementResult(word_count=words, within_limit=words <= 50, components=[
        ComponentCoverage(component=c, covered=v)
        for c, v in zip(("objectives", "scope", "advantage"), covered, strict=True)])
    return AnswerFacts(member, when, evaluation("strategy", overall, {"brevity": overall},
                                                statement=statement),
                       text="We help mid-market fintechs pass audits in half the time")


def scope_answer(member: int, when: datetime, overall: float, segment: str,
                 in_scope: bool) -> AnswerFacts:
    mention = SegmentMention(segment_id=segment, in_scope=in_scope, confidence=0.9,
                             evidence=said(segment))
    return AnswerFacts(member, when, evaluation("scope", overall, {"scope_clarity": overall},
                                                scope=ScopeResult(segments=[mention])),
                       text=f"we play in {segment} mostly")


ANSWERS = [
    # Ana's Thursday statement first: "the first in the list" is not "the latest"
    statement_answer(ANA, THU, 1.0, 30, (True, True, True)),
    statement_answer(ANA, MON, 0.4, 62, (True, False, False)),
    tasks_answer(ANA, MON, 0.5, ["map_buying_committee"], ["CRM cleanup", "internal forecast meeting"]),
    tasks_answer(ANA, THU, 0.6, ["security_review"], ["crm cleanup.", "award dinner"],
                 other=("business_case", "planned")),
    tasks_answer(DEE, TUE, 0.8, ["map_buying_committee"],
                 ["CRM  Cleanup", "trade show booth", "internal forecast meeting"],
                 other=("content_followup", "not_done"), against=DISCOUNT),
    # Ana's Thursday work was aimed at a tier-1 bank (out of scope), Dee's at fintechs (in scope)
    scope_answer(ANA, THU, 0.0, "tier1_banks", in_scope=False),
    scope_answer(DEE, TUE, 1.0, "midmarket_fintech", in_scope=True),
    tasks_answer(ANA, PREVIOUS_FRI, 0.9, ["security_review"], []),
]
# Mo, Ana's and Dee's manager, is not in the team the digest is about: his own answers, this
# week's naming a task none of his reps did, last week's one they did
MO_ANSWERS = [tasks_answer(MO, MON, 0.5, ["map_buying_committee", "proof_of_value"], []),
              tasks_answer(MO, PREVIOUS_FRI, 0.5, ["security_review"], [])]
SCORES = [ScoreFacts(a.member_id, a.occurrence_at, a.evaluation.question, a.evaluation.overall)
          for a in ANSWERS]


AS_OF = at(2, 9, month=3)


def lead(owner: int, segment: str, engaged: datetime, touches: int = 0, source: str = "webinar"
         ) -> LeadFacts:
    first = engaged + timedelta(hours=1) if touches else None
    return LeadFacts(owner, segment, engaged, "working" if touches else "new", touches, first,
                     None, source)


# leads engaged this week: three in segments we do not play (two from the same webinar), two
# never touched; and one from January nobody ever touched
COHORT = [lead(DEE, "tier1_banks", at(24, 9)), lead(ANA, "tier1_banks", at(25, 9), 1),
          lead(ANA, "small_business", at(28, 21)), lead(BEN, "public_sector", at(26, 9), 2, ""),
          lead(BEN, "midmarket_fintech", at(27, 9), 1, "crm")]
LEADS = LeadBook(COHORT, [*COHORT, lead(CY, "regional_banks", at(30, 9, month=1))], AS_OF)


def figures() -> DigestFigures:
    history = History(checkins=CHECKINS, answers=ANSWERS, scores=SCORES)
    return compute(STRATEGY, "Team", MEMBERS, WEEK, history, LEADS,
                   managers={MO: ("Mo", MO_ANSWERS)})


def test_check_ins_never_sent_are_not_counted_as_asked() -> None:
    f = figures()
    # asked: Ana twice, Ben, Cy and Dee once each; the two never sent are nowhere
    assert f.participation == Participation(asked=5, answered=3, late=1, missed=1, open=1)
    assert f.participation.rate == 0.75  # 3 answered of the 4 closed; Cy's is still open
    by_name = {r.name: r.participation for r in f.reps}
    assert by_name == {"Ana": Participation(2, 2, 1, 0, 0), "Ben": Participation(1, 0, 0, 1, 0),
                       "Cy": Participation(1, 0, 0, 0, 1), "Dee": Participation(1, 1, 0, 0, 0)}
    rate = {t.name: (t.current, t.previous) for t in f.trends}["answer_rate"]
    assert rate == (0.75, 1.0)  # the week before: Ana's one check-in, answered


def test_the_latest_statement_is_shown_not_the_earliest() -> None:
    f = figures()
    ana = next(r for r in f.reps if r.name == "Ana")
    assert ana.articulation == Articulation(30, True, ("objectives", "scope", "advantage"), ())
    assert [r.name for r in f.articulating] == ["Ana"] and [r.name for r in f.stated] == ["Ana"]


def test_activities_outside_the_strategy_most_frequent_first_ties_alphabetically() -> None:
    f = figures()
    assert f.unmapped == [("CRM cleanup", 3), ("internal forecast meeting", 2),
                          ("award dinner", 1), ("trade show booth", 1)]
    # Ana Mon 1 + 2, Thu 1 + 2, Dee 1 + 3: planned and not-done tasks are not activities done
    assert (f.unmapped_total, f.activities) == (7, 10)
    assert f.unmapped_share == 0.7  # of all activities reported, outside the strategy


def test_task_coverage_counts_done_tasks_per_person_least_covered_critical_first() -> None:
    f = figures()
    assert f.task_reporters == 2  # Ana and Dee answered the tasks question
    assert f.task_answers == {"Ana": ("map_buying_committee", "security_review"),
                              "Dee": ("map_buying_committee",)}
    shown = [(t.task_id, t.critical, t.members, t.share) for t in f.tasks[:5]]
    assert shown == [("compliance_discovery", True, 0, 0.0), ("content_followup", True, 0, 0.0),
                     ("security_review", True, 1, 0.5), ("map_buying_committee", True, 2, 1.0),
                     ("business_case", False, 0, 0.0)]


def test_trends_and_chart_use_the_answers_of_each_week() -> None:
    f = figures()
    trends = {t.name: (t.current, t.previous) for t in f.trends}
    assert trends["strategy"] == (0.7, None)  # (1.0 + 0.4) / 2; no statement the week before
    assert trends["tasks"] == (0.633, 0.9)  # (0.5 + 0.6 + 0.8) / 3; Ana's 0.9 the week before
    assert trends["brevity"] == (0.7, None) and trends["focus"] == (0.633, 0.9)
    assert trends["scope"] == (0.5, None)  # (0.0 + 1.0) / 2
    # the chart starts at the first week with any score and labels each week by its last day
    assert f.series == [("22 Feb", {"strategy": None, "scope": None, "tasks": 0.9}),
                        ("01 Mar", {"strategy": 0.7, "scope": 0.5, "tasks": 0.633})]
    assert f.answers == 7 and f.has_data


def test_a_manager_and_reps_naming_different_tasks_is_shown_with_their_words() -> None:
    f = figures()
    assert f.managers_compared == 1
    # this week Mo named the committee and a proof of value; Ana and Dee the committee and the
    # security review; Ana is the one who differs (Dee's only task is one Mo named too)
    assert f.mismatches == [Mismatch(
        Quote("Mo", "tasks", "map_buying_committee, proof_of_value"),
        (Quote("Ana", "tasks", "security_review, crm cleanup., award dinner"),),
        "tasks", ("Run a scoped proof of value",), ("Prepare the security review",))]


def test_leads_from_segments_we_do_not_play_most_first_and_the_oldest_untouched_first() -> None:
    f = figures()
    assert f.out_of_scope_leads == [("Global tier-1 banks", "webinar", 2),
                                    ("Government and public sector", "?", 1),  # no source known
                                    ("Small businesses", "webinar", 1)]
    # age in days on Mon 2 Mar 09:00: since 30 Jan 09:00, 24 Feb 09:00 and 28 Feb 21:00
    assert f.untouched == [("Cy", "regional_banks", 31.0), ("Dee", "tier1_banks", 6.0),
                           ("Ana", "small_business", 1.5)]
    assert [(s.segment_id, s.in_scope, s.leads) for s in f.segments] == [
        ("midmarket_fintech", True, 1), ("tier1_banks", False, 2), ("public_sector", False, 1),
        ("small_business", False, 1)]


def test_effort_is_placed_by_the_segments_each_check_in_names() -> None:
    f = figures()
    # Ana Mon: no segment named (1 task, 2 off); Ana Thu: a tier-1 bank, out of scope (1 task -
    # the planned one does not count - and 2 off); Dee: fintech, in scope (1 task, 3 off, and a
    # discount against "defend price with value")
    assert f.effort == Effort(in_on=1, in_off=3, in_against=1, out_on=1, out_off=2,
                              none_on=1, none_off=2)
    assert f.effort.total == 11
    assert f.effort_before == Effort(none_on=1) and f.effort_before.total == 1
    assert f.against == [Against("Dee", "Defend price with value, not discounts",
                                 "gave Pinecrest an extra 15% discount on the three-year contract"
                                 " so that they…")]  # cut between words, within 80 characters
    assert len(f.against[0].quote) <= 80
