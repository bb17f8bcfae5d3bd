"""Several real `alignbot run --role scheduler` processes on one PostgreSQL database fan a check-in
out to a few hundred Slack members through a local fake Slack Web API; one is SIGKILLed in the
middle, with a post accepted by Slack but not yet answered. The others finish: every member gets
exactly one check-in, every check-in row ends asked, and the dead process's claims are taken over
after the lease (asking Slack's history first, so its accepted post is not sent again)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.storage.database import Database
from bot.storage.models import CheckIn, Member, OutboundMessage, Schedule
from tests.support.databases import fresh_postgres
from tests.support.processes import BotProcess, clean_environment
from tests.support.slack_api import FakeSlackApi, fake_slack_api

MEMBERS = 300
LEASE = 2  # seconds (ALIGNBOT_DELIVERY_LEASE_SECONDS)


async def prepare(url: str, api: FakeSlackApi) -> datetime:
    """Schema, MEMBERS reps known to Slack, and a daily check-in whose run two minutes ago has
    not been asked yet (the processes run on the real clock). Returns that run's time.

    The reps work every day of the week: the processes' clock is the machine's, so on a weekend
    reps on the default Monday-Friday would have the day off and nobody would be asked."""
    database = Database(url)
    await database.migrate()
    now = datetime.now(UTC)
    run = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    async with database.session() as session:
        for i in range(MEMBERS):
            user = f"U{i:07d}9"
            api.add_user(user, f"Rep {i:03d}")
            session.add(Member(platform="slack", platform_user_id=user, name=f"Rep {i:03d}",
                               role="rep", working_days="mon-sun", created_at=now,
                               updated_at=now))
        session.add(Schedule(kind="checkin", when_text=f"daily {run:%H:%M}", anchor_date=run.date(),
                             target="reps", timezone="UTC", remind_after=None, reminders=0,
                             processed_until=run - timedelta(minutes=1), created_at=now,
                             updated_at=now))
    await database.dispose()
    return run


def ask_key(call_args: dict[str, Any]) -> str | None:
    """The outbox key in a check-in invitation's metadata (None for other messages)."""
    metadata: Any = call_args.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata)
    key = str((metadata.get("event_payload") or {}).get("key") or "")
    return key if key.endswith(":ask") else None


@pytest.mark.postgres
async def test_schedulers_share_a_fanout_and_one_killed_midway_loses_and_doubles_nothing(
        tmp_path: Path) -> None:
    with fresh_postgres() as url:
        async with fake_slack_api() as api:
            api.slow("chat.postMessage", 0.04)
            run = await prepare(url, api)
            env = clean_environment(
                ALIGNBOT_DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-test-token",
                SLACK_SIGNING_SECRET="not-used-by-a-scheduler", ALIGNBOT_SLACK_API_URL=api.base_url,
                ALIGNBOT_HTTP_PORT="0", ALIGNBOT_TICK_SECONDS="1",
                ALIGNBOT_DELIVERY_LEASE_SECONDS=str(LEASE), ALIGNBOT_FANOUT_CONCURRENCY="2",
                ALIGNBOT_FANOUT_BATCH="10", ALIGNBOT_LOG_LEVEL="INFO")
            processes = [BotProcess(name, env, tmp_path) for name in ("a", "b", "c")]
            try:
                victim = await fan_out_and_kill(api, processes)
                await wait_for_all_asked(url, within=60)
            finally:
                codes = {p.name: p.stop() for p in processes if p.running}  # SIGTERM the rest
                for process in processes:
                    if process.running:
                        process.kill()
            logs = "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in processes)
            assert set(codes) == {"a", "b", "c"} - {victim.name}, logs
            assert set(codes.values()) == {0}, logs  # the survivors stop cleanly on SIGTERM
            checkins, outbound = await rows(url)

    keys = Counter(key for call in api.calls_to("chat.postMessage") if (key := ask_key(call.args)))
    assert len(keys) == MEMBERS and set(keys.values()) == {1}, logs  # everyone, once
    channels = Counter(str(call.args["channel"]) for call in api.calls_to("chat.postMessage"))
    assert len(channels) == MEMBERS and set(channels.values()) == {1}
    assert all(key.endswith(f"{run:%Y%m%dT%H%M%SZ}:ask") for key in keys)
    assert len(checkins) == MEMBERS and {c.state for c in checkins} == {"asked"}
    assert {o.state for o in outbound} == {"sent"} and len(outbound) == MEMBERS
    taken_over = [o for o in outbound if o.attempts > 1]
    assert taken_over, "the killed process held claims that someone took over"
    assert api.calls_to("conversations.history"), "its accepted post was looked up, not resent"


class Posts:
    """chat.postMessage calls per process, attributed by the port each call came from (looked up
    once per new port, so checking after every call stays cheap for the fake server)."""

    def __init__(self, api: FakeSlackApi, processes: list[BotProcess]) -> None:
        self.api, self.processes = api, processes
        self.owner: dict[int, str | None] = {}
        self.counts: Counter[str | None] = Counter()
        self.seen = 0

    def name_of(self, port: int) -> str | None:
        if port not in self.owner:
            self.owner[port] = next((p.name for p in self.processes if p.owns(port)), None)
        return self.owner[port]

    def by(self, process: BotProcess) -> int:
        calls = self.api.calls
        for call in calls[self.seen:]:
            if call.method == "chat.postMessage":
                self.counts[self.name_of(call.peer)] += 1
        self.seen = len(calls)
        return self.counts[process.name]

    def in_flight(self, process: BotProcess) -> bool:
        return any(n > 0 and self.name_of(port) == process.name
                   for port, n in self.api.in_flight.items())


async def fan_out_and_kill(api: FakeSlackApi, processes: list[BotProcess]) -> BotProcess:
    """Start them all; the first to post a few check-ins is the victim: Slack takes its next post
    but does not answer, so it is stuck in the middle of a page (whatever the machine's speed).
    Once the others post too, SIGKILL it. Returns the victim."""
    posts = Posts(api, processes)
    for process in processes:
        process.start()
    await api.wait_for(lambda: any(posts.by(p) >= 5 for p in processes), within=60)
    victim = next(p for p in processes if posts.by(p) >= 5)
    others = [p for p in processes if p is not victim]
    api.hold_if = lambda call: call.method == "chat.postMessage" and posts.name_of(call.peer) == victim.name
    await api.wait_for(lambda: posts.in_flight(victim), within=60)
    await api.wait_for(lambda: all(posts.by(p) for p in others), within=60)
    victim.kill()
    api.released.set()
    assert posts.by(victim) < MEMBERS  # it died in the middle
    return victim


async def wait_for_all_asked(url: str, within: float) -> None:
    """Until every check-in row is asked (the survivors record their last page), bounded."""
    database = Database(url)
    try:
        async with asyncio.timeout(within):
            while True:
                async with database.session() as session:
                    asked = (await session.exec(select(func.count()).select_from(CheckIn).where(
                        CheckIn.state == "asked"))).one()
                if asked == MEMBERS:
                    return
                await asyncio.sleep(0.2)
    finally:
        await database.dispose()


async def rows(url: str) -> tuple[list[CheckIn], list[OutboundMessage]]:
    database = Database(url)
    try:
        async with database.session() as session:
            return (list((await session.exec(select(CheckIn))).all()),
                    list((await session.exec(select(OutboundMessage))).all()))
    finally:
        await database.dispose()
