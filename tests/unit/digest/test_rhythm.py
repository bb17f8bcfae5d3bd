"""A manager's team rhythm (pipeline reviews, 1:1s, forecast calls: `manager_rhythm` in
prompts/feedback.yaml) is where they coach our tasks: their feedback says so, and the digest,
its stored columns and the export agree - never "effort outside the strategy". A rep's answer
is read as before, and so is an answer stored before this (its columns still listing the
rhythm): the digest reads it right without a schema change."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select

from bot.core import BotCore
from bot.digest.derived import derive
from bot.digest.export import collect
from bot.digest.period import parse_period
from bot.digest.service import DigestService
from bot.evaluation.rules import RulesEvaluator
from bot.storage.models import Answer, CheckIn
from tests.unit.digest.support import build_org, occurrence
from tests.unit.digest.test_aggregate import _scope, from_evaluations

UTC = ZoneInfo("UTC")
MANAGER = "pipeline review with the team, 1:1s with Dana and Lee, cold calling dentists all week"
REP = "forecast call prep all afternoon"


async def _answer(core: BotCore, member_id: int, audience: str, text: str, key: str) -> int:
    strategy, at = core.ctx.strategy, occurrence(0)
    evaluation = RulesEvaluator().evaluate_sync("tasks", text, strategy)
    async with core.ctx.db.session() as session:
        checkin = CheckIn(key=key, member_id=member_id, occurrence_at=at, state="answered",
                          audience=audience, strategy_version=strategy.version, asked_at=at,
                          answered_at=at + timedelta(hours=1), created_at=at)
        session.add(checkin)
        await session.flush()
        answer = Answer(checkin_id=checkin.id, member_id=member_id, question="tasks", text=text,
                        evaluation=evaluation.model_dump_json(), overall_score=evaluation.overall,
                        created_at=at, updated_at=at)
        session.add(answer)
        await session.commit()
        assert answer.id is not None
        return answer.id


async def _unmapped(core: BotCore, built: object, stored_before: bool = False) -> list[str]:
    scope = await _scope(core, built, "Ada", None, True)  # type: ignore[arg-type]
    period = parse_period("", core.ctx.clock.now(), UTC)
    got = await DigestService(core.ctx).figures(scope, period)
    assert got == await from_evaluations(core, scope, period)  # stored columns = parsed verdicts
    return [text for text, _ in got.unmapped]


async def test_a_managers_rhythm_is_no_off_strategy_effort_in_the_digest(core: BotCore) -> None:
    built = await build_org(core)
    sam, dana = built.members["Sam"], built.members["Dana"]
    assert sam.id is not None and dana.id is not None
    manager = await _answer(core, sam.id, "manager", MANAGER, "rhythm:sam")
    await _answer(core, dana.id, "rep", REP, "rhythm:dana")
    async with core.ctx.db.session() as session:
        stored = await session.get(Answer, manager)
        assert stored is not None
        assert "pipeline review" not in (stored.unmapped_texts or "")
        assert "cold calling dentists all week" in (stored.unmapped_texts or "")
    unmapped = await _unmapped(core, built)
    assert not any("pipeline review" in t or "1:1s" in t for t in unmapped), unmapped
    assert "cold calling dentists all week" in unmapped  # the manager's real off-task work
    assert any("forecast call prep" in t for t in unmapped)  # a rep's: read as before

    async with core.ctx.db.session() as session:  # stored before: the rhythm in its columns
        old = derive(MANAGER, stored.evaluation)
        assert "pipeline review" in old["unmapped_texts"]
        await session.exec(update(Answer).where(col(Answer.id) == manager).values(  # type: ignore[call-overload]
            unmapped_texts=old["unmapped_texts"], unmapped_count=old["unmapped_count"],
            off_count=old["off_count"]))
        await session.commit()
    service = DigestService(core.ctx)
    scope = await _scope(core, built, "Ada", None, True)
    period = parse_period("", core.ctx.clock.now(), UTC)
    got = await service.figures(scope, period)
    assert not any("pipeline review" in t or "1:1s" in t for t, _ in got.unmapped), got.unmapped
    assert got == await from_evaluations(core, scope, period)

    async with core.ctx.db.session() as session:
        rows = await collect(session, core.ctx.strategy, occurrence(1), None)  # type: ignore[arg-type]
        exported = {r["text"]: r["unmapped"] for r in rows.answers if r["question"] == "tasks"}
        checkins = (await session.exec(select(CheckIn).where(col(CheckIn.key) == "rhythm:sam"))).all()
    assert checkins and checkins[0].audience == "manager"
    assert exported[MANAGER] == "cold calling dentists all week"
    assert "forecast call prep" in exported[REP]


async def test_the_answer_paths_own_insert_stores_a_managers_columns_without_the_rhythm(
        core: BotCore) -> None:
    """The chat's answer path writes the derived columns itself (no ORM hook): for a manager's
    check-in, without the team rhythm, as the hook and the digest read it."""
    from tests.unit.core.test_corrections import answer_tasks

    await build_org(core)
    await answer_tasks(core, "sam", MANAGER)
    async with core.ctx.db.session() as session:
        stored = (await session.exec(select(Answer).where(
            col(Answer.text) == MANAGER, col(Answer.question) == "tasks"))).all()
    assert stored and stored[-1].unmapped_texts is not None
    assert "pipeline review" not in stored[-1].unmapped_texts, stored[-1].unmapped_texts
    assert "cold calling dentists all week" in stored[-1].unmapped_texts
