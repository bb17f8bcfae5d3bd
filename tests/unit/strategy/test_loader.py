"""Strategy files: the example loads; every kind of mistake names the file, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.strategy.durations import Duration
from bot.strategy.loader import StrategyFileError, load_strategy, parse_strategy
from tests.conftest import EXAMPLE_STRATEGY

EXAMPLE_TEXT = EXAMPLE_STRATEGY.read_text()


def problems(text: str) -> list[str]:
    with pytest.raises(StrategyFileError) as caught:
        parse_strategy(text, "s.yaml")
    return [str(issue) for issue in caught.value.issues]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_example_strategy_is_valid_and_realistic() -> None:
    strategy = load_strategy(EXAMPLE_STRATEGY)
    assert len(strategy.sales_tasks) >= 8
    assert {s.in_scope for s in strategy.segments} == {True, False}
    assert strategy.critical_tasks and strategy.content
    assert strategy.cadence_for("regional_banks").first_touch_within == Duration(4, "h")
    assert strategy.cadence_for("regional_banks").max_touches == 6  # inherited from default
    assert strategy.cadence_for("unknown").steps == strategy.cadence.default.steps


def test_version_is_stable_and_changes_with_content() -> None:
    first, again = parse_strategy(EXAMPLE_TEXT), parse_strategy(EXAMPLE_TEXT + "\n# comment\n")
    changed = parse_strategy(EXAMPLE_TEXT.replace("max_touches: 6", "max_touches: 7"))
    assert first.version == again.version != changed.version


def test_bad_yaml_names_the_line() -> None:
    text = EXAMPLE_TEXT.replace("  name: Northbeam Compliance FY27", "  name: [unclosed")
    (issue,) = problems(text)
    assert issue.startswith("s.yaml:") and "not valid YAML" in issue


def test_statement_over_50_words_says_how_many_to_cut() -> None:
    data = yaml.safe_load(EXAMPLE_TEXT)
    data["strategy"]["statement"] = " ".join(["word"] * 51)
    (issue,) = problems(yaml.safe_dump(data, sort_keys=False))
    text = yaml.safe_dump(data, sort_keys=False)
    assert issue.startswith(f"s.yaml:{line_of(text, 'statement:')}: strategy.statement:")
    assert "has 51 words" in issue and "cut 1" in issue


def test_unknown_segment_reference_points_at_the_reference() -> None:
    text = EXAMPLE_TEXT.replace("segments: [regional_banks]\n    stage: regulator exam finding",
                                "segments: [regional_bankz]\n    stage: regulator exam finding")
    (issue,) = problems(text)
    assert f"s.yaml:{line_of(text, 'regional_bankz')}:" in issue
    assert "unknown segment 'regional_bankz'" in issue and "use one of:" in issue


def test_duplicate_id_is_reported_at_the_second_use() -> None:
    text = EXAMPLE_TEXT.replace("- id: exec_sponsor", "- id: business_case")
    (issue,) = problems(text)
    assert f"s.yaml:{line_of(text, '- id: business_case') + 0}" not in issue  # not the first one
    second = [i for i, line in enumerate(text.splitlines(), 1) if "- id: business_case" in line][1]
    assert issue.startswith(f"s.yaml:{second}: sales_tasks[7].id: duplicate id 'business_case'")


def test_all_problems_are_reported_at_once() -> None:
    text = (EXAMPLE_TEXT.replace("- id: exec_sponsor", "- id: business_case")
            .replace("first_touch_within: 1h", "first_touch_within: soon")
            .replace("  review_by: 2027-06-30\n", ""))
    found = problems(text)
    assert len(found) == 3
    assert any("review_by: is required" in p for p in found)
    assert any("'soon' is not a duration" in p for p in found)
    assert any("duplicate id" in p for p in found)
    assert found == sorted(found, key=lambda p: int(p.split(":")[1]))


def test_unknown_key_and_wrong_type_are_explained() -> None:
    text = EXAMPLE_TEXT.replace("    critical: true\n    examples:\n      - mapped",
                                "    critical: maybe\n    colour: red\n    examples:\n      - mapped")
    found = problems(text)
    assert any("colour: is not a known key" in p for p in found)
    assert any("critical:" in p and "boolean" in p for p in found)


def test_not_a_mapping_and_missing_file() -> None:
    assert "must be a YAML mapping" in problems("- just\n- a list\n")[0]
    with pytest.raises(StrategyFileError, match="file not found"):
        load_strategy(Path("/nonexistent/strategy.yaml"))
