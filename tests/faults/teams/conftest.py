"""The Teams adapter (local Bot Connector, CloudAdapter over HTTP) on the fault tests' database,
with a 1 s Bot Connector timeout so a hung call costs a test one second."""

from collections.abc import AsyncIterator

import pytest

from adapters.teams.app import BotAuthConfig, TeamsAdapter
from bot.core import BotCore
from tests.adapters.teams.conftest import Sleeps, connector, sleeps, teams  # noqa: F401 (fixtures)


@pytest.fixture
async def adapter(core: BotCore, sleeps: Sleeps) -> AsyncIterator[TeamsAdapter]:  # noqa: F811
    bot = TeamsAdapter(core, BotAuthConfig(), host="127.0.0.1", http_port=0, max_retries=3,
                       max_wait=30.0, sleep=sleeps, timeout=1.0)
    await bot.start()
    yield bot
    await bot.stop()
