"""A realistic team history for digest tests: an org tree, six weekly check-ins per rep judged by
the real rules evaluator over answers written the way reps write, and leads with touches.

START (conftest) is Monday 2 March 2026 14:00 UTC; "last week" is the 7 days before it. Week 0
below is that week, week 1 the one before, and so on. Everything inserted is also returned, so
tests can compute the expected figures on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core import BotCore
from bot.evaluation.result import Evaluation
from bot.evaluation.rules import RulesEvaluator
from bot.storage.models import Answer, CheckIn, Lead, LeadEvent, Member
from tests.conftest import START
from tests.support.talk import say

GOOD = ("We make mid-market fintechs, regional banks and healthcare provider groups audit-ready in"
        " half the time with continuous control monitoring, to grow ARR 35% at 75% gross margin.")
SHORT = "We sell compliance software to regional banks."
LONG = ("Honestly our strategy is to sell as much as we can to anyone who needs compliance help,"
        " banks big and small, fintechs, hospitals, government agencies, whoever has budget this"
        " quarter, and we try to close fast with discounts when needed because the number matters"
        " most and the product is good enough for most buyers out there in the market today really.")
SCOPE_IN = "We play in mid-market fintech and regional banks; we avoid tier-1 banks and government."
SCOPE_OUT = "Working a deal with a global tier-1 bank and two small businesses this week."
SCOPE_HEALTH = "Mostly healthcare provider groups, buyers are the compliance officer and CFO."
TASKS_A = "ran disco w/ Ledgerly (fintech) on their SOC2 gaps, then built ROI model with their CFO"
TASKS_B = ("- mapped buying committee at Pinecrest Credit Union\n- sent SOC 2 report\n"
           "- followed up on 3 whitepaper downloads")
TASKS_OFF = "cold calling dentists all week, CRM cleanup"
TASKS_MIXED = "updated the CRM, internal forecast meeting, mapped buying committee at Ledgerly"


@dataclass(frozen=True)
class Week:
    """One weekly check-in: what happened and, if answered, the three answers."""

    outcome: str  # answered | late | missed | open
    statement: str = GOOD
    scope: str = SCOPE_IN
    tasks: str = TASKS_B


A = Week("answered")
PLAN: dict[str, list[Week]] = {  # index 0 = last week
    "Dana": [A, A, Week("answered", tasks=TASKS_A), A, A, A],
    "Lee": [Week("late", SHORT, SCOPE_OUT, TASKS_OFF), Week("answered", tasks=TASKS_A),
            Week("answered", SHORT, SCOPE_OUT, TASKS_OFF), Week("missed"), A, A],
    "Ravi": [Week("missed"), Week("answered", LONG, SCOPE_HEALTH, TASKS_MIXED),
             Week("answered", LONG, SCOPE_HEALTH, TASKS_OFF), A, Week("late"), A],
    "Noor": [Week("answered", tasks=TASKS_A), Week("missed"), A, A, A, A],
    "Omar": [Week("open"), Week("answered", SHORT, SCOPE_IN, TASKS_MIXED), A, A, A, A],
    "Zed": [Week("answered", LONG, SCOPE_OUT, TASKS_OFF), A, A, A, A, A],
}
TEAMS = {"Sam": ("Dana", "Lee", "Ravi"), "Kim": ("Noor", "Omar"), "Pat": ("Zed",)}


@dataclass(frozen=True)
class LeadSpec:
    key: str
    owner: str
    segment: str
    engaged: datetime
    touch_delays: tuple[timedelta, ...]  # each touch, after engagement
    status: str
    next_due: datetime | None


D = datetime(2026, 2, 23, tzinfo=START.tzinfo)  # Monday 23 Feb 00:00 UTC, inside last week
H = timedelta(hours=1)
LEADS = [
    LeadSpec("L1", "Dana", "midmarket_fintech", D + timedelta(days=1, hours=9),
             (timedelta(minutes=30), 26 * H), "working", START + timedelta(days=2)),
    LeadSpec("L2", "Dana", "regional_banks", D + timedelta(days=2, hours=10), (5 * H,), "working",
             D + timedelta(days=4)),  # overdue
    LeadSpec("L3", "Lee", "tier1_banks", D + timedelta(days=3, hours=12), (), "new",
             D + timedelta(days=3, hours=13)),  # never touched, overdue
    LeadSpec("L4", "Lee", "midmarket_fintech", D + timedelta(days=4, hours=8), (30 * H,),
             "qualified", None),
    LeadSpec("L5", "Ravi", "healthcare_providers", D - timedelta(days=5), (timedelta(minutes=20),) * 3,
             "working", START + timedelta(days=3)),  # the week before: only in the trend
    LeadSpec("L6", "Zed", "midmarket_fintech", D + timedelta(days=1), (), "new",
             D + timedelta(days=1, hours=4)),  # another team's black hole
    LeadSpec("L7", "Ravi", "regional_banks", D - timedelta(days=30), (), "new", None),
    # a month old, never touched, nothing due: in no period's cohort, still in the black hole
]


@dataclass
class Built:
    members: dict[str, Member] = field(default_factory=dict)
    evaluations: dict[tuple[str, int, str], Evaluation] = field(default_factory=dict)


def occurrence(week: int) -> datetime:
    """The Tuesday 10:00 UTC check-in of `week` weeks before last week."""
    return START - timedelta(days=7 * (week + 1)) + timedelta(hours=20)


async def build_org(core: BotCore) -> Built:
    """Ada (admin), Mia (VP) over managers Sam and Kim; Pat a peer manager with Zed."""
    for line in ("/align team add Ada admin", "/align team add Mia manager",
                 "/align team add Sam manager manager=Mia", "/align team add Kim manager manager=Mia",
                 "/align team add Pat manager"):
        assert "Added" in await say(core, "ada", line), line
    for manager, reps in TEAMS.items():
        for rep in reps:
            assert "Added" in await say(core, "ada", f"/align team add {rep} rep manager={manager}")
    built = Built()
    async with core.ctx.db.session() as session:
        from sqlmodel import select
        for member in (await session.exec(select(Member))).all():
            built.members[member.name] = member
    await _history(core, built)
    await _leads(core, built)
    return built


async def _history(core: BotCore, built: Built) -> None:
    evaluator, strategy = RulesEvaluator(), core.ctx.strategy
    async with core.ctx.db.session() as session:
        for name, weeks in PLAN.items():
            member = built.members[name]
            for index, week in enumerate(weeks):
                at = occurrence(index)
                answered = week.outcome in ("answered", "late")
                checkin = CheckIn(
                    key=f"test:{name}:{index}", member_id=member.id, occurrence_at=at,
                    state={"answered": "answered", "late": "answered", "missed": "expired",
                           "open": "asked"}[week.outcome],
                    strategy_version=strategy.version, asked_at=at,
                    reminded_at=at + 4 * H if week.outcome in ("late", "missed", "open") else None,
                    answered_at=at + (6 * H if week.outcome == "late" else H) if answered else None,
                    closes_at=at + timedelta(days=1), created_at=at)
                session.add(checkin)
                await session.flush()
                if not answered:
                    continue
                for question, text in (("strategy", week.statement), ("scope", week.scope),
                                       ("tasks", week.tasks)):
                    evaluation = evaluator.evaluate_sync(question, text, strategy)  # type: ignore[arg-type]
                    built.evaluations[(name, index, question)] = evaluation
                    session.add(Answer(checkin_id=checkin.id, member_id=member.id, question=question,
                                       text=text, evaluation=evaluation.model_dump_json(),
                                       overall_score=evaluation.overall, created_at=at, updated_at=at))


async def _leads(core: BotCore, built: Built) -> None:
    async with core.ctx.db.session() as session:
        for spec in LEADS:
            owner = built.members[spec.owner]
            touches = [spec.engaged + d for d in spec.touch_delays]
            lead = Lead(source="test", external_id=spec.key, company=f"Company {spec.key}",
                        segment=spec.segment, owner_id=owner.id, engaged_at=spec.engaged,
                        status=spec.status, touches=len(touches),
                        first_touch_at=touches[0] if touches else None,
                        last_touch_at=touches[-1] if touches else None, next_due_at=spec.next_due,
                        created_at=spec.engaged, updated_at=spec.engaged)
            session.add(lead)
            await session.flush()
            for at in touches:
                session.add(LeadEvent(lead_id=lead.id, kind="touch", at=at, member_id=owner.id,
                                      via="command"))
