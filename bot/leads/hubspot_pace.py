"""Keeping HubSpot calls under HubSpot's rate limits instead of running into them.

HubSpot's API usage guidelines: every response (except the CRM search endpoints') carries
`X-HubSpot-RateLimit-Max` and `-Remaining` for a rolling window of
`X-HubSpot-RateLimit-Interval-Milliseconds` (10 s), `-Secondly` / `-Secondly-Remaining` where a
per-second limit applies, and for private apps `-Daily` / `-Daily-Remaining` (the account's
day, shared by every integration in it). The search endpoints send none of these and allow five
requests per second per account (ALIGNBOT_HUBSPOT_SEARCHES_PER_SECOND keeps under that).

So before each call the pace:
- waits out the window when the last answer left no more than the reserve
  (ALIGNBOT_HUBSPOT_RATE_RESERVE of the window's maximum) - the window's start is unknown, so it
  assumes the worst, a full interval from that answer;
- waits out the second when the per-second remaining was spent;
- spaces searches 1/ALIGNBOT_HUBSPOT_SEARCHES_PER_SECOND apart;
- ends a read (the sync) with a transient error when the day's remaining calls are down to the
  reserve, leaving them to reps' write-backs and the account's other integrations; the sync
  resumes from its cursor on a later run. Writes go on until HubSpot itself says no.

Time comes from an injected monotonic clock and sleep, so tests run without waiting.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot.leads.crm import CrmError

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


def _number(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name.lower())
    return int(value) if value is not None and value.strip().isdigit() else None


@dataclass
class _Budget:
    """One limit as the last answer reported it: what was left, and when that was."""

    remaining: int
    limit: int
    seen_at: float
    interval: float  # seconds the limit applies to


class HubSpotPace:
    """Paces one connector's calls (see the module doc)."""

    def __init__(self, now: Monotonic, sleep: Sleep, reserve: float,
                 searches_per_second: float) -> None:
        self.now, self.sleep, self.reserve = now, sleep, reserve
        self.search_gap = 1 / searches_per_second if searches_per_second else 0.0
        self.window: _Budget | None = None
        self.second: _Budget | None = None
        self.daily: _Budget | None = None
        self.last_search: float | None = None
        self.waited = 0.0  # seconds slept for pacing, for the log and tests

    def floor(self, budget: _Budget) -> int:
        """Calls of a budget kept back: the reserve share of its limit, at least one."""
        return max(1, math.ceil(budget.limit * self.reserve))

    async def before(self, *, search: bool, read: bool) -> None:
        if read and self.daily and self.daily.remaining <= self.floor(self.daily):
            raise CrmError(f"HubSpot's daily API limit is nearly used up ({self.daily.remaining}"
                           f" of {self.daily.limit} calls left, kept for write-backs and other"
                           " integrations); the sync goes on in a later run", transient=True)
        for budget in (self.window, self.second):
            if budget and budget.remaining <= (self.floor(budget) if budget is self.window else 0):
                await self._wait_until(budget.seen_at + budget.interval)
                budget.remaining = budget.limit  # a fresh window; the next answer says
        if search:
            if self.last_search is not None and self.search_gap:
                await self._wait_until(self.last_search + self.search_gap)
            self.last_search = self.now()

    async def _wait_until(self, moment: float) -> None:
        wait = moment - self.now()
        if wait > 0:
            self.waited += wait
            await self.sleep(wait)

    def after(self, headers: Mapping[str, str]) -> None:
        """Note what an answer (or an error answer) says is left."""
        lower = {k.lower(): v for k, v in headers.items()}
        now = self.now()
        interval_ms = _number(lower, "X-HubSpot-RateLimit-Interval-Milliseconds") or 10_000
        pairs = (("window", "X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining",
                  interval_ms / 1000),
                 ("second", "X-HubSpot-RateLimit-Secondly",
                  "X-HubSpot-RateLimit-Secondly-Remaining", 1.0),
                 ("daily", "X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining",
                  86_400.0))
        for name, limit_header, remaining_header, interval in pairs:
            limit, remaining = _number(lower, limit_header), _number(lower, remaining_header)
            if limit is not None and remaining is not None:
                setattr(self, name, _Budget(remaining, limit, now, interval))
