"""Drafting a strategy from a document: with an LLM (the real SDK against the local fake OpenAI
server) or, without one, a skeleton with TODO markers; either way a proposal, never current."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.config import REPO_ROOT, Settings
from bot.core import BotCore
from bot.events import ActionInvoked, MemberRef
from bot.strategy.draft import PROMPT_NAME, draft, skeleton, todos
from bot.strategy.loader import load_strategy
from bot.strategy.store import CURRENT, PROPOSED, list_versions
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.openai_server import Reply, fake_openai_server
from tests.support.talk import say, setup_team

EXAMPLE = load_strategy(EXAMPLE_STRATEGY)
PROMPT = (REPO_ROOT / "prompts" / PROMPT_NAME).read_text(encoding="utf-8")
TODAY = date(2026, 3, 2)
DOCUMENT = """# Harbor Logistics FY28

We will be the cold-chain partner of choice for regional grocers in the Nordics, growing revenue
20% at 30% margin, because our sensors prove every degree from dock to shelf.

## Objectives
- Grow revenue 20%
- Keep gross margin at 30%

## Where we play
- Regional grocers
- Food wholesalers

## Where we don't play
- Global retail chains

## Why we win
Sensors that prove temperature from dock to shelf, integrated in a day.

## Sales tasks
- Run a cold-chain audit
- Bring the quality manager in
"""
LLM_DRAFT: dict[str, Any] = {
    "strategy": {"name": "Harbor Logistics FY28",
                 "statement": "Be the cold-chain partner of regional Nordic grocers, growing revenue"
                              " 20% at 30% margin, with sensors that prove every degree.",
                 "objectives": ["Grow revenue 20%", "Keep gross margin at 30%"],
                 "advantage": "Sensors that prove temperature from dock to shelf.",
                 "review_by": "2027-03-01"},
    "segments": [{"id": "regional_grocers", "name": "Regional grocers", "in_scope": True,
                  "aliases": ["grocer", "supermarket chain", "food retailer"]},
                 {"id": "global_retail", "name": "Global retail chains", "in_scope": False,
                  "aliases": ["global retailer", "hypermarket"]}],
    "sales_tasks": [{"id": "cold_chain_audit", "name": "Run a cold-chain audit",
                     "description": "Measure where the customer's cold chain breaks.",
                     "examples": ["ran a cold-chain audit", "measured their dock temperatures",
                                  "audited the reefer trucks"], "critical": True}],
}


def test_without_an_llm_the_skeleton_fills_the_headings_and_marks_the_rest_todo() -> None:
    drafted = skeleton(DOCUMENT, EXAMPLE, TODAY)
    core = drafted.strategy
    assert core.name == "Harbor Logistics FY28" and core.statement.startswith("We will be the cold-chain")
    assert [o.text for o in core.objectives] == ["Grow revenue 20%", "Keep gross margin at 30%"]
    assert core.advantage.startswith("Sensors that prove temperature")
    assert [(s.id, s.in_scope) for s in drafted.segments] == [
        ("regional_grocers", True), ("food_wholesalers", True), ("global_retail_chains", False)]
    assert [t.name for t in drafted.sales_tasks] == ["Run a cold-chain audit", "Bring the quality manager in"]
    assert core.review_by == date(2027, 3, 2) and drafted.cadence.default == EXAMPLE.cadence.default
    missing = todos(drafted)
    assert "segments[0].aliases[0]" in missing and "sales_tasks[1].examples[0]" in missing
    assert not any(path.startswith("strategy.") for path in missing)  # the document had all of it


async def test_with_an_llm_its_draft_is_used_and_a_broken_one_falls_back() -> None:
    with fake_openai_server() as server:
        settings = Settings(openai_base_url=server.base_url, openai_api_key="sk-test",  # type: ignore[call-arg]
                            openai_max_retries=0, _env_file=None)
        server.script(Reply.json(LLM_DRAFT), Reply.json({"strategy": {"name": "x"}}))
        drafted = await draft(DOCUMENT, EXAMPLE, TODAY, settings, PROMPT)
        assert drafted.by == "llm" and drafted.strategy.task("cold_chain_audit").critical
        assert todos(drafted.strategy) == []
        [request] = server.chat_requests
        assert request.body["response_format"] == {"type": "json_object"}
        assert "Regional grocers" in request.body["messages"][1]["content"]  # the document, as data
        assert "2026-03-02" in request.body["messages"][0]["content"]
        fallback = await draft(DOCUMENT, EXAMPLE, TODAY, settings, PROMPT)
        assert fallback.by == "skeleton" and fallback.note == "StrategyFileError"


async def test_draft_in_chat_is_a_proposal_with_its_todos(core: BotCore) -> None:
    await setup_team(core)
    assert "Draft a strategy from your document" in await say(core, "ada", "/align strategy draft")
    assert "is for admins" in await say(core, "dana", "/align strategy draft")
    replies = await core.handle(ActionInvoked(MemberRef("test", "ada"), "strategy-draft:document",
                                              values={"document": DOCUMENT}))
    text = "\n".join(r.text for r in replies)
    assert text.startswith("Still TODO in this draft (")
    assert "Proposed: strategy version 2 - Harbor Logistics FY28" in text
    assert "Segment added: Regional grocers (in scope)" in text and "strategy doctor" in text
    assert [r.status for r in await list_versions(core.ctx.db)] == [CURRENT, PROPOSED]
    assert core.ctx.strategy.strategy.name == "Northbeam Compliance FY27"  # nothing current yet
