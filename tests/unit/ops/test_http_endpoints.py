"""/healthz, /readyz and /metrics over real HTTP on 127.0.0.1: liveness, readiness with the
database and the platform (and without them: 503 naming what failed), and metrics that move when
messages flow."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import aiohttp
from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.leads.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.ops.metrics import Metrics
from bot.prompts import Prompts
from bot.scheduling.runner import TickRunner
from bot.storage.database import Database
from bot.strategy.loader import load_strategy
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team
from tests.unit.leads.support import nudges
from tests.unit.leads.test_nudges import team_with_leads
from tests.unit.ops.support import get, get_json, serving, silent_tcp_server

ANSWERS = ("We help mid-market fintechs pass audits in half the time, winning on audit readiness.",
           "Mid-market fintech and regional banks; not tier-1 banks or government.",
           "Mapped the buying committee at Ledgerly, sent the SOC 2 report, ran discovery calls.")


def context_on(settings: Settings, url: str, clock: ManualClock) -> BotContext:
    """A context whose database is at `url` (not migrated: readiness needs no tables)."""
    return BotContext(settings=settings, db=Database(url), clock=clock,
                      prompts=Prompts(settings.prompts_dir), strategy=load_strategy(settings.strategy_file))


def sample(metrics_text: str, name: str, **labels: str) -> float:
    """One sample's value from the Prometheus text format (0 when absent)."""
    for line in metrics_text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if found == labels:
            return float(match.group(3))
    return 0.0


async def test_healthz_and_readyz_answer_with_a_request_id(core: BotCore) -> None:
    async with serving(core.ctx) as base:
        status, body, headers = await get(f"{base}/healthz")
        assert (status, body) == (200, "ok") and len(headers["X-Request-Id"]) == 16
        status, _, headers = await get(f"{base}/healthz", **{"X-Request-Id": "lb-7f3a"})
        assert headers["X-Request-Id"] == "lb-7f3a"  # a caller's id is kept, for tracing
        status, ready = await get_json(f"{base}/readyz")
    assert status == 200
    assert ready == {"status": "ready", "failed": [], "checks": {"database": "ok"}}


async def test_readyz_is_503_naming_the_database_when_it_refuses_connections(
        settings: Settings, clock: ManualClock) -> None:
    ctx = context_on(settings, "postgresql://postgres@127.0.0.1:1/nothing", clock)
    try:
        async with serving(ctx) as base:
            assert (await get(f"{base}/healthz"))[0] == 200  # alive, just not ready
            status, ready = await get_json(f"{base}/readyz")
    finally:
        await ctx.db.dispose()
    assert status == 503 and ready["status"] == "not ready" and ready["failed"] == ["database"]
    assert "OperationalError" in ready["checks"]["database"]


async def test_readyz_gives_up_on_a_database_that_does_not_answer_within_the_timeout(
        settings: Settings, clock: ManualClock) -> None:
    settings = settings.model_copy(update={"ready_timeout": 0.3})
    with silent_tcp_server() as port:
        ctx = context_on(settings, f"postgresql://postgres@127.0.0.1:{port}/hung", clock)
        try:
            async with serving(ctx) as base:
                status, ready = await get_json(f"{base}/readyz")
        finally:
            await ctx.db.dispose()
    assert status == 503 and ready["checks"]["database"] == "no answer to SELECT 1 within 0.3 s"


class CheckedPort(RecordingPort):
    """A platform connection with a readiness check whose answer the test sets."""

    problem: str | None = None
    checks: int = 0

    async def check_connection(self) -> str | None:
        self.checks += 1
        return self.problem


async def test_platform_check_is_cached_for_a_minute_on_the_bots_clock(
        core: BotCore, clock: ManualClock) -> None:
    platform = CheckedPort(platform="chat")
    core.attach(platform)
    async with serving(core.ctx) as base:
        status, ready = await get_json(f"{base}/readyz")
        assert status == 200 and ready["checks"] == {"database": "ok", "chat": "ok"}
        platform.problem = "chat auth.test failed: invalid_auth"
        clock.advance(timedelta(seconds=59))
        assert (await get_json(f"{base}/readyz"))[0] == 200 and platform.checks == 1  # cached
        clock.advance(timedelta(seconds=2))
        status, ready = await get_json(f"{base}/readyz")
    assert platform.checks == 2
    assert status == 503 and ready["failed"] == ["chat"]
    assert ready["checks"]["chat"] == "chat auth.test failed: invalid_auth"


async def test_metrics_count_checkins_messages_and_evaluations_as_they_happen(
        core: BotCore, port: RecordingPort) -> None:
    async with serving(core.ctx) as base:
        status, before, headers = await get(f"{base}/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
        assert sample(before, "alignbot_messages_sent_total", platform="test", kind="checkin") == 0

        await setup_team(core)
        assert "Asked 1: Dana" in await say(core, "ada", "/align ask now dana")
        asked = (await get(f"{base}/metrics"))[1]
        assert sample(asked, "alignbot_messages_sent_total", platform="test", kind="checkin") == 1
        assert sample(asked, "alignbot_checkins_asked_total", audience="rep") == 1
        assert sample(asked, "alignbot_checkins_answered_total", audience="rep") == 0

        for answer in ANSWERS:
            await say(core, "dana", answer)
        answered = (await get(f"{base}/metrics"))[1]
    assert sample(answered, "alignbot_checkins_answered_total", audience="rep") == 1
    for question in ("strategy", "scope", "tasks"):
        assert sample(answered, "alignbot_evaluation_seconds_count", evaluator="rules",
                      question=question) == 1
    assert sample(answered, "alignbot_evaluation_fallbacks_total", evaluator="rules") == 0


async def test_failed_sends_are_counted_by_platform_kind_and_permanence(
        core: BotCore, port: RecordingPort) -> None:
    await setup_team(core)
    port.fail_for["dana"] = True
    assert "Dana" in await say(core, "ada", "/align ask now dana")
    metrics = core.ctx.metrics
    assert metrics.value("alignbot_messages_failed_total", platform="test", kind="checkin",
                         permanent="true") == 1
    assert metrics.value("alignbot_messages_sent_total", platform="test", kind="checkin") == 0


async def test_webhook_requests_are_counted_by_status(core: BotCore) -> None:
    async with serving(core.ctx) as base:
        async with aiohttp.ClientSession() as session:
            for _ in range(2):
                async with session.post(f"{base}/webhooks/leads", data=b"{}") as response:
                    assert response.status == 503  # no ALIGNBOT_WEBHOOK_SECRET: the webhook is off
        text = (await get(f"{base}/metrics"))[1]
    assert sample(text, "alignbot_webhook_requests_total", status="503") == 2
    assert sample(text, "alignbot_webhook_requests_total", status="200") == 0


async def test_each_core_has_its_own_registry(core: BotCore, settings: Settings,
                                              clock: ManualClock) -> None:
    other = BotCore(context_on(settings, settings.database_url, clock))  # no duplicate-metric error
    core.ctx.metrics.sent("test", "checkin")
    assert other.ctx.metrics.value("alignbot_messages_sent_total", platform="test", kind="checkin") == 0
    await other.ctx.db.dispose()


async def test_nudges_are_counted_by_platform_as_they_go_out(
        core: BotCore, port: RecordingPort, tmp_path: Path) -> None:
    await team_with_leads(core, tmp_path)
    async with serving(core.ctx) as base:
        before = (await get(f"{base}/metrics"))[1]
        assert sample(before, "alignbot_nudges_sent_total", platform="test") == 0
        await core.advance(timedelta(hours=1))  # Mon 10:00: Dana's and Lee's leads are due
        after = (await get(f"{base}/metrics"))[1]
    assert len(nudges(port, "dana")) == len(nudges(port, "lee")) == 1
    assert sample(after, "alignbot_nudges_sent_total", platform="test") == 2
    assert sample(after, "alignbot_messages_sent_total", platform="test", kind="nudge") == 2


async def test_webhook_requests_are_counted_by_the_status_they_got(core: BotCore) -> None:
    core.ctx.settings.webhook_secret = SecretStr("s3cret")
    await setup_team(core)
    lead = json.dumps({"source": "crm", "external_id": "X-1", "company": "Ledgerly",
                       "segment": "midmarket_fintech", "owner": "Dana",
                       "engaged_at": "2026-03-02T13:30:00Z"}).encode()
    stamp = str(int(core.ctx.clock.now().timestamp()))
    signed = {TIMESTAMP_HEADER: stamp,
              SIGNATURE_HEADER: sign("s3cret", stamp, "POST", "/webhooks/leads", lead),
              "Content-Type": "application/json"}
    async with serving(core.ctx) as base, aiohttp.ClientSession() as session:
        for headers in (signed, signed, {"Content-Type": "application/json"}):
            async with session.post(f"{base}/webhooks/leads", data=lead, headers=headers):
                pass
        text = (await get(f"{base}/metrics"))[1]
    assert sample(text, "alignbot_webhook_requests_total", status="201") == 1  # created
    assert sample(text, "alignbot_webhook_requests_total", status="200") == 1  # the same again
    assert sample(text, "alignbot_webhook_requests_total", status="401") == 1  # unsigned


async def test_a_failing_tick_is_counted_and_the_next_one_runs() -> None:
    calls: list[int] = []

    async def tick() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database restarting")

    metrics = Metrics()
    runner = TickRunner(tick, every_seconds=3600, metrics=metrics)
    await runner.run_once()
    assert metrics.value("alignbot_tick_failures_total") == 1
    await runner.run_once()
    assert len(calls) == 2 and metrics.value("alignbot_tick_failures_total") == 1
    assert metrics.value("alignbot_tick_duration_seconds_count") == 2
