"""`/align strategy history`, `diff` and `rollback`: who changed what, when and why; going back
is a new version equal to an old one, confirmed like any change."""

from __future__ import annotations

from pathlib import Path

from bot.core import BotCore
from bot.strategy.store import CURRENT, SUPERSEDED, list_versions
from tests.support.talk import say, setup_team
from tests.unit.strategy.test_proposals import TASK, buttons, click, command, edited


async def confirm_file(core: BotCore, reason: str) -> str:
    [preview] = await command(core, "ada", f'/align strategy reload reason="{reason}"')
    return await click(core, "ada", "strategy:confirm", buttons(preview)["strategy:confirm"])


async def test_history_diff_and_rollback(core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    seeded = core.ctx.strategy.version
    edited(core, tmp_path, ("Become the audit-readiness", "Be the audit-readiness"))
    assert "is current now" in await confirm_file(core, "shorter statement")
    edited(core, tmp_path, ("Become the audit-readiness", "Be the audit-readiness"), (TASK, ""))
    assert "is current now" in await confirm_file(core, "committee mapping is done by SDRs")

    history = await say(core, "ada", "/align strategy history")
    lines = history.splitlines()
    assert lines[0] == "Strategy history"
    assert lines[1].startswith("v3 current - Northbeam Compliance FY27 - 2026-03-02 14:00 UTC by Ada:"
                               " Sales task removed: Map the buying committee. Why: committee"
                               " mapping is done by SDRs")
    assert lines[2].startswith("v2 superseded") and "New statement: “Be the" in lines[2]
    assert "Why: shorter statement" in lines[2]
    assert lines[3].startswith("v1 superseded") and "the first version" in lines[3]
    assert "Why: first start from" in lines[3]

    diff = await say(core, "ada", "/align strategy diff 1 current")
    assert diff.startswith("From version 1 to version 3")
    assert "New statement" in diff and "Sales task removed: Map the buying committee" in diff
    assert "There is no strategy version 9" in await say(core, "ada", "/align strategy diff 1 9")
    assert "is for admins" in await say(core, "dana", "/align strategy history")

    [preview] = await command(core, "ada", "/align strategy rollback 1")
    assert "Why: rollback to version 1" in preview.text
    assert "Sales task added: Map the buying committee (critical)" in preview.text
    assert "is current now" in await click(core, "ada", "strategy:confirm",
                                           buttons(preview)["strategy:confirm"])
    assert core.ctx.strategy.version == seeded
    rows = await list_versions(core.ctx.db)
    assert [(r.id, r.status) for r in rows] == [(1, SUPERSEDED), (2, SUPERSEDED), (3, SUPERSEDED),
                                                (4, CURRENT)]
    assert rows[3].version == rows[0].version  # a new version equal to the old one
    assert "Nothing changes" in await say(core, "ada", "/align strategy rollback 1")
