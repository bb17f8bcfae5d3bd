"""Races between requests that arrive together, over real HTTP into two bot processes' worth of
adapters sharing one PostgreSQL database (each its own engine and connection pool)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from sqlmodel import select

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from adapters.slack.port import build_client
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.prompts import Prompts
from bot.storage.database import Database
from bot.storage.models import Member
from bot.strategy.loader import load_strategy
from tests.adapters.slack.conftest import SECRET
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.support.databases import fresh_postgres
from tests.support.slack_api import (
    FakeSlackApi,
    SignedPoster,
    block_action,
    fake_slack_api,
    slash_command,
    view_submission,
)

pytestmark = pytest.mark.postgres
STRANGERS = ("U0EVE0001", "U0MAL0001")


@pytest.fixture
def pg_url() -> AsyncIterator[str]:
    with fresh_postgres() as url:
        yield url


async def _process(stack: AsyncExitStack, url: str, api: FakeSlackApi) -> tuple[BotCore, SignedPoster]:
    """One bot process: its own database engine, core and Slack HTTP endpoint."""
    settings = Settings(database_url=url, strategy_file=EXAMPLE_STRATEGY, evaluator="rules",
                        _env_file=None)  # type: ignore[call-arg]
    ctx = BotContext(settings=settings, db=Database(url, settings.database_timeout),
                     clock=ManualClock(START), prompts=Prompts(settings.prompts_dir),
                     strategy=load_strategy(settings.strategy_file))
    core = BotCore(ctx)
    await core.start()
    stack.push_async_callback(ctx.db.dispose)
    stack.push_async_callback(ctx.drain)
    slack = SlackAdapter(core, build_client("xoxb-test-token", base_url=api.base_url),
                         signing_secret=SECRET, host="127.0.0.1", http_port=0)
    await slack.start()
    stack.push_async_callback(slack.stop)
    return core, SignedPoster(f"http://127.0.0.1:{slack.bound_port}{EVENTS_PATH}", SECRET)


async def test_two_strangers_at_once_on_an_empty_team_make_one_admin(pg_url: str) -> None:
    """The count of members, the platform look-up and the insert were separate steps: both
    strangers saw an empty team. Now the first member is decided under one lock."""
    async with fake_slack_api() as api, AsyncExitStack() as stack:
        for user in STRANGERS:
            api.add_user(user, user[2:5].title())
        api.slow("users.info", 0.3)  # both look-ups overlap, as on a busy day
        first = await _process(stack, pg_url, api)
        await first[0].ctx.db.migrate()
        second = await _process(stack, pg_url, api)
        for attempt in range(3):
            results = await asyncio.gather(*(
                poster.form(slash_command(user, f"team add <@{user}> admin",
                                          api.response_url(f"r{attempt}-{user}")))
                for (_, poster), user in zip((first, second), STRANGERS, strict=True)))
            assert [status for status, _ in results] == [200, 200]
            for core, _ in (first, second):
                await core.ctx.drain()
            async with first[0].ctx.db.session() as session:
                members = list((await session.exec(select(Member))).all())
            admins = [m.platform_user_id for m in members if m.admin or m.role == "admin"]
            assert len(admins) == 1, f"attempt {attempt}: {admins} are all admins"
            replies = [body["text"] for key, body in api.responses if key.startswith(f"r{attempt}-")]
            assert len(replies) == 2
            assert sum("Added" in text for text in replies) == 1, replies
            async with first[0].ctx.db.session() as session:  # empty the team for the next try
                for member in members:
                    await session.delete(member)


async def test_one_modal_submission_replayed_into_two_processes_at_once_is_stored_once(
        pg_url: str) -> None:
    """The replay store is the database's unique index, so a captured submission sent to two
    processes at the same moment (each its own connection pool) runs in one of them."""
    dana, ada, dm = "U0DANA001", "U0ADA0001", "D0DANA001"
    async with fake_slack_api() as api, AsyncExitStack() as stack:
        api.add_user(ada, "Ada", is_owner=True)
        api.add_user(dana, "Dana", email="dana@acme.example")
        (core, poster) = first = await _process(stack, pg_url, api)
        await core.ctx.db.migrate()
        second = await _process(stack, pg_url, api)
        for n, text in enumerate((f"team add <@{ada}> admin", f"team add <@{dana}> rep", "ask now dana")):
            assert (await poster.form(slash_command(ada, text, api.response_url(f"s{n}"))))[0] == 200
            await core.ctx.drain()
        [ask] = api.posts(dm)
        answer = next(el for b in ask["blocks"] if b["type"] == "actions" for el in b["elements"])
        await poster.interaction(block_action(dana, answer, dm, api.messages[dm][0]["ts"], "trigger-x"))
        await core.ctx.drain()
        captured = view_submission(dana, api.calls_to("views.open")[-1].args["view"],
                                   {"strategy": "We win on audit readiness.", "scope": "Fintechs.",
                                    "tasks": "Sent the SOC 2 report to Ledgerly."})
        stamp = int(time.time())
        statuses = await asyncio.gather(*(p.interaction(captured, timestamp=stamp)
                                          for _, p in (first, second)))
        assert [status for status, _ in statuses] == [200, 200]
        for process, _ in (first, second):
            await process.ctx.drain()
        replies = [p["text"] for p in api.posts(dm)][1:]  # after the invitation
        assert sum("saved your answer" in text for text in replies) == 3, replies  # one per question
        assert not any("Updated your answer" in text for text in replies), replies
        assert sum(text.startswith("Feedback on") for text in replies) == 3, replies
