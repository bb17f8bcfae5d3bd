"""The platform-neutral home page: trend direction from stored scores, a manager's team, limits."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.events import FactList, MemberRef
from bot.storage.models import Answer, CheckIn
from tests.support.talk import say, setup_team


async def answer_all(core: BotCore, who: str) -> None:
    for text in ("We help mid-market fintechs pass audits in half the time.",
                 "Mid-market fintech, not government.", "Mapped the buying committee at Ledgerly."):
        await say(core, who, text)


async def set_scores(core: BotCore, checkin_id: int, score: float) -> None:
    async with core.ctx.db.session() as session:
        for answer in (await session.exec(select(Answer).where(Answer.checkin_id == checkin_id))).all():
            answer.overall_score = score
            session.add(answer)


async def test_trend_and_team_summary(core: BotCore, clock: ManualClock) -> None:
    await setup_team(core)
    ids = []
    for _ in range(3):
        await say(core, "ada", "/align ask now dana")
        await answer_all(core, "dana")
        clock.advance(timedelta(days=2))
        await core.tick()
    async with core.ctx.db.session() as session:
        ids = [c.id for c in (await session.exec(select(CheckIn).order_by(col(CheckIn.id)))).all()]
    for checkin_id, score in zip(ids, (0.3, 0.5, 0.8), strict=True):
        assert checkin_id is not None
        await set_scores(core, checkin_id, score)

    dana = await core.home(MemberRef("test", "dana"))
    assert "Alignment trend (last 3 check-ins): improving" in dana.text
    [trend] = [b for b in dana.blocks if isinstance(b, FactList) and b.title.startswith("Alignment")]
    assert [f.value for f in trend.facts] == ["30%", "50%", "80%"]  # oldest first
    assert "No open check-in" in dana.text

    await set_scores(core, ids[-1], 0.1)
    assert "slipping" in (await core.home(MemberRef("test", "dana"))).text

    sam = (await core.home(MemberRef("test", "sam"))).text
    assert "Your team (2)" in sam and "Dana: last check-in answered; alignment 10%" in sam
    assert "Lee: not asked yet; alignment -" in sam


async def test_the_home_page_lists_the_members_due_leads(core: BotCore, tmp_path: Path) -> None:
    from tests.unit.leads.test_nudges import team_with_leads

    await team_with_leads(core, tmp_path)  # Dana owns Ledgerly (due 10:00) and Acme Bank (13:00)
    dana = await core.home(MemberRef("test", "dana"))
    assert "No leads due for follow-up right now." in dana.text
    await core.advance(timedelta(hours=2))  # Mon 11:00

    dana = await core.home(MemberRef("test", "dana"))
    assert "Leads due for follow-up (1)" in dana.text
    assert "Ledgerly: overdue since Mon 02 Mar 10:00" in dana.text and "Acme Bank" not in dana.text
    assert "Paynode" not in dana.text  # Lee's lead
