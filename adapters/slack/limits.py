"""How long one Slack Web API call may take and how it is retried: the bounds every client the
bot builds gets (see `port.build_client`).

slack_sdk retries only connection errors by default, and its 429 handler waits whatever
Retry-After says. Here a 429 is retried after Retry-After only when that wait is at most
`max_wait`, holding the method's other calls meanwhile (adapters/slack/ratelimit.py), and a 502
or 503 (the request never reached Slack's application) with exponential backoff and jitter, each
at most `max_retries` times. A 500 or 504 is not retried in place: the message may have been
posted (see `AMBIGUOUS_STATUSES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.http_retry.builtin_async_handlers import AsyncServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

RETRIED_STATUSES = (502, 503)  # the request did not reach Slack's application: safe to repeat
AMBIGUOUS_STATUSES = frozenset({500, 504})  # it may have been carried out


@dataclass(frozen=True)
class WebApiLimits:
    """How long one Web API call may take and how often it is retried (ALIGNBOT_SLACK_TIMEOUT,
    ALIGNBOT_SLACK_MAX_RETRIES, ALIGNBOT_SLACK_MAX_RETRY_WAIT)."""

    timeout: float = 10.0
    max_retries: int = 2
    max_wait: float = 30.0


DEFAULT_LIMITS = WebApiLimits()


class UnreachedServerRetryHandler(AsyncServerErrorRetryHandler):
    """502 and 503 retried with exponential backoff and jitter (0.5 s, 1 s, 2 s, ...)."""

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        return response is not None and response.status_code in RETRIED_STATUSES


__all__ = ["AMBIGUOUS_STATUSES", "DEFAULT_LIMITS", "RETRIED_STATUSES", "UnreachedServerRetryHandler",
           "WebApiLimits"]
