"""Slack's rate limits, shared by every call of one workspace's client.

Slack limits each Web API method per workspace (chat.postMessage: about one message per second
per channel and a workspace-wide limit) and answers an excess with HTTP 429 and `Retry-After`.
slack_sdk's own handler makes only the refused call wait (Retry-After plus up to a second of
random jitter) while the other calls of a fan-out keep hitting the limit. Here a 429 closes the
method's gate for the whole client: every call of that method waits until Retry-After has passed,
then they all go again, so a fan-out runs at the rate Slack allows instead of well below it.
A Retry-After longer than the client's max wait is not waited in place: the call fails and the
outbox retries it on a later pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_WAIT = 1.0  # seconds, when a 429 carries no Retry-After


class RateLimits:
    """Per method: until when calls wait (monotonic seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}

    def hold(self, method: str, seconds: float) -> None:
        self._until[method] = max(self._until.get(method, 0.0), self._clock() + seconds)

    async def wait(self, method: str) -> None:
        """Until the method's gate is open (at once when it is)."""
        # a time, not an event: sleep until it, again if another 429 moved it meanwhile
        while (delay := self._until.get(method, 0.0) - self._clock()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)


class SharedRateLimitRetryHandler(AsyncRetryHandler):
    """Retries a 429 after its Retry-After (when that is at most `max_wait` seconds), holding
    every other call of the method meanwhile."""

    def __init__(self, limits: RateLimits, max_retry_count: int, max_wait: float = 30.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.limits = limits
        self.max_wait = max_wait

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        return (response is not None and response.status_code == 429
                and retry_after(response) <= self.max_wait)

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None,
                                             error: Exception | None = None) -> None:
        method = method_of(request.url)
        self.limits.hold(method, retry_after(response))
        state.next_attempt_requested = True
        await self.limits.wait(method)
        state.increment_current_attempt()


def method_of(url: str) -> str:
    """`https://slack.com/api/chat.postMessage?x=1` -> `chat.postMessage`."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def retry_after(response: HttpResponse | None) -> float:
    """Slack's Retry-After in seconds (slack_sdk keeps header values as lists)."""
    for name, values in (response.headers.items() if response is not None else ()):
        if name.lower() == "retry-after":
            value = values[0] if isinstance(values, list) else values
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return DEFAULT_WAIT
    return DEFAULT_WAIT


def limits_of(client: AsyncWebClient) -> RateLimits | None:
    """The shared limits of a client built by `build_client` (None for other clients)."""
    return next((h.limits for h in client.retry_handlers
                 if isinstance(h, SharedRateLimitRetryHandler)), None)
