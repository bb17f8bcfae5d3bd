"""The digest's figures from the answers' derived columns (SQL sums and counts) equal the figures
computed from the parsed evaluations, on a varied history: managers whose answers differ from
their reps', empty answers, work against the strategy, off-task work written in two cases, two
check-ins of one person at one occurrence, an unreadable evaluation, and a re-judge under a
strategy without one task and one segment (the columns follow the new verdicts), answers given
through the answer path, an edit, a correction and a forgotten person (every answer keeps its
check-in's occurrence, which the whole organisation's queries read instead of joining). The
migration's backfill fills the same columns the application writes."""

from __future__ import annotations

import json
from datetime import timedelta
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import create_engine, event, inspect, update
from sqlmodel import col, select

from bot.core import BotCore
from bot.digest import corrections
from bot.digest.aggregate import exact_mean
from bot.digest.corrections import rejudged_in
from bot.digest.derived import COLUMNS, derive
from bot.digest.figures import CHART_POINTS, DigestFigures, compute
from bot.digest.history import load_history
from bot.digest.period import Period, parse_period
from bot.digest.service import DigestService
from bot.digest.team import DigestScope, scope_for
from bot.evaluation.rules import RulesEvaluator
from bot.leads.metrics import load_leads
from bot.storage.database import Database
from bot.storage.models import Answer, CheckIn, Member
from bot.strategy.store import record_version
from tests.support.talk import say
from tests.unit.core.test_corrections import MISREAD, answer_tasks, correct, form_of
from tests.unit.digest.support import (
    GOOD,
    LONG,
    SCOPE_HEALTH,
    SCOPE_IN,
    SCOPE_OUT,
    TASKS_A,
    TASKS_OFF,
    Built,
    build_org,
    occurrence,
)

UTC = ZoneInfo("UTC")
AGAINST = "gave an extra 15% discount to close Ledgerly this quarter, then CRM cleanup"
EXTRA: list[tuple[str, str, int, tuple[tuple[str, str], ...]]] = [  # who, key, week, answers
    ("Sam", "a", 0, (("strategy", LONG), ("scope", SCOPE_OUT), ("tasks", TASKS_OFF))),
    ("Kim", "a", 0, (("scope", SCOPE_IN), ("tasks", TASKS_A))),
    ("Mia", "a", 0, (("scope", SCOPE_HEALTH), ("tasks", "asdf"))),
    ("Pat", "a", 1, (("scope", SCOPE_OUT), ("tasks", AGAINST))),
    ("Dana", "again", 0, (("strategy", "ok"), ("scope", SCOPE_OUT), ("tasks", AGAINST))),
    ("Lee", "again", 0, (("strategy", GOOD), ("tasks", "cold calling dentists all week, crm cleanup"))),
    ("Noor", "again", 1, (("statement", "x"), ("scope", "🙂"), ("tasks", "CRM Cleanup; demos"))),
]


async def _vary(core: BotCore, built: Built) -> None:
    evaluator, strategy = RulesEvaluator(), core.ctx.strategy
    async with core.ctx.db.session() as session:
        for name, key, week, answers in EXTRA:
            member, at = built.members[name], occurrence(week)
            checkin = CheckIn(key=f"vary:{name}:{key}:{week}", member_id=member.id,
                              occurrence_at=at, state="answered", strategy_version=strategy.version,
                              asked_at=at, answered_at=at + timedelta(hours=1), created_at=at)
            session.add(checkin)
            await session.flush()
            for question, body in answers:
                if question == "statement":  # a row whose stored verdict nobody can read
                    session.add(Answer(checkin_id=checkin.id, member_id=member.id,
                                       question="strategy", text=body, evaluation="{not json",
                                       overall_score=None, created_at=at, updated_at=at))
                    continue
                evaluation = evaluator.evaluate_sync(question, body, strategy)  # type: ignore[arg-type]
                session.add(Answer(checkin_id=checkin.id, member_id=member.id, question=question,
                                   text=body, evaluation=evaluation.model_dump_json(),
                                   overall_score=evaluation.overall, created_at=at, updated_at=at))


async def from_evaluations(core: BotCore, scope: DigestScope, period: Period) -> DigestFigures:
    """The figures as the digest computed them before: every evaluation parsed."""
    ctx = core.ctx
    ids = scope.member_ids
    async with ctx.db.session() as session:
        history = await load_history(session, ids, period.back(CHART_POINTS)[0].start, period.end,
                                     detail_start=period.previous().start)
        leads = await load_leads(session, ids, period.previous().start, period.end, ctx.clock.now())
        managers = {}
        if scope.manager is not None and scope.manager.id is not None:
            own = await load_history(session, [scope.manager.id], period.start, period.end)
            managers[scope.manager.id] = (scope.manager.name, own.answers)
    return compute(ctx.strategy, scope.title, scope.members, period, history, leads, managers)


async def figures_selects(core: BotCore, scope: DigestScope,
                          period: Period) -> list[tuple[str, Any]]:
    """The SELECT statements (with their parameters) one `figures` call sends, its figures held
    equal to the parsed evaluations' on the way."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    engine = core.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        figures = await DigestService(core.ctx).figures(scope, period)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert figures == await from_evaluations(core, scope, period)
    return seen


async def _scope(core: BotCore, built: Built, reader: str, team: str | None,
                 whole: bool) -> DigestScope:
    async with core.ctx.db.session() as session:
        caller = await session.get(Member, built.members[reader].id)
        assert caller is not None
        return await scope_for(session, caller, built.members[team] if team else None,
                               whole_org=whole)


async def _compare(core: BotCore, built: Built) -> list[DigestFigures]:
    service, seen = DigestService(core.ctx), []
    for reader, team, whole in (("Ada", None, True), ("Mia", None, False), ("Sam", None, False),
                                ("Ada", "Pat", False), ("Ada", "Kim", False)):
        scope = await _scope(core, built, reader, team, whole)
        for words in ("", "last 2 weeks", "2026-02", "2026-02-16..2026-02-22"):
            period = parse_period(words, core.ctx.clock.now(), UTC)
            expected = await from_evaluations(core, scope, period)
            got = await service.figures(scope, period)
            assert got == expected, (reader, team, words)
            seen.append(got)
    return seen


async def _columns_follow_the_verdicts(core: BotCore) -> int:
    async with core.ctx.db.session() as session:
        rows = (await session.exec(select(Answer))).all()
    for answer in rows:
        stored = {name: getattr(answer, name) for name in COLUMNS}
        assert stored == derive(answer.text, answer.evaluation), answer.id
    return len(rows)


async def test_figures_from_the_columns_equal_those_from_the_evaluations(core: BotCore) -> None:
    built = await build_org(core)
    await _vary(core, built)
    assert await _columns_follow_the_verdicts(core) > 100
    seen = await _compare(core, built)
    org = seen[0]  # the whole organisation, last week: every kind of figure is there
    assert org.said_nothing and org.against and org.mismatches and org.unmapped
    assert org.effort.out_on + org.effort.out_off + org.effort.out_against > 0
    assert any(r.articulation for r in org.reps) and org.segments and org.tasks

    old = core.ctx.strategy  # a new version without a task and a segment, and a re-judge
    data = old.model_dump(mode="json")
    data["sales_tasks"] = [t for t in data["sales_tasks"] if t["id"] != "map_buying_committee"]
    data["segments"] = [s for s in data["segments"] if s["id"] != "regional_banks"]
    new = type(old).model_validate(data)
    await record_version(core.ctx.db, old, "test", core.ctx.clock.now())
    await record_version(core.ctx.db, new, "test", core.ctx.clock.now())
    core.ctx.strategy = new
    await _compare(core, built)  # older verdicts still name the removed ones
    assert await _naming(core, "map_buying_committee", "regional_banks") == (True, True)
    assert "Re-judged" in await say(core, "ada", "/align strategy rejudge last week")
    assert await _naming(core, "map_buying_committee", "regional_banks") == (False, False)
    await _columns_follow_the_verdicts(core)
    await _compare(core, built)


async def _occurrences_copied(core: BotCore) -> int:
    """Every answer carries its check-in's occurrence (ORM inserts and the answer path's own)."""
    async with core.ctx.db.session() as session:
        rows = (await session.exec(select(Answer.occurrence_at, CheckIn.occurrence_at).join(
            CheckIn, col(CheckIn.id) == col(Answer.checkin_id)))).all()
    assert all(copied == at for copied, at in rows), [r for r in rows if r[0] != r[1]]
    return len(rows)


async def test_the_figures_stay_equal_through_answers_edits_corrections_and_forgetting(
        core: BotCore) -> None:
    built = await build_org(core)
    await _vary(core, built)
    form = form_of(await answer_tasks(core, "zed", MISREAD))  # the answer path's INSERT
    await correct(core, "zed", form, tasks="proof_of_value", segments="")
    await answer_tasks(core, "ravi", "cold calling dentists all week")
    await say(core, "ravi", "/align answer 3 ran a demo for Ledgerly's CFO")  # an edit: re-judged
    await core.ctx.drain()
    await core.advance(timedelta(hours=1))  # the new check-ins (at the old now) inside last week
    assert await _occurrences_copied(core) > 100
    await _columns_follow_the_verdicts(core)
    seen = await _compare(core, built)
    assert any(r.name == "Zed" and "proof_of_value" in r.tasks for r in seen[0].reps)
    assert "confirm" in (await say(core, "ada", "/align forget Dana")).lower()
    await say(core, "ada", "/align forget Dana confirm")
    assert await _occurrences_copied(core) > 80
    after = await _compare(core, built)
    assert after[0] != seen[0] and "Dana" not in {r.name for r in after[0].reps}


async def _naming(core: BotCore, task: str, segment: str) -> tuple[bool, bool]:
    """Whether last week's stored columns name this task as done, this segment as played."""
    async with core.ctx.db.session() as session:
        rows = (await session.exec(select(Answer.done_tasks, Answer.played).join(
            CheckIn, col(CheckIn.id) == col(Answer.checkin_id)).where(
            col(CheckIn.occurrence_at) == occurrence(0)))).all()
    return (any(task in (done or "") for done, _ in rows),
            any(segment in (played or "") for _, played in rows))


async def test_the_migration_backfills_the_columns_the_application_writes(core: BotCore) -> None:
    built = await build_org(core)
    await _vary(core, built)
    database = Database(core.ctx.settings.database_url)
    config = database.alembic_config()
    await core.ctx.db.dispose()
    command.downgrade(config, "0013_due_index")
    engine = create_engine(database.sync_url)
    assert "substantive" not in {c["name"] for c in inspect(engine).get_columns("answers")}
    engine.dispose()
    command.upgrade(config, "head")
    assert await _columns_follow_the_verdicts(core) > 100
    assert await _occurrences_copied(core) > 100
    async with core.ctx.db.session() as session:
        filled = (await session.exec(select(Answer.id).where(
            col(Answer.substantive).is_not(None)))).all()
    assert len(filled) > 100


def test_a_mean_from_grouped_values_is_the_float_fmean_gives_over_the_rows() -> None:
    rows = [1e16, 1.0, -1e16, 0.1, 0.1, 0.1]  # a plain running sum loses the 1.0
    grouped = [(1e16, 1), (1.0, 1), (-1e16, 1), (0.1, 3)]
    assert exact_mean(grouped) == round(fmean(rows), 3) == 0.217
    assert exact_mean([]) is None


async def test_a_whole_organisation_digest_reads_each_table_as_few_times_as_it_can(
        core: BotCore) -> None:
    """Six queries for a whole organisation's figures, whatever its size: this period's answers,
    both periods' score means, the previous period's effort (grouped per member and occurrence,
    not a subquery per tasks answer), both periods' participation in one read of the check-ins
    (each period's read scanned every check-in ever sent on PostgreSQL), the chart's six
    periods, and the leads (times as integers). Check-ins are read twice, leads once."""
    built = await build_org(core)
    await _vary(core, built)
    scope = await _scope(core, built, "Ada", None, True)
    period = parse_period("last 2 weeks", core.ctx.clock.now(), UTC)
    statements = [" ".join(s.split()) for s, _ in await figures_selects(core, scope, period)]
    assert len(statements) == 6, statements
    assert sum(" FROM checkins" in s for s in statements) == 2, statements
    assert sum(" FROM leads" in s for s in statements) == 1, statements


async def test_rejudged_answers_are_counted_from_the_few_verdicts_that_may_differ(
        core: BotCore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest's "re-judged" count parses only the verdicts the database could not rule
    out (their text lacks `"strategy_version":"<the version asked under>"`), and counts as it
    did: a verdict under another version, also one written with spaces; not one with spaces
    under the same version, nor an unreadable one, nor one whose answer quotes the key."""
    built = await build_org(core)
    scope = await _scope(core, built, "Ada", None, True)
    period = parse_period("last 2 weeks", core.ctx.clock.now(), UTC)
    asked = core.ctx.strategy.version
    async with core.ctx.db.session() as session:
        rows = (await session.exec(select(Answer).join(
            CheckIn, col(CheckIn.id) == col(Answer.checkin_id)).where(
            col(CheckIn.occurrence_at) >= period.start, col(CheckIn.occurrence_at) < period.end)
            .order_by(col(Answer.id)))).all()
        assert len(rows) > 10
        verdicts = [json.loads(answer.evaluation or "") for answer in rows[:5]]
        verdicts[1]["strategy_version"] = verdicts[3]["strategy_version"] = "zz"
        verdicts[4]["statement_text"] = f'"strategy_version":"{asked}"'  # escaped when stored
        compact = (",", ":")
        for answer, verdict in ((rows[0], json.dumps(verdicts[0])),  # ", " and ": "
                                (rows[1], json.dumps(verdicts[1])), (rows[2], "{not json"),
                                (rows[3], json.dumps(verdicts[3], separators=compact)),
                                (rows[4], json.dumps(verdicts[4], separators=compact))):
            await (await session.connection()).execute(  # as stored, without the ORM hooks
                update(Answer).where(col(Answer.id) == answer.id).values(evaluation=verdict))
    parsed: list[str] = []
    real = json.loads

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        parsed.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(corrections.json, "loads", counting)
    async with core.ctx.db.session() as session:
        assert await rejudged_in(session, scope.member_filter, period) == 2  # rows 1 and 3
        assert await rejudged_in(session, scope.member_ids, period) == 2
    assert len(parsed) == 2 * 4, parsed  # rows 0-3 only, twice: not the others of the period
