"""Installations, OAuth states and user workspaces on SQLite and PostgreSQL, through slack_sdk's
store interfaces as bolt calls them (find by team, by org for org-wide installs, delete)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack.oauth import DatabaseInstallationStore, DatabaseStateStore
from bot.clock import ManualClock
from bot.core import BotCore
from bot.people.installations import Installations, Workspace
from bot.storage.database import Database


def installation(team: str | None, token: str, *, org: str | None = None,
                 org_wide: bool = False) -> Installation:
    return Installation(app_id="A1", enterprise_id=org, team_id=team, team_name=f"Team {team}",
                        bot_token=token, bot_id="B1", bot_user_id="U0BOT", bot_scopes="chat:write,commands",
                        user_id="U0INSTALL", is_enterprise_install=org_wide, bot_token_expires_in=3600)


async def test_installation_store_roundtrip(core: BotCore, clock: ManualClock) -> None:
    records = Installations(core.ctx.db, clock, "slack")
    store = DatabaseInstallationStore(records, client_id="111.222")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    await store.async_save(installation("T1", "xoxb-old"))
    clock.advance(timedelta(minutes=1))
    await store.async_save(installation("T1", "xoxb-new"))  # a reinstall: the newest wins
    await store.async_save(installation(None, "xoxb-org", org="E1", org_wide=True))
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-new"
    assert found.bot_scopes == ["chat:write", "commands"]
    assert found.bot_token_expires_at is not None and found.installed_at > 0
    bot = await store.async_find_bot(enterprise_id="E1", team_id="T9", is_enterprise_install=True)
    assert bot is not None and bot.bot_token == "xoxb-org"
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None
    assert [w.workspace_id for w in await records.workspaces()] == ["T1"]
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_states_are_single_use_and_expire(core: BotCore, clock: ManualClock) -> None:
    states = DatabaseStateStore(Installations(core.ctx.db, clock, "slack"), expiration_seconds=600)
    first, second = await states.async_issue(), await states.async_issue()
    assert first != second and len(first) >= 40
    assert await states.async_consume(first) is True
    assert await states.async_consume(first) is False
    clock.advance(timedelta(seconds=601))
    assert await states.async_consume(second) is False
    assert await states.async_consume("") is False


async def test_user_workspaces_are_remembered_and_corrected(core: BotCore, clock: ManualClock) -> None:
    records = Installations(core.ctx.db, clock, "slack")
    assert await records.workspace_of("U1") is None
    await records.remember("U1", Workspace("T1"))
    await records.remember("U1", Workspace("T1"))
    assert await records.workspace_of("U1") == Workspace("T1")
    await records.remember("U1", Workspace("T2", "E1"))
    assert await records.workspace_of("U1") == Workspace("T2", "E1")


async def test_bot_only_records_are_found_by_both_finders(core: BotCore, clock: ManualClock) -> None:
    store = DatabaseInstallationStore(Installations(core.ctx.db, clock, "slack"), client_id="111.222")
    await store.async_save_bot(installation("T3", "xoxb-bot-only").to_bot())
    bot = await store.async_find_bot(enterprise_id=None, team_id="T3")
    assert bot is not None and bot.bot_token == "xoxb-bot-only"
    found = await store.async_find_installation(enterprise_id=None, team_id="T3")
    assert found is not None and found.bot_token == "xoxb-bot-only" and found.user_id is None
    await store.async_delete_bot(enterprise_id=None, team_id="T3")
    assert await store.async_find_bot(enterprise_id=None, team_id="T3") is None


async def test_a_state_consumed_by_two_requests_at_once_is_accepted_once(
        core: BotCore, clock: ManualClock) -> None:
    """Read, then delete, were two steps: two callbacks with one state could both pass. Two
    processes (each its own engine and connections) race on the same state, many times."""
    other = Database(core.ctx.settings.database_url)
    try:
        mine = DatabaseStateStore(Installations(core.ctx.db, clock, "slack"), expiration_seconds=600)
        theirs = DatabaseStateStore(Installations(other, clock, "slack"), expiration_seconds=600)
        for _ in range(20):
            state = await mine.async_issue()
            results = await asyncio.gather(mine.async_consume(state), theirs.async_consume(state),
                                           mine.async_consume(state))
            assert sorted(results) == [False, False, True]
    finally:
        await other.dispose()
