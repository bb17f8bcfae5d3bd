"""A core on SQLite, the fake Slack Web API, and the Slack adapter serving HTTP on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from adapters.slack.app import EVENTS_PATH, SlackAdapter
from adapters.slack.port import build_client, web_session
from bot.config import Settings
from bot.core import BotCore
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.slack_api import FakeSlackApi, SignedPoster, all_problems, fake_slack_api, slash_command

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ADA, DANA, LEE = "U0ADA0001", "U0DANA001", "U0LEE0001"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"  # adapter tests need one database, not both


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, strategy_file=EXAMPLE_STRATEGY, evaluator="rules",
                    _env_file=None)


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    async with fake_slack_api() as server:
        server.add_user(ADA, "Ada", tz="Europe/Berlin", is_owner=True)
        server.add_user(DANA, "Dana", tz="America/New_York", email="dana@acme.example")
        server.add_user(LEE, "Lee", tz="Europe/London")
        yield server
        assert all_problems(server) == []  # every test: calls match the spec, blocks the limits


@pytest.fixture
async def adapter(core: BotCore, api: FakeSlackApi) -> AsyncIterator[SlackAdapter]:
    session = web_session()  # one kept-alive session, as `alignbot run` gives the adapter
    slack = SlackAdapter(core, build_client("xoxb-test-token", base_url=api.base_url, session=session),
                         signing_secret=SECRET, host="127.0.0.1", http_port=0, session=session)
    await slack.start()
    yield slack
    await slack.stop()
    await session.close()


@dataclass
class Slack:
    """Drives the bot as Slack would: signed requests in, then waits for the work they started."""

    core: BotCore
    api: FakeSlackApi
    poster: SignedPoster
    commands: int = 0

    async def command(self, user_id: str, text: str, team: str | None = None) -> list[str]:
        """`/align <text>` as `user_id`; the ephemeral replies' texts."""
        self.commands += 1
        name = f"cmd{self.commands}"
        payload = slash_command(user_id, text, self.api.response_url(name))
        if team:
            payload["team_id"] = team
        status, _ = await self.poster.form(payload)
        assert status == 200
        await self.core.ctx.drain()
        replies = [body for key, body in self.api.responses if key == name]
        assert all(body["response_type"] == "ephemeral" for body in replies)
        return [body["text"] for body in replies]


@pytest.fixture
def slack(core: BotCore, api: FakeSlackApi, adapter: SlackAdapter) -> Slack:
    url = f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}"
    return Slack(core, api, SignedPoster(url, SECRET))
