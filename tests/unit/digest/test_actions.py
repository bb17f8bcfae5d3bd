"""Suggested actions: at most one per lever on the first screen, ranked; the lever follows who
shows the problem (one rep: people; the team: control systems; a lead source: environment);
evidence is never blank. Admins (only) are warned when the strategy's sell-by date is near or
past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.core import BotCore
from bot.digest.actions import candidates, suggest
from bot.digest.service import DigestService
from tests.support.talk import say
from tests.unit.digest.support import SCOPE_OUT, build_org
from tests.unit.digest.test_figures import figures_for
from tests.unit.digest.test_honest import add_checkin


async def test_one_ranked_action_per_lever_each_naming_its_evidence(core: BotCore) -> None:
    built = await build_org(core)
    _, figures = await figures_for(core, built, "Sam")
    texts = DigestService(core.ctx).texts
    shown = suggest(figures, texts)
    assert sorted(a.lever for a in shown) == ["control", "environment", "people"]  # one each
    assert [a.weight for a in shown] == sorted((a.weight for a in shown), reverse=True)
    every = candidates(figures, texts)
    assert all(a.evidence.strip() and " - (" not in a.evidence and ": -" not in a.evidence
               for a in every)
    by_lever = {(a.lever, a.text.split()[0]): a for a in every}

    coach = next(a for a in every if "stating the strategy" in a.text)
    assert coach.lever == "people" and "Coach Lee" in coach.text
    assert "1 of 2 cannot state it (Lee: 7 words, missing: objectives, advantage)" in coach.evidence
    train = by_lever[("people", "Train")]  # one action for all neglected critical tasks
    assert '"Run a compliance discovery call"' in train.text
    assert '"Run a compliance discovery call" reported by 0 of 2 (not by Dana, Lee)' in train.evidence
    assert sum(a.text.startswith("Train") for a in every) == 1
    # one rep naming out-of-scope segments is a coaching matter, not the comp plan
    where = next(a for a in every if "where we play" in a.text)
    assert where.lever == "people" and "Coach Lee" in where.text
    assert "Global tier-1 banks named as played by Lee (1 mention)" in where.evidence
    leads = by_lever[("control", "Make")]
    assert "25% of 4 new leads touched within 1 h; 2 leads overdue now" in leads.evidence
    assert "2 open leads never touched, the oldest 38 days old (Lee, Ravi)" in leads.evidence
    answers = by_lever[("environment", "Use")]
    assert "2 of 3 closed check-ins answered (67%); 1 missed: Ravi" in answers.evidence
    effort = by_lever[("environment", "Agree")]
    assert '40% of reported activities map to no task, most often "cold calling dentists all week"' \
        in effort.evidence
    routing = by_lever[("environment", "Ask")]  # L3, a tier-1 bank lead the source sent Lee
    assert "1 of 4 new leads is out of scope: 1 Global tier-1 banks lead from test" in routing.evidence


async def test_out_of_scope_choices_across_the_team_point_at_control_systems(core: BotCore) -> None:
    built = await build_org(core)
    at = core.ctx.clock.now() - timedelta(days=3)
    for name in ("Dana", "Ravi"):
        await add_checkin(core, built.members[name], at, {"scope": SCOPE_OUT})
    _, figures = await figures_for(core, built, "Sam")
    scope = next(a for a in candidates(figures, DigestService(core.ctx).texts)
                 if "where we do not play" in a.text)
    assert scope.lever == "control" and "3 reps are putting effort into" in scope.text
    assert "Global tier-1 banks named as played by Dana, Lee, Ravi" in scope.evidence


async def test_no_evidence_no_action_except_leads_needing_a_touch_now(core: BotCore) -> None:
    built = await build_org(core)
    # June 2025: no check-ins and no new leads, so nothing to coach, train or review...
    _, empty = await figures_for(core, built, "Sam", period="2025-06")
    assert empty.participation.asked == 0 and empty.follow_up.leads == 0
    (action,) = suggest(empty, DigestService(core.ctx).texts)
    # ...except the leads overdue or untouched right now (L2, L3, L7): a snapshot, not a history
    assert action.lever == "control" and "new lead" not in action.evidence
    assert "2 leads overdue now; 2 open leads never touched" in action.evidence
    # Kim's team has no leads at all: a quiet period there suggests nothing
    _, quiet = await figures_for(core, built, "Kim", period="2025-06")
    assert suggest(quiet, DigestService(core.ctx).texts) == []


async def test_admins_are_warned_near_and_after_the_sell_by_date(core: BotCore, clock: ManualClock) -> None:
    await build_org(core)  # the example strategy's review_by is 2027-06-30
    clock.set(datetime(2027, 6, 10, 14, tzinfo=UTC))
    admin = await say(core, "ada", "/align digest team:Sam")
    assert "sell-by date is 2027-06-30 (20 days away)" in admin
    assert "sell-by" not in await say(core, "sam", "/align digest")  # managers are not admins

    clock.set(datetime(2027, 7, 5, 14, tzinfo=UTC))
    assert "sell-by date 2027-06-30 passed 5 days ago" in await say(core, "ada", "/align digest team:all")

    clock.set(datetime(2027, 5, 30, 14, tzinfo=UTC))  # 31 days away: no warning yet
    assert "sell-by" not in await say(core, "ada", "/align digest team:Sam")


async def test_work_against_the_strategy_is_shown_with_the_reps_words(core: BotCore) -> None:
    """One rep discounting is coached (people); when most of the team does, the question is
    what pay and targets reward (control systems). Either way their words are the evidence,
    and the discount never counts as 'defend price with value' done."""
    built = await build_org(core)
    at = core.ctx.clock.now() - timedelta(days=3)
    discount = "gave them an extra 15% discount to close the renewal"
    await add_checkin(core, built.members["Dana"], at, {"tasks": discount})
    _, figures = await figures_for(core, built, "Sam")
    texts = DigestService(core.ctx).texts
    against = next(a for a in candidates(figures, texts) if "hold the line" in a.text)
    assert against.lever == "people" and against.text.startswith("Coach Dana to hold the line")
    assert f'Dana: "{discount}"' in against.evidence
    assert "value_pricing" not in dict(figures.task_answers).get("Dana", ())
    assert sum(against for *_, against in figures.effort.rows()) == 2  # the task and the objective

    for name in ("Lee", "Ravi"):
        await add_checkin(core, built.members[name], at, {"tasks": "dropped the price 20% to win"})
    _, figures = await figures_for(core, built, "Sam")
    team = next(a for a in candidates(figures, texts) if "pay and targets" in a.text)
    assert team.lever == "control" and "3 reps reported work against" in team.text


async def test_a_statement_that_contradicts_ours_is_not_ours_and_one_quote_is_shown_once(
        core: BotCore) -> None:
    """The digest reads a statement as the rep's own feedback did: claiming we win on price in
    segments we do not play is "not ours", not "missing"; and a discount that works against a
    task and an objective at once is quoted once."""
    built = await build_org(core)
    at = core.ctx.clock.now() - timedelta(days=2)
    await add_checkin(core, built.members["Dana"], at, {
        "strategy": "We grow by being the cheapest option for government agencies.",
        "tasks": "gave a 20% discount to close Pinecrest"})
    _, figures = await figures_for(core, built, "Sam")
    every = candidates(figures, DigestService(core.ctx).texts)
    coach = next(a for a in every if "stating the strategy" in a.text)
    assert "Dana: 10 words, not ours: scope, advantage" in coach.evidence
    assert "missing: scope" not in coach.evidence and "advantage, missing" not in coach.evidence
    against = next(a for a in every if "hold the line" in a.text or "pay and targets" in a.text)
    assert against.evidence.count('"gave a 20% discount to close Pinecrest"') == 1, against.evidence
