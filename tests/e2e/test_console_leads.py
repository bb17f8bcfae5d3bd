"""The leads story in the real `alignbot console`: import examples/leads.csv, schedule nudges,
advance the clock, press the buttons; `alignbot leads import` as an operator runs it; and a
HubSpot sync (a fake HubSpot on 127.0.0.1) with owners added by email, written back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import REPO_ROOT
from tests.e2e.test_console_session import rows, run_console
from tests.support.hubspot_api import TOKEN, fake_hubspot

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


HUBSPOT_SCRIPT = """/as Ada
/align team add Ada admin
/align team add Sam manager
/align team add dana@example.com rep manager=Sam
/align leads sync
/as Dana
/align leads mine
/align lead touched Ledgerly Bank Group called Maya
/align lead disqualify Bankhaus Global out of scope for us
/as Ada
/align status
/quit
"""


def test_a_hubspot_sync_in_the_console_maps_owners_by_email_and_writes_back(
        db_url: str, tmp_path: Path) -> None:
    with fake_hubspot() as api:
        api.owner("7", "dana@example.com")
        for contact_id, company, segment, engaged in (
                ("101", "Ledgerly Bank Group", "fintech", "2026-03-02T13:30:00Z"),
                ("102", "Bankhaus Global", "Global tier-1 banks", "2026-03-02T13:40:00Z")):
            api.contact(contact_id, company=company, hubspot_owner_id="7", lifecyclestage="lead",
                        industry=segment, hs_lastmodifieddate="1772452800000",
                        recent_conversion_date=engaged)
        result = run_console(db_url, HUBSPOT_SCRIPT, tmp_path, ALIGNBOT_CONSOLE_START=START,
                             HUBSPOT_ACCESS_TOKEN=TOKEN, ALIGNBOT_HUBSPOT_BASE_URL=api.base_url)
        out = result.stdout
        assert result.returncode == 0 and "Traceback" not in out + result.stderr, result.stderr
        assert "Added Dana as rep, reporting to Sam" in out  # named from the email
        assert "hubspot: 1 page(s) read; 2 new" in out, out
        assert "Logged a touch on Ledgerly Bank Group" in out, out
        assert "Disqualified Bankhaus Global" in out, out
        assert "hubspot: last run" in out
        (task,) = api.tasks.values()
        assert "called Maya" in task["properties"]["hs_task_body"]
        assert api.contacts["102"]["hs_lead_status"] == "UNQUALIFIED"
        (note,) = api.notes.values()
        assert "out of scope for us" in note["properties"]["hs_note_body"]
