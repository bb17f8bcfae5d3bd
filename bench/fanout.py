"""Check-in fan-out to many members against a local fake Slack Web API, in separate processes.

    .venv/bin/python bench/fanout.py                      # (a), (b) and (f) on SQLite
    .venv/bin/python bench/fanout.py --db postgres        # the same on a fresh PostgreSQL database

(a) Fan-out to 10,000 members with no rate limit: delivered per second, and CPU time per
    delivered message of the bot process next to a bare slack_sdk `AsyncWebClient.chat_postMessage`
    loop posting the same message (blocks, text, metadata) to the same server with the same number
    of requests in flight (ratio; target <= 1.5). Two bare loops: slack_sdk as it comes (a new HTTP
    session and connection per call) and with one kept-alive session, as the bot uses. Each of
    the three runs `--repeat` times (default 3), in turn; the table shows medians and each run.
(b) The same fan-out with the server enforcing Slack's chat.postMessage limits (one message per
    second per channel; a workspace-wide limit, answered with 429 and Retry-After): the share of
    the allowed rate the bot achieved (target >= 95%) and that nobody was lost or asked twice.
(f) Peak memory (maximum RSS) of the bot process doing (a) (target < 250 MB).

Every party runs in its own process: the fake Slack server (bench/fake_slack.py, its CPU not
counted), the bare loop, the bot, and on PostgreSQL the server, whose backends' CPU (from /proc)
is shown next to the bot's: bot + database per message against the bare loop. The
bot process builds the real core (database, schedule engine, outbox) with a manual clock set
just after a "daily 15:00" check-in schedule's occurrence, attaches the real SlackPort
(slack_sdk client, kept-alive session) pointed at the fake server, and runs ticks until every
check-in is asked. Its CPU (user + system, all threads) is measured around the ticks only, the same way as
the bare loop's around its loop; members are written to the database before the clock starts.

Slack documents chat.postMessage as "1 message per second per channel" plus a workspace-wide
limit of "several hundred messages per minute" (docs.slack.dev/apis/web-api/rate-limits and the
method page). (b) takes 300 per minute and shrinks the minute to `--window` seconds (default 1:
300 messages per second, so 10,000 members take about half a minute); the server's Retry-After
stays in whole seconds, as Slack's. The allowed number of messages between the first and the
last accepted post is the bucket (300) plus 300 per window elapsed; the share is delivered / that.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
TOKEN = "xoxb-bench-token"
OCCURRENCE = datetime(2026, 3, 2, 15, tzinfo=UTC)  # a Monday, 15:00 UTC
STRATEGY = ROOT / "examples" / "strategy.yaml"
PG_ADMIN = os.environ.get("ALIGNBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
Json = dict[str, Any]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def loop_runner() -> Any:
    """How `alignbot run` runs its loop (uvloop where installed: bot/runtime/loop.py); the bare
    loops run the same way, so the comparison is loop for loop. A checkout without that module
    (an older baseline) runs on asyncio's loop, as it did."""
    try:
        from bot.runtime.loop import run
    except ImportError:
        return asyncio.run
    return run


def loop_name() -> str:
    loop = asyncio.get_running_loop()
    return type(loop).__module__.split(".")[0]


def children_cpu() -> float:
    """CPU seconds of the finished child processes (workers, fake servers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def backend_cpu(sync_url: str) -> dict[int, float] | None:
    """CPU seconds (user + system) so far of each PostgreSQL backend serving this database, from
    `pg_stat_activity` and /proc (the server runs on this machine); None on SQLite or when /proc
    does not show them. The database server's work per message is part of a fan-out's cost."""
    if sync_url.startswith("sqlite"):
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(sync_url, poolclass=NullPool)
    with engine.connect() as conn:
        pids = [row[0] for row in conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"))]
    engine.dispose()
    ticks, found = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return found or None


def server_counters(sync_url: str, wait: float = 0.0) -> dict[str, float] | None:
    """Load-independent work of the PostgreSQL server on this database so far: buffer accesses
    (`pg_stat_database` blocks hit + read), WAL bytes (`pg_current_wal_lsn`, the whole server's:
    nothing else should write meanwhile), and rows inserted, updated and updated heap-only
    (`pg_stat_user_tables`). Statistics reach these views when a backend flushes them (at
    exit, or idle a second after its last flush): `wait` seconds for the other backends of the
    database to exit first. None on SQLite."""
    if sync_url.startswith("sqlite"):
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(sync_url, poolclass=NullPool)
    with engine.connect() as conn:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()")).scalar():
            time.sleep(0.05)
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        blocks, wal = conn.execute(text(
            "SELECT blks_hit + blks_read, pg_current_wal_lsn() - '0/0'::pg_lsn"
            " FROM pg_stat_database WHERE datname = current_database()")).one()
        ins, upd, hot = conn.execute(text(
            "SELECT coalesce(sum(n_tup_ins), 0), coalesce(sum(n_tup_upd), 0),"
            " coalesce(sum(n_tup_hot_upd), 0) FROM pg_stat_user_tables")).one()
    engine.dispose()
    return {"blocks": float(blocks), "wal": float(wal), "inserted": float(ins),
            "updated": float(upd), "hot": float(hot)}


def server_cpu(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    """The backends' CPU between two `backend_cpu` readings (a backend new since counts whole)."""
    if after is None:
        return None
    before = before or {}
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


# --- the bot process -------------------------------------------------------------------------


def populate(sync_url: str, members: int) -> None:
    """`members` reps (UTC, Slack user ids U00000000...) and a daily 15:00 check-in schedule
    whose occurrence on OCCURRENCE has not been processed yet."""
    from sqlalchemy import create_engine, insert

    from bot.storage.models import Member, Schedule

    engine = create_engine(sync_url)
    made = OCCURRENCE - timedelta(days=1)
    with engine.begin() as conn:
        # a page of rows at a time: this setup runs in the bot's process before the clock
        # starts, and 100,000 member dicts built at once added 30-50 MB to the bot's peak RSS
        for start in range(0, members, 1000):
            conn.execute(insert(Member), [
                {"platform": "slack", "platform_user_id": f"U{i:08d}", "name": f"Rep {i:05d}",
                 "timezone": "UTC", "timezone_overridden": False, "role": "rep", "admin": False,
                 "platform_admin": False, "working_days": "mon-fri", "active": True,
                 "created_at": made, "updated_at": made}
                for i in range(start, min(start + 1000, members))])
        conn.execute(insert(Schedule), [{
            "kind": "checkin", "when_text": "daily 15:00", "anchor_date": made.date(),
            "target": "reps", "timezone": "UTC", "remind_after": None, "reminders": 0,
            "close_after": None, "active": True, "processed_until": OCCURRENCE - timedelta(minutes=1),
            "created_at": made, "updated_at": made}])
    engine.dispose()


async def run_bot(api: str, database_url: str, members: int, extra: dict[str, str]) -> Json:
    from sqlmodel import func, select

    from adapters.slack.port import SlackPort, build_client, web_session
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.runtime.app import build_core
    from bot.runtime.process import settle_heap
    from bot.storage.database import Database
    from bot.storage.models import CheckIn

    settings = Settings(database_url=database_url, strategy_file=STRATEGY, _env_file=None,
                        **extra)
    Database(database_url).migrate_sync()
    populate(Database(database_url).sync_url, members)
    counters_before = server_counters(Database(database_url).sync_url, wait=5.0)  # setup's flushed
    clock = ManualClock(OCCURRENCE + timedelta(seconds=30))
    core = build_core(settings, clock=clock)
    await core.start()
    http = web_session()  # as `alignbot run` builds its Slack client
    core.attach(SlackPort(build_client(TOKEN, base_url=api, session=http)))

    settle_heap()  # as `alignbot run` does once started
    sync_url = Database(database_url).sync_url
    server_before = backend_cpu(sync_url)
    cpu, started, ticks = cpu_seconds(), time.perf_counter(), 0
    while True:
        await core.tick()
        ticks += 1
        async with core.ctx.db.session() as session:
            left = (await session.exec(select(func.count()).select_from(CheckIn).where(
                CheckIn.state == "scheduled"))).one()
        if not left or ticks >= 200:
            break
        clock.advance(timedelta(seconds=1))
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    server = server_cpu(server_before, backend_cpu(sync_url))
    async with core.ctx.db.session() as session:
        states = dict((await session.exec(select(CheckIn.state, func.count()).group_by(
            CheckIn.state))).all())
    await core.ctx.db.dispose()
    await http.close()
    counters_after = server_counters(sync_url, wait=5.0)  # the bot's backends exited: flushed
    work = ({name: counters_after[name] - counters_before[name] for name in counters_after}
            if counters_before and counters_after else None)
    return {"cpu": cpu, "wall": wall, "ticks": ticks, "states": states, "rss_mb": peak_rss_mb(),
            "server_cpu": server, "server_work": work, "load": load_average(), "loop": loop_name()}


# --- the bare slack_sdk loop ------------------------------------------------------------------


def sample_payload() -> Json:
    """The arguments the bot posts for one check-in invitation (blocks, text), from the real
    renderer, so the bare loop sends exactly as much."""
    from adapters.slack.blocks import fallback_text, message_blocks
    from bot.checkins.messages import ask_message
    from bot.prompts import Prompts
    from bot.storage.models import CheckIn
    from bot.strategy.loader import load_strategy

    prompts, strategy = Prompts(ROOT / "prompts"), load_strategy(STRATEGY)
    checkin = CheckIn(id=12345, key="s1:m1:x", member_id=1, occurrence_at=OCCURRENCE,
                      audience="rep", strategy_version="v", created_at=OCCURRENCE)
    message = ask_message(prompts, checkin, "Rep 00001", strategy.strategy.name)
    return {"text": fallback_text(message), "blocks": message_blocks(message)}


async def run_bare(api: str, members: int, concurrency: int, keep_alive: bool) -> Json:
    """`members` chat_postMessage calls, `concurrency` in flight. slack_sdk's client opens a new
    HTTP session (and connection) per call unless given one: `keep_alive` gives it one."""
    import aiohttp
    from slack_sdk.web.async_client import AsyncWebClient

    payload = sample_payload()
    session = aiohttp.ClientSession() if keep_alive else None
    client = AsyncWebClient(token=TOKEN, base_url=api, session=session)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await client.chat_postMessage(
                channel=f"U{i:08d}", **payload,
                metadata={"event_type": "alignbot_message",
                          "event_payload": {"key": f"s1:m{i}:20260302T150000Z:ask"}})

    cpu, started = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(members)))
    result = {"cpu": cpu_seconds() - cpu, "wall": time.perf_counter() - started,
              "rss_mb": peak_rss_mb(), "load": load_average(), "loop": loop_name()}
    if session is not None:
        await session.close()
    return result


# --- orchestration ----------------------------------------------------------------------------


@contextmanager
def fake_slack(*limits: str) -> Any:
    """The fake Slack Web API in its own process; yields its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        server = subprocess.Popen([PYTHON, str(ROOT / "bench" / "fake_slack.py"),
                                   "--port-file", str(port_file), *limits])
        try:
            base = ""
            for _ in range(200):
                if port_file.exists() and port_file.read_text():
                    base = f"http://127.0.0.1:{port_file.read_text()}"
                    try:
                        call(base, "/stats")
                        break
                    except OSError:
                        pass
                time.sleep(0.05)
            yield base
        finally:
            server.terminate()
            server.wait(10)


def call(base: str, path: str, post: bool = False) -> Json:
    request = urllib.request.Request(base + path, data=b"" if post else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        data: Json = json.loads(response.read())
        return data


def worker(mode: str, base: str, args: argparse.Namespace, database_url: str = "",
           extra: dict[str, str] | None = None, code_root: str = "") -> Json:
    """Run the bot or the bare loop in a fresh process; its JSON result. `code_root`: run the
    bot of another checkout (the baseline), interleaved with this one so load hits both alike."""
    command = [PYTHON, __file__, "--worker", mode, "--api", base + "/api/",
               "--members", str(args.members), "--concurrency", str(args.concurrency),
               "--database-url", database_url, "--extra", json.dumps(extra or {}),
               "--code-root", code_root]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} worker failed:\n{done.stderr[-4000:]}")
    result: Json = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def database(kind: str) -> Any:
    """A fresh database URL: a SQLite file in a temporary folder, or a new PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    from tests.support.databases import new_postgres_database

    with new_postgres_database(PG_ADMIN, "alignbot_bench") as url:
        yield url


def bot_run(base: str, args: argparse.Namespace, code_root: str = "") -> tuple[Json, Json]:
    call(base, "/reset", post=True)
    with database(args.db) as url:
        bot = worker("bot", base, args, url, extra={}, code_root=code_root)
    return bot, call(base, "/stats")


def check(stats: Json, bot: Json, members: int) -> str:
    """'ok' when every member got exactly one check-in and every row is asked."""
    problems = []
    if stats["keys"] != members or stats["channels"] != members:
        problems.append(f"{stats['keys']} of {members} members got a check-in")
    if stats["duplicates"]:
        problems.append(f"{stats['duplicates']} duplicates")
    if bot["states"] != {"asked": members}:
        problems.append(f"check-in states {bot['states']}")
    return "ok" if not problems else "; ".join(problems)


def median(values: list[float]) -> float:
    return statistics.median(values)


def scenario_a(args: argparse.Namespace, rows: list[list[str]]) -> None:
    """Bare loop (new connection per call, as slack_sdk does by default), bare loop with one
    kept-alive session (the headline baseline), the bot and, with `--baseline DIR`, the bot of
    that checkout, in turn, `--repeat` times; medians. Wall, the process's CPU and the load
    average are shown side by side: on a shared machine only CPU compares across runs."""
    modes = (["bare"] if not args.skip_default else []) + ["bare-keepalive", "bot"] + (
        ["baseline"] if args.baseline else [])
    runs: dict[str, list[Json]] = {mode: [] for mode in modes}
    verdicts: dict[str, list[str]] = {"bot": [], "baseline": []}
    with fake_slack() as base:
        for _ in range(args.repeat):
            for mode in modes:
                if mode.startswith("bare"):
                    call(base, "/reset", post=True)
                    runs[mode].append(worker(mode, base, args))
                    assert call(base, "/stats")["keys"] == args.members
                    continue
                root = args.baseline if mode == "baseline" else ""
                bot, stats = bot_run(base, args, code_root=root)
                runs[mode].append(bot | {"delivered": stats["keys"], "opened": stats["opened"]})
                verdicts[mode].append(check(stats, bot, args.members))
    n = args.members
    per = {mode: [r["cpu"] / n * 1000 for r in results] for mode, results in runs.items()}
    names = {"bare": "bare slack_sdk loop (default client: a new connection per call)",
             "bare-keepalive": "bare slack_sdk loop, one kept-alive session (baseline)",
             "bot": "bot", "baseline": f"bot at {args.baseline}"}
    for mode in modes:
        results = runs[mode]
        server = [r["server_cpu"] / n * 1000 for r in results if r.get("server_cpu") is not None]
        note = (f"runs: {', '.join(f'{v:.3f}' for v in per[mode])}; wall"
                f" {median([r['wall'] for r in results]):.1f} s, CPU"
                f" {median([r['cpu'] for r in results]):.1f} s, load {results[-1]['load']},"
                f" {results[-1].get('loop', '?')} loop")
        rows.append([f"(a) {n:,} {names[mode]}: msgs/s",
                     f"{median([n / r['wall'] for r in results]):,.0f}",
                     "; ".join(sorted(set(verdicts.get(mode, [])))) or ""])
        rows.append([f"(a) {n:,} {names[mode]}: CPU ms per message", f"{median(per[mode]):.3f}", note])
        if server:
            rows.append([f"(a) {n:,} {names[mode]}: PostgreSQL server CPU ms per message",
                         f"{median(server):.3f}", "backends of the bench database, from /proc;"
                         f" runs: {', '.join(f'{v:.3f}' for v in server)}"])
            rows.append([f"(a) {n:,} {names[mode]}: bot + database CPU ms per message",
                         f"{median(per[mode]) + median(server):.3f}", ""])
        work = [r["server_work"] for r in results if r.get("server_work")]
        for name, label in (("blocks", "buffer accesses"), ("wal", "WAL bytes (whole server)"),
                            ("inserted", "rows inserted"), ("updated", "rows updated"),
                            ("hot", "of which heap-only (HOT)")):
            if work:
                values = [w[name] / n for w in work]
                rows.append([f"(a) {n:,} {names[mode]}: server {label} per message",
                             f"{median(values):.2f}", "load-independent (pg_stat_database,"
                             " pg_stat_user_tables, WAL position); runs: "
                             + ", ".join(f"{v:.2f}" for v in values)])
        if not mode.startswith("bare"):
            rss = max(r["rss_mb"] for r in results)
            rows.append([f"(f) {n:,} {names[mode]}: peak RSS MB (target < 250)", f"{rss:.0f}",
                         "PASS" if rss < 250 else "FAIL"])
    for mode, label, target in (("bare-keepalive", "kept-alive bare (headline)", True),
                                ("bare", "default-client bare (context)", False)):
        if mode not in per:
            continue
        ratio = median(per["bot"]) / median(per[mode])
        rows.append([f"(a) {n:,} CPU ratio bot / {label}" + (" (target <= 1.5)" if target else ""),
                     f"{ratio:.2f}", ("PASS" if ratio <= 1.5 else "FAIL") if target else ""])


def scenario_b(args: argparse.Namespace, rows: list[list[str]]) -> None:
    limit = ["--workspace-limit", str(args.workspace_limit), "--window", str(args.window),
             "--per-channel", "1"]
    with fake_slack(*limit) as base:
        bot, stats = bot_run(base, args)
    span = stats["last"] - stats["first"]
    allowed = args.workspace_limit + span * args.workspace_limit / args.window
    share = stats["accepted"] / allowed
    rows.append([f"(b) allowed: {args.workspace_limit} per {args.window:g} s, burst"
                 f" {args.workspace_limit}; got msgs/s", f"{stats['accepted'] / span:,.0f}" if span else "-",
                 f"{stats['rejected']} answered 429"])
    rows.append(["(b) share of the allowed rate (target >= 95%)", f"{share:.1%}",
                 "PASS" if share >= 0.95 else "FAIL"])
    verdict = check(stats, bot, args.members)
    rows.append(["(b) lost or duplicated (target: none)", "none" if verdict == "ok" else verdict,
                 "PASS" if verdict == "ok" else "FAIL"])


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([lines[0], "-+-".join("-" * w for w in widths), *lines[1:]])


def main() -> None:
    parser = argparse.ArgumentParser(description="Check-in fan-out benchmark (see the docstring).")
    parser.add_argument("--members", default="10000",
                        help="members; a comma-separated list runs (a) for each: the curve")
    parser.add_argument("--baseline", default="",
                        help="another checkout whose bot runs interleaved with this one in (a)")
    parser.add_argument("--code-root", default="", help=argparse.SUPPRESS)
    parser.add_argument("--skip-default", action="store_true",
                        help="leave out the default-client bare loop (context only; saves time)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--only", default="a,b", help="which of a (with f) and b to run")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="requests in flight (default: the bot's ALIGNBOT_FANOUT_CONCURRENCY)")
    parser.add_argument("--workspace-limit", type=int, default=300)
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of (a), alternating; medians")
    parser.add_argument("--worker", choices=("bot", "bare", "bare-keepalive"), help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--extra", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(v) for v in str(args.members).split(",")]
    args.members = sizes[0]
    if args.code_root:  # the worker runs another checkout's bot: its modules come first
        sys.path.insert(0, str(Path(args.code_root).resolve()))
    if not args.concurrency:
        from bot.config import Settings

        args.concurrency = getattr(Settings(_env_file=None), "fanout_concurrency", 1)
    if args.worker == "bot":
        print(json.dumps(loop_runner()(run_bot(args.api, args.database_url, args.members,
                                               json.loads(args.extra)))))
        return
    if args.worker in ("bare", "bare-keepalive"):
        print(json.dumps(loop_runner()(run_bare(args.api, args.members, args.concurrency,
                                                keep_alive=args.worker == "bare-keepalive"))))
        return
    rows = [["measure", "value", "note"]]
    load = os.getloadavg()
    print(f"{', '.join(f'{n:,}' for n in sizes)} members, {args.db}, {args.concurrency} request(s)"
          f" in flight; load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on"
          f" {os.cpu_count()} CPUs", flush=True)
    started, cpu = time.perf_counter(), children_cpu()
    for size in sizes:
        args.members = size
        if "a" in args.only:
            scenario_a(args, rows)
    if "b" in args.only:
        args.members = sizes[0]
        scenario_b(args, rows)
    print(table(rows))
    print(f"bench wall {time.perf_counter() - started:.0f} s, CPU of its processes"
          f" {children_cpu() - cpu:.0f} s, load average after: {load_average()}")


if __name__ == "__main__":
    main()
