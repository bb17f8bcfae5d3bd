"""Feedback that could not be produced or delivered in the background is not lost: a late
feedback whose send failed for now goes out on the next tick, once; an answer whose verdict could
not be stored (the database went away) is judged again and its feedback delivered, once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.storage.models import Answer, OutboundMessage
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM, team
from tests.adapters.slack.test_robustness import HeldEvaluator
from tests.support.outage import Outage
from tests.support.slack_api import SlackReply, dm_event


def feedback_posts(slack: Slack) -> list[str]:
    """Feedback messages in Dana's DM (posted, not just attempted)."""
    return [m["text"] for m in slack.api.messages[DANA_DM] if "FEEDBACK" in m["text"].upper()]


async def answered_while_held(slack: Slack, core: BotCore) -> HeldEvaluator:
    """Dana answers question 1 while the evaluator is held: the feedback will come late."""
    await team(slack)
    await slack.command(ADA, "ask now dana")
    held = HeldEvaluator(core.reviewer.evaluator)
    core.reviewer.evaluator = held
    core.reviewer.feedback_wait = 0.05
    await slack.poster.event(dm_event(DANA, ANSWERS["strategy"], "Ev0LATE01", DANA_DM))
    await asyncio.wait_for(held.started.wait(), 5)
    await slack.api.wait_for(lambda: any("Question 2" in p["text"] for p in slack.api.posts(DANA_DM)))
    return held


async def test_late_feedback_that_failed_to_send_goes_out_on_the_next_tick_once(
        slack: Slack, core: BotCore, clock: ManualClock) -> None:
    held = await answered_while_held(slack, core)
    slack.api.fail("chat.postMessage", *[SlackReply.server_error(503)] * 3)  # 1 + 2 retries
    held.release.set()
    await core.ctx.drain()
    assert feedback_posts(slack) == []
    async with core.ctx.db.session() as session:
        [row] = (await session.exec(select(OutboundMessage).where(OutboundMessage.kind == "feedback"))).all()
    assert row.state == "claimed" and "503" in (row.error or "")

    for _ in range(2):
        clock.advance(timedelta(seconds=30))
        await core.tick()
    assert len(feedback_posts(slack)) == 1


async def test_an_answer_whose_verdict_could_not_be_stored_is_judged_again_and_gets_feedback(
        slack: Slack, core: BotCore, clock: ManualClock, outage: Outage) -> None:
    held = await answered_while_held(slack, core)
    await outage.begin()
    held.release.set()
    await core.ctx.drain()  # the review fails: the database is gone when it stores the verdict
    await outage.end()
    async with core.ctx.db.session() as session:
        [answer] = (await session.exec(select(Answer))).all()
    assert answer.evaluation is None and feedback_posts(slack) == []

    for _ in range(2):
        clock.advance(timedelta(minutes=3))
        await core.tick()
    async with core.ctx.db.session() as session:
        [answer] = (await session.exec(select(Answer))).all()
    assert answer.evaluation is not None and answer.feedback
    assert len(feedback_posts(slack)) == 1
