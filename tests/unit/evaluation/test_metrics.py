"""Dataset loading and the figures computed from it: exact values on hand-made cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation.metrics import (
    ALL,
    DatasetError,
    LabeledItem,
    check_ids,
    item_record,
    load_dataset,
    parse_item,
    prediction,
    report_dict,
    score,
)
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
)
from bot.strategy.loader import load_strategy
from bot.strategy.schema import Strategy

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
EXAMPLE = load_strategy(ROOT / "examples" / "strategy.yaml")
OTHER = load_strategy(DATA / "strategy_other.yaml")
SPAN = Evidence(text="x", start=0, end=1)


def evaluation(
    question: Question = "tasks",
    tasks: list[str] | None = None,
    mentions: list[tuple[str, bool, bool]] | None = None,
    within: bool | None = None,
    covered: tuple[str, ...] = (),
) -> Evaluation:
    """A hand-made evaluation: task ids, (segment, in_scope, stated_as_played), statement."""
    statement = None
    if within is not None:
        statement = StatementResult(
            word_count=10 if within else 60, within_limit=within,
            components=[ComponentCoverage(component=c, covered=c in covered)
                        for c in ("objectives", "scope", "advantage")],
        )
    return Evaluation(
        question=question, evaluator="fake", evaluator_version="0", strategy_version="v",
        tasks=TasksResult(matches=[TaskMatch(task_id=t, confidence=1.0, evidence=SPAN)
                                   for t in tasks or []]) if question == "tasks" else None,
        scope=ScopeResult(segments=[
            SegmentMention(segment_id=s, in_scope=i, confidence=1.0, evidence=SPAN,
                           stated_as_played=p) for s, i, p in mentions or []
        ]),
        statement=statement,
        overall=0.0,
    )


def item(**fields: object) -> LabeledItem:
    data = {"question": "tasks", "answer": "a", **fields}
    return parse_item(data)


# ----- loading --------------------------------------------------------------------------------


def test_load_dataset_skips_blank_lines_and_keeps_labels(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        json.dumps({"question": "scope", "answer": "fintech",
                    "expected_segments": {"in": ["midmarket_fintech"]}, "split": "heldout"})
        + "\n\n"
        + json.dumps({"question": "tasks", "answer": "", "expected_tasks": []}) + "\n",
        encoding="utf-8",
    )
    first, second = load_dataset(path)
    assert (first.question, first.expected_in, first.expected_out, first.split, first.line) == (
        "scope", ("midmarket_fintech",), (), "heldout", 1)
    assert second.expected_tasks == () and second.expected_in is None and second.split == ALL
    assert second.line == 3


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not valid JSON"),
        ('["a list"]', "must be a JSON object"),
        ('{"question": "mood", "answer": "x"}', "question must be one of"),
        ('{"question": "tasks", "answer": 3}', "answer must be a string"),
        ('{"question": "tasks", "answer": "x", "expected_tasks": "a"}', "must be a list of ids"),
        ('{"question": "scope", "answer": "x", "expected_segments": ["a"]}', "in/out lists"),
        ('{"question": "strategy", "answer": "x", "expected_within_limit": "yes"}', "true or false"),
    ],
)
def test_bad_lines_are_reported_with_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "tasks", "answer": "ok"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=rf"bad\.jsonl:2: .*{message}"):
        load_dataset(path)


# ----- predictions and records ------------------------------------------------------------


def test_prediction_splits_mentioned_segments_by_the_strategy_flag_not_by_what_was_said() -> None:
    pred = prediction(evaluation("scope", mentions=[
        ("public_sector", False, False),  # "we don't sell to government": still "out"
        ("regional_banks", True, True),
        ("healthcare_providers", True, False),
        ("healthcare_providers", True, False),
        ("small_business", False, True),
        ("small_business", False, False),  # said both ways: not "not played"
    ]))
    assert pred.segments_in == ("healthcare_providers", "regional_banks")
    assert pred.segments_out == ("public_sector", "small_business")
    assert pred.not_played == ("healthcare_providers", "public_sector")


def test_item_record_has_predicted_and_expected_labels() -> None:
    record = item_record(
        item(expected_tasks=["business_case"], expected_segments={"in": [], "out": []}),
        evaluation(tasks=["business_case", "business_case"],
                   mentions=[("tier1_banks", False, True)]),
    )
    assert record["predicted_tasks"] == ["business_case"]
    assert record["predicted_segments"] == {"in": [], "out": ["tier1_banks"]}
    assert record["tasks_correct"] is True and record["segments_correct"] is False
    json.dumps(record)


# ----- figures --------------------------------------------------------------------------------


def test_per_task_precision_recall_and_macro_f1() -> None:
    items = [
        item(expected_tasks=["business_case", "security_review"], split="tune"),
        item(expected_tasks=["business_case"], split="tune"),
        item(expected_tasks=[], split="heldout"),
        item(answer="no label"),  # no expected_tasks: not scored for tasks
    ]
    evaluations = [
        evaluation(tasks=["business_case"]),
        evaluation(tasks=["business_case", "exec_sponsor"]),
        evaluation(tasks=["exec_sponsor"]),
        evaluation(tasks=["peer_reference"]),
    ]
    reports = score(items, evaluations, EXAMPLE)
    every = reports[ALL]
    assert every.task_items == 3 and every.task_items_exact == 0
    bc, sr, es = (every.per_task[t] for t in ("business_case", "security_review", "exec_sponsor"))
    assert (bc.tp, bc.fp, bc.fn, bc.f1) == (2, 0, 0, 1.0)
    assert (sr.tp, sr.fp, sr.fn, sr.f1) == (0, 0, 1, 0.0)
    assert (es.tp, es.fp, es.fn, es.precision) == (0, 2, 0, 0.0)
    assert every.per_task["peer_reference"].fp == 0
    assert every.macro_f1 == pytest.approx(1 / 3)  # tasks never expected nor predicted excluded
    assert reports["tune"].task_items == 2 and reports["heldout"].task_items == 1
    assert reports["tune"].macro_f1 == pytest.approx(1 / 3)
    assert reports["heldout"].macro_f1 == 0.0


def test_segment_accuracy_needs_both_sets_right() -> None:
    items = [
        item(expected_segments={"in": ["regional_banks"], "out": ["public_sector"]}),
        item(expected_segments={"in": ["regional_banks"], "out": []}),
        item(expected_segments={"in": [], "out": []}),
    ]
    evaluations = [
        evaluation(mentions=[("regional_banks", True, True), ("public_sector", False, False)]),
        evaluation(mentions=[("regional_banks", True, True), ("public_sector", False, True)]),
        evaluation(),
    ]
    report = score(items, evaluations, EXAMPLE)[ALL]
    assert (report.segment_items, report.segment_correct) == (3, 2)
    assert report.segment_accuracy == pytest.approx(2 / 3)


def test_word_limit_components_and_not_played_accuracy() -> None:
    items = [
        item(question="strategy", expected_within_limit=True, expected_components=["scope"]),
        item(question="strategy", expected_within_limit=True, expected_components=[]),
        item(question="scope", expected_not_played=["public_sector"]),
    ]
    evaluations = [
        evaluation("strategy", within=True, covered=("scope",)),
        evaluation("strategy", within=False, covered=("advantage",)),
        evaluation("scope", mentions=[("public_sector", False, False)]),
    ]
    report = score(items, evaluations, EXAMPLE)[ALL]
    assert (report.limit_items, report.word_limit_accuracy) == (2, 0.5)
    assert (report.component_items, report.component_accuracy) == (2, 0.5)
    assert (report.not_played_items, report.not_played_accuracy) == (1, 1.0)
    summary = report_dict({ALL: report})[ALL]
    assert summary["word_limit_accuracy"] == 0.5
    json.dumps(summary)


def test_score_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        score([item()], [], EXAMPLE)


# ----- the shipped datasets -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "strategy", "minimum"),
    [("alignment_eval.jsonl", EXAMPLE, 150), ("alignment_eval_other.jsonl", OTHER, 40)],
)
def test_shipped_datasets_are_valid_and_use_known_ids(
    dataset: str, strategy: Strategy, minimum: int
) -> None:
    items = load_dataset(DATA / dataset)
    assert len(items) >= minimum
    assert check_ids(items, strategy) == []
    questions = {i.question for i in items}
    assert questions == {"tasks", "scope", "strategy"}


DEV_SETS = sorted(
    path.stem.removeprefix("alignment_eval_") for path in DATA.glob("alignment_eval_*.jsonl")
    if (DATA / f"strategy_{path.stem.removeprefix('alignment_eval_')}.yaml").exists()
)


@pytest.mark.parametrize("name", DEV_SETS)
def test_every_development_set_is_valid_and_uses_its_strategys_ids(name: str) -> None:
    """Found by file name, so a new set joins by being added: a label naming an id its strategy
    lacks would silently score as a miss instead of failing here."""
    items = load_dataset(DATA / f"alignment_eval_{name}.jsonl")
    assert len(items) >= 40
    assert check_ids(items, load_strategy(DATA / f"strategy_{name}.yaml")) == []
    assert {i.question for i in items} == {"tasks", "scope", "strategy"}


def test_the_new_development_sets_are_found() -> None:
    assert {"plantsense", "clubstack", "servewell"} <= set(DEV_SETS)


def test_example_dataset_has_a_heldout_part_of_about_thirty_percent() -> None:
    items = load_dataset(DATA / "alignment_eval.jsonl")
    splits = [i.split for i in items]
    assert set(splits) == {"tune", "heldout"}
    assert 0.25 <= splits.count("heldout") / len(items) <= 0.35
    assert sum(i.question == "strategy" for i in items) >= 20
