"""The Slack adapter (fake Web API, bolt app over HTTP) on the fault tests' database, its Web API
client bounded as in production but with a 1 s timeout, so a hung call costs a test one second."""

from collections.abc import AsyncIterator

import pytest

from adapters.slack.app import SlackAdapter
from adapters.slack.limits import WebApiLimits
from adapters.slack.port import build_client
from bot.core import BotCore
from tests.adapters.slack.conftest import SECRET, api, slack  # noqa: F401 (fixtures)
from tests.support.slack_api import FakeSlackApi

LIMITS = WebApiLimits(timeout=1, max_retries=2, max_wait=30)


@pytest.fixture
async def adapter(core: BotCore, api: FakeSlackApi) -> AsyncIterator[SlackAdapter]:  # noqa: F811
    bolt_app = SlackAdapter(core, build_client("xoxb-test-token", base_url=api.base_url, limits=LIMITS),
                            signing_secret=SECRET, host="127.0.0.1", http_port=0)
    await bolt_app.start()
    yield bolt_app
    await bolt_app.stop()
