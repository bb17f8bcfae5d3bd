"""`alignbot run --role web|scheduler|all`: which parts one process runs. The scheduler sends
due check-ins through the platform port without taking platform events; web takes events and
serves the HTTP endpoints but never ticks; all does both."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import ManualClock
from bot.config import Settings
from bot.core import BotCore
from bot.events import MemberRef, Message, MessageRef
from bot.runtime.process import BotProcess, PortInUse, operate
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team
from tests.unit.ops.support import get, get_json


@dataclass
class Adapter(RecordingPort):
    """A platform adapter: start() attaches it to the core and would begin taking events."""

    core: BotCore | None = None
    started: int = 0
    stopped: int = 0

    async def start(self) -> None:
        assert self.core is not None
        self.core.attach(self)
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1


async def due_checkin(core: BotCore, clock: ManualClock) -> None:
    """A schedule whose occurrence is due now: the next tick asks the reps, Dana and Lee."""
    await setup_team(core)
    assert "Scheduled #1" in await say(
        core, "ada", '/align schedule add checkin "weekdays 15:00" to=reps remind=off')
    clock.set(datetime(2026, 3, 2, 20, tzinfo=UTC))  # 15:00 in New York, where they are


def process(core: BotCore, adapter: Adapter, role: str, serves_http: bool = False) -> BotProcess:
    """A process in `role` whose `ticked` event is set when a tick finishes."""
    core.ctx.settings = core.ctx.settings.model_copy(update={"role": role, "http_port": 0})
    bot = BotProcess(core, adapter, serves_http=serves_http, host="127.0.0.1")
    tick = bot.runner._tick

    async def noted() -> object:
        try:
            return await tick()
        finally:
            ticked.set()

    ticked = asyncio.Event()
    bot.runner._tick, bot.ticked = noted, ticked  # type: ignore[attr-defined]
    return bot


async def first_tick_done(bot: BotProcess) -> None:
    await asyncio.wait_for(bot.ticked.wait(), timeout=20)  # type: ignore[attr-defined]


def asks(port: RecordingPort) -> list[str]:
    return sorted(s.to.user_id for s in port.sent if str(s.message.key).endswith(":ask"))


async def post_webhook(base: str) -> int:
    async with aiohttp.ClientSession() as session, \
            session.post(f"{base}/webhooks/leads", data=b"{}") as response:
        return response.status


async def test_scheduler_ticks_and_sends_through_the_port_but_takes_no_events(
        core: BotCore, clock: ManualClock) -> None:
    adapter = Adapter(core=core)
    await due_checkin(core, clock)
    bot = process(core, adapter, "scheduler")
    await bot.start()
    try:
        assert adapter.started == 0 and core.ctx.ports["test"] is adapter  # sends, no intake
        await first_tick_done(bot)
        assert asks(adapter) == ["dana", "lee"]
        assert bot.web is not None
        base = f"http://127.0.0.1:{bot.web.bound_port}"
        assert (await get(f"{base}/healthz"))[0] == 200
        assert (await get(f"{base}/readyz"))[0] == 200
        assert "alignbot_tick_duration_seconds_count 1.0" in (await get(f"{base}/metrics"))[1]
        assert await post_webhook(base) == 404  # no intake of any kind
    finally:
        await bot.stop()
    assert adapter.stopped == 0 and not bot.runner.scheduler.running


async def test_web_takes_events_and_serves_http_but_never_ticks(
        core: BotCore, clock: ManualClock) -> None:
    adapter = Adapter(core=core)
    await due_checkin(core, clock)
    bot = process(core, adapter, "web")
    await bot.start()
    try:
        assert adapter.started == 1 and not bot.runner.scheduler.running
        assert bot.web is not None
        base = f"http://127.0.0.1:{bot.web.bound_port}"
        assert await post_webhook(base) == 503  # the leads webhook is there (off: no secret)
        assert (await get(f"{base}/readyz"))[0] == 200
        assert "alignbot_tick_duration_seconds_count 0.0" in (await get(f"{base}/metrics"))[1]
    finally:
        await bot.stop()
    assert adapter.stopped == 1 and adapter.sent == []  # the due check-in is left to a scheduler


async def test_all_does_both_and_an_adapter_serving_http_gets_no_second_server(
        core: BotCore, clock: ManualClock) -> None:
    adapter = Adapter(core=core)
    await due_checkin(core, clock)
    bot = process(core, adapter, "all", serves_http=True)
    await bot.start()
    try:
        assert adapter.started == 1 and bot.web is None  # the adapter's own app has the routes
        await first_tick_done(bot)
        assert asks(adapter) == ["dana", "lee"]
    finally:
        await bot.stop()
    assert adapter.stopped == 1


def _cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "MICROSOFT_APP_ID",
                 "ALIGNBOT_PLATFORM", "ALIGNBOT_ROLE"):
        monkeypatch.delenv(name, raising=False)


def test_run_rejects_an_unknown_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cli_env(tmp_path, monkeypatch)
    result = CliRunner().invoke(app, ["run", "--role", "worker"])
    assert result.exit_code == 2 and "--role must be one of all, web, scheduler" in result.output


def test_the_console_runs_everything_in_one_process(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _cli_env(tmp_path, monkeypatch)
    result = CliRunner().invoke(app, ["run", "--role", "scheduler"])
    assert result.exit_code == 2 and "is for Slack and Teams deployments" in result.output


def test_role_comes_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNBOT_ROLE", "scheduler")
    assert Settings(_env_file=None).role == "scheduler"  # type: ignore[call-arg]


@dataclass
class WatchedAdapter(Adapter):
    """Sets `both_asked` once the due check-in has gone to Dana and Lee."""

    both_asked: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        ref = await super().send(to, message, thread=thread)
        if len(asks(self)) == 2:
            self.both_asked.set()
        return ref


async def test_operate_runs_until_sigterm_then_stops_everything(core: BotCore, clock: ManualClock) -> None:
    adapter = WatchedAdapter(core=core)
    await due_checkin(core, clock)
    core.ctx.settings = core.ctx.settings.model_copy(update={"role": "all", "http_port": 0})
    running = asyncio.create_task(operate(core, adapter, serves_http=True))
    await asyncio.wait_for(adapter.both_asked.wait(), timeout=20)  # started; the first tick sent
    os.kill(os.getpid(), signal.SIGTERM)  # what `docker stop` sends
    await asyncio.wait_for(running, timeout=20)
    assert running.result() is None and adapter.started == adapter.stopped == 1
    assert asks(adapter) == ["dana", "lee"]
    assert not asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)  # handler removed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _status(url: str) -> int | None:
    """The status of a GET, None when nothing listens."""
    try:
        return (await get(url))[0]
    except aiohttp.ClientConnectionError:
        return None


async def _until(url: str, status: int | None) -> None:
    """Poll until `url` answers `status` (start-up and the signal are asynchronous), bounded."""
    for _ in range(400):
        if await _status(url) == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered {status}")


async def test_readyz_says_shutting_down_from_sigterm_while_healthz_stays_up_to_the_end(
        core: BotCore) -> None:
    """A load balancer routing by /readyz stops sending traffic as soon as the stop begins,
    while in-flight work still has its grace and the HTTP server still answers."""
    port = free_port()
    core.ctx.settings = core.ctx.settings.model_copy(
        update={"role": "all", "http_port": port, "shutdown_grace": 60.0})
    base = f"http://127.0.0.1:{port}"
    running = asyncio.create_task(operate(core, Adapter(core=core), serves_http=False))
    await _until(f"{base}/readyz", 200)
    in_flight = asyncio.Event()
    core.ctx.spawn(in_flight.wait(), "a send in flight")  # holds the shutdown in its grace
    os.kill(os.getpid(), signal.SIGTERM)
    await _until(f"{base}/readyz", 503)
    status, ready = await get_json(f"{base}/readyz")
    assert status == 503
    assert ready == {"status": "not ready", "failed": ["process"], "checks": {"process": "shutting down"}}
    assert await _status(f"{base}/healthz") == 200 and not running.done()  # alive, draining
    in_flight.set()
    await asyncio.wait_for(running, timeout=20)
    assert await _status(f"{base}/healthz") is None  # closed only at the very end


async def test_a_scheduler_whose_health_port_is_taken_stops_with_a_clear_error(
        core: BotCore, clock: ManualClock) -> None:
    """It kept running without /healthz: an orchestrator's probe then kills it again and again,
    or, worse, probes whatever holds the port."""
    adapter = Adapter(core=core)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bot = process(core, adapter, "scheduler")
        core.ctx.settings = core.ctx.settings.model_copy(
            update={"http_port": taken.getsockname()[1]})
        with pytest.raises(PortInUse, match=f"port {taken.getsockname()[1]}.*ALIGNBOT_HTTP_PORT"):
            await bot.start()
        await bot.stop()
    assert not bot.runner.scheduler.running  # no ticks from a process that could not start


EXAMPLE_STRATEGY = Path(__file__).resolve().parents[3] / "examples" / "strategy.yaml"


@dataclass
class _Ctx:
    strategy: object


@dataclass
class _Core:
    evaluator: object
    ctx: _Ctx


async def test_start_prepares_the_rules_for_the_current_strategy(caplog: pytest.LogCaptureFixture) -> None:
    """The rules' index for the strategy being served is built when the process starts (not in
    the first answer's unit of work); a failure there is logged, and start-up goes on."""
    from bot.evaluation import index
    from bot.evaluation.rules import RulesEvaluator
    from bot.runtime.process import prepare_judging
    from bot.strategy.loader import load_strategy

    strategy = load_strategy(EXAMPLE_STRATEGY)
    index._INDEXES.pop(strategy.version, None)
    await prepare_judging(_Core(RulesEvaluator(), _Ctx(strategy)))  # type: ignore[arg-type]
    assert strategy.version in index._INDEXES

    class Failing:
        def prepare(self, strategy: object) -> None:
            raise RuntimeError("broken index")

    await prepare_judging(_Core(Failing(), _Ctx(strategy)))  # type: ignore[arg-type]
    assert "could not prepare the evaluator" in caplog.text
    await prepare_judging(_Core(object(), _Ctx(strategy)))  # type: ignore[arg-type]  # no prepare: nothing
