"""Every digest figure against values computed here, independently, from the inserted history:
participation, articulation, scope, tasks, unmapped effort, leads and trends; nested teams roll
up for a manager of managers; the whole organisation for admins."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from bot.core import BotCore
from bot.digest.figures import DigestFigures
from bot.digest.period import parse_period
from bot.digest.service import DigestService
from bot.digest.team import DigestScope, scope_for
from bot.storage.models import Answer, CheckIn, Member
from tests.support.talk import say
from tests.unit.digest.support import LEADS, PLAN, TEAMS, Built, build_org

UTC = ZoneInfo("UTC")


async def figures_for(core: BotCore, built: Built, reader: str, team: str | None = None,
                      whole: bool = False, period: str = "") -> tuple[DigestScope, DigestFigures]:
    service = DigestService(core.ctx)
    async with core.ctx.db.session() as session:
        caller = await session.get(Member, built.members[reader].id)
        assert caller is not None
        requested = built.members[team] if team else None
        scope = await scope_for(session, caller, requested, whole_org=whole)
    return scope, await service.figures(scope, parse_period(period, core.ctx.clock.now(), UTC))


def expected_participation(reps: list[str], week: int) -> tuple[int, int, int, int, int]:
    outcomes = Counter(PLAN[r][week].outcome for r in reps if r in PLAN)
    asked = sum(outcomes.values())
    answered = outcomes["answered"] + outcomes["late"]
    return asked, answered, outcomes["late"], outcomes["missed"], outcomes["open"]


def mean_overall(built: Built, reps: list[str], week: int, question: str) -> float | None:
    values = [e.overall for (name, w, q), e in built.evaluations.items()
              if name in reps and w == week and q == question]
    return round(fmean(values), 3) if values else None


async def test_a_managers_digest_matches_the_teams_history(core: BotCore) -> None:
    built = await build_org(core)
    scope, f = await figures_for(core, built, "Sam")
    reps = list(TEAMS["Sam"])

    assert sorted(m.name for m in scope.members) == sorted(reps)
    p = f.participation
    figures = (p.asked, p.answered, p.late, p.missed, p.open)
    assert figures == expected_participation(reps, 0) == (3, 2, 1, 1, 0)
    by_name = {r.name: r for r in f.reps}
    for rep in reps:
        rp = by_name[rep].participation
        assert (rp.asked, rp.answered, rp.late, rp.missed, rp.open) == expected_participation([rep], 0)

    # articulation: the latest statement of each rep who answered last week
    for rep in reps:
        ev = built.evaluations.get((rep, 0, "strategy"))
        got = by_name[rep].articulation
        if ev is None:
            assert got is None
            continue
        assert ev.statement is not None and got is not None
        assert got.words == ev.statement.word_count
        assert got.articulates == (ev.statement.within_limit
                                   and all(c.covered for c in ev.statement.components))
    assert [r.name for r in f.articulating] == ["Dana"] and len(f.stated) == 2
    assert by_name["Lee"].articulation.missing == ("objectives", "advantage")  # type: ignore[union-attr]

    # tasks: reps who reported each task in a tasks answer, out of those who answered it
    reported = {rep: set(built.evaluations[(rep, 0, "tasks")].tasks.task_ids)  # type: ignore[union-attr]
                for rep in reps if (rep, 0, "tasks") in built.evaluations}
    assert f.task_reporters == len(reported) == 2
    for task in f.tasks:
        assert task.members == sum(task.task_id in ids for ids in reported.values()), task
    critical = [t.id for t in core.ctx.strategy.sales_tasks if t.critical]
    assert [t.task_id for t in f.tasks[:len(critical)]] == sorted(
        critical, key=lambda t: sum(t in ids for ids in reported.values()))  # critical, least covered first
    assert {t.task_id for t in f.tasks if t.members == 0} >= {"compliance_discovery", "proof_of_value"}

    # effort outside the strategy: Lee's "cold calling dentists all week, CRM cleanup"
    assert f.unmapped == [("cold calling dentists all week", 1), ("CRM cleanup", 1)]
    assert (f.unmapped_total, f.activities) == (2, 5)  # Dana's 3 mapped + Lee's 2 unmapped

    # scope: segments named as played last week, with who named them
    played: dict[str, set[str]] = {}
    for (rep, week, _), ev in built.evaluations.items():
        if rep in reps and week == 0 and ev.scope:
            for m in ev.scope.segments:
                if m.stated_as_played:
                    played.setdefault(m.segment_id, set()).add(rep)
    lead_segments = Counter(spec.segment for spec in LEADS if spec.owner in reps
                            and f.period.contains(spec.engaged))
    shown = {s.segment_id: s for s in f.segments}
    assert set(shown) == set(played) | set(lead_segments)
    for segment_id, s in shown.items():
        assert set(s.members) == played.get(segment_id, set())
        assert s.leads == lead_segments[segment_id]
    assert not shown["tier1_banks"].in_scope and shown["tier1_banks"].members == ("Lee",)
    assert [s.in_scope for s in f.segments] == sorted((s.in_scope for s in f.segments), reverse=True)


async def test_lead_follow_up_figures_per_team_rep_and_segment(core: BotCore) -> None:
    built = await build_org(core)
    _, f = await figures_for(core, built, "Sam")
    now = core.ctx.clock.now()
    cohort = [s for s in LEADS if s.owner in TEAMS["Sam"] and f.period.contains(s.engaged)]
    delays = sorted(s.touch_delays[0] for s in cohort if s.touch_delays)
    lead = f.follow_up
    assert lead.leads == len(cohort) == 4
    assert lead.touched == 3
    # never touched: every open lead nobody touched, whatever period it arrived in - L3 of last
    # week and L7 from a month ago (in no cohort, nothing due, still a black hole)
    assert lead.never_touched == 2
    assert [(owner, segment, round(days)) for owner, segment, days in f.untouched] == [
        ("Ravi", "regional_banks", 38), ("Lee", "tier1_banks", 4)]
    assert lead.median_first_touch == delays[1] == timedelta(hours=5)
    assert lead.within_1h == 1 / 4 and lead.within_24h == 2 / 4
    assert lead.touches_per_lead == sum(len(s.touch_delays) for s in cohort) / 4 == 1.0
    overdue = [s for s in LEADS if s.owner in TEAMS["Sam"] and s.status in ("new", "working")
               and s.next_due is not None and s.next_due < now]
    assert lead.overdue == len(overdue) == 2  # L2 and L3; Zed's L6 is not Sam's team

    reps = {r.name: r.follow_up for r in f.reps}
    assert reps["Dana"].median_first_touch == (timedelta(minutes=30) + timedelta(hours=5)) / 2
    assert (reps["Dana"].leads, reps["Dana"].within_1h, reps["Dana"].overdue) == (2, 0.5, 1)
    assert (reps["Lee"].never_touched, reps["Lee"].within_24h, reps["Lee"].overdue) == (1, 0.0, 1)
    assert reps["Ravi"].leads == 0  # L5 engaged the week before
    assert f.follow_up_by_segment["tier1_banks"].never_touched == 1
    assert f.follow_up_by_segment["regional_banks"].never_touched == 1  # L7
    assert f.follow_up_by_segment["midmarket_fintech"].leads == 2

    trends = {t.name: t for t in f.trends}
    assert trends["leads_within_24h"].previous == 1.0  # L5, touched after 20 minutes
    assert trends["leads_within_24h"].current == 0.5


async def test_trends_compare_each_score_with_the_previous_period(core: BotCore) -> None:
    built = await build_org(core)
    _, f = await figures_for(core, built, "Sam")
    reps = list(TEAMS["Sam"])
    trends = {t.name: t for t in f.trends}
    for question in ("strategy", "scope", "tasks"):
        assert trends[question].current == mean_overall(built, reps, 0, question)
        assert trends[question].previous == mean_overall(built, reps, 1, question)
    brevity = [e.scores["brevity"] for (n, w, q), e in built.evaluations.items()
               if n in reps and w == 0 and q == "strategy"]
    assert trends["brevity"].current == round(fmean(brevity), 3)
    asked, answered, *_ = expected_participation(reps, 0)
    before_asked, before_answered, *_ = expected_participation(reps, 1)
    # Dana on time, Lee late, Ravi missed: 2 of 3 closed; the week before all three answered
    assert trends["answer_rate"].current == round(answered / asked, 3) == 0.667
    assert trends["answer_rate"].previous == round(before_answered / before_asked, 3) == 1.0
    assert trends["answer_rate"].delta == round(answered / asked - 1.0, 3) == -0.333
    # the chart's series: six weeks, oldest first, the last one being this period
    assert len(f.series) == 6
    for week, (_, values) in zip(range(5, -1, -1), f.series, strict=True):
        assert values["tasks"] == mean_overall(built, reps, week, "tasks")


async def test_a_manager_of_managers_sees_the_nested_teams_rolled_up(core: BotCore) -> None:
    built = await build_org(core)
    scope, f = await figures_for(core, built, "Mia")
    nested = ["Sam", "Kim", *TEAMS["Sam"], *TEAMS["Kim"]]
    assert sorted(m.name for m in scope.members) == sorted(nested)
    p = f.participation
    assert (p.asked, p.answered, p.late, p.missed, p.open) == expected_participation(nested, 0)
    assert p.open == 1  # Omar's check-in is still open
    assert "Zed" not in {r.name for r in f.reps}
    assert f.follow_up.overdue == 2

    # Mia may also look at one of the teams inside hers
    scope, f = await figures_for(core, built, "Mia", team="Kim")
    assert sorted(m.name for m in scope.members) == ["Noor", "Omar"]


async def test_admins_see_the_whole_organisation(core: BotCore) -> None:
    built = await build_org(core)
    scope, f = await figures_for(core, built, "Ada", whole=True)
    everyone = [n for n in built.members if n != "Ada"]
    assert sorted(m.name for m in scope.members) == sorted(everyone)
    p = f.participation
    assert (p.asked, p.answered) == expected_participation(list(PLAN), 0)[:2]
    assert f.follow_up.overdue == 3 and f.follow_up.leads == 5  # Zed's L6 too
    # Lee and Zed both spent last week cold calling dentists
    assert f.unmapped[:2] == [("cold calling dentists all week", 2), ("CRM cleanup", 2)]
    # an admin with no reports asking for "their" digest gets the organisation too
    scope, _ = await figures_for(core, built, "Ada")
    assert scope.manager is None


async def test_a_month_and_explicit_dates_select_their_own_check_ins(core: BotCore) -> None:
    built = await build_org(core)
    _, f = await figures_for(core, built, "Sam", period="2026-02")
    # February holds the check-ins of weeks 0..3 (24, 17, 10 and 3 Feb)
    assert f.participation.asked == sum(expected_participation(list(TEAMS["Sam"]), w)[0]
                                        for w in range(4))
    _, f = await figures_for(core, built, "Sam", period="2026-02-16..2026-02-22")
    assert f.participation.asked == expected_participation(list(TEAMS["Sam"]), 1)[0]


async def test_an_unreadable_stored_evaluation_is_skipped_not_fatal(core: BotCore) -> None:
    built = await build_org(core)
    _, before = await figures_for(core, built, "Sam")
    dana = built.members["Dana"]
    at = core.ctx.clock.now() - timedelta(days=2)
    async with core.ctx.db.session() as session:
        checkin = CheckIn(key="test:bad", member_id=dana.id, occurrence_at=at, state="answered",
                          strategy_version="old", asked_at=at, answered_at=at, created_at=at)
        session.add(checkin)
        await session.flush()
        for question, stored in (("tasks", "{not json"), ("scope", '{"question": "scope", "old": 1}')):
            session.add(Answer(checkin_id=checkin.id, member_id=dana.id, question=question,
                               text="...", evaluation=stored, overall_score=None,
                               created_at=at, updated_at=at))
    _, after = await figures_for(core, built, "Sam")
    assert after.participation.asked == before.participation.asked + 1  # the check-in counts
    def scores(f: DigestFigures) -> list[object]:
        return [t for t in f.trends if t.name != "answer_rate"]

    assert after.tasks == before.tasks and scores(after) == scores(before)  # its answers do not
    assert after.series == before.series
    assert "Your alignment" in await say(core, "dana", "/align me")
