"""A core on SQLite, the local Bot Connector, and the Teams adapter serving /api/messages on a
free port with authentication off (this test configuration only; test_auth.py turns it on)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.teams.app import MESSAGES_PATH, BotAuthConfig, TeamsAdapter
from bot.config import Settings
from bot.core import BotCore
from tests.adapters.teams import activities as act
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.bot_connector import FakeBotConnector, fake_bot_connector

ADA, DANA, LEE = "29:ada-0001", "29:dana-0001", "29:lee-0001"
Json = dict[str, Any]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"  # adapter tests need one database, not both


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, evaluator="rules",
                    _env_file=None)


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    async with fake_bot_connector() as server:
        server.add_user(ADA, "Ada", email="ada@acme.example")
        server.add_user(DANA, "Dana", email="dana@acme.example")
        server.add_user(LEE, "Lee", email="lee@acme.example")
        yield server
        assert server.problems == []  # every card valid against Adaptive Cards 1.5, sizes in limit


@dataclass
class Sleeps:
    """The adapter's retry sleep, recorded instead of waited."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def adapter(core: BotCore, sleeps: Sleeps) -> AsyncIterator[TeamsAdapter]:
    teams = TeamsAdapter(core, BotAuthConfig(), host="127.0.0.1", http_port=0, max_retries=3,
                         max_wait=30.0, sleep=sleeps)
    await teams.start()
    yield teams
    await teams.stop()


@dataclass
class Teams:
    """Drives the bot as Teams would: activities posted to /api/messages, then waits for the work
    they started."""

    core: BotCore
    connector: FakeBotConnector
    url: str

    def user(self, user_id: str) -> Json:
        info = self.connector.users[user_id]
        return act.account(user_id, info["name"])

    async def post(self, body: Json, headers: dict[str, str] | None = None) -> int:
        async with aiohttp.ClientSession() as session, session.post(
                self.url, json=body, headers=headers or {}) as response:
            status = response.status
        await self.core.ctx.drain()
        return status

    async def install(self, user_id: str, timezone: str | None = None) -> None:
        assert await self.post(act.installed(self.connector.service_url, self.user(user_id), timezone)) == 200

    async def say(self, user_id: str, text: str) -> list[str]:
        """`text` typed in the user's 1:1 chat; the texts of the bot's replies there."""
        before = len(self.connector.cards(conversation=self.dm(user_id)))
        assert await self.post(act.message(self.connector.service_url, self.user(user_id), text)) == 200
        return self.connector.card_texts(conversation=self.dm(user_id))[before:]

    def dm(self, user_id: str) -> str:
        return act.personal(user_id)["id"]


@pytest.fixture
def teams(core: BotCore, connector: FakeBotConnector, adapter: TeamsAdapter) -> Teams:
    return Teams(core, connector, f"http://127.0.0.1:{adapter.bound_port}{MESSAGES_PATH}")
