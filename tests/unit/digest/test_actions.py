"""Suggested actions: each names one of the three levers and the evidence from the figures;
admins (only) are warned when the strategy's sell-by date is near or past."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.core import BotCore
from bot.digest.actions import suggest
from bot.digest.service import DigestService
from tests.support.talk import say
from tests.unit.digest.support import build_org
from tests.unit.digest.test_figures import figures_for


async def test_each_action_names_its_lever_and_evidence(core: BotCore) -> None:
    built = await build_org(core)
    _, figures = await figures_for(core, built, "Sam")
    actions = suggest(figures, DigestService(core.ctx).texts)
    by_lever = {(a.lever, a.text.split()[0]): a for a in actions}

    assert [a.lever for a in actions] == ["people", "people", "control", "control",
                                          "environment", "environment"]
    coach = by_lever[("people", "Coach")]
    assert "Coach Lee on stating the strategy" in coach.text
    assert "1 of 2 cannot state it (Lee: 7 words, missing: objectives, advantage)" in coach.evidence
    train = by_lever[("people", "Train")]
    assert '"Run a compliance discovery call"' in train.text and "0 of 2 reported it" in train.evidence
    scope = by_lever[("control", "Review")]
    assert "Global tier-1 banks, Small businesses" in scope.text
    assert "Global tier-1 banks named as played by Lee (1x), new leads: 1" in scope.evidence
    leads = by_lever[("control", "Make")]
    assert "25% of 4 new leads touched within 1 h, 2 overdue, 1 never touched" in leads.evidence
    answers = by_lever[("environment", "Use")]
    assert "2 of 3 check-ins answered (67%); missed: Ravi" in answers.evidence
    effort = by_lever[("environment", "Agree")]
    assert '40% of reported activities map to no task, most often "cold calling dentists all week"' \
        in effort.evidence


async def test_no_evidence_no_action_except_leads_overdue_now(core: BotCore) -> None:
    built = await build_org(core)
    # June 2025: no check-ins and no new leads, so nothing to coach, train or review...
    _, empty = await figures_for(core, built, "Sam", period="2025-06")
    assert empty.participation.asked == 0 and empty.follow_up.leads == 0
    (action,) = suggest(empty, DigestService(core.ctx).texts)
    # ...except the leads overdue right now (L2, L3), which are a snapshot, not a history
    assert action.lever == "control" and "0 of 0 new leads" not in action.evidence
    assert "2 overdue, 0 never touched" in action.evidence
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
