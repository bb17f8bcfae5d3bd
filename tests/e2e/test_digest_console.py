"""Digests from the outside: `/align digest` in the real console (text, chart written to a file)
and `alignbot export` as an operator runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image as PILImage

from bot.core import BotCore
from tests.e2e.test_console_session import SESSION, run_console
from tests.unit.digest.support import LEADS, PLAN, TEAMS, build_org


def test_the_console_prints_the_digest_and_writes_the_chart(db_url: str, tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    script = SESSION.replace("/quit", "") + (
        "/as Sam\n/align digest\n/click details\n/as Dana\n/align digest\n/align me\n/quit\n")
    result = run_console(db_url, script, tmp_path, ALIGNBOT_CHARTS_DIR=str(charts))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "ALIGNMENT DIGEST: SAM'S TEAM, THE LAST WEEK" in out
    first_screen, details = out.split("/click details\n", 1)
    assert "Check-ins: 2 of 2 closed answered (100%)" in first_screen
    assert "[People]" in first_screen and "[Environment]" in first_screen
    assert 'Sam (sales tasks) says "coached Dana' in first_screen  # the manager against the reps
    assert "[Details: /click details " in first_screen and "PARTICIPATION" not in first_screen
    assert "Out of scope - Global tier-1 banks: Lee" in details  # one click away
    assert "2 of 2 closed check-ins answered (100%)" in details
    (chart,) = charts.iterdir()
    assert f"(chart saved to {chart}" in out
    with PILImage.open(chart) as image:
        assert image.format == "PNG" and image.size == (1200, 675)
    # Dana is a rep: no team digest, but her own alignment in /align me
    assert "Digests are for managers" in out
    assert "Your alignment (check-in of" in out and "Strategy statement 1.00" in out


def alignbot(db_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIGNBOT_")}
    env["ALIGNBOT_DATABASE_URL"] = db_url
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], text=True, capture_output=True,
                          env=env, cwd=cwd, timeout=120, check=False)


async def test_export_writes_answers_leads_and_touches_as_json_and_csv(
        core: BotCore, db_url: str, tmp_path: Path) -> None:
    await build_org(core)
    result = alignbot(db_url, "export", "--since", "2026-01-01", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    answered = sum(week.outcome in ("answered", "late") for weeks in PLAN.values() for week in weeks)
    assert len(data["answers"]) == 3 * answered
    assert len(data["leads"]) == len(LEADS)
    assert len(data["touches"]) == sum(len(spec.touch_delays) for spec in LEADS)
    lee = next(a for a in data["answers"] if a["member"] == "Lee" and a["question"] == "tasks"
               and a["occurrence_at"].startswith("2026-02-24"))
    assert lee["unmapped"] == "cold calling dentists all week;CRM cleanup" and lee["manager"] == "Sam"
    l3 = next(lead for lead in data["leads"] if lead["external_id"] == "L3")
    assert (l3["in_scope"], l3["touches"], l3["minutes_to_first_touch"]) == (False, 0, None)
    l1 = next(lead for lead in data["leads"] if lead["external_id"] == "L1")
    assert l1["minutes_to_first_touch"] == 30.0 and "contact_email" not in l1

    since = alignbot(db_url, "export", "--since", "2026-02-23", "--format", "json", cwd=tmp_path)
    recent = json.loads(since.stdout)
    assert {a["occurrence_at"][:10] for a in recent["answers"]} == {"2026-02-24"}

    folder = tmp_path / "out"
    result = alignbot(db_url, "export", "--since", "2026-01-01", "--out", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Exported" in result.stderr
    with (folder / "answers.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 * answered and rows[0]["question"] in ("strategy", "scope", "tasks")
    assert {p.name for p in folder.iterdir()} == {"answers.csv", "leads.csv", "touches.csv"}


async def test_export_for_one_team_holds_nothing_of_another(
        core: BotCore, db_url: str, tmp_path: Path) -> None:
    await build_org(core)
    result = alignbot(db_url, "export", "--since", "2026-01-01", "--format", "json",
                      "--team", "Sam", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    team = set(TEAMS["Sam"])
    assert {a["member"] for a in data["answers"]} == team
    assert {lead["owner"] for lead in data["leads"]} == {"Dana", "Lee", "Ravi"}
    assert "Zed" not in result.stdout and "Noor" not in result.stdout and "L6" not in result.stdout
    mia = json.loads(alignbot(db_url, "export", "--since", "2026-01-01", "--format", "json",
                              "--team", "Mia", cwd=tmp_path).stdout)
    assert {a["member"] for a in mia["answers"]} == team | set(TEAMS["Kim"])


def test_export_refuses_bad_input_with_a_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    for args, message in ((("--since", "yesterday"), "write the date as YYYY-MM-DD"),
                          (("--since", "2026-01-01", "--format", "xml"), "use csv or json"),
                          (("--since", "2026-01-01", "--team", "Nobody"), "no members match")):
        result = alignbot(url, "export", *args, cwd=tmp_path)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
