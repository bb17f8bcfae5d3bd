"""Which Web API client (token) a user's message goes out with, in a multi-workspace install:
looked up in the database once in a while, not for every message of a fan-out, and forgotten at
once when an installation is removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.oauth import DatabaseInstallationStore, NoInstallation, Workspaces
from bot.clock import ManualClock
from bot.people.installations import Workspace
from bot.storage.database import DatabaseUnavailable

ACME, GLOBEX = Workspace("T0ACME001"), Workspace("T0GLOBEX1")


@dataclass
class Records:
    """The installations' records, counting lookups."""

    where: dict[str, Workspace]
    lookups: int = 0
    down: bool = False

    async def workspace_of(self, user_id: str) -> Workspace | None:
        self.lookups += 1
        if self.down:
            raise DatabaseUnavailable("OperationalError: connection refused")
        return self.where.get(user_id)

    async def workspaces(self) -> list[Workspace]:
        return [ACME, GLOBEX]

    async def remember(self, user_id: str, where: Workspace) -> None:
        self.where[user_id] = where


@dataclass
class Store:
    tokens: dict[str, str]
    lookups: int = 0
    down: bool = False

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        self.lookups += 1
        if self.down:
            raise DatabaseUnavailable("OperationalError: connection refused")
        token = self.tokens.get(team_id or "")
        return Bot(bot_token=token, bot_id="B1", bot_user_id="U0BOT", installed_at=0.0,
                   team_id=team_id) if token else None


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    records: Records
    store: Store
    clock: Clock
    workspaces: Workspaces
    built: list[str] = field(default_factory=list)


@pytest.fixture
def setup() -> Setup:
    records = Records({"U0DANA001": ACME, "U0LEE0001": ACME, "U0GREG001": GLOBEX})
    store = Store({ACME.workspace_id: "xoxb-acme", GLOBEX.workspace_id: "xoxb-globex"})
    clock = Clock()
    built: list[str] = []

    def factory(token: str) -> AsyncWebClient:
        built.append(token)
        return AsyncWebClient(token=token)

    workspaces = Workspaces(records=records, store=store, client_factory=factory,  # type: ignore[arg-type]
                            remember_for=60, clock=clock)
    return Setup(records, store, clock, workspaces, built)


async def test_a_fanout_reads_who_is_where_and_each_token_once_a_minute(setup: Setup) -> None:
    tokens: list[Any] = []
    for _ in range(50):
        for user in ("U0DANA001", "U0LEE0001", "U0GREG001"):
            tokens.append((await setup.workspaces.client_for(user)).token)
    assert tokens[:3] == ["xoxb-acme", "xoxb-acme", "xoxb-globex"]
    assert setup.records.lookups == 3 and setup.store.lookups == 2  # not 150 and 150
    assert setup.built == ["xoxb-acme", "xoxb-globex"]

    setup.clock.now += 61  # a minute on: looked up again (a reinstall may have a new token)
    setup.store.tokens[ACME.workspace_id] = "xoxb-acme-2"
    assert (await setup.workspaces.client_for("U0DANA001")).token == "xoxb-acme-2"
    assert setup.records.lookups == 4 and setup.store.lookups == 3


async def test_an_uninstall_is_forgotten_at_once_and_a_move_is_followed(setup: Setup) -> None:
    assert (await setup.workspaces.client_for("U0GREG001")).token == "xoxb-globex"
    del setup.store.tokens[GLOBEX.workspace_id]
    setup.workspaces.forget_clients()  # app_uninstalled / tokens_revoked
    with pytest.raises(NoInstallation):
        await setup.workspaces.client_for("U0GREG001")
    await setup.workspaces.remember("U0GREG001", ACME)  # seen in a request from Acme now
    assert (await setup.workspaces.client_for("U0GREG001")).token == "xoxb-acme"


async def test_with_the_database_down_replies_still_go_out_with_what_was_known(setup: Setup) -> None:
    """A rep's answers could not be saved: the reply telling them so (and quoting the answers)
    must not need the database, even after the minute the lookups are kept for."""
    assert (await setup.workspaces.client_for("U0DANA001")).token == "xoxb-acme"
    setup.clock.now += 3600
    setup.records.down = setup.store.down = True
    assert (await setup.workspaces.client_for("U0DANA001")).token == "xoxb-acme"
    with pytest.raises(DatabaseUnavailable):  # never known here: nothing to fall back on
        await setup.workspaces.client_for("U0GREG001")
    setup.records.down = setup.store.down = False
    setup.store.tokens[ACME.workspace_id] = "xoxb-acme-2"
    assert (await setup.workspaces.client_for("U0DANA001")).token == "xoxb-acme-2"  # looked up again


@dataclass
class InstallRecords:
    """The installations' records as DatabaseInstallationStore reads them."""

    clock: ManualClock
    rows: dict[str, dict[str, Any]]
    down: bool = False

    async def find(self, **key: Any) -> dict[str, Any] | None:
        if self.down:
            raise DatabaseUnavailable("OperationalError: connection refused")
        return self.rows.get(key["workspace_id"])


async def test_the_installation_store_answers_from_what_it_found_while_the_database_is_down() -> None:
    """bolt authorizes every request through the store: during an outage, the acks (and the
    replies saying nothing was saved) still find the workspace's installation."""
    clock = ManualClock(datetime(2026, 3, 2, 14, tzinfo=UTC))
    row = {"client_id": "cid", "app_id": "A0APP0001", "team_id": ACME.workspace_id, "bot_token": "xoxb-acme",
           "bot_id": "B1", "bot_user_id": "U0BOT", "user_id": "U0ADA0001", "installed_at": 0.0}
    records = InstallRecords(clock, {ACME.workspace_id: row})
    store = DatabaseInstallationStore(records, "cid", cache_seconds=30)  # type: ignore[arg-type]
    assert (await store.async_find_bot(enterprise_id=None, team_id=ACME.workspace_id)) is not None
    clock.advance(timedelta(hours=1))
    records.down = True
    bot = await store.async_find_bot(enterprise_id=None, team_id=ACME.workspace_id)
    assert bot is not None and bot.bot_token == "xoxb-acme"
    with pytest.raises(DatabaseUnavailable):
        await store.async_find_bot(enterprise_id=None, team_id=GLOBEX.workspace_id)


async def test_a_fanout_keeps_the_workspaces_of_the_last_users_only(setup: Setup) -> None:
    """Who is where is kept for the users looked up last, not for every member a fan-out sends
    to (issue 24: it grew with the organisation); one dropped is read again when needed."""
    workspaces = Workspaces(records=setup.records, store=setup.store,  # type: ignore[arg-type]
                            client_factory=AsyncWebClient, remember_for=60, clock=setup.clock,
                            users_kept=2)
    for _ in range(3):
        for user in ("U0DANA001", "U0LEE0001", "U0GREG001"):
            await workspaces.client_for(user)
    assert list(workspaces._where) == ["U0LEE0001", "U0GREG001"]
    assert setup.records.lookups == 9  # each dropped before it came round again
    assert (await workspaces.client_for("U0GREG001")).token == "xoxb-globex"
    assert setup.records.lookups == 9 and len(workspaces._where) == 2
