"""`alignbot strategy export|import` as someone at a shell would run them: the installed command
in a subprocess against the bot's SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.clock import ManualClock
from bot.config import REPO_ROOT, Settings
from bot.strategy.loader import load_strategy
from bot.strategy.store import CURRENT, PROPOSED, list_versions
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.unit.strategy.support import process


def alignbot(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ALIGNBOT_"))}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], text=True, capture_output=True,
                          env={**base, "ALIGNBOT_DATABASE_URL": db_url}, cwd=REPO_ROOT, timeout=120,
                          check=False)


async def test_export_then_import_an_edited_file_proposes_it(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    settings = Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, _env_file=None)
    async with process(settings, ManualClock(START)):
        pass  # the first start seeds version 1

    out = tmp_path / "current.yaml"
    exported = alignbot(db_url, "strategy", "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "Wrote strategy version 1 (current" in exported.stderr
    assert load_strategy(out).version == load_strategy(EXAMPLE_STRATEGY).version
    printed = alignbot(db_url, "strategy", "export", "--version", "1")
    assert printed.stdout == out.read_text(encoding="utf-8")

    out.write_text(out.read_text(encoding="utf-8").replace("name: Map the buying committee",
                                                           "name: Map every stakeholder"))
    imported = alignbot(db_url, "strategy", "import", str(out), "--reason", "clearer task name")
    assert imported.returncode == 0, imported.stderr
    assert "Sales task Map every stakeholder: name Map the buying committee → Map every stakeholder" \
        in imported.stdout
    assert "Proposed as strategy version 2" in imported.stdout
    async with process(settings, ManualClock(START)) as core:
        rows = await list_versions(core.ctx.db)
        assert [(r.status, r.reason) for r in rows] == [(CURRENT, rows[0].reason),
                                                         (PROPOSED, "clearer task name")]
        assert core.ctx.strategy.version == rows[0].version  # nothing current without Confirm

    again = alignbot(db_url, "strategy", "export", "--version", "9")
    assert again.returncode == 2 and "No strategy version 9" in again.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("strategy:\n  name: x\n", encoding="utf-8")
    refused = alignbot(db_url, "strategy", "import", str(broken))
    assert refused.returncode == 2 and "broken.yaml" in refused.stderr and "required" in refused.stderr


async def test_draft_from_a_document_proposes_a_skeleton_without_an_llm(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    settings = Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, _env_file=None)
    async with process(settings, ManualClock(START)):
        pass
    document = tmp_path / "fy28.md"
    document.write_text("# Harbor FY28\n\nWe will be the cold-chain partner of Nordic grocers.\n\n"
                        "## Where we play\n- Regional grocers\n", encoding="utf-8")
    drafted = alignbot(db_url, "strategy", "draft", str(document))
    assert drafted.returncode == 0, drafted.stderr
    assert "name: Harbor FY28" in drafted.stdout and "TODO: strategy.objectives[0]" in drafted.stderr
    assert "Drafted (skeleton) and proposed as strategy version 2" in drafted.stderr
    async with process(settings, ManualClock(START)) as core:
        assert [r.status for r in await list_versions(core.ctx.db)] == [CURRENT, PROPOSED]
