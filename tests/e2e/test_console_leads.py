"""The leads story in the real `alignbot console`: import examples/leads.csv, schedule nudges,
advance the clock, press the buttons; and `alignbot leads import` as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import REPO_ROOT
from tests.e2e.test_console_session import rows, run_console

SCRIPT = (REPO_ROOT / "examples" / "console-leads.txt").read_text()
START = "2026-03-02T14:00:00Z"  # Monday 09:00 in New York


def test_importing_leads_and_advancing_the_clock_shows_nudges_and_actions(
        db_url: str, tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "leads.csv").write_text(
        (REPO_ROOT / "examples" / "leads.csv").read_text())
    result = run_console(db_url, SCRIPT, tmp_path, ALIGNBOT_CONSOLE_START=START)
    out = result.stdout
    assert result.returncode == 0 and "Traceback" not in out + result.stderr, result.stderr
    assert "6 rows: 5 new, 0 updated, 0 unchanged, 1 with errors." in out
    assert "line 7: segment 'federal_agencies' is not in the strategy" in out
    assert "[bot → Dana @ Mon 02 Mar 10:00 America/New_York] 1 LEAD TO FOLLOW UP, DANA" in out
    assert "[Done: /click lead:done:1]" in out
    assert "(updated) 1 LEAD TO FOLLOW UP" in out  # Done updated the nudge in place
    assert "Logged a touch on Ledgerly (1 so far)" in out
    assert "Snoozed Acme Bank until Tue 03 Mar 10:00" in out
    assert "LEADS ON SAM'S TEAM NEED ATTENTION" in out
    touches = rows(db_url, "select l.company, e.via from lead_events e join leads l on"
                           " l.id = e.lead_id where e.kind = 'touch'")
    assert touches == [("Ledgerly", "nudge")]


def test_the_import_command_reports_bad_rows_and_a_reimport_changes_nothing(
        db_url: str, tmp_path: Path) -> None:
    setup = "/as Ada\n/align team add Ada admin\n/align team add Dana rep\n/align team add Lee rep\n"
    assert run_console(db_url, setup, tmp_path).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    env["ALIGNBOT_DATABASE_URL"] = db_url
    command = [sys.executable, "-m", "bot.cli", "leads", "import",
               str(REPO_ROOT / "examples" / "leads.csv")]
    first = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path,
                           timeout=120, check=False)
    second = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=120, check=False)
    assert first.returncode == 1, first.stderr  # some rows had errors
    assert "leads.csv: 6 rows: 5 new, 0 updated, 0 unchanged, 1 with errors." in first.stdout
    assert "5 unchanged" in second.stdout
    assert rows(db_url, "select count(*) from leads") == [(5,)]
