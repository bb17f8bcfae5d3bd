"""Feedback right after each answer: in order with the conversation, stored with the answer,
delivered once even when the evaluator is slow, and never at the cost of the answer."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import select

from bot.config import REPO_ROOT
from bot.core import BotCore
from bot.evaluation.result import Evaluation, Question
from bot.evaluation.rules import RULES_VERSION, RulesEvaluator
from bot.storage.models import Answer, CheckIn, OutboundMessage
from bot.strategy.schema import Strategy
from bot.strategy.store import record_version
from tests.support.ports import RecordingPort
from tests.support.talk import say, say_now, setup_team

STATEMENT = ("Become the audit-readiness platform for mid-market fintechs and regional banks, growing"
             " ARR 35% because continuous monitoring halves audit prep.")


async def stored_answers(core: BotCore) -> list[Answer]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(Answer).order_by(Answer.id))).all())  # type: ignore[arg-type]


async def test_feedback_comes_between_saved_and_the_next_question_and_is_stored(core: BotCore) -> None:
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    reply = await say(core, "dana", STATEMENT)
    saved, feedback, question = (reply.index("saved your answer to question 1"),
                                 reply.index("Feedback on your strategy statement"),
                                 reply.index("Question 2 of 3"))
    assert saved < feedback < question
    assert "Covered: objectives" in reply and "scope" in reply and "advantage" in reply

    reply = await say(core, "dana", "we play in mid-market fintech, not tier-1 banks")
    assert "Segments we play in: Mid-market fintech" in reply
    assert "Correctly named as segments we don't play in: Global tier-1 banks" in reply

    reply = await say(core, "dana", "- ran disco w/ Ledgerly on their SOC2 gaps\n- reorganised my inbox")
    assert reply.index("Feedback on your sales tasks") < reply.index("That's all three")
    assert 'Run a compliance discovery call ("ran disco w/ Ledgerly on their SOC2 gaps")' in reply
    assert 'effort outside the strategy): "reorganised my inbox"' in reply
    assert "Critical tasks you did not mention: Map the buying committee" in reply
    assert "Coaching: make time for \"Map the buying committee\"" in reply

    answers = await stored_answers(core)
    assert [a.question for a in answers] == ["strategy", "scope", "tasks"]
    for answer in answers:
        assert answer.feedback and answer.feedback.startswith("Feedback on")
        verdict = Evaluation.model_validate(json.loads(answer.evaluation or "{}"))
        assert verdict.question == answer.question and verdict.evaluator == "rules"
        assert answer.overall_score == verdict.overall
    assert answers[2].overall_score is not None and answers[2].overall_score < 1


async def test_out_of_scope_deal_in_a_tasks_answer_is_warned_with_the_segment(core: BotCore) -> None:
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    await say(core, "dana", STATEMENT)
    await say(core, "dana", "mid-market fintech")
    reply = await say(core, "dana", "ran a proof of value for a government agency")
    assert "Out of scope: Government and public sector - we do not play there." in reply
    assert "Coaching:" in reply


async def test_a_manager_is_coached_on_their_team_not_told_to_make_time_like_a_rep(core: BotCore) -> None:
    """Found in the console: a manager who answered "which tasks are you coaching or driving"
    with "coached Dana on discovery" was told "Critical tasks you did not mention" and "make
    time for Map the buying committee" - a rep's coaching, on a manager's week."""
    await setup_team(core)
    await say(core, "ada", "/align ask now sam")
    await say(core, "sam", STATEMENT)
    await say(core, "sam", "mid-market fintech")
    reply = await say(core, "sam", "coached Dana on discovery")
    assert ("⚠ Critical tasks you did not mention for yourself or your team: Map the buying"
            " committee" in reply)
    assert 'Coaching: is your team doing "Map the buying committee"? ' in reply
    assert "Ask about it in this week's one-to-ones" in reply and "make time for" not in reply
    # a manager who names their team's rhythm is told to put the task on its agenda
    reply = await say(core, "sam", "/align answer 3 pipeline review with my team, coached Dana"
                                   " on discovery")
    assert ('Coaching: put "Map the buying committee" on the agenda of your pipeline review'
            in reply and "make time for" not in reply)
    reply = await say(core, "sam", "/align answer 3 idk")
    assert "Coaching: tell me which sales tasks you are coaching or driving" in reply

    await say(core, "ada", "/align ask now dana")  # a rep's wording is unchanged
    await say(core, "dana", STATEMENT)
    await say(core, "dana", "mid-market fintech")
    reply = await say(core, "dana", "ran disco w/ Ledgerly on their SOC2 gaps")
    assert 'Coaching: make time for "Map the buying committee"' in reply
    assert "yourself or your team" not in reply


class GatedEvaluator:
    """The real rules evaluator behind a gate the test opens: a model that takes its time."""

    name = "gated"
    version = "1"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.calls = 0
        self.rules = RulesEvaluator()

    async def evaluate(self, question: Question, answer: str, strategy: Strategy) -> Evaluation:
        self.calls += 1
        await self.gate.wait()
        return await self.rules.evaluate(question, answer, strategy)


@pytest.fixture
def gated(core: BotCore) -> GatedEvaluator:
    evaluator = GatedEvaluator()
    core.reviewer.evaluator = evaluator
    core.reviewer.feedback_wait = 0  # never wait: every review finishes after the reply
    return evaluator


async def test_slow_feedback_follows_once_in_the_checkin_thread(core: BotCore, port: RecordingPort,
                                                                gated: GatedEvaluator) -> None:
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    reply = await say_now(core, "dana", STATEMENT)
    assert "Question 2 of 3" in reply and "Feedback" not in reply  # the conversation goes on
    gated.gate.set()
    await core.ctx.drain()
    feedback = [s for s in port.sent if s.message.text.startswith("Feedback on")]
    assert len(feedback) == 1 and feedback[0].to.user_id == "dana"
    assert feedback[0].thread == port.sent[0].ref  # under the check-in's first message
    await core.ctx.drain()
    async with core.ctx.db.session() as session:
        keys = (await session.exec(select(OutboundMessage.key).where(
            OutboundMessage.kind == "feedback"))).all()
    assert len(keys) == 1


async def test_an_edit_during_a_slow_review_wins(core: BotCore, port: RecordingPort,
                                                 gated: GatedEvaluator) -> None:
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    await say_now(core, "dana", "we sell software")
    await say_now(core, "dana", f"/align answer 1 {STATEMENT}")
    gated.gate.set()
    await core.ctx.drain()
    feedback = [s.message.text for s in port.sent if s.message.text.startswith("Feedback on")]
    assert len(feedback) == 1 and "Covered: objectives" in feedback[0]  # only the edit's verdict
    (answer,) = await stored_answers(core)
    assert answer.edits == 1 and answer.feedback == feedback[0]


class BrokenEvaluator:
    name = "broken"
    version = "1"

    async def evaluate(self, question: Question, answer: str, strategy: Strategy) -> Evaluation:
        raise RuntimeError("evaluator bug")


async def test_a_failing_evaluator_loses_no_answer(core: BotCore) -> None:
    core.reviewer.evaluator = BrokenEvaluator()
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    reply = await say(core, "dana", STATEMENT)
    assert "saved your answer to question 1" in reply and "Question 2 of 3" in reply
    (answer,) = await stored_answers(core)
    assert answer.text == STATEMENT and answer.evaluation is None
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(CheckIn.state))).one() == "asked"


async def _week_of_answers(core: BotCore, tasks: str) -> str:
    await say(core, "ada", "/align ask now dana")
    await say(core, "dana", STATEMENT)
    await say(core, "dana", "we play in mid-market fintech, not tier-1 banks")
    return await say(core, "dana", tasks)


async def test_coaching_names_the_critical_task_this_rep_has_gone_longest_without(
        core: BotCore) -> None:
    """Dana mapped committees and ran discovery two weeks ago, followed up on content a week ago,
    and has never reported a security review: that is the one she is coached on, with how long -
    not the first critical task in the strategy file."""
    from datetime import timedelta

    await setup_team(core)
    await _week_of_answers(core, "mapped the buying committee at Acme, ran disco on SOC2 gaps")
    await core.advance(timedelta(days=7))
    await _week_of_answers(core, "followed up on a whitepaper download the same day")
    await core.advance(timedelta(days=7))
    reply = await _week_of_answers(core, "built an ROI model with the CFO at Ledgerly")
    coaching = next(line for line in reply.splitlines() if line.startswith("Coaching:"))
    assert 'you haven\'t reported "Prepare the security review" in any check-in so far' in coaching
    assert "Map the buying committee" not in coaching
    # The missing line starts where the coaching does (found in make run: it listed the first
    # critical tasks in the file, which Dana had done, and not the one she was coached on).
    missing = next(line for line in reply.splitlines() if "Critical tasks you did not mention" in line)
    assert missing.endswith("Prepare the security review, Map the buying committee (and 2 more)")

    await core.advance(timedelta(days=7))
    reply = await _week_of_answers(core, "sent our SOC 2 report, built an ROI model with the CFO")
    coaching = next(line for line in reply.splitlines() if line.startswith("Coaching:"))
    assert 'you haven\'t reported "Map the buying committee" for 21 days' in coaching


async def test_feedback_resent_after_a_failed_send_is_the_feedback_stored(core: BotCore) -> None:
    """Feedback whose send failed is rebuilt from the stored verdict on the next tick: it was
    written without the person's history, so Dana's resent coaching named the first critical
    task in the file ("Map the buying committee", done a week ago) instead of the one she was
    coached on."""
    from datetime import timedelta

    await setup_team(core)
    await _week_of_answers(core, "mapped the buying committee at Acme, ran disco on SOC2 gaps")
    await core.advance(timedelta(days=7))
    await _week_of_answers(core, "followed up on a whitepaper download the same day")
    answer = (await stored_answers(core))[-1]
    assert answer.feedback and 'haven\'t reported "Prepare the security review"' in answer.feedback
    async with core.ctx.db.session() as session:  # as if it had come late and failed to send
        session.add(OutboundMessage(key=f"feedback:{answer.id}:{answer.edits}",
                                    member_id=answer.member_id, kind="feedback",
                                    claimed_at=core.ctx.clock.now(), error="503"))
    [review] = await core.reviewer._undelivered()
    assert review.message.text == answer.feedback


async def test_status_names_the_evaluator_actually_in_use(core: BotCore) -> None:
    await setup_team(core)
    reply = await say(core, "ada", "/align status")
    assert f"Evaluator in use: rules {RULES_VERSION} (offline, no LLM configured)" in reply
    assert "LLM:" not in reply  # no LLM line when there is no LLM


async def test_an_answer_is_judged_by_the_strategy_its_checkin_was_asked_under(
        core: BotCore) -> None:
    """Dana was asked under the first version; an admin loads a changed strategy before she
    answers. Her answer is judged against the version she was asked about, and says so."""
    from bot.strategy.loader import parse_strategy

    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    asked_under = core.ctx.strategy
    text = (REPO_ROOT / "examples" / "strategy.yaml").read_text().replace(
        "name: Map the buying committee", "name: Map every stakeholder")
    core.ctx.strategy = parse_strategy(text)
    await record_version(core.ctx.db, core.ctx.strategy, "test", core.ctx.clock.now())
    await say(core, "dana", STATEMENT)
    await say(core, "dana", "we play in mid-market fintech, not tier-1 banks")
    reply = await say(core, "dana", "mapped the buying committee at Acme Bank")
    assert 'Map the buying committee ("mapped the buying committee at Acme Bank")' in reply
    assert "Map every stakeholder" not in reply
    # Named by the numbers admins see in `/align strategy history`, not by content hashes.
    assert ("Judged against the strategy you were asked about, version 1; the current one is"
            " version 2.") in reply
    verdict = Evaluation.model_validate_json((await stored_answers(core))[-1].evaluation or "{}")
    assert verdict.strategy_version == asked_under.version
