"""The numbers a person sees next to an answer, worked out by hand from the findings.

Every expected value here is a literal computed on paper from the findings written out in the
test (the example strategy has four critical tasks: map_buying_committee, compliance_discovery,
security_review and content_followup), never by calling the scoring code, so a changed formula,
rounding or default shows up as a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.evaluation.result import (
    ComponentCoverage,
    Evaluation,
    Evidence,
    ProcessCoverage,
    ScopeResult,
    SegmentMention,
    StatementResult,
    TaskMatch,
    TasksResult,
    TaskState,
)
from bot.evaluation.scoring import compute_scores, critical_missing, rescore
from bot.strategy.loader import load_strategy

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = load_strategy(ROOT / "examples" / "strategy.yaml")
NOTHING_CRITICAL = EXAMPLE.model_copy(update={"sales_tasks": [
    t.model_copy(update={"critical": False}) for t in EXAMPLE.sales_tasks]})


def said(text: str = "x") -> Evidence:
    return Evidence(text=text, start=0, end=len(text))


def match(task_id: str, state: TaskState = "done") -> TaskMatch:
    return TaskMatch(task_id=task_id, confidence=0.9, evidence=said(task_id), state=state)


def tasks(*matches: TaskMatch, unmapped: int = 0) -> TasksResult:
    return TasksResult(matches=list(matches), unmapped=[said(f"other {i}") for i in range(unmapped)])


def mention(segment: str, *, in_scope: bool, played: bool) -> SegmentMention:
    return SegmentMention(segment_id=segment, in_scope=in_scope, confidence=0.9,
                          evidence=said(segment), stated_as_played=played)


def statement(words: int, *, within: bool, covered: tuple[bool, bool, bool]) -> StatementResult:
    return StatementResult(word_count=words, word_limit=50, within_limit=within, components=[
        ComponentCoverage(component=c, covered=v)
        for c, v in zip(("objectives", "scope", "advantage"), covered, strict=True)])


def test_focus_is_the_share_of_activities_that_map_to_a_task() -> None:
    # 2 critical of 4 done, 3 mapped activities and 1 unmapped: coverage 2/4, focus 3/4.
    scores, overall = compute_scores("tasks", EXAMPLE, tasks=tasks(
        match("map_buying_committee"), match("security_review"), match("business_case"),
        unmapped=1))
    assert scores == {"critical_coverage": 0.5, "focus": 0.75}
    assert overall == 0.625  # (0.5 + 0.75) / 2


def test_focus_of_one_mapped_activity_among_three_is_rounded_to_three_digits() -> None:
    scores, _ = compute_scores("tasks", EXAMPLE, tasks=tasks(
        match("content_followup"), unmapped=2))
    assert scores == {"critical_coverage": 0.25, "focus": 0.333}


def test_a_critical_task_mentioned_twice_is_covered_once() -> None:
    scores, _ = compute_scores("tasks", EXAMPLE, tasks=tasks(
        match("security_review"), match("security_review")))
    assert scores == {"critical_coverage": 0.25, "focus": 1.0}


def test_a_critical_task_only_planned_or_not_done_is_not_covered() -> None:
    scores, _ = compute_scores("tasks", EXAMPLE, tasks=tasks(
        match("security_review", "planned"), match("compliance_discovery", "not_done")))
    assert scores["critical_coverage"] == 0.0
    assert critical_missing(EXAMPLE, tasks(match("security_review", "planned")).task_ids) == [
        "map_buying_committee", "compliance_discovery", "security_review", "content_followup"]


def test_an_answer_with_no_activities_scores_nothing() -> None:
    scores, overall = compute_scores("tasks", EXAMPLE, tasks=tasks())
    assert scores == {"critical_coverage": 0.0, "focus": 0.0}
    assert overall == 0.0


def test_with_no_critical_tasks_nothing_is_missing_and_coverage_is_full() -> None:
    answer = tasks(match("business_case"), unmapped=1)
    scores, overall = compute_scores("tasks", NOTHING_CRITICAL, tasks=answer)
    assert critical_missing(NOTHING_CRITICAL, answer.task_ids) == []
    assert scores == {"critical_coverage": 1.0, "focus": 0.5}
    assert overall == 0.75


def test_critical_tasks_missing_are_listed_in_strategy_order() -> None:
    assert critical_missing(EXAMPLE, ["content_followup", "business_case", "map_buying_committee"]) \
        == ["compliance_discovery", "security_review"]


def test_buying_process_is_the_mean_share_of_stages_and_roles_named_per_segment() -> None:
    # fintech: 2 stages + 1 role named of 6 defined = 1/2; banks: 1 stage named of 3 = 1/3.
    scope = ScopeResult(
        segments=[mention("midmarket_fintech", in_scope=True, played=True),
                  mention("small_business", in_scope=False, played=False),
                  mention("regional_banks", in_scope=True, played=False),
                  mention("tier1_banks", in_scope=False, played=True)],
        processes=[
            ProcessCoverage(segment_id="midmarket_fintech", stages_mentioned=["a", "b"],
                            stages_missing=["c"], roles_mentioned=["cfo"],
                            roles_missing=["ciso", "cto"]),
            ProcessCoverage(segment_id="regional_banks", stages_mentioned=["a"],
                            stages_missing=["b", "c"])])
    scores, overall = compute_scores("scope", EXAMPLE, scope=scope)
    # scope: playing in scope and avoiding out of scope agree; leaving an in-scope segment and
    # playing an out-of-scope one do not: 2/4
    assert scores == {"scope_clarity": 0.5, "buying_process": 0.417}  # (1/2 + 1/3) / 2
    assert overall == 0.459  # (0.5 + 0.417) / 2 = 0.4585


def test_buying_process_is_zero_with_no_segment_played_or_nothing_defined() -> None:
    played = [mention("midmarket_fintech", in_scope=True, played=True)]
    assert compute_scores("scope", EXAMPLE, scope=ScopeResult(segments=played))[0] == {
        "scope_clarity": 1.0, "buying_process": 0.0}
    nothing_defined = ScopeResult(segments=played,
                                  processes=[ProcessCoverage(segment_id="midmarket_fintech")])
    assert compute_scores("scope", EXAMPLE, scope=nothing_defined)[0]["buying_process"] == 0.0
    all_named = ScopeResult(segments=played, processes=[ProcessCoverage(
        segment_id="midmarket_fintech", stages_mentioned=["a"], roles_mentioned=["cfo"])])
    assert compute_scores("scope", EXAMPLE, scope=all_named)[0]["buying_process"] == 1.0
    one_of_each = ScopeResult(segments=played, processes=[ProcessCoverage(
        segment_id="midmarket_fintech", stages_mentioned=["a"], stages_missing=["b"],
        roles_mentioned=["cfo"])])  # one stage and one role named of three defined
    assert compute_scores("scope", EXAMPLE, scope=one_of_each)[0]["buying_process"] == 0.667
    roles_missing_too = ScopeResult(segments=played, processes=[ProcessCoverage(
        segment_id="midmarket_fintech", stages_mentioned=["a"], stages_missing=["b", "c"],
        roles_missing=["cfo"])])  # one named of four defined
    assert compute_scores("scope", EXAMPLE, scope=roles_missing_too)[0]["buying_process"] == 0.25


def test_no_segment_named_is_no_scope_clarity() -> None:
    assert compute_scores("scope", EXAMPLE, scope=ScopeResult()) == (
        {"scope_clarity": 0.0, "buying_process": 0.0}, 0.0)


def test_brevity_shrinks_with_every_word_over_the_limit() -> None:
    scores, overall = compute_scores("strategy", EXAMPLE, statement=statement(
        60, within=False, covered=(True, False, True)))
    assert scores == {"brevity": 0.833, "components": 0.667}  # 50/60, 2 of 3
    assert overall == 0.75
    assert compute_scores("strategy", EXAMPLE, statement=statement(
        50, within=True, covered=(True, True, True))) == ({"brevity": 1.0, "components": 1.0}, 1.0)
    assert compute_scores("strategy", EXAMPLE, statement=statement(
        0, within=True, covered=(False, False, False))) == ({"brevity": 0.0, "components": 0.0},
                                                            0.0)


def test_a_section_without_its_findings_has_no_scores() -> None:
    answer = tasks(match("business_case"))
    assert compute_scores("scope", EXAMPLE, tasks=answer) == ({}, 0.0)
    assert compute_scores("tasks", EXAMPLE, scope=ScopeResult()) == ({}, 0.0)
    assert compute_scores("strategy", EXAMPLE, tasks=answer) == ({}, 0.0)
    brief = statement(20, within=True, covered=(True, True, True))
    assert compute_scores("scope", EXAMPLE, statement=brief) == ({}, 0.0)
    assert compute_scores("tasks", EXAMPLE, statement=brief) == ({}, 0.0)


def test_rescore_replaces_stale_scores_with_ones_from_the_findings() -> None:
    stale = Evaluation(question="tasks", evaluator="rules", evaluator_version="1",
                       strategy_version=EXAMPLE.version,
                       tasks=tasks(match("security_review"), unmapped=1),
                       scores={"critical_coverage": 0.9, "focus": 0.9}, overall=0.9)
    fresh = rescore(stale, EXAMPLE)
    assert fresh.scores == {"critical_coverage": 0.25, "focus": 0.5}
    assert fresh.overall == 0.375
    assert fresh.tasks == stale.tasks


def test_a_question_read_from_storage_is_scored_like_one_written_in_code() -> None:
    """An answer row's question comes back from the database or JSON as a fresh string."""
    stored = json.loads('["tasks", "scope", "strategy"]')
    assert compute_scores(stored[0], EXAMPLE, tasks=tasks(match("security_review"), unmapped=1)) \
        == ({"critical_coverage": 0.25, "focus": 0.5}, 0.375)
    assert compute_scores(stored[1], EXAMPLE, scope=ScopeResult()) == (
        {"scope_clarity": 0.0, "buying_process": 0.0}, 0.0)
    assert compute_scores(stored[2], EXAMPLE, statement=statement(
        50, within=True, covered=(True, True, True))) == ({"brevity": 1.0, "components": 1.0}, 1.0)
