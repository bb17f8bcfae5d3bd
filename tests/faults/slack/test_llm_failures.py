"""The LLM (OpenAI-compatible, the real openai SDK against the local fake server) failing while a
member answers in Slack: 500s, persistent 429s and a model that does not answer in time are
retried a bounded number of times, the answer still gets feedback (from the rules, labelled), and
admins see the fallbacks in `/align status`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.core import BotCore
from bot.evaluation.factory import build_evaluator
from bot.evaluation.llm import LLMEvaluator
from bot.storage.models import Answer
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import ANSWERS, DANA_DM, team
from tests.support.openai_server import FakeOpenAIServer, Reply, fake_openai_server
from tests.support.slack_api import dm_event

FAILURES = {
    "500": (Reply.server_error(500), "LLM service error (HTTP 500)"),
    "429": (Reply.rate_limited(retry_after=0.01), "LLM rate-limited (HTTP 429) after retries"),
    # 0.3 s per attempt, 1 retry; the answer's time budget (ALIGNBOT_OPENAI_BUDGET) ends it first
    "timeout": (Reply.slow(2.0, {}), "LLM gave no result within 0.5s"),
}


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with fake_openai_server() as running:
        yield running


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_the_llm_failing_still_gives_feedback_and_admins_see_the_fallbacks(
        slack: Slack, core: BotCore, server: FakeOpenAIServer, failure: str) -> None:
    reply, reason = FAILURES[failure]
    settings = core.ctx.settings.model_copy(update={
        "evaluator": "llm", "openai_api_key": SecretStr("sk-test"), "openai_base_url": server.base_url,
        "openai_timeout": 0.3, "openai_max_retries": 1,
        # the answer's budget ends a hanging model early, and leaves room for a retry otherwise
        "openai_budget": 0.5 if failure == "timeout" else 10.0})
    llm = build_evaluator(settings)
    assert isinstance(llm, LLMEvaluator)
    core.reviewer.evaluator = llm
    server.default = reply
    await team(slack)
    await slack.command(ADA, "ask now dana")

    await slack.poster.event(dm_event(DANA, ANSWERS["strategy"], "Ev0LLM001", DANA_DM))
    await core.ctx.drain()
    await llm.aclose()
    requests = len(server.chat_requests)
    assert requests == 2 if failure != "timeout" else 1 <= requests <= 2  # one retry at most
    thread = "\n".join(p["text"] for p in slack.api.posts(DANA_DM))
    assert "saved your answer to question 1" in thread and "FEEDBACK" in thread.upper()
    async with core.ctx.db.session() as session:
        [answer] = (await session.exec(select(Answer))).all()
    assert answer.evaluation is not None and reason in answer.evaluation
    assert core.ctx.metrics.value("alignbot_evaluation_fallbacks_total", evaluator="llm") == 1

    [status] = await slack.command(ADA, "status")
    assert f"1 of 1 answers were judged by the rules because the LLM failed: {reason} (1)" in status
