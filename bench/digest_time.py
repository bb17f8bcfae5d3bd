"""How long a digest takes: one 10-rep team and the whole organisation, as the organisation
grows from 100 to 1,000 reps (10,000 with --10k) with a year of weekly check-ins each (3
evaluated answers per check-in) and leads with touches, on a SQLite file. A 50-rep team is added
too: its digest must still be one screen - the same blocks and lines before "Details" as the 10-rep team's.

The point it checks: one team's digest reads only that team's rows (indexed by member and time,
migration 0006_digest), so its time stays flat while the organisation grows tenfold. It also
times the team digest with the check-in index dropped, to show what the index buys. Figures
(queries + computing) and the chart (matplotlib) are timed separately; median of several runs,
wall and CPU time (this process, threads included), with the load average beside them.

The whole organisation's figures come from the answers' derived columns, added and counted in
SQL (bot.digest.aggregate, migration 0014_digest_aggregates), the chart's and the score means'
read from one index (0015_answer_occurrence); "whole org, evaluations parsed" times the previous
way (every evaluation of the period and the one before parsed, every score of the chart's six
periods loaded) on the same data, once per size. The heap is settled after start-up, as a bot
process does (bot.runtime.process.settle_heap).

On PostgreSQL (`--db postgres`: a fresh database on ALIGNBOT_TEST_POSTGRES_URL's server, dropped
at the end) the tables are vacuumed and analysed after each load, as autovacuum does to a live
database (without it the planner reads the freshly bulk-loaded answers by a sequential scan); the
CPU column is this process's, and "server CPU" its backends' (from pg_stat_activity and /proc, as
bench/fanout.py reads them); the index plans at the end, SQLite's, are left out.

`--keep FILE` (SQLite) or `--keep NAME` (a PostgreSQL database on that server) loads into that
file or database and leaves it there: a later run with the same --weeks loads only the teams it
lacks (none for the same or a smaller --reps list's largest size), so before/after rounds at
10,000 reps skip minutes of loading each. The check-in index the last row drops is put back.

Run: .venv/bin/python bench/digest_time.py [--reps 100,1000] [--10k] [--weeks 52] [--runs 5]
     [--db sqlite|postgres] [--keep FILE|NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import Result, make_url  # noqa: E402

from bench.fanout import backend_cpu  # noqa: E402  (the PostgreSQL backends' CPU, read the same way)
from bot.clock import ManualClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.context import BotContext  # noqa: E402
from bot.digest.actions import suggest  # noqa: E402
from bot.digest.chart import render_chart  # noqa: E402
from bot.digest.derived import derive  # noqa: E402
from bot.digest.figures import CHART_POINTS, compute  # noqa: E402
from bot.digest.history import load_history  # noqa: E402
from bot.digest.period import ending  # noqa: E402
from bot.digest.render import DigestRenderer  # noqa: E402
from bot.digest.service import DigestService  # noqa: E402
from bot.digest.team import DigestScope, organisation, team_tree  # noqa: E402
from bot.evaluation.rules import RulesEvaluator  # noqa: E402
from bot.events import Details, FactList, Message, Text  # noqa: E402
from bot.leads.metrics import load_leads  # noqa: E402
from bot.prompts import Prompts  # noqa: E402
from bot.runtime.process import settle_heap  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from bot.storage.models import Answer, CheckIn, Lead, LeadEvent, Member  # noqa: E402
from bot.strategy.loader import load_strategy  # noqa: E402
from tests.support.databases import _conninfo, new_postgres_database  # noqa: E402

PG_ADMIN = os.environ.get("ALIGNBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
TEAM_SIZE = 10
WIDE_TEAM = 50  # "Manager 9999": the one-screen case
WIDE_TEAM_NUMBER = 9999
STRATEGY = ROOT / "examples" / "strategy.yaml"
TEXTS = {
    "strategy": ["We make mid-market fintechs, regional banks and healthcare provider groups audit-ready"
                 " in half the time with continuous control monitoring, to grow ARR 35% at 75% margin.",
                 "We sell compliance software to regional banks.",
                 "Audit readiness for fintechs and banks, growing ARR 35%."],
    "scope": ["We play in mid-market fintech and regional banks; we avoid tier-1 banks and government.",
              "Working a deal with a global tier-1 bank and two small businesses this week.",
              "Mostly healthcare provider groups, buyers are the compliance officer and CFO."],
    "tasks": ["ran disco w/ Ledgerly (fintech) on their SOC2 gaps, then built ROI model with their CFO",
              "- mapped buying committee at Pinecrest Credit Union\n- sent SOC 2 report\n"
              "- followed up on 3 whitepaper downloads",
              "cold calling dentists all week, CRM cleanup",
              "updated the CRM, internal forecast meeting, mapped buying committee at Ledgerly"],
}
SEGMENTS = ("midmarket_fintech", "regional_banks", "healthcare_providers", "tier1_banks")


def _evaluations() -> dict[str, list[tuple[str, str, float, dict[str, Any]]]]:
    """Per question: text, stored evaluation, overall and the derived digest columns (bulk
    inserts skip the ORM hooks that fill them and the answer's copy of its check-in's
    occurrence, so they are filled here the same way)."""
    strategy, evaluator = load_strategy(STRATEGY), RulesEvaluator()
    pool: dict[str, list[tuple[str, str, float, dict[str, Any]]]] = {}
    for q, texts in TEXTS.items():
        pool[q] = []
        for t in texts:
            evaluation = evaluator.evaluate_sync(q, t, strategy)  # type: ignore[arg-type]
            stored = evaluation.model_dump_json()
            pool[q].append((t, stored, evaluation.overall, derive(t, stored)))
    return pool


def populate(sync_url: str, first_manager: int, managers: int, weeks: int, seed: int,
             team_size: int = TEAM_SIZE) -> None:
    """Add `managers` teams of `team_size` reps, each with `weeks` weekly check-ins and leads,
    week by week as a live organisation stores them (inserted rep by rep, as before 2026-12-07,
    one week's answers lie scattered across the whole file: 3.2 s of CPU for the whole
    organisation's figures at 10,000 reps against 2.7 s, both at load 6 on 2 cores)."""
    rng = random.Random(seed)
    pool = _evaluations()
    engine = create_engine(sync_url)
    with engine.begin() as conn:
        next_id = (conn.execute(text("select coalesce(max(id), 0) from members")).scalar() or 0) + 1
        member_rows: list[dict[str, Any]] = []
        reps: list[int] = []
        for m in range(first_manager, first_manager + managers):
            manager_id = next_id
            next_id += 1
            member_rows.append(_member(manager_id, f"Manager {m}", "manager", None))
            for r in range(team_size):
                member_rows.append(_member(next_id, f"Rep {m}-{r}", "rep", manager_id))
                reps.append(next_id)
                next_id += 1
        conn.execute(insert(Member), member_rows)
        checkin_id = (conn.execute(text("select coalesce(max(id), 0) from checkins")).scalar() or 0) + 1
        lead_id = (conn.execute(text("select coalesce(max(id), 0) from leads")).scalar() or 0) + 1
        checkins, answers, leads, events = [], [], [], []
        for week in range(weeks - 1, -1, -1):  # oldest first: rows stored as they would arrive,
            for rep in reps:                    # a week's check-ins of everyone side by side
                at = NOW - timedelta(days=7 * week + 6, hours=4)
                answered = rng.random() < 0.85
                checkins.append({"id": checkin_id, "key": f"b:{rep}:{week}", "member_id": rep,
                                 "occurrence_at": at, "audience": "rep",
                                 "state": "answered" if answered else "expired",
                                 "strategy_version": "bench", "asked_at": at, "reminders_sent": 0,
                                 "answered_at": at + timedelta(hours=2) if answered else None,
                                 "created_at": at})
                if answered:
                    for question, options in pool.items():
                        body, evaluation, overall, derived = rng.choice(options)
                        answers.append({"checkin_id": checkin_id, "member_id": rep,
                                        "question": question, "text": body,
                                        "evaluation": evaluation, "overall_score": overall,
                                        "edits": 0, "created_at": at, "updated_at": at,
                                        "occurrence_at": at, **derived})
                checkin_id += 1
                if week % 2 == 0:  # a lead every other week
                    engaged = at + timedelta(hours=rng.randint(0, 100))
                    touches = rng.choice((0, 1, 2, 3))
                    first = engaged + timedelta(minutes=rng.randint(5, 3000)) if touches else None
                    closed = week >= 4  # older leads were qualified or disqualified by now
                    status = (rng.choice(("qualified", "disqualified")) if closed
                              else "working" if touches else "new")
                    leads.append({"id": lead_id, "source": "bench", "external_id": str(lead_id),
                                  "company": f"Co {lead_id}", "contact_name": "", "segment":
                                  rng.choice(SEGMENTS), "owner_id": rep, "engaged_at": engaged,
                                  "content": "", "status": status,
                                  "touches": touches, "first_touch_at": first, "last_touch_at": first,
                                  "next_due_at": None if closed else engaged + timedelta(days=3),
                                  "created_at": engaged, "updated_at": engaged})
                    events += [{"lead_id": lead_id, "kind": "touch", "at": first, "member_id": rep,
                                "via": "bench", "detail": ""} for _ in range(touches)]
                    lead_id += 1
        for table, rows in ((CheckIn, checkins), (Answer, answers), (Lead, leads), (LeadEvent, events)):
            for start in range(0, len(rows), 20_000):
                conn.execute(insert(table), rows[start:start + 20_000])
    engine.dispose()


def _member(ident: int, name: str, role: str, manager: int | None) -> dict[str, Any]:
    return {"id": ident, "platform": "bench", "platform_user_id": f"u{ident}", "name": name,
            "timezone": "UTC", "timezone_overridden": False, "role": role, "admin": False,
            "platform_admin": False, "manager_id": manager, "working_days": "mon-fri",
            "active": True, "created_at": NOW, "updated_at": NOW}


async def _team(service: DigestService, name: str) -> DigestScope:
    async with service.ctx.db.session() as session:
        manager = (await session.exec(text(  # type: ignore[call-overload]
            f"select id from members where name = '{name}'"))).one()[0]
        first = await session.get(Member, manager)
        assert first is not None
        return DigestScope(first, await team_tree(session, first))


async def _scopes(service: DigestService) -> tuple[DigestScope, DigestScope, DigestScope]:
    async with service.ctx.db.session() as session:
        org = DigestScope(None, await organisation(session))
    return (await _team(service, "Manager 0"), await _team(service, f"Manager {WIDE_TEAM_NUMBER}"),
            org)


def first_screen(message: Message) -> tuple[int, int]:
    """Blocks and lines before the Details: what a reader sees without a click."""
    shown = [b for b in message.blocks if not isinstance(b, Details)]
    lines = sum(b.text.count("\n") + 1 if isinstance(b, Text) else len(b.facts)
                if isinstance(b, FactList) else 1 for b in shown)
    return len(shown), lines


async def _screen(service: DigestService, scope: DigestScope) -> tuple[int, int]:
    assert scope.manager is not None
    digest = await service.build(scope, ending(NOW), scope.manager, chart=False)
    return first_screen(DigestRenderer(service.texts, service.ctx.strategy).message(digest))


Timing = tuple[float, float, float, int, float | None]  # figures wall s, CPU s, chart s, rows,
# the database server's CPU s (PostgreSQL; None on SQLite, whose work is this process's)


def _used(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    """The backends' CPU between two `backend_cpu` readings (a backend new since: all of it)."""
    if after is None:
        return None
    return sum(seconds - (before or {}).get(pid, 0.0) for pid, seconds in after.items())


async def _time(service: DigestService, scope: DigestScope, runs: int) -> Timing:
    """Median wall and CPU seconds for the figures (queries, compute, actions), and for the
    chart; CPU is this process's (the compute thread included; SQLite runs in-process too) and,
    on PostgreSQL, its backends' (read from /proc before and after each run, outside the times).
    /proc counts in clock ticks (10 ms): a median of several runs, not one run's exact figure."""
    period = ending(NOW)
    figure_times, cpu_times, chart_times, server_times = [], [], [], []
    figures = None
    sync_url = service.ctx.db.sync_url
    for _ in range(runs):
        server = await asyncio.to_thread(backend_cpu, sync_url)
        start, cpu = time.perf_counter(), time.process_time()
        figures = await service.figures(scope, period)
        suggest(figures, service.texts)
        figure_times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
        used = _used(server, await asyncio.to_thread(backend_cpu, sync_url))
        if used is not None:
            server_times.append(used)
        start = time.perf_counter()
        render_chart(figures, service.texts)
        chart_times.append(time.perf_counter() - start)
    assert figures is not None
    return (statistics.median(figure_times), statistics.median(cpu_times),
            statistics.median(chart_times), await _rows(service, scope),
            statistics.median(server_times) if server_times else None)


async def _rows(service: DigestService, scope: DigestScope) -> int:
    """Rows the digest's figures queries return, every one counted as the database sends it
    (grouped sums and counts included: a few dozen), from one more `service.figures`: the same
    for one team however large the organisation. (Until 2026-12-07, evening, the count added up
    the facts instead - a lead both new and needing a touch counted twice, grouped rows not at
    all: 63,996 for a whole organisation of 10,000 reps whose queries returned 55,833.)"""
    counted = [0]
    real_all = Result.all

    def counting(self: Result[Any]) -> Any:
        rows = real_all(self)
        counted[0] += len(rows)
        return rows

    Result.all = counting  # type: ignore[method-assign,assignment]
    try:
        await service.figures(scope, ending(NOW))
    finally:
        Result.all = real_all  # type: ignore[method-assign]
    return counted[0]


async def _parsed(service: DigestService, scope: DigestScope) -> Timing:
    """The previous way, once: every evaluation of the period and the one before parsed, every
    score of the chart's periods loaded; its figures must equal the new way's."""
    period = ending(NOW)
    ids = scope.member_ids
    start, cpu = time.perf_counter(), time.process_time()
    async with service.ctx.db.session() as session:
        history = await load_history(session, ids, period.back(CHART_POINTS)[0].start, period.end,
                                     detail_start=period.previous().start)
        leads = await load_leads(session, ids, period.previous().start, period.end, NOW)
    figures = await asyncio.to_thread(compute, service.ctx.strategy, scope.title, scope.members,
                                      period, history, leads, {})
    suggest(figures, service.texts)
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    assert figures == await service.figures(scope, period), "the two ways disagree"
    read = (len(history.checkins) + len(history.scores) + len(history.answers) + len(leads.cohort)
            + len(leads.open))
    return wall, used, 0.0, read, None


async def measure(url: str, runs: int) -> dict[str, Timing]:
    settings = Settings(database_url=url, strategy_file=STRATEGY, _env_file=None)
    ctx = BotContext(settings=settings, db=Database(url), clock=ManualClock(NOW),
                     prompts=Prompts(settings.prompts_dir), strategy=load_strategy(STRATEGY))
    service = DigestService(ctx)
    try:
        team, wide, org = await _scopes(service)
        settle_heap()  # as a bot process does once started: start-up's objects out of the GC's walks
        small, large = await _screen(service, team), await _screen(service, wide)
        assert small == large, f"a {WIDE_TEAM}-rep digest is not one screen: {large} vs {small}"
        return {"team": await _time(service, team, runs * 2),
                "wide": await _time(service, wide, runs * 2),
                "org": await _time(service, org, max(1, runs // 2)),
                "parsed": await _parsed(service, org)}
    finally:
        await ctx.db.dispose()


def _plan(sync_url: str) -> str:
    """SQLite's plan for one team's check-ins in a window (which index bounds the read)."""
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "explain query plan select member_id, occurrence_at from checkins where"
            " member_id in (2, 3, 4) and occurrence_at >= '2026-01-01' and occurrence_at < '2026-03-02'"
        )).all()
    engine.dispose()
    return "; ".join(str(row[-1]) for row in rows)


@contextlib.contextmanager
def _database(kind: str, keep: str | None = None) -> Iterator[str]:
    """A fresh, migrated database's URL: a SQLite file in a temporary folder, or a new
    PostgreSQL database on PG_ADMIN's server (dropped afterwards). With `keep`, the SQLite file
    at that path or the PostgreSQL database of that name instead, created when absent and left
    in place afterwards, so later runs skip the minutes of loading (`_present`)."""
    if keep is not None:
        if kind == "sqlite":
            yield f"sqlite:///{Path(keep).resolve()}"
            return
        with psycopg.connect(_conninfo(PG_ADMIN), autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (keep,)).fetchone():
                conn.execute(f'CREATE DATABASE "{keep}"')
        yield make_url(PG_ADMIN).set(database=keep).render_as_string(hide_password=False)
        return
    if kind == "postgres":
        with new_postgres_database(PG_ADMIN, "alignbot_bench") as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def _present(sync_url: str, weeks: int) -> tuple[bool, int]:
    """What a kept database already holds: whether the 50-rep team is there, and how many
    10-rep teams (each size adds the teams it lacks, so a larger size reuses a smaller one's).
    A database loaded with another number of weeks is refused: its figures would differ."""
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        managers = [row[0] for row in conn.execute(text(
            "select name from members where role = 'manager'"))]
        wide = f"Manager {WIDE_TEAM_NUMBER}" in managers
        loaded = conn.execute(text(
            "select count(distinct occurrence_at) from checkins where member_id ="
            " (select min(id) from members where role = 'rep')")).scalar() or 0
    engine.dispose()
    if managers and loaded != weeks:
        raise SystemExit(f"the kept database holds {loaded} weeks of check-ins, not {weeks}:"
                         " give --weeks that, or another --keep")
    return wide, len(managers) - wide


def _settle(sync_url: str) -> None:
    """PostgreSQL: vacuum and analyse what was just loaded, as autovacuum would on a live
    database (the visibility map lets the digest read answers from its index alone)."""
    if sync_url.startswith("sqlite"):
        return
    engine = create_engine(sync_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", default="100,1000", help="organisation sizes, ascending")
    parser.add_argument("--10k", dest="ten_thousand", action="store_true",
                        help="add 10,000 reps (about 1.3 million answers: minutes to load)")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", metavar="FILE|NAME",
                        help="load into this SQLite file (PostgreSQL: database name) and keep it;"
                             " what it already holds is not loaded again")
    args = parser.parse_args()
    # Each size adds the teams it lacks to the one before, so a size given twice ("--reps 10000
    # --10k") would add nobody and fail after minutes of loading: ascending and distinct.
    sizes = sorted({int(s) for s in args.reps.split(",")} | ({10_000} if args.ten_thousand else set()))
    plan = plan_without = ""
    with _database(args.db, args.keep) as url:
        db = Database(url)
        db.migrate_sync()
        rows: list[tuple[str, ...]] = []
        wide, teams = _present(db.sync_url, args.weeks)
        if teams > sizes[0] // TEAM_SIZE:
            raise SystemExit(f"the kept database holds {teams * TEAM_SIZE:,} reps already:"
                             f" --reps {teams * TEAM_SIZE} or more")
        if not wide:
            populate(db.sync_url, WIDE_TEAM_NUMBER, 1, args.weeks, seed=50, team_size=WIDE_TEAM)
        for size in sizes:
            start = time.perf_counter()
            loaded = size // TEAM_SIZE > teams or not wide
            if loaded:
                populate(db.sync_url, teams, size // TEAM_SIZE - teams, args.weeks, seed=size)
                _settle(db.sync_url)
            wide, teams = True, size // TEAM_SIZE
            load = f"{time.perf_counter() - start:.1f}" if loaded else "kept"
            result = asyncio.run(measure(url, args.runs))
            for label, (figures, cpu, chart, read, server) in result.items():
                who = {"team": f"one {TEAM_SIZE}-rep team", "wide": f"one {WIDE_TEAM}-rep team",
                       "parsed": "whole org, evaluations parsed"}.get(label, "whole organisation")
                rows.append((f"{size:,}", who, f"{read:,}", f"{figures * 1000:.1f}",
                             f"{cpu * 1000:.1f}", "-" if server is None else f"{server * 1000:.0f}",
                             f"{chart * 1000:.0f}" if chart else "-", load,
                             f"{os.getloadavg()[0]:.1f}"))
        if args.db == "sqlite":
            plan = _plan(db.sync_url)
            engine = create_engine(db.sync_url)
            with engine.begin() as conn:
                conn.execute(text("drop index ix_checkins_member_occurrence"))
            engine.dispose()
            plan_without = _plan(db.sync_url)
            figures, cpu, chart, read, _ = asyncio.run(measure(url, args.runs))["team"]
            rows.append((f"{sizes[-1]:,}", "one team, no 0006 index", f"{read:,}",
                         f"{figures * 1000:.1f}", f"{cpu * 1000:.1f}", "-", f"{chart * 1000:.0f}",
                         "-", f"{os.getloadavg()[0]:.1f}"))
            engine = create_engine(db.sync_url)
            with engine.begin() as conn:  # as it was: a kept file serves the next run as loaded
                conn.execute(text("create index ix_checkins_member_occurrence"
                                  " on checkins (member_id, occurrence_at)"))
            engine.dispose()
        asyncio.run(db.dispose())
    header = ("reps", "digest of", "rows returned", "figures ms", "CPU ms", "server CPU ms",
              "chart ms", "load s", "loadavg")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    where = ("SQLite file" if args.db == "sqlite" else
             "PostgreSQL (CPU: this process; server CPU: its backends, from /proc)")
    print(f"Digest time, {where}, {args.weeks} weekly check-ins per rep, median of"
          f" {args.runs * 2} runs (team) and {max(1, args.runs // 2)} (organisation; evaluations"
          f" parsed: 1, same figures asserted); the organisation includes the {WIDE_TEAM}-rep team,"
          f" whose first screen matched the {TEAM_SIZE}-rep team's; {os.cpu_count()} CPUs")
    for row in (header, *rows):
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    if plan:
        print(f"Check-in query plan with the 0006 index: {plan}")
        print(f"Check-in query plan without it:          {plan_without}")


if __name__ == "__main__":
    main()
