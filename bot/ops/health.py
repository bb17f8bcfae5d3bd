"""Liveness and readiness: `/healthz` says the process is alive; `/readyz` says it can do its
work - the database answers `SELECT 1` in time and every attached platform connection passes its
own check (Slack: `auth.test`; Teams: an access token from the Microsoft login endpoint; each
reused for `ready_cache_seconds`; the console has no check and is always ready). Load balancers
and orchestrators route traffic by `/readyz` and restart by `/healthz`, so a database outage
takes a process out of rotation without killing it. From the moment a graceful shutdown starts,
`/readyz` answers 503 "shutting down" without checking anything, so traffic moves away before
the HTTP server closes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import text

from bot.context import BotContext


@runtime_checkable
class ConnectionCheck(Protocol):
    """A ChatPort that can tell whether its platform is reachable with its credentials."""

    async def check_connection(self) -> str | None:
        """None when connected; else a short reason (no secrets) naming what failed. A reason
        starting with `ok: ` (see `ok_because`) is a note, not a failure: e.g. nothing to check."""
        ...


OK = "ok"
SHUTTING_DOWN = "shutting down"
_NOTE = OK + ": "


def ok_because(note: str) -> str:
    """A passing check result that says something the operator should know."""
    return _NOTE + note


def passed(result: str) -> bool:
    return result == OK or result.startswith(_NOTE)


@dataclass(frozen=True)
class ReadyReport:
    checks: dict[str, str]  # check name -> "ok" or the reason it failed

    @property
    def ready(self) -> bool:
        return all(passed(result) for result in self.checks.values())

    @property
    def failed(self) -> list[str]:
        return sorted(name for name, result in self.checks.items() if not passed(result))

    def body(self) -> dict[str, object]:
        return {"status": "ready" if self.ready else "not ready", "failed": self.failed,
                "checks": self.checks}


def _reason(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:300] if first else type(exc).__name__


class Readiness:
    """Runs the checks; platform results are cached on the bot's clock."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self._platform_cache: dict[str, tuple[datetime, str]] = {}

    async def report(self) -> ReadyReport:
        if self.ctx.stopping:  # nothing else matters: traffic must go elsewhere
            return ReadyReport({"process": SHUTTING_DOWN})
        checks = {"database": await self._database()}
        for platform, port in sorted(self.ctx.ports.items()):
            if isinstance(port, ConnectionCheck):
                checks[platform] = await self._platform(platform, port)
        return ReadyReport(checks)

    async def _database(self) -> str:
        timeout = self.ctx.settings.ready_timeout
        try:
            async with asyncio.timeout(timeout):
                async with self.ctx.db.engine.connect() as connection:
                    await connection.execute(text("SELECT 1"))
        except TimeoutError:
            return f"no answer to SELECT 1 within {timeout:g} s"
        except Exception as exc:  # any driver error means "not ready", reported with its type
            return _reason(exc)
        return "ok"

    async def _platform(self, platform: str, port: ConnectionCheck) -> str:
        now = self.ctx.clock.now()
        ttl = timedelta(seconds=self.ctx.settings.ready_cache_seconds)
        cached = self._platform_cache.get(platform)
        if cached is not None and now - cached[0] < ttl:
            return cached[1]
        timeout = self.ctx.settings.ready_timeout
        try:
            async with asyncio.timeout(timeout):
                problem = await port.check_connection()
            result = OK if problem is None else problem
        except TimeoutError:
            result = f"no answer within {timeout:g} s"
        except Exception as exc:  # reported, not raised: readiness must always answer
            result = _reason(exc)
        self._platform_cache[platform] = (now, result)
        return result
