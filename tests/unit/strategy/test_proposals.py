"""Every strategy change is a proposal: a readable diff, the doctor's warnings, its effect on the
last four weeks of answers; only an admin's one-use, expiring Confirm makes it current."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.events import ActionInvoked, Buttons, MemberRef, Message, UserMessage
from bot.storage.models import Member
from bot.strategy.store import CANCELLED, CURRENT, PROPOSED, SUPERSEDED, list_versions
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team
from tests.unit.strategy.support import changed_file, process

STATEMENT = ("Become the audit-readiness platform for mid-market fintechs and regional banks, growing"
             " net revenue 35% at 75% margin, by halving audit preparation with continuous control"
             " monitoring.")
EXAMPLE = EXAMPLE_STRATEGY.read_text(encoding="utf-8")
TASK = """  - id: map_buying_committee
    name: Map the buying committee
    description: Identify every role in the buyer's decision, who signs and who can block.
    critical: true
    examples:
      - mapped the buying committee
      - identified the economic buyer and the blockers
      - built a stakeholder map with the CCO, CFO and CISO
      - found out who signs off
"""


def edited(core: BotCore, tmp_path: Path, *pairs: tuple[str, str]) -> Path:
    """The example strategy with replacements, as the file the bot reads."""
    text = EXAMPLE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "strategy.yaml"
    path.write_text(text, encoding="utf-8")
    core.ctx.settings = core.ctx.settings.model_copy(update={"strategy_file": path})
    return path


async def command(core: BotCore, who: str, text: str) -> list[Message]:
    replies = await core.handle(UserMessage(MemberRef("test", who), text))
    await core.ctx.drain()
    return replies


def buttons(message: Message) -> dict[str, str]:
    return {b.action_id: b.value for block in message.blocks if isinstance(block, Buttons)
            for b in block.buttons}


async def click(core: BotCore, who: str, action_id: str, value: str) -> str:
    replies = await core.handle(ActionInvoked(MemberRef("test", who), action_id, value))
    await core.ctx.drain()
    return "\n".join(r.text for r in replies)


async def answer_checkin(core: BotCore, who: str, tasks: str) -> None:
    await say(core, "ada", f"/align ask now {who}")
    await say(core, who, STATEMENT)
    await say(core, who, "we play in mid-market fintech, not tier-1 banks")
    await say(core, who, tasks)


async def test_a_proposal_shows_the_diff_the_doctor_and_the_effect_on_recent_answers(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    await answer_checkin(core, "dana", "mapped the buying committee at Acme Bank")
    await answer_checkin(core, "lee", "found out who signs off at Beta Pay")
    seeded = core.ctx.strategy.version
    edited(core, tmp_path, (TASK, ""),
           ("  - id: small_business\n    name: Small business", "  - id: small_business\n"
            "    name: Small business"),
           ("Become the audit-readiness", "Be the audit-readiness"),
           ("    in_scope: true\n    aliases: [regional bank", "    in_scope: false\n"
            "    aliases: [regional bank"))
    [preview] = await command(core, "ada", "/align strategy reload reason=\"FY27 H2 focus\"")
    text = preview.text
    assert "Proposed: strategy version 2" in text and "Why: FY27 H2 focus" in text
    assert "New statement: “Be the audit-readiness" in text
    assert "Sales task removed: Map the buying committee" in text
    assert "Segment moved out of scope: Regional and community banks" in text
    assert "strategy doctor" in text
    # Both tasks answers lose their task, both answers naming regional banks change scope.
    assert "Last 4 weeks: of 6 answers, 4 would now map differently." in text
    assert text.count("”: was ") == 2  # two examples
    assert ("“mapped the buying committee at Acme Bank”: was Map the buying committee; now no"
            " sales task") in text or ("“found out who signs off at Beta Pay”: was Map the buying"
                                       " committee; now no sales task") in text
    assert set(buttons(preview)) == {"strategy:confirm", "strategy:cancel"}
    assert core.ctx.strategy.version == seeded  # nothing current yet
    rows = await list_versions(core.ctx.db)
    assert [r.status for r in rows] == [CURRENT, PROPOSED] and rows[1].reason == "FY27 H2 focus"


async def test_only_the_admin_shown_it_confirms_once_and_an_answer_keeps_its_version(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    await say(core, "ada", "/align team add sam admin")
    await say(core, "ada", "/align ask now dana")  # asked under the seeded version
    seeded = core.ctx.strategy.version
    edited(core, tmp_path, (TASK, ""))
    [preview] = await command(core, "ada", "/align strategy reload")
    token = buttons(preview)["strategy:confirm"]
    assert "is for admins" in await click(core, "dana", "strategy:confirm", token)
    assert "Nothing to confirm" in await click(core, "sam", "strategy:confirm", token)
    assert "is current now" in await click(core, "ada", "strategy:confirm", token)
    assert "Nothing to confirm" in await click(core, "ada", "strategy:confirm", token)  # one use
    assert "map_buying_committee" not in core.ctx.strategy.task_ids
    assert [r.status for r in await list_versions(core.ctx.db)] == [SUPERSEDED, CURRENT]
    # Dana's check-in was asked under the seeded version: her answer is judged against it.
    await say(core, "dana", STATEMENT)
    await say(core, "dana", "we play in mid-market fintech, not tier-1 banks")
    reply = await say(core, "dana", "mapped the buying committee at Acme Bank")
    assert 'Map the buying committee ("mapped the buying committee at Acme Bank")' in reply
    # Named by the numbers the admin confirmed, not by content hashes.
    assert "you were asked about, version 1; the current one is version 2." in reply and seeded not in reply


async def test_confirmation_expires_cancel_drops_and_typed_confirm_takes_a_reason(
        core: BotCore, clock: ManualClock, tmp_path: Path) -> None:
    await setup_team(core)
    edited(core, tmp_path, ("Become the audit-readiness", "Be the audit-readiness"))
    [preview] = await command(core, "ada", "/align strategy reload")
    clock.advance(timedelta(seconds=core.ctx.settings.strategy_confirm_seconds + 1))
    assert "expired" in await click(core, "ada", "strategy:confirm", buttons(preview)["strategy:confirm"])
    assert core.ctx.strategy.strategy.statement.startswith("Become")
    [again] = await command(core, "ada", "/align strategy proposal 2")
    assert "Cancelled" in await click(core, "ada", "strategy:cancel", buttons(again)["strategy:cancel"])
    assert [r.status for r in await list_versions(core.ctx.db)] == [CURRENT, CANCELLED]
    edited(core, tmp_path, ("Become the audit-readiness", "Remain the audit-readiness"))
    await command(core, "ada", "/align strategy reload")
    assert "is for admins" in await say(core, "dana", "/align strategy confirm 3")
    await say(core, "ada", "/align team add sam admin")
    # An admin who never saw the preview has nothing to confirm: the diff comes first.
    assert "Nothing to confirm" in await say(core, "sam", "/align strategy confirm 3")
    reply = await say(core, "ada", '/align strategy confirm 3 reason="board asked for it"')
    assert "Strategy version 3" in reply and "is current now" in reply
    rows = await list_versions(core.ctx.db)
    assert rows[2].status == CURRENT and rows[2].reason == "board asked for it"
    async with core.ctx.db.session() as session:
        ada = (await session.exec(select(Member).where(Member.name == "Ada"))).one()
    assert rows[2].confirmed_by == ada.id and rows[2].confirmed_at == clock.now()


async def test_a_file_changed_before_a_restart_reaches_every_admin_once_as_a_proposal(
        settings: Settings, clock: ManualClock, tmp_path: Path) -> None:
    port = RecordingPort()
    async with process(settings, clock, port=port) as first:
        await setup_team(first)
        await say(first, "ada", "/align team add sam admin")
    port.sent.clear()
    async with process(settings, clock, changed_file(tmp_path), port=port) as restarted, \
            process(settings, clock, changed_file(tmp_path), port=port) as other:
        await restarted.tick()
        await other.tick()  # another process: nobody is told twice
        await restarted.tick()
        told = {s.to.user_id: s.message for s in port.sent}
        assert sorted(told) == ["ada", "sam"] and len(port.sent) == 2
        assert "Why: " in told["ada"].text and "New statement: “Be the audit-readiness" in told["ada"].text
        assert "Nothing to confirm" in await click(other, "ada", "strategy:confirm",
                                                   buttons(told["sam"])["strategy:confirm"])
        assert "is current now" in await click(other, "sam", "strategy:confirm",
                                               buttons(told["sam"])["strategy:confirm"])
        assert other.ctx.strategy.strategy.statement.startswith("Be the")
        assert restarted.ctx.strategy.strategy.statement.startswith("Become")  # until it polls
        clock.advance(timedelta(seconds=settings.strategy_poll_seconds))
        await restarted.tick()
        assert restarted.ctx.strategy.strategy.statement.startswith("Be the")
