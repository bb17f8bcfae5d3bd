"""`alignbot evaluate` and `alignbot eval` as a person tuning a strategy would run them: the
installed command in a subprocess, text and --json, bad input, and the LLM path over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT
from tests.support.openai_server import Reply, fake_openai_server

STRATEGY = REPO_ROOT / "examples" / "strategy.yaml"
DATASET = REPO_ROOT / "tests" / "data" / "alignment_eval.jsonl"
OTHER_STRATEGY = REPO_ROOT / "tests" / "data" / "strategy_other.yaml"
OTHER_DATASET = REPO_ROOT / "tests" / "data" / "alignment_eval_other.jsonl"


def alignbot(*args: str, env: dict[str, str] | None = None,
             stdin: str = "") -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ALIGNBOT_"))}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, text=True,
                          capture_output=True, env={**base, **(env or {})}, cwd=REPO_ROOT,
                          timeout=120, check=False)


def test_evaluate_prints_findings_with_evidence_and_the_feedback() -> None:
    result = alignbot("evaluate", "--strategy", str(STRATEGY), "--question", "tasks",
                      "ran disco w/ Ledgerly on SOC2 gaps, demo for a govt agency;"
                      " didn't get to the ROI model")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'compliance_discovery (Run a compliance discovery call), confidence' in out
    assert 'Not done or planned: "didn\'t get to the ROI model"' in out
    assert "public_sector: OUT of scope, said we play there" in out
    assert "Feedback the person gets:" in out and "Out of scope: Government and public sector" in out


def test_evaluate_json_is_the_result_type_and_reads_stdin() -> None:
    result = alignbot("evaluate", "-q", "strategy", "--json", "-", stdin="We grow ARR 30% " * 20)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["question"] == "strategy" and data["evaluator"] == "rules"
    assert data["statement"]["word_count"] == 80 and data["statement"]["within_limit"] is False
    assert 0 <= data["overall"] <= 1


def test_evaluate_json_carries_the_feedback_and_what_the_coaching_is_about() -> None:
    result = alignbot("evaluate", "-q", "tasks", "--json",
                      "gave them a 20% discount to close; couldn't reach the CISO, security"
                      " questionnaire still stuck")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    feedback = data["feedback"]
    assert feedback["title"] == "Feedback on your sales tasks"
    assert feedback["coaching"].startswith('Coaching: "gave them a 20% discount to close" is the'
                                           ' opposite of "Defend price with value')
    assert feedback["coaching"] == feedback["lines"][-1]
    assert feedback["coaching_about"] == {"kind": "task", "id": "value_pricing", "state": "against"}
    assert [m["state"] for m in data["tasks"]["matches"]] == ["not_done"]
    assert {a["target"] for a in data["tasks"]["against"]} == {"value_pricing", "2"}


def test_the_same_answer_gets_the_same_coaching_in_every_process() -> None:
    """Found in the console: "gave a 30% discount ... before quarter end" was coached on "Run a
    scoped proof of value" in one run and on "Defend price with value" in the next - the order
    of equally strong findings followed Python's per-process string hashing."""
    answer = "gave a 30% discount to a startup to close before quarter end"
    seen = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        result = alignbot("evaluate", "-q", "tasks", "--json", answer, env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        seen.add((tuple(a["target"] for a in data["tasks"]["against"]), data["feedback"]["coaching"]))
    [(against, coaching)] = seen
    assert against[0] == "value_pricing"  # all of "not discounts", before one word of "open-ended"
    assert 'is the opposite of "Defend price with value, not discounts"' in coaching


def test_eval_json_gives_one_object_per_line_then_the_summary() -> None:
    result = alignbot("eval", str(DATASET), "--strategy", str(STRATEGY), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    items = [json.loads(line) for line in DATASET.read_text().splitlines() if line.strip()]
    assert len(lines) == len(items) + 1
    for record, item in zip(lines, items, strict=False):
        assert record["answer"] == item["answer"]
        assert isinstance(record["predicted_tasks"], list)
        assert set(record["predicted_segments"]) == {"in", "out"}
    summary = lines[-1]["summary"]
    assert {"all", "tune", "heldout"} <= set(summary)
    assert summary["heldout"]["macro_f1"] >= 0.85 and summary["heldout"]["segment_accuracy"] >= 0.95
    assert summary["all"]["per_task"]["compliance_discovery"]["f1"] > 0


def test_eval_text_marks_misses_and_prints_the_figures_for_another_strategy() -> None:
    result = alignbot("eval", str(OTHER_DATASET), "--strategy", str(OTHER_STRATEGY))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("line 1 |")
    assert "macro F1" in result.stdout and "precision" in result.stdout


def test_eval_rejects_bad_lines_and_unknown_ids_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "tasks", "answer": "x", "expected_tasks": []}\n{not json\n')
    result = alignbot("eval", str(bad), "--strategy", str(STRATEGY))
    assert result.returncode == 2 and "bad.jsonl:2: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text('{"question": "tasks", "answer": "x", "expected_tasks": ["made_up"]}\n')
    result = alignbot("eval", str(unknown), "--strategy", str(STRATEGY))
    assert result.returncode == 2 and "unknown task id 'made_up'" in result.stderr


def test_llm_without_a_key_or_server_is_a_clear_error() -> None:
    result = alignbot("evaluate", "-q", "tasks", "--evaluator", "llm", "ran discovery")
    assert result.returncode == 2 and "OPENAI_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_eval_with_the_llm_over_a_local_openai_compatible_server() -> None:
    def findings(body: dict[str, Any]) -> Reply:
        answer = body["messages"][-1]["content"]
        quote = "ran discovery" if "ran discovery" in answer else None
        tasks = [{"task_id": "compliance_discovery", "quote": quote, "confidence": 0.9,
                  "negated": False}] if quote else []
        return Reply.json({"segments": [], "processes": [], "tasks": tasks, "unmapped": []})

    with fake_openai_server() as server:
        server.default = findings
        server.script(Reply.server_error(500))
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test",
               "ALIGNBOT_OPENAI_MAX_RETRIES": "0"}
        result = alignbot("evaluate", "-q", "tasks", "--evaluator", "llm", "--json",
                          "ran discovery with Ledgerly", env=env)
        assert result.returncode == 0, result.stderr
        first = json.loads(result.stdout)
        assert first["evaluator"] == "rules" and "500" in first["fallback_reason"]
        result = alignbot("evaluate", "-q", "tasks", "--evaluator", "llm", "--json",
                          "ran discovery with Ledgerly", env=env)
        second = json.loads(result.stdout)
        assert second["evaluator"] == "llm" and second["fallback_reason"] is None
        assert [m["task_id"] for m in second["tasks"]["matches"]] == ["compliance_discovery"]
        assert len(server.chat_requests) == 2


MISREAD = "Walked the treasury team at Finlo through our audit trail sandbox for two weeks"
LIKE_IT = "walked the treasury team at Kestrel through our audit trail sandbox for 2 weeks"


def _labeled(path: Path, *items: tuple[str, list[str]]) -> Path:
    path.write_text("".join(json.dumps({"question": "tasks", "answer": answer, "expected_tasks": tasks})
                            + "\n" for answer, tasks in items))
    return path


def test_eval_learn_from_judges_after_learning_the_training_labels(tmp_path: Path) -> None:
    train = _labeled(tmp_path / "train.jsonl", (MISREAD, ["proof_of_value"]),
                     ("Ran a compliance discovery call with Ledgerly", ["compliance_discovery"]))
    data = _labeled(tmp_path / "data.jsonl", (LIKE_IT, ["proof_of_value"]),
                    ("sent the SOC 2 report to Brightpay's CISO", ["security_review"]))
    before = alignbot("eval", str(data), "--strategy", str(STRATEGY), "--json")
    after = alignbot("eval", str(data), "--strategy", str(STRATEGY), "--json",
                     "--learn-from", str(train))
    assert after.returncode == 0, after.stderr
    first, learned = ([json.loads(line) for line in r.stdout.splitlines()] for r in (before, after))
    assert first[0]["predicted_tasks"] == [] and learned[0]["predicted_tasks"] == ["proof_of_value"]
    assert learned[1]["predicted_tasks"] == first[1]["predicted_tasks"]  # nothing else moved
    assert learned[-1]["summary"]["learned_from"] == {"file": str(train), "answers": 2,
                                                      "corrections": 1}
    text = alignbot("eval", str(data), "--strategy", str(STRATEGY), "--learn-from", str(train))
    assert "Learned from" in text.stdout and "1 corrections of 2 answers" in text.stdout


def test_eval_learn_from_puts_learned_examples_in_the_llm_prompt(tmp_path: Path) -> None:
    train = _labeled(tmp_path / "train.jsonl", (MISREAD, ["proof_of_value"]))
    data = _labeled(tmp_path / "data.jsonl", (LIKE_IT, ["proof_of_value"]))
    with fake_openai_server() as server:
        server.default = lambda body: Reply.json(
            {"segments": [], "processes": [], "tasks": [], "unmapped": []})
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "test"}
        result = alignbot("eval", str(data), "--strategy", str(STRATEGY), "--evaluator", "llm",
                          "--json", "--learn-from", str(train), env=env)
        assert result.returncode == 0, result.stderr
        prompts = [r.body["messages"][0]["content"] for r in server.chat_requests]
    assert len(prompts) == 2 and MISREAD not in prompts[0]  # the training answer, before learning
    assert MISREAD in prompts[1]  # DATA's answer: the learned example is in the prompt
    summary = json.loads(result.stdout.splitlines()[-1])["summary"]
    assert summary["learned_from"]["corrections"] == 1
