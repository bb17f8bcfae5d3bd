"""A digest that is honest about what it does not know: no answers -> "no data", never a
reassurance; participation over closed check-ins only; answers with no substance never counted as
effort; where effort goes (in/out of scope, on/off task); managers' answers set against their
reps'; out-of-scope leads traced to their source."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import BotCore
from bot.digest.actions import suggest
from bot.digest.service import DigestService
from bot.evaluation.rules import RulesEvaluator
from bot.events import Image, MemberRef
from bot.storage.models import Answer, CheckIn, Lead, Member
from tests.conftest import START
from tests.support.talk import say, setup_team
from tests.unit.digest.support import SCOPE_IN, TASKS_B, build_org
from tests.unit.digest.test_chart import members
from tests.unit.digest.test_figures import figures_for

LAST_WEEK = START - timedelta(days=3)  # Friday of "last week"


async def add_checkin(core: BotCore, member: Member, at: datetime, answers: dict[str, str],
                      state: str = "answered") -> None:
    """One check-in of `member` at `at`, its answers judged by the real rules evaluator."""
    evaluator, strategy = RulesEvaluator(), core.ctx.strategy
    async with core.ctx.db.session() as session:
        checkin = CheckIn(key=f"extra:{member.name}:{at.isoformat()}", member_id=member.id,
                          occurrence_at=at, state=state, strategy_version=strategy.version,
                          asked_at=at, answered_at=at + timedelta(hours=1) if answers else None,
                          closes_at=at + timedelta(days=1), created_at=at)
        session.add(checkin)
        await session.flush()
        for question, text in answers.items():
            evaluation = evaluator.evaluate_sync(question, text, strategy)  # type: ignore[arg-type]
            session.add(Answer(checkin_id=checkin.id, member_id=member.id, question=question,
                               text=text, evaluation=evaluation.model_dump_json(),
                               overall_score=evaluation.overall, created_at=at, updated_at=at))


async def test_no_answers_means_no_data_and_no_reassurance(core: BotCore) -> None:
    await setup_team(core)
    built = await members(core)
    for name in ("Dana", "Lee"):  # asked, still open: not a yes, not a no
        await add_checkin(core, built.members[name], LAST_WEEK, {}, state="asked")
    _, f = await figures_for(core, built, "Sam")
    assert not f.has_data and f.participation.open == 2
    assert f.participation.rate is None  # nothing closed yet: no rate, no participation action
    assert suggest(f, DigestService(core.ctx).texts) == []
    text = await say(core, "sam", "/align digest")
    assert "No data this period" in text
    assert "Everything reported maps to a sales task" not in text
    assert "matches the strategy" not in text and "No action stands out" not in text
    assert "missed: -" not in text


async def test_participation_counts_closed_check_ins_only(core: BotCore) -> None:
    built = await build_org(core)
    _, f = await figures_for(core, built, "Kim")  # Noor answered, Omar's is still open
    p = f.participation
    assert (p.asked, p.answered, p.open, p.closed) == (2, 1, 1, 1)
    assert p.rate == 1.0  # 1 of 1 closed, not 1 of 2
    assert not any(a.lever == "environment" and "check-ins" in a.evidence
                   for a in suggest(f, DigestService(core.ctx).texts))


async def test_answers_with_no_substance_are_not_effort(core: BotCore) -> None:
    built = await build_org(core)
    _, before = await figures_for(core, built, "Sam")
    for name, tasks in (("Dana", "asdfghjkl qwerty zxcvb"), ("Lee", "calls"), ("Ravi", "🙂👍")):
        await add_checkin(core, built.members[name], LAST_WEEK,
                          {"scope": "-", "tasks": tasks, "strategy": "idk"})
    _, f = await figures_for(core, built, "Sam")
    assert f.unmapped == before.unmapped  # no "asdfghjkl qwerty zxcvb", no "calls"
    assert (f.activities, f.unmapped_total) == (before.activities, before.unmapped_total)
    assert f.effort == before.effort and f.tasks == before.tasks
    assert f.answers == before.answers
    said = {(q.name, q.question, q.text) for q in f.said_nothing}
    assert ("Dana", "tasks", "asdfghjkl qwerty zxcvb") in said and ("Lee", "tasks", "calls") in said
    text = await say(core, "sam", "/align digest")
    assert '"asdfghjkl qwerty zxcvb"' not in text.split("Answers with nothing in them")[0]
    assert "Answers with nothing in them" in text


async def test_effort_by_segment_and_task_this_period_and_last(core: BotCore) -> None:
    built = await build_org(core)
    _, f = await figures_for(core, built, "Sam")
    # last week: Dana in scope, 3 on task (TASKS_B); Lee named tier-1 banks (out of scope) and
    # reported 2 activities that map to no task; Ravi missed
    assert (f.effort.in_on, f.effort.in_off) == (3, 0)
    assert (f.effort.out_on, f.effort.out_off) == (0, 2)
    assert f.effort_before.total > 0


async def test_trend_points_sit_at_the_period_end_on_an_axis_fitted_to_the_data(
        core: BotCore) -> None:
    built = await build_org(core)
    _, week = await figures_for(core, built, "Sam")
    assert week.series[-1][0] == "02 Mar"  # the week ending Mon 2 Mar, not its first day
    _, month = await figures_for(core, built, "Sam", period="last 4 weeks")
    # six 4-week periods go back to September; answers only exist in the last two
    assert [label for label, _ in month.series] == ["02 Feb", "02 Mar"]


async def test_a_managers_answers_are_set_against_their_reps(core: BotCore) -> None:
    built = await build_org(core)
    await add_checkin(core, built.members["Sam"], LAST_WEEK,
                      {"scope": "We only play in healthcare provider groups.", "tasks": TASKS_B})
    _, f = await figures_for(core, built, "Sam")
    (m,) = f.mismatches
    assert m.kind == "segments" and m.manager.name == "Sam"
    assert m.manager.text == "We only play in healthcare provider groups."
    assert "Healthcare provider groups" in m.manager_only
    assert {q.name for q in m.reps} <= {"Dana", "Lee"} and m.reps
    text = await say(core, "sam", "/align digest")
    line = next(li for li in text.splitlines() if li.startswith("Sam (segments) says"))
    assert '"We only play in healthcare provider groups."' in line
    assert any(f'{q.name} says "{q.text}"' in line for q in m.reps)
    assert "Only Sam names Healthcare provider groups." in line


async def test_managers_who_agree_with_their_reps_get_no_line(core: BotCore) -> None:
    built = await build_org(core)
    await add_checkin(core, built.members["Kim"], LAST_WEEK, {"scope": SCOPE_IN})  # as Noor did
    _, f = await figures_for(core, built, "Kim")
    assert f.managers_compared == 1 and f.mismatches == []
    assert "Managers and reps name the same segments" in await say(core, "kim", "/align digest")


async def test_out_of_scope_leads_from_a_source_are_an_environment_action(core: BotCore) -> None:
    built = await build_org(core)
    async with core.ctx.db.session() as session:
        for number in range(3):
            session.add(Lead(source="webinar-smb", external_id=f"smb{number}",
                             company=f"Corner Shop {number}", segment="small_business",
                             owner_id=built.members["Noor"].id, engaged_at=LAST_WEEK,
                             status="working", touches=1, first_touch_at=LAST_WEEK,
                             last_touch_at=LAST_WEEK, next_due_at=START + timedelta(days=3),
                             created_at=LAST_WEEK, updated_at=LAST_WEEK))
    _, f = await figures_for(core, built, "Kim")
    actions = suggest(f, DigestService(core.ctx).texts)
    routing = next(a for a in actions if a.lever == "environment")
    assert "Small businesses leads from webinar-smb" in routing.text
    assert "3 of 3 new leads are out of scope: 3 Small businesses leads from webinar-smb" \
        in routing.evidence
    assert not any(a.lever == "control" and "compensation" in a.text for a in actions)


async def test_the_chart_file_is_named_for_the_run_date(core: BotCore) -> None:
    await build_org(core)
    (message,) = await core.command(MemberRef("test", "sam"), "digest 2026-01")
    (image,) = [b for b in message.blocks if isinstance(b, Image)]
    assert image.filename == "digest-2026-03-02.png"  # run on 2 Mar, about January
