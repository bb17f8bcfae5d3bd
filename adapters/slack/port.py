"""SlackPort: the core's ChatPort on the Slack Web API (DMs, updates, sent-message lookup, profiles).

Sends carry the outbox key as message metadata, so `find_sent` can tell from the DM's history
whether an interrupted send went through. Any core `Message` is rendered generically: its blocks as
Block Kit, its `Image`s uploaded into the same DM (thread) with files upload v2. Slack errors that
retrying cannot fix (deactivated or unknown user, closed DM) become `DeliveryError(permanent=True)`,
and those that say the person is gone (`user_not_found`, `account_inactive`) also name the reason
so the core marks the member; everything else (rate limits left after slack_sdk's own retries,
5xx, network) is transient.

Calls and retries are bounded (`limits.py`). A 500, a 504, a timeout, a dropped connection or a
200 that is not Slack's answer may have posted the message anyway: such a failure is
`ambiguous`, and the outbox asks the DM's history (`find_sent`) before sending again.

Which Web API client (token) is used comes from `Workspaces`: the one bot token, or with OAuth the
token of the workspace the user is in.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import details_message, fallback_text, message_blocks
from adapters.slack.convert import PLATFORM
from adapters.slack.limits import (
    AMBIGUOUS_STATUSES,
    DEFAULT_LIMITS,
    UnreachedServerRetryHandler,
    WebApiLimits,
)
from adapters.slack.oauth import NoInstallation, Workspaces
from adapters.slack.ratelimit import RateLimits, SharedRateLimitRetryHandler, limits_of
from adapters.slack.recent import RecentMap
from adapters.slack.webapi import JsonCalls
from bot.events import Image, MemberProfile, MemberRef, Message, MessageRef
from bot.people.installations import Workspace
from bot.port import DeliveryError

log = logging.getLogger(__name__)

METADATA_EVENT = "alignbot_message"
PERMANENT_ERRORS = frozenset({
    "user_not_found", "users_not_found", "account_inactive", "cannot_dm_bot", "channel_not_found",
    "is_archived", "user_disabled", "user_is_restricted", "not_in_channel",
})
NOT_FOUND_ERRORS = frozenset({"user_not_found", "users_not_found"})
# Errors that say the person, not just one message, cannot be reached: the member is marked.
UNREACHABLE_ERRORS = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot"})
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_USER_ID = re.compile(r"[UW](?=[A-Z0-9]*\d)[A-Z0-9]{2,}")
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
DM_CACHE = 4096  # DM channels remembered (the most recently learnt): see `SlackPort.remember_dm`

Json = dict[str, Any]


def web_session(timeout: float = 30.0) -> aiohttp.ClientSession:
    """One HTTP session for all of a process's Web API calls, so connections to Slack are kept
    alive (slack_sdk otherwise opens a new session, connection and TLS handshake per call).
    Create it inside the running loop; close it at shutdown. `timeout`: seconds per call, as
    slack_sdk's own default."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))


def build_client(token: str | None, base_url: str = AsyncWebClient.BASE_URL,
                 limits: WebApiLimits = DEFAULT_LIMITS,
                 session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """A Web API client with bounded calls and retries (see adapters/slack/limits.py): a 429 holds
    every call of the method for the whole client until Retry-After has passed, when that wait is
    at most the max (adapters/slack/ratelimit.py); 502/503 are retried with backoff. On top of
    slack_sdk's default single retry of connection errors. No token: the OAuth flow's client
    (tokens come per workspace from the installation store). `session`: a shared `web_session()`
    (its timeout then bounds each call)."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=max(1, round(limits.timeout)),
                            session=session)
    client.retry_handlers.extend([
        SharedRateLimitRetryHandler(RateLimits(), limits.max_retries, limits.max_wait),
        UnreachedServerRetryHandler(max_retry_count=limits.max_retries,
                                    interval_calculator=BackoffRetryIntervalCalculator(0.5))])
    return client


def error_code(exc: Exception) -> str | None:
    """Slack's `error` field of a failed call (None for HTTP or network failures)."""
    if isinstance(exc, SlackApiError) and isinstance(exc.response.data, dict):
        code = exc.response.data.get("error")
        return str(code) if code else None
    return None


def _error(exc: Exception, what: str) -> DeliveryError:
    if isinstance(exc, SlackApiError):
        code = error_code(exc)
        status = exc.response.status_code
        return DeliveryError(f"Slack {what} failed: {code or f'HTTP {status}'}",
                             permanent=code in PERMANENT_ERRORS,
                             unreachable=code if code in UNREACHABLE_ERRORS else None,
                             # a 200 that is not Slack's answer may have posted it too
                             ambiguous=code is None and (status in AMBIGUOUS_STATUSES or status == 200))
    if isinstance(exc, NoInstallation):
        return DeliveryError(f"Slack {what} failed: {exc}", permanent=False)
    if isinstance(exc, TimeoutError):
        return DeliveryError(f"Slack {what} failed: no answer in time", ambiguous=True)
    return DeliveryError(f"Slack {what} failed: {type(exc).__name__}: {exc}", permanent=False,
                         ambiguous=isinstance(exc, aiohttp.ServerDisconnectedError))


_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, NoInstallation)


class SlackPort:
    """ChatPort on the Slack Web API, for one workspace (bot token) or many (OAuth installs)."""

    platform = PLATFORM
    supports_forms = True

    def __init__(self, client: AsyncWebClient | Workspaces, history_limit: int = 200) -> None:
        self.workspaces = client if isinstance(client, Workspaces) else Workspaces(client)
        self.history_limit = history_limit
        # user id -> DM channel id, the most recent DM_CACHE (see `remember_dm`)
        self._dm: dict[str, str] = RecentMap(DM_CACHE)
        self._dm_user: dict[str, str] = {}  # DM channel id -> user id (to pick the token of an update)
        # each client's shared rate limits (`limits_of` looks through its retry handlers)
        self._limits: weakref.WeakKeyDictionary[AsyncWebClient, RateLimits | None] = \
            weakref.WeakKeyDictionary()
        self._calls = JsonCalls()  # chat.postMessage: URL and headers kept per client

    @property
    def client(self) -> AsyncWebClient:
        """The single-workspace client (bot-token mode)."""
        assert self.workspaces.single is not None, "multi-workspace: use client_for(user)"
        return self.workspaces.single

    async def client_for(self, user_id: str | None) -> AsyncWebClient:
        return await self.workspaces.client_for(user_id)

    # --- ChatPort -----------------------------------------------------------------------

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        """A DM: in a thread of it, in the DM channel if known, else to the user id, which Slack
        delivers to the app's DM with them (one call instead of conversations.open + post; the
        answer names the DM channel, remembered for threads, updates and `find_sent`)."""
        thread_ts = thread.message_id if thread else None
        channel = thread.channel if thread else self._dm.get(to.user_id, to.user_id)
        try:
            try:
                ref = await self.post(channel, message, thread_ts=thread_ts, user_id=to.user_id)
            except SlackApiError as exc:
                if channel != to.user_id or error_code(exc) != "channel_not_found":
                    raise
                # Slack took the user id for no channel: open the DM, which says why (user gone,
                # deactivated...) or gives the channel to post to.
                ref = await self.post(await self.dm_channel(to.user_id), message, user_id=to.user_id)
        except _FAILURES as exc:
            if error_code(exc) == "channel_not_found":
                self._dm.pop(to.user_id, None)
            raise _error(exc, "send") from exc
        if thread is None:
            self.remember_dm(to.user_id, ref.channel)
        return ref

    async def update(self, ref: MessageRef, message: Message) -> None:
        """chat.update with the re-rendered blocks (buttons pressed, a nudge done...)."""
        try:
            client = await self.client_for(self._dm_user.get(ref.channel))
            # As chat_update would send it, on the client's session with its retry handlers
            # (`JsonCalls`, as `post`): an answer's invitation is updated once per answer.
            await self._calls.call(client, "chat.update", {
                "channel": ref.channel, "ts": ref.message_id, "text": fallback_text(message),
                "blocks": message_blocks(message)})
        except _FAILURES as exc:
            raise _error(exc, "update") from exc

    async def find_sent(self, to: MemberRef, key: str) -> MessageRef | None:
        """The DM the bot sent with this outbox key, from the DM's recent history."""
        try:
            channel = await self.dm_channel(to.user_id)
            client = await self.client_for(to.user_id)
            history = await client.conversations_history(
                channel=channel, include_all_metadata=True, limit=self.history_limit)
        except _FAILURES as exc:
            raise _error(exc, "history lookup") from exc
        for msg in history.get("messages") or []:
            metadata: Json = msg.get("metadata") or {}
            if (metadata.get("event_type") == METADATA_EVENT
                    and (metadata.get("event_payload") or {}).get("key") == key):
                return MessageRef(PLATFORM, channel, msg["ts"])
        return None

    async def lookup(self, reference: str) -> MemberProfile | None:
        """A mention (`<@U123|dana>`), a user id, an email, or an exact display/real/user name."""
        text = reference.strip()
        try:
            client = await self.client_for(None)
            if (mention := _MENTION.fullmatch(text)) or _USER_ID.fullmatch(text):
                user_id = mention.group(1) if mention else text
                user = (await client.users_info(user=user_id))["user"]
            elif _EMAIL.fullmatch(text):
                user = (await client.users_lookupByEmail(email=text))["user"]
            else:
                user = await self._by_name(client, text.lstrip("@"))
        except SlackApiError as exc:
            if error_code(exc) in NOT_FOUND_ERRORS:
                return None
            raise _error(exc, "user lookup") from exc
        except _FAILURES as exc:
            raise _error(exc, "user lookup") from exc
        if user and user.get("team_id"):
            await self.workspaces.remember(user["id"], Workspace(user["team_id"], user.get("enterprise_id")))
        return profile(user) if user else None

    # --- helpers the listeners use ------------------------------------------------------

    async def dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm:
            client = await self.client_for(user_id)
            opened = await client.conversations_open(users=user_id)
            self.remember_dm(user_id, opened["channel"]["id"])
        return self._dm[user_id]

    def remember_dm(self, user_id: str, channel: str) -> None:
        """A user's DM channel, learned from opening it, from a send or from their message in it.

        Kept for the DM_CACHE users learnt most recently, not for everyone ever sent to: a
        fan-out sends to every member, and two dict entries per member were about 0.25 KB of
        peak memory each (24 MB at 100,000 members). Forgetting costs nothing a send needs -
        `send` posts to the user id, which Slack delivers to the same DM in the same one call;
        `dm_channel` opens it again. The reverse map (channel -> user) only picks the workspace
        of an update or a post by channel with OAuth, and there it is kept for every channel:
        without it an update outside an event (a check-in closing) could not tell which
        workspace's token to use; with one bot token it is not kept at all."""
        if channel.startswith("D"):
            self._dm[user_id] = channel
            if self.workspaces.single is None:
                self._dm_user[channel] = user_id

    async def post(self, channel: str, message: Message, thread_ts: str | None = None,
                   user_id: str | None = None) -> MessageRef:
        """chat.postMessage with Block Kit, the text fallback and the outbox key as metadata;
        then each Image of the message uploaded into the same conversation (and thread)."""
        client = await self.client_for(user_id or self._dm_user.get(channel))
        body: Json = {"channel": channel, "text": fallback_text(message),
                      "blocks": message_blocks(message)}
        if thread_ts:
            body["thread_ts"] = thread_ts
        if message.key:
            body["metadata"] = {"event_type": METADATA_EVENT, "event_payload": {"key": message.key}}
        if client not in self._limits:
            self._limits[client] = limits_of(client)
        if (limits := self._limits[client]) is not None:
            await limits.wait("chat.postMessage")  # another call was just told to wait
        # The body as chat_postMessage would send it (JSON, no None values, blocks as plain
        # dicts, a text always given), built here and sent as bytes on the client's session
        # with the client's own retry handlers (adapters/slack/webapi.py): slack_sdk's pass over
        # the arguments and its per-call request machinery cost a fan-out about as much CPU
        # per message as the HTTP request itself.
        sent = await self._calls.call(client, "chat.postMessage", body)
        ref = MessageRef(PLATFORM, sent["channel"], sent["ts"])
        for image in (b for b in message.blocks if isinstance(b, Image)):
            await self.upload(client, ref.channel, image, thread_ts)
        if (details := details_message(message)) is not None:  # one click away: the thread
            await self.post(ref.channel, details, thread_ts=thread_ts or ref.message_id,
                            user_id=user_id)
        return ref

    async def upload(self, client: AsyncWebClient, channel: str, image: Image,
                     thread_ts: str | None) -> None:
        """Files upload v2 (getUploadURLExternal, upload, completeUploadExternal) into `channel`."""
        await client.files_upload_v2(file=image.data, filename=image.filename, title=image.alt,
                                     alt_txt=image.alt, channel=channel, thread_ts=thread_ts)

    async def _by_name(self, client: AsyncWebClient, name: str) -> Json | None:
        wanted = name.casefold()
        async for page in await client.users_list(limit=200):
            for user in page.get("members") or []:
                names = {user.get("name"), (user.get("profile") or {}).get("display_name"),
                         (user.get("profile") or {}).get("real_name"), user.get("real_name")}
                if not user.get("deleted") and wanted in {n.casefold() for n in names if n}:
                    return dict(user)
        return None


def profile(user: Json) -> MemberProfile | None:
    """users.info's user object as the core's profile; None for deleted users and bots."""
    if user.get("deleted") or user.get("is_bot"):
        return None
    info: Json = user.get("profile") or {}
    name = info.get("display_name") or info.get("real_name") or user.get("real_name") or user["name"]
    return MemberProfile(MemberRef(PLATFORM, user["id"]), name, email=info.get("email"),
                         timezone=user.get("tz"),
                         is_platform_admin=bool(user.get("is_admin") or user.get("is_owner")))


__all__ = ["METADATA_EVENT", "PERMANENT_ERRORS", "UNREACHABLE_ERRORS", "SlackPort", "WebApiLimits",
           "build_client", "profile", "web_session"]
