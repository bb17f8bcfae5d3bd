"""Calls to the Bot Connector service through botbuilder's CloudAdapter, with bounded retries.

Every outbound operation runs as a proactive turn (`continue_conversation` / `create_conversation`),
so the adapter's authentication and connector client are used exactly as botbuilder intends.

Retries are ours, not urllib3's: msrest's default policy would sleep in a worker thread for as long
as any `Retry-After` says and re-POST activities on 5xx. Here throttling (429) and the statuses
Microsoft documents as retryable (412, 502, 503, 504) and connection failures are retried up to
`max_retries` times, waiting `Retry-After` when given (else exponential backoff with jitter), each
wait capped at `max_wait`; the sleep is injectable so tests do not wait. Anything else surfaces at
once as `ConnectorError` with the HTTP status. Every HTTP call gives up after `timeout` seconds
(msrest's own default is 100); a send that timed out may have been delivered, so it is not
retried in place (`ConnectorError.ambiguous`): the outbox decides on its next pass.

`check_credentials` (readiness) gets the access token those calls carry, the same way they do.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from botbuilder.core import BotAdapter, CloudAdapterBase, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)
RETRYABLE = frozenset({412, 429, 502, 503, 504})
# Where a connector client made only to obtain credentials points; no request goes there.
CHECK_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Json = dict[str, Any]


class ConnectorError(Exception):
    """A Bot Connector call failed; `status` is the HTTP status (None: no HTTP answer);
    `ambiguous`: the service may have carried it out (no answer in time)."""

    def __init__(self, message: str, status: int | None = None, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.ambiguous = ambiguous


def timed_out(exc: BaseException) -> bool:
    """Whether the call got no answer in time (as opposed to no connection at all): requests'
    read timeout, or the kept session's deadline (transport.py)."""
    inner = getattr(exc, "inner_exception", None)
    return isinstance(exc, TimeoutError) or isinstance(inner, TimeoutError) or (
        isinstance(inner, requests.Timeout) and not isinstance(inner, requests.ConnectTimeout))


def http_status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if isinstance(status, int) else None


def retry_after(exc: BaseException, now: datetime | None = None) -> float | None:
    """Seconds the service asked us to wait (delta-seconds or an HTTP date, counted from `now`,
    the wall clock unless given), if it said."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    raw = headers.get("Retry-After") if hasattr(headers, "get") else None
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(str(raw)) - (now or datetime.now(UTC))).total_seconds())
    except (TypeError, ValueError):
        return None


NO_RETRIES = Retry(total=0, connect=0, read=0, status=0, redirect=3, status_forcelist=[],
                   raise_on_status=False, respect_retry_after_header=False)


def _token_failure(exc: BaseException) -> str:
    """A short reason for a failed token request: msal's error code (its description may be
    long), or the kind of network failure (requests' messages repeat the URL and pool details)."""
    text = str(exc)
    if isinstance(exc, PermissionError) and "error: " in text:
        return "the login endpoint refused the app's credentials (" + \
            text.split("error: ", 1)[1].split(",", 1)[0] + ")"
    if isinstance(exc, requests.RequestException):
        return f"the login endpoint did not answer ({type(exc).__name__})"
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _no_retries(session: Any, config: Any, kwargs: Any, **requests_kwargs: Any) -> Any:
    """msrest's per-request session hook: whatever policy the (possibly reused) requests session
    was set up with, this request is not retried by urllib3."""
    for transport in session.adapters.values():
        transport.max_retries = NO_RETRIES
    return requests_kwargs


def _bounded(context: TurnContext, timeout: float) -> None:
    """This turn's connector client: urllib3's retries off (see the module docstring) and every
    HTTP call limited to `timeout` seconds."""
    client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    config = getattr(client, "config", None)
    if config is not None and hasattr(config, "session_configuration_callback"):
        config.session_configuration_callback = _no_retries
    connection = getattr(config, "connection", None)
    if connection is not None:
        connection.timeout = timeout


class Connector:
    """Send, update, open a 1:1 chat and read members, as the bot, with bounded retries."""

    def __init__(self, adapter: BotAdapter, app_id: str, *, max_retries: int = 3, max_wait: float = 30.0,
                 base_delay: float = 1.0, sleep: Sleep = asyncio.sleep, timeout: float = 15.0) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.base_delay = base_delay
        self.sleep = sleep

    async def send(self, reference: ConversationReference, activity: Activity,
                   reply_to: str | None = None) -> str:
        """Post an activity to the conversation (as a reply to `reply_to` in a channel thread);
        returns its activity id. Sent through the adapter directly: TurnContext.send_activity
        would make every proactive message a reply to the continuation activity's random id."""
        async def op(context: TurnContext) -> str:
            TurnContext.apply_conversation_reference(activity, reference)
            activity.reply_to_id = reply_to
            [response] = await context.adapter.send_activities(context, [activity])
            return str(response.id) if response and response.id else ""
        return await self._turn(reference, op, "send")

    async def update(self, reference: ConversationReference, activity_id: str, activity: Activity) -> None:
        async def op(context: TurnContext) -> None:
            activity.id = activity_id
            await context.update_activity(activity)
        await self._turn(reference, op, "update")

    async def member(self, reference: ConversationReference, member_id: str) -> Json | None:
        """A member of the reference's conversation (or team) by user id, AAD id or UPN; None
        when the service does not know them."""
        async def op(context: TurnContext) -> Json:
            context.activity.channel_data = context.activity.channel_data or {}  # TeamsInfo reads it
            account = await TeamsInfo.get_member(context, member_id)
            return dict(account.serialize())
        try:
            return await self._turn(reference, op, "member lookup")
        except ConnectorError as exc:
            if exc.status in (400, 403, 404):
                return None
            raise

    async def members(self, reference: ConversationReference) -> list[Json]:
        """Everyone in the reference's conversation or team (the roster, all pages)."""
        async def op(context: TurnContext) -> list[Json]:
            context.activity.channel_data = context.activity.channel_data or {}
            accounts: list[Json] = []
            token: str | None = None
            while True:
                page = await TeamsInfo.get_paged_members(context, token, 200)
                accounts.extend(dict(m.serialize()) for m in page.members or [])
                token = page.continuation_token
                if not token:
                    return accounts
        return await self._turn(reference, op, "roster")

    async def open_personal(self, service_url: str, tenant: str | None, bot: Json,
                            user_id: str) -> ConversationReference:
        """Create (or get back) the 1:1 chat between the bot and a user the bot shares a team
        with; returns its conversation reference."""
        params = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=bot.get("id"), name=bot.get("name")),
            members=[ChannelAccount(id=user_id)], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None)
        opened: list[ConversationReference] = []

        async def callback(context: TurnContext) -> None:
            opened.append(TurnContext.get_conversation_reference(context.activity))

        async def attempt() -> ConversationReference:
            opened.clear()
            await self.adapter.create_conversation(
                self.app_id, callback, params, "msteams", service_url, None)
            return opened[0]
        return await self._retrying(attempt, "open 1:1 chat")

    async def check_credentials(self) -> None:
        """Get an access token exactly as an outbound call does - botbuilder's credential factory
        for this app, then msal's client-credentials request to the login endpoint - so a wrong
        or expired secret, or an unreachable login endpoint, shows before any send fails.
        Raises ConnectorError (no secret in its message). msal is blocking, so it runs in a
        thread. The credentials are the ones sends use (see credentials.py): while their token
        is valid msal answers from its cache; within five minutes of expiry it asks again."""
        if not isinstance(self.adapter, CloudAdapterBase):
            return  # a test adapter: no Bot Framework connection to check
        claims = self.adapter.create_claims_identity(self.app_id)
        factory = self.adapter.bot_framework_authentication.create_connector_factory(claims)
        client = await factory.create(CHECK_SERVICE_URL, None)  # builds credentials; calls nothing
        credentials = client.config.credentials
        try:
            await asyncio.to_thread(credentials.get_access_token)
        except Exception as exc:  # msal: PermissionError with its error code; requests: no answer
            raise ConnectorError(f"no Bot Framework access token: {_token_failure(exc)}") from exc

    async def _turn(self, reference: ConversationReference,
                    op: Callable[[TurnContext], Awaitable[T]], what: str) -> T:
        async def attempt() -> T:
            result: list[T] = []

            async def callback(context: TurnContext) -> None:
                _bounded(context, self.timeout)
                result.append(await op(context))
            await self.adapter.continue_conversation(reference, callback, self.app_id)
            return result[0]
        return await self._retrying(attempt, what)

    async def _retrying(self, attempt: Callable[[], Awaitable[T]], what: str) -> T:
        for number in range(self.max_retries + 1):
            try:
                return await attempt()
            except Exception as exc:  # classified here: retried, or re-raised as ConnectorError
                status = http_status(exc)
                ambiguous = status is None and timed_out(exc)
                retryable = status in RETRYABLE or (
                    status is None and isinstance(exc, ClientRequestError) and not ambiguous)
                if not retryable or number == self.max_retries:
                    raise ConnectorError(f"Bot Connector {what} failed: "
                                         f"{f'HTTP {status}' if status else type(exc).__name__}: {exc}",
                                         status, ambiguous=ambiguous) from exc
                wait = retry_after(exc)
                if wait is None:
                    wait = self.base_delay * 2 ** number * random.uniform(0.5, 1.5)
                wait = min(wait, self.max_wait)
                log.info("Bot Connector %s got %s; retry %d/%d in %.1fs", what, status or "no answer",
                         number + 1, self.max_retries, wait)
                await self.sleep(wait)
        raise AssertionError("unreachable")  # the loop always returns or raises


__all__ = ["RETRYABLE", "Connector", "ConnectorError", "http_status", "retry_after"]
