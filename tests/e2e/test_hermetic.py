"""The suite ignores the caller's settings: a sample of it - a console session in a real bot
process, Slack slash commands through bolt, feedback from the evaluator - passes with every kind of
bot, platform and model variable exported with other valid values, a `.env` full of them in the
working directory, and ALIGNBOT_ENV_FILE pointing at yet another file.

Without tests/support/hermetic.py each of these fails: the console picks Slack (or another
strategy), the evaluator calls a model at an address nobody listens on, feedback is judged against
another strategy, and the settings fixture reads the other database timeout and time zone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import REPO_ROOT

SAMPLE = (
    "tests/e2e/test_console_leads.py::test_importing_leads_and_advancing_the_clock_shows_nudges_and_actions",
    "tests/adapters/slack/test_commands.py::test_a_failure_on_our_side_still_gets_an_ephemeral_answer",
    "tests/unit/evaluation/test_feedback.py::test_feedback_comes_between_saved_and_the_next_question_and_is_stored",
    "tests/unit/evaluation/test_feedback.py::test_out_of_scope_deal_in_a_tasks_answer_is_warned_with_the_segment",
)


def poison(folder: Path) -> dict[str, str]:
    """Other valid values for the settings a developer might have exported."""
    return {
        "ALIGNBOT_STRATEGY_FILE": str(REPO_ROOT / "tests" / "data" / "strategy_other.yaml"),
        "ALIGNBOT_DATABASE_URL": f"sqlite:///{folder / 'someone-elses.db'}",
        "ALIGNBOT_DEFAULT_TIMEZONE": "Pacific/Kiritimati",
        "ALIGNBOT_CHECKIN_CLOSE_AFTER": "2h",
        "ALIGNBOT_FEEDBACK_WAIT": "0",
        "ALIGNBOT_WORK_START": "06:00",
        "ALIGNBOT_LOG_LEVEL": "DEBUG",
        "ALIGNBOT_LOG_FORMAT": "json",
        "ALIGNBOT_CONSOLE_LOG": str(folder / "console.log"),
        "ALIGNBOT_PLATFORM": "slack",
        "SLACK_BOT_TOKEN": "xoxb-someone-elses-token",
        "SLACK_SIGNING_SECRET": "someone-elses-signing-secret",
        "MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000001",
        "MICROSOFT_APP_PASSWORD": "someone-elses-password",
        "OPENAI_API_KEY": "sk-someone-elses-key",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "ALIGNBOT_EVALUATOR": "llm",
    }


def test_a_sample_of_the_suite_passes_whatever_the_caller_exported(tmp_path: Path) -> None:
    values = poison(tmp_path)
    dotenv = "\n".join(f"{name}={value}" for name, value in values.items()) + "\n"
    (tmp_path / ".env").write_text(dotenv)  # the working directory's .env
    (tmp_path / "other.env").write_text(dotenv)
    env = {**os.environ, **values, "ALIGNBOT_ENV_FILE": str(tmp_path / "other.env"),
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "-n", "0", f"--rootdir={REPO_ROOT}", "-c", str(REPO_ROOT / "pyproject.toml"),
         "-k", "not postgres", *(str(REPO_ROOT / test) for test in SAMPLE)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout, result.stdout[-2000:]
