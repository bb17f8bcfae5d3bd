"""Multi-workspace install: slack_sdk's installation and OAuth state store interfaces over the
bot's own database (through `bot.people.installations`), and the per-workspace Web API clients.

slack_sdk ships SQLAlchemy stores, but they are synchronous (a blocking engine on the event loop)
and bring their own MetaData outside our Alembic history; these async stores keep Slack's record
of each install as JSON in our `installations` table and states in `oauth_states`, migrated with
everything else and shared by every bot process on one PostgreSQL database.
"""

from __future__ import annotations

import html
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.limits import DEFAULT_LIMITS, WebApiLimits
from adapters.slack.recent import RecentMap
from bot.people.installations import Installations, Workspace
from bot.people.organisation import Organisations
from bot.prompts import Prompts
from bot.storage.database import DatabaseUnavailable

log = logging.getLogger(__name__)


class InstallRefused(BoltError):  # bolt hands only its own errors to `failure`
    """An install into a workspace outside the organisation this deployment serves."""
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
MANIFEST = Path(__file__).resolve().parent / "manifest.yaml"

# The workspace of the Slack request being handled. Listeners set it before spawning their work
# (tasks copy the context), so lookups and replies made for that request use its workspace.
CURRENT_WORKSPACE: ContextVar[Workspace | None] = ContextVar("slack_workspace", default=None)


class NoInstallation(LookupError):
    """No workspace has installed the app (or not the one this user is in)."""


class DatabaseInstallationStore(AsyncInstallationStore):
    """Installations in our database; the newest install of a workspace wins.

    Bolt looks the installation up for every request it authorizes, so what was found is kept
    for `cache_seconds`: a burst of answers then costs no query per ack. This process's own
    saves and deletes clear it at once; another process's install or uninstall is seen within
    `cache_seconds`. While the database is unavailable, what was found before is used."""

    def __init__(self, records: Installations, client_id: str, cache_seconds: float = 30.0,
                 organisations: Organisations | None = None) -> None:
        self.records = records
        self.client_id = client_id
        self.cache_seconds = cache_seconds
        self.organisations = organisations
        self._found: dict[tuple[Any, ...], tuple[datetime, dict[str, Any] | None]] = {}
        self._logger = log

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_save(self, installation: Installation) -> None:
        """Store an install - of the organisation this deployment serves only (the first install
        fixes it when none is configured); another's raises OrganisationRefused, stores nothing."""
        if self.organisations is not None and not await self.organisations.admits(
                "slack", (installation.enterprise_id, installation.team_id)):
            log.warning("refused an install into Slack workspace %s (org %s): this deployment"
                        " serves another organisation", installation.team_id,
                        installation.enterprise_id)
            raise InstallRefused(f"workspace {installation.team_id} is outside the organisation")
        self._found.clear()
        data = {**installation.to_dict_for_copying(), "client_id": self.client_id}
        await self.records.save(data, org_id=installation.enterprise_id, workspace_id=installation.team_id,
                                installer_id=installation.user_id,
                                is_org_install=bool(installation.is_enterprise_install))

    async def async_save_bot(self, bot: Bot) -> None:
        """A bot-only record (bolt's `installation_store_bot_only`): stored like an installation
        without an installer, so both finders see it."""
        self._found.clear()
        data = {**bot.to_dict_for_copying(), "user_id": None, "client_id": self.client_id}
        await self.records.save(data, org_id=bot.enterprise_id, workspace_id=bot.team_id, installer_id=None,
                                is_org_install=bool(bot.is_enterprise_install))

    async def async_find_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                      user_id: str | None = None,
                                      is_enterprise_install: bool | None = False) -> Installation | None:
        data = await self._find(org_id=enterprise_id, workspace_id=team_id, installer_id=user_id,
                                is_org_install=bool(is_enterprise_install))
        if data is None:
            return None
        data = {k: v for k, v in data.items() if k != "client_id"}
        return Installation(**data)

    async def _find(self, **key: Any) -> dict[str, Any] | None:
        now = self.records.clock.now()
        cache_key = tuple(sorted(key.items()))
        cached = self._found.get(cache_key)
        if cached is not None and now - cached[0] < timedelta(seconds=self.cache_seconds):
            return cached[1]
        try:
            data = await self.records.find(**key)
        except DatabaseUnavailable:
            if cached is None:
                raise
            return cached[1]  # the database is down: what was found before (uninstalls drop it)
        self._found[cache_key] = (now, data)
        return data

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)
        if installation is None or not installation.bot_token:
            return None
        return installation.to_bot()

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None) -> None:
        self._found.clear()
        await self.records.delete(org_id=enterprise_id, workspace_id=team_id, installer_id=user_id)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self._found.clear()
        await self.records.delete(org_id=enterprise_id, workspace_id=team_id)


class DatabaseStateStore(AsyncOAuthStateStore):
    """One-time OAuth states with an expiry, in our database (any process can finish a flow)."""

    def __init__(self, records: Installations, expiration_seconds: int) -> None:
        self.records = records
        self.expiration = timedelta(seconds=expiration_seconds)
        self._logger = log

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        await self.records.issue_state(state, self.records.clock.now() + self.expiration)
        return state

    async def async_consume(self, state: str) -> bool:
        return bool(state) and await self.records.consume_state(state)


ClientFactory = Callable[[str], AsyncWebClient]


def manifest_scopes() -> list[str]:
    """The bot scopes the manifest asks for: what an OAuth install requests by default."""
    manifest: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return list(manifest["oauth_config"]["scopes"]["bot"])


@dataclass(frozen=True)
class OAuthConfig:
    """What a multi-workspace (OAuth) install needs; without it the app uses one bot token."""

    client_id: str
    client_secret: str
    scopes: Sequence[str] = ()  # default: the manifest's bot scopes
    state_expiration_seconds: int = 600
    redirect_uri: str | None = None
    base_url: str = AsyncWebClient.BASE_URL  # the Web API (tests point it at a local server)
    limits: WebApiLimits = DEFAULT_LIMITS  # every workspace's client: timeout and retries


WHO_IS_WHERE = 4096  # users whose workspace is kept (`remember_for` seconds at most)


class Workspaces:
    """The Web API client to use for a user: one bot token, or (OAuth) the token of the workspace
    the user is in, from the installation store.

    With OAuth, who is in which workspace and each workspace's bot token are kept for
    `remember_for` seconds, so a fan-out does not read both from the database for every message;
    an uninstall (`forget_clients`) drops them at once in this process, other processes within
    that time (their sends then fail and are retried). While the database is unavailable, what
    was known before is used, expired or not: replies saying "nothing was saved" still go out."""

    def __init__(self, client: AsyncWebClient | None = None, *, records: Installations | None = None,
                 store: DatabaseInstallationStore | None = None,
                 client_factory: ClientFactory | None = None, remember_for: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 users_kept: int = WHO_IS_WHERE) -> None:
        if client is None and (records is None or store is None or client_factory is None):
            raise ValueError("give a bot-token client, or the installation records, store and a factory")
        self.single = client
        self.records = records
        self.store = store
        self.client_factory = client_factory
        self._clients: dict[str, AsyncWebClient] = {}
        self._remember_for, self._clock = remember_for, clock
        # user -> (until, workspace), for the `users_kept` looked up last: a fan-out looks up
        # every member, and kept whole this grew with the organisation (issue 24)
        self._where: dict[str, tuple[float, Workspace | None]] = RecentMap(users_kept)
        self._tokens: dict[Workspace, tuple[float, str]] = {}  # workspace -> (until, bot token)
        # Users whose workspace this process has already recorded: every request names the
        # user's workspace, and checking the database on each would put a query in every ack.
        self._known: dict[str, Workspace] = {}

    @property
    def multi(self) -> bool:
        return self.single is None

    async def client_for(self, user_id: str | None = None) -> AsyncWebClient:
        if self.single is not None:
            return self.single
        assert self.records is not None and self.store is not None and self.client_factory is not None
        where = (await self._workspace_of(user_id) if user_id else None) or CURRENT_WORKSPACE.get()
        if where is None:
            installed = await self.records.workspaces()
            if len(installed) != 1:
                raise NoInstallation(f"cannot tell which workspace {user_id or 'this'} is in"
                                     f" ({len(installed)} installed)")
            where = installed[0]
        token = await self._token_of(where)
        if token not in self._clients:
            self._clients[token] = self.client_factory(token)
        return self._clients[token]

    async def _workspace_of(self, user_id: str) -> Workspace | None:
        assert self.records is not None
        now = self._clock()
        until, where = self._where.get(user_id, (0.0, None))
        if until <= now:
            try:
                found = await self.records.workspace_of(user_id)
            except DatabaseUnavailable:
                # What this process last knew still reaches them: telling someone that their
                # input was not saved must not need the database that lost it.
                if (known := where or self._known.get(user_id) or CURRENT_WORKSPACE.get()) is None:
                    raise
                return known
            where = found
            self._where[user_id] = (now + self._remember_for, where)
        return where

    async def _token_of(self, where: Workspace) -> str:
        assert self.store is not None
        now = self._clock()
        until, token = self._tokens.get(where, (0.0, ""))
        if until > now:
            return token
        try:
            bot = await self.store.async_find_bot(enterprise_id=where.org_id, team_id=where.workspace_id)
            if bot is None and where.org_id:  # an org-wide install serves every workspace of the org
                bot = await self.store.async_find_bot(enterprise_id=where.org_id, team_id=None,
                                                      is_enterprise_install=True)
        except DatabaseUnavailable:
            if not token:  # the last token known here (an uninstall would have dropped it)
                raise
            return token
        if bot is None or not bot.bot_token:
            raise NoInstallation(f"the app is not installed in workspace {where.workspace_id}")
        self._tokens[where] = (now + self._remember_for, bot.bot_token)
        return bot.bot_token

    def forget_clients(self) -> None:
        """Drop cached clients and tokens (an installation was removed; its token no longer works)."""
        self._clients.clear()
        self._tokens.clear()
        self._where.clear()

    def is_new(self, user_id: str | None, where: Workspace | None) -> bool:
        """Whether `remember` would record something (multi-workspace, not yet known here)."""
        return (self.records is not None and bool(user_id) and where is not None
                and self._known.get(user_id or "") != where)

    async def remember(self, user_id: str | None, where: Workspace | None) -> None:
        """Learn a user's workspace from a request or a profile (multi-workspace only); the
        database is written once per user and process, and again only if it changes."""
        if self.is_new(user_id, where):
            assert self.records is not None and user_id and where is not None
            await self.records.remember(user_id, where)
            self._where[user_id] = (self._clock() + self._remember_for, where)
            self._known[user_id] = where


def _callbacks(prompts: Prompts) -> AsyncCallbackOptions:
    """Bolt's install pages, but an install refused for being another organisation's gets a
    page that says so (bolt's own says only "storage_error")."""
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        if isinstance(args.error, InstallRefused):
            text = html.escape(prompts.say("install_refused"))
            return BoltResponse(status=403, headers={"Content-Type": "text/html; charset=utf-8"},
                                body=f"<html><body><h1>Not installed</h1><p>{text}</p></body></html>")
        return await args.default.failure(args)
    return AsyncCallbackOptions(success=success, failure=failure)


def oauth_setup(config: OAuthConfig, records: Installations,
                build_client: Callable[..., AsyncWebClient], organisations: Organisations | None = None,
                prompts: Prompts | None = None) -> tuple[Workspaces, AsyncOAuthSettings]:
    """The per-workspace clients and bolt's OAuth settings, both over our database's records;
    with `organisations`, installs from outside the organisation are refused."""
    store = DatabaseInstallationStore(records, config.client_id, organisations=organisations)
    workspaces = Workspaces(records=records, store=store,
                            client_factory=lambda token: build_client(token, base_url=config.base_url,
                                                                      limits=config.limits))
    settings = AsyncOAuthSettings(
        client_id=config.client_id, client_secret=config.client_secret,
        scopes=list(config.scopes) or manifest_scopes(), redirect_uri=config.redirect_uri,
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH, installation_store=store,
        state_store=DatabaseStateStore(records, config.state_expiration_seconds),
        state_expiration_seconds=config.state_expiration_seconds,
        callback_options=_callbacks(prompts) if prompts is not None else None)
    # Bolt authorizes every request before its listener can ack: by default it looks up the
    # installation of the workspace and of the requesting user (for a user token, which the bot
    # never uses) and calls auth.test on Slack - a rate-limited Web API round trip per request.
    # Bot-only, with its cache of the auth.test result per token, it costs one store lookup
    # (cached there). A revoked token leaves the store (tokens_revoked), so it is not reused.
    settings.authorize = AsyncInstallationStoreAuthorize(
        logger=log, client_id=config.client_id, client_secret=config.client_secret,
        token_rotation_expiration_minutes=settings.token_rotation_expiration_minutes,
        installation_store=store, bot_only=True, cache_enabled=True)
    return workspaces, settings


__all__ = [
    "CURRENT_WORKSPACE",
    "INSTALL_PATH",
    "MANIFEST",
    "REDIRECT_PATH",
    "DatabaseInstallationStore",
    "DatabaseStateStore",
    "NoInstallation",
    "OAuthConfig",
    "Workspaces",
    "manifest_scopes",
    "oauth_setup",
]
