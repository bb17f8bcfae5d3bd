"""Robustness in Slack: acknowledge before evaluating (the answer is recorded first), retried
deliveries never duplicate an answer even while the first is still being judged, Retry-After is
waited, people Slack says are gone are marked and not retried, and the profile cache follows
team_join / user_change."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import func, select

from adapters.slack.port import SlackPort, build_client
from bot.clock import ManualClock
from bot.core import BotCore
from bot.evaluation.base import Evaluator
from bot.evaluation.result import Evaluation, Question
from bot.events import MemberRef, Message
from bot.storage.models import Answer, Member
from bot.strategy.schema import Strategy
from tests.adapters.slack.conftest import ADA, DANA, LEE, Slack
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM, team
from tests.support.slack_api import FakeSlackApi, SlackReply, dm_event, event_callback


class HeldEvaluator:
    """Wraps the real evaluator but holds every evaluation until released."""

    name = "held"
    version = "1"

    def __init__(self, inner: Evaluator) -> None:
        self.inner = inner
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def evaluate(self, question: Question, answer: str, strategy: Strategy) -> Evaluation:
        self.started.set()
        await self.release.wait()
        return await self.inner.evaluate(question, answer, strategy)


async def answers(core: BotCore) -> list[Answer]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(Answer))).all())


async def test_ack_first_record_first_and_a_retry_during_evaluation_changes_nothing(
        slack: Slack, core: BotCore) -> None:
    await team(slack)
    await slack.command(ADA, "ask now dana")
    held = HeldEvaluator(core.reviewer.evaluator)
    core.reviewer.evaluator = held
    event = dm_event(DANA, ANSWERS["strategy"], "Ev0SLOW01", DANA_DM)
    status, _ = await slack.poster.event(event)
    assert status == 200  # acknowledged although the evaluation has not even finished
    await asyncio.wait_for(held.started.wait(), 5)
    [stored] = await answers(core)  # recorded before it is judged
    assert stored.text == ANSWERS["strategy"] and stored.evaluation is None
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await slack.poster.event(event, headers=retry))[0] == 200
    held.release.set()
    await core.ctx.drain()
    [judged] = await answers(core)
    assert judged.edits == 0 and judged.evaluation is not None and judged.feedback
    saved = [p for p in slack.api.posts(DANA_DM) if "saved your answer" in p["text"]]
    assert len(saved) == 1


async def test_rate_limits_wait_for_retry_after(api: FakeSlackApi) -> None:
    port = SlackPort(build_client("xoxb-test-token", base_url=api.base_url))
    api.fail("chat.postMessage", SlackReply.rate_limited(retry_after=1))
    await port.send(MemberRef("slack", DANA), Message.plain("hello"))
    first, second = api.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0  # slack_sdk's handler slept for Retry-After before retrying
    assert api.messages[DANA_DM][-1]["text"] == "hello"


async def member(core: BotCore, user_id: str) -> Member:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Member).where(Member.platform_user_id == user_id))).one()


async def test_a_deactivated_member_is_marked_and_not_tried_again_until_reactivated(
        slack: Slack, core: BotCore, clock: ManualClock) -> None:
    api = slack.api
    await team(slack)
    for error in ("account_inactive", "user_not_found"):
        api.fail("chat.postMessage", SlackReply.error_code("channel_not_found"))
        api.fail("conversations.open", SlackReply.error_code(error))
        assert "Dana (could not be reached)" in (await slack.command(ADA, "ask now dana"))[0]
        assert (await member(core, DANA)).unreachable == error
        tries = len(api.calls)
        clock.advance(timedelta(minutes=5))
        assert "Dana (could not be reached)" in (await slack.command(ADA, "ask now dana"))[0]
        assert [c.method for c in api.calls[tries:]] == []  # not tried: marked unreachable
        assert f"unreachable ({error})" in "\n".join(await slack.command(ADA, "team list"))
        # Slack says Dana is back (reactivated): the profile update clears the mark.
        user = api.users[DANA] | {"deleted": False}
        await slack.poster.event(event_callback({"type": "user_change", "user": user}, f"Ev0BACK{error}"))
        await core.ctx.drain()
        assert (await member(core, DANA)).unreachable is None
        clock.advance(timedelta(minutes=5))
    assert "Asked 1: Dana" in (await slack.command(ADA, "ask now dana"))[0]
    assert len(api.messages[DANA_DM]) == 1  # the one that reached her


async def test_profiles_follow_user_change_and_team_join(slack: Slack, core: BotCore) -> None:
    await team(slack)
    user = slack.api.users[DANA] | {"tz": "Asia/Singapore", "is_admin": True}
    user["profile"] = user["profile"] | {"email": "dana@new.example"}
    await slack.poster.event(event_callback({"type": "user_change", "user": user}, "Ev0UC01"))
    await core.ctx.drain()
    dana = await member(core, DANA)
    assert (dana.timezone, dana.email, dana.platform_admin) == ("Asia/Singapore", "dana@new.example", True)

    await slack.command(DANA, "me tz Europe/Lisbon")  # her own choice wins over the profile
    await slack.poster.event(event_callback({"type": "user_change", "user": user | {"tz": "Asia/Tokyo"}},
                                            "Ev0UC02"))
    await core.ctx.drain()
    assert (await member(core, DANA)).timezone == "Europe/Lisbon"

    # Someone joining the workspace is not added to the team; a known member is refreshed.
    joined = slack.api.add_user("U0NEW0001", "Nia", tz="Africa/Lagos")
    await slack.poster.event(event_callback({"type": "team_join", "user": joined}, "Ev0TJ01"))
    lee = slack.api.users[LEE] | {"tz": "America/Chicago"}
    await slack.command(ADA, f"team add <@{LEE}> rep")
    await slack.poster.event(event_callback({"type": "team_join", "user": lee}, "Ev0TJ02"))
    await core.ctx.drain()
    async with core.ctx.db.session() as session:
        count = (await session.exec(select(func.count()).select_from(Member))).one()
    assert count == 3 and (await member(core, LEE)).timezone == "America/Chicago"


async def test_a_deactivation_event_marks_the_member_before_any_send_fails(slack: Slack,
                                                                          core: BotCore) -> None:
    await team(slack)
    gone = slack.api.users[DANA] | {"deleted": True}
    await slack.poster.event(event_callback({"type": "user_change", "user": gone}, "Ev0GONE1"))
    await core.ctx.drain()
    assert (await member(core, DANA)).unreachable == "account_inactive"
    calls = len(slack.api.calls)
    assert "Dana (could not be reached)" in (await slack.command(ADA, "ask now dana"))[0]
    assert slack.api.calls[calls:] == []
