"""The newcomer's path: the real `alignbot console` command, scripted, on SQLite and PostgreSQL.

Runs the installed entry point in a subprocess (as a user would), then reads the database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.config import REPO_ROOT
from bot.storage.database import Database

SESSION = (REPO_ROOT / "examples" / "console-session.txt").read_text()


def run_console(db_url: str, script: str, cwd: Path,
                **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    env.pop("ALIGNBOT_LOG_LEVEL", None)  # the console keeps INFO logs out of the conversation
    env.update(ALIGNBOT_DATABASE_URL=db_url, **extra_env)
    return subprocess.run([sys.executable, "-m", "bot.cli", "console"], input=script, text=True,
                          capture_output=True, env=env, cwd=cwd, timeout=120, check=False)


def rows(db_url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(Database(db_url).sync_url)
    with engine.connect() as conn:
        result = [tuple(r) for r in conn.execute(text(query))]
    engine.dispose()
    return result


def test_scripted_session_stores_every_answer_and_survives_restart(db_url: str,
                                                                   tmp_path: Path) -> None:
    first = run_console(db_url, SESSION, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    assert "[bot → Ada] Asked 3: Dana, Lee, Sam." in first.stdout
    assert "That's all three - thank you, Dana!" in first.stdout
    out = first.stdout
    for heading in ("FEEDBACK ON YOUR STRATEGY STATEMENT", "FEEDBACK ON SEGMENTS AND BUYING PROCESSES",
                    "FEEDBACK ON YOUR SALES TASKS"):
        assert out.count(heading) == 3, heading
    assert out.index("FEEDBACK ON YOUR SALES TASKS") < out.index("That's all three")
    assert "Critical tasks you did not mention: Run a compliance discovery call" in out
    assert "Missing: objectives" in out  # Lee's "We sell compliance software."
    assert " INFO " not in out + first.stderr  # logs stay out of the conversation
    answers = rows(db_url, "select m.name, a.question, a.text from answers a"
                           " join members m on m.id = a.member_id order by m.name, a.id")
    assert [(name, question) for name, question, _ in answers] == [
        (name, question) for name in ("Dana", "Lee", "Sam") for question in ("strategy", "scope", "tasks")]
    assert answers[2][2].startswith("mapped the buying committee at Acme Bank")
    assert out.count("That's all three") == 3
    assert "Out of scope: Global tier-1 banks" in out  # Lee's demo for a tier-1 bank

    second = run_console(db_url, "/as Dana\n/align answers\n/as Lee\n/align answer 3 ran a discovery"
                         " call with Pinecrest\n/align answers\n", tmp_path)
    assert second.returncode == 0, second.stderr
    assert "3. Your sales tasks: mapped the buying committee at Acme Bank" in second.stdout
    assert "Updated your answer to question 3." in second.stdout  # still open after the restart
    assert "3. Your sales tasks: ran a discovery call with Pinecrest" in second.stdout
    assert len(rows(db_url, "select id from answers")) == 9
    assert rows(db_url, "select count(*) from strategy_versions") == [(1,)]


def test_broken_strategy_file_is_explained_without_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "strategy.yaml"
    broken.write_text("strategy:\n  name: X\n  statement: [unclosed\n")
    env = dict(os.environ, ALIGNBOT_STRATEGY_FILE=str(broken),
               ALIGNBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "console"], input="", text=True,
                            capture_output=True, env=env, timeout=60, check=False)
    assert result.returncode == 2
    assert f"{broken}:" in result.stderr and "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_strategy_check_command(tmp_path: Path) -> None:
    good = subprocess.run([sys.executable, "-m", "bot.cli", "strategy", "check",
                           str(REPO_ROOT / "examples" / "strategy.yaml")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert good.returncode == 0 and "OK - 'Northbeam Compliance FY27'" in good.stdout, good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO_ROOT / "examples" / "strategy.yaml").read_text().replace(
        "- id: exec_sponsor", "- id: business_case").replace("max_touches: 6", "max_touches: 0"))
    result = subprocess.run([sys.executable, "-m", "bot.cli", "strategy", "check", str(bad)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "2 problems" in result.stderr
    assert "duplicate id 'business_case'" in result.stderr and "Traceback" not in result.stderr


def test_scheduled_checkins_in_the_console(db_url: str, tmp_path: Path) -> None:
    """The issue's console story: weekdays 09:00 for reps, /advance 1d asks each rep at their
    09:00, /advance 4h reminds only the rep who did not answer; the holiday is skipped."""
    script = (REPO_ROOT / "examples" / "console-schedule.txt").read_text()
    result = run_console(db_url, script, tmp_path, ALIGNBOT_CONSOLE_START="2026-03-02T11:00:00Z")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    first_day, after_reminders, later = (out.split("ada> /advance 1d")[1].split("ada> /as Dana")[0],
                                         out.split("ada> /advance 4h")[1].split("ada> /advance 2d")[0],
                                         out.split("ada> /advance 2d")[1])
    assert "[bot → Dana @ Tue 03 Mar 09:00 Europe/Berlin] Hi Dana!" in first_day
    assert "[bot → Lee @ Tue 03 Mar 09:00 Europe/London] Hi Lee!" in first_day
    assert "Reminder" not in first_day
    assert after_reminders.count("Reminder:") == 1
    assert "[bot → Lee @ Tue 03 Mar 13:00 Europe/London] Reminder:" in after_reminders
    assert "Wed 04 Mar" not in later and "Thu 05 Mar 09:00 Europe/Berlin] Hi Dana!" in later
    states = rows(db_url, "select m.name, c.state, c.note from checkins c join members m"
                          " on m.id = c.member_id order by c.occurrence_at, m.name")
    assert states[:2] == [("Dana", "answered", None), ("Lee", "expired", None)]
    assert ("Dana", "skipped", "holiday: Company offsite") in states


def test_forget_in_the_console_shows_the_plan_then_needs_the_typed_confirm(db_url: str,
                                                                             tmp_path: Path) -> None:
    """The console renders the preview's buttons as `/click` lines; a script confirms by text."""
    script = "\n".join([
        "/as Ada", "/align team add Ada admin", "/align team add Lee rep", "/align team add Dana rep",
        "/align ask now", "/as Lee", "We sell compliance software.", "/as Dana", "We win fintech audits.",
        "/as Ada", "/align forget Lee", "/align forget Lee confirm", "/align team list", "/quit"])
    run = run_console(db_url, script, tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "FORGET LEE? THIS DELETES THEIR PERSONAL DATA AND CANNOT BE UNDONE." in out
    assert "their answers (1) with evaluations and feedback" in out
    assert "[Confirm: forget Lee: /click forget:confirm " in out and "[Cancel: /click forget:cancel " in out
    assert 'FORGOTTEN: LEE IS NOW "FORGOTTEN MEMBER #2"' in out
    assert rows(db_url, "select name, platform_user_id, email from members where id = 2") == [
        ("Forgotten member #2", "forgotten-2", None)]
    assert rows(db_url, "select m.name from answers a join members m on m.id = a.member_id") == [("Dana",)]


NOISY_SCRIPT = ("/as Ada\n/align team add Ada admin\n/click nonsense\n/align frobnicate\n"
                "/advance 1d\n/click lead:done:999\n/quit\n")


def test_the_terminal_shows_only_the_conversation_and_logs_go_to_the_named_file(
        tmp_path: Path) -> None:
    """An unknown button logs a WARNING: it goes to the log file the console names when it starts,
    never between the bot's messages, on stdout or stderr - whatever the log level."""
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    result = run_console(url, NOISY_SCRIPT, tmp_path, ALIGNBOT_LOG_LEVEL="DEBUG")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    first_line = result.stdout.splitlines()[0]
    assert "Logs are in alignbot-console.log." in first_line
    conversation = result.stdout.splitlines()[1:]
    assert all(line.startswith(("[bot → ", "ada> ", "?> ", "You are now", "Bot clock", "    "))
               for line in conversation), conversation
    assert "That button is no longer active" in result.stdout
    log = (tmp_path / "alignbot-console.log").read_text()
    assert "WARNING bot.core: unknown action nonsense" in log
    assert " DEBUG " in log  # the level asked for reaches the file


def test_verbose_shows_the_log_lines_on_stderr_and_writes_no_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    env.update(ALIGNBOT_DATABASE_URL=url)
    result = subprocess.run([sys.executable, "-m", "bot.cli", "console", "--verbose"],
                            input=NOISY_SCRIPT, text=True, capture_output=True, env=env,
                            cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "WARNING bot.core: unknown action nonsense" in result.stderr
    assert "WARNING" not in result.stdout
    assert "Logs are shown here (--verbose)." in result.stdout.splitlines()[0]
    assert not (tmp_path / "alignbot-console.log").exists()
