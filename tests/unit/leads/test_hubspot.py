"""HubSpot over real HTTP: the official `hubspot-api-client` against a fake HubSpot API on
127.0.0.1 (tests/support/hubspot_api.py). The sync is incremental (cursor, paging, resumes after
a failure without importing anything twice), owners map by email, segments by the strategy's
names and aliases; reps' Done / Disqualify / reassignment are written back once through the
outbox, Snooze writes nothing; 429s are waited out or end the run; HubSpot's rate limit headers
slow the calls down before a limit is reached (on an injected clock: nothing really sleeps)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import ManualClock
from bot.core import BotCore
from bot.leads.crm import CrmError, WriteBack
from bot.leads.hubspot import HubSpotConnector
from bot.leads.sync import LeadSync
from bot.leads.sync_job import sync_sources
from bot.leads.writeback import WriteBacks
from bot.storage.models import CrmSync, OutboundMessage
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.hubspot_api import TOKEN, FakeHubSpot, fake_hubspot
from tests.support.talk import say, setup_team
from tests.unit.leads.support import events, leads
from tests.unit.leads.test_nudges import click

MS = 1000


def ms(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp() * MS))


def contact(api: FakeHubSpot, contact_id: str, company: str, owner: str, modified: str,
            stage: str = "lead", segment: str = "fintech", **extra: str) -> None:
    api.contact(contact_id, company=company, firstname="Maya", lastname=company,
                email=f"maya@{company.lower().replace(' ', '')}.example", hubspot_owner_id=owner,
                lifecyclestage=stage, industry=segment, hs_lastmodifieddate=ms(modified), **extra)


@pytest.fixture
def hubspot(core: BotCore) -> Iterator[FakeHubSpot]:
    with fake_hubspot() as api:
        api.owner("1", "dana@example.com")
        api.owner("2", "lee@example.com")
        api.owner("3", "stranger@example.com")
        contact(api, "101", "Ledgerly", "1", "2026-03-02T12:00:00+00:00",
                recent_conversion_date="2026-03-02T13:30:00Z",
                recent_conversion_event_name="SOC 2 readiness checklist for payments companies")
        contact(api, "102", "Acme Bank", "2", "2026-03-02T12:01:00+00:00",
                stage="marketingqualifiedlead", segment="Regional and community banks",
                hs_email_last_click_date=ms("2026-03-02T13:45:00+00:00"))
        contact(api, "103", "Old Customer", "1", "2026-03-02T12:02:00+00:00", stage="customer",
                recent_conversion_date="2026-03-01T13:30:00Z")
        contact(api, "104", "Quiet Co", "1", "2026-03-02T12:03:00+00:00")  # never engaged
        contact(api, "105", "Orphan Inc", "3", "2026-03-02T12:04:00+00:00",
                recent_conversion_date="2026-03-02T13:00:00Z")
        settings = core.ctx.settings
        settings.hubspot_access_token = SecretStr(TOKEN)
        settings.hubspot_base_url = api.base_url
        settings.crm_page_size = 2
        settings.hubspot_searches_per_second = 0  # real time here; the pace tests use a fake clock
        yield api


def searches(api: FakeHubSpot) -> list[dict[str, object]]:
    return [r.body for r in api.calls("POST", "/crm/v3/objects/contacts/search")]


async def test_sync_pages_through_changes_maps_owners_and_segments_then_reads_only_news(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    await setup_team(core)
    reply = await say(core, "ada", "/align leads sync")

    assert "hubspot: 2 page(s) read; 2 new, 0 updated" in reply
    assert "1 contact(s) without engagement yet, 1 not taken" in reply
    assert "105: owner 'stranger@example.com' is not a member" in reply
    stored = await leads(core)
    assert set(stored) == {"101", "102"}  # 103 is a customer: not in the chosen stages
    assert (stored["101"].segment, stored["102"].segment) == ("midmarket_fintech", "regional_banks")
    assert stored["101"].content == "soc2_checklist"  # the form named a library title
    assert stored["102"].engaged_at == datetime(2026, 3, 2, 13, 45, tzinfo=UTC)
    assert stored["101"].source == "hubspot" and stored["101"].next_due_at is not None
    first = searches(hubspot)[0]
    filters = first["filterGroups"][0]["filters"]  # type: ignore[index]
    assert {"propertyName": "lifecyclestage", "operator": "IN",
            "values": ["lead", "marketingqualifiedlead"]} in filters
    assert first["sorts"] == [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]
    assert searches(hubspot)[1]["after"] == "2"  # the second page
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in hubspot.requests)

    hubspot.contacts["102"]["company"] = "Acme Bank & Trust"
    hubspot.contacts["102"]["hs_lastmodifieddate"] = ms("2026-03-02T13:50:00+00:00")
    before = len(searches(hubspot))
    again = await say(core, "ada", "/align leads sync")

    assert "0 new, 1 updated" in again
    since = searches(hubspot)[before]["filterGroups"][0]["filters"][0]  # type: ignore[index]
    assert since == {"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                     "value": ms("2026-03-02T12:04:00+00:00")}  # from the newest seen, not 0
    assert (await leads(core))["102"].company == "Acme Bank & Trust"
    assert len(await events(core, "engaged")) == 2  # nothing imported twice


async def test_a_sync_that_fails_half_way_resumes_from_its_cursor(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    await setup_team(core)
    hubspot.fail("/crm/v3/objects/contacts/search", 502, skip=1)  # page 1 goes through
    report = await LeadSync(core.ctx, HubSpotConnector(core.ctx.settings,
                                                       core.ctx.strategy)).run()
    assert report.error is not None and "HTTP 502" in report.error
    assert set(await leads(core)) == {"101", "102"}  # page 1 stored with its cursor
    async with core.ctx.db.session() as session:
        state = await session.get(CrmSync, "hubspot")
        assert state is not None and state.error and json.loads(state.cursor or "{}")["after"] == "2"

    resumed = await LeadSync(core.ctx, HubSpotConnector(core.ctx.settings,
                                                        core.ctx.strategy)).run()

    assert resumed.error is None and resumed.pages == 1  # only the page it had not stored
    assert searches(hubspot)[-1]["after"] == "2"
    assert len(await events(core, "engaged")) == 2


async def test_a_short_429_is_waited_out_a_long_one_ends_the_run_and_status_shows_it(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    await setup_team(core)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    hubspot.fail("/crm/v3/objects/contacts/search", 429, {"Retry-After": "2"})
    report = await LeadSync(core.ctx, HubSpotConnector(core.ctx.settings, core.ctx.strategy,
                                                       sleep=sleep)).run()
    assert waits == [2.0] and report.error is None and report.created == 2

    hubspot.contacts["101"]["hs_lastmodifieddate"] = ms("2026-03-02T13:55:00+00:00")
    hubspot.fail("/crm/v3/objects/contacts/search", 429, {"Retry-After": "120"})
    stopped = await LeadSync(core.ctx, HubSpotConnector(core.ctx.settings, core.ctx.strategy,
                                                        sleep=sleep)).run()
    assert waits == [2.0]  # longer than ALIGNBOT_CRM_MAX_WAIT: not waited, the run ends
    assert stopped.error is not None and "rate limited; retry after 120 s" in stopped.error

    await core.advance(timedelta(minutes=30))
    status = await say(core, "ada", "/align status")
    assert "hubspot" in status and "rate limited" in status


async def test_done_disqualify_and_reassign_are_written_back_once_snooze_writes_nothing(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    await setup_team(core)
    await say(core, "ada", "/align leads sync")
    ids = {k: v.id for k, v in (await leads(core)).items()}

    assert "Logged a touch on *Ledgerly*" in await say(
        core, "dana", "/align lead touched Ledgerly called Maya, demo booked")
    (task,) = hubspot.tasks.values()
    props = task["properties"]
    assert props["hs_task_status"] == "COMPLETED" and "called Maya, demo booked" in props["hs_task_body"]
    assert task["associations"] == [{"to": {"id": "101"}, "types": [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]

    assert "Snoozed" in await say(core, "lee", "/align lead snooze Acme Bank 1d")
    writes_before = len([r for r in hubspot.requests if r.method in ("POST", "PATCH")
                         and "search" not in r.path])
    await core.ctx.drain()
    assert len([r for r in hubspot.requests if r.method in ("POST", "PATCH")
                and "search" not in r.path]) == writes_before

    (reply,) = await core.handle(click("lee", f"lead:disqualify:{ids['102']}", "No budget"))
    assert "Disqualified *Acme Bank*" in reply.text
    await core.ctx.drain()
    assert hubspot.contacts["102"]["hs_lead_status"] == "UNQUALIFIED"
    (note,) = hubspot.notes.values()
    assert "Disqualified: No budget" in note["properties"]["hs_note_body"]

    assert "now Lee's lead" in await say(core, "sam", "/align lead reassign Ledgerly Lee")
    await core.ctx.drain()
    assert hubspot.contacts["101"]["hubspot_owner_id"] == "2"
    async with core.ctx.db.session() as session:
        rows = (await session.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "crm_hubspot"))).all()
    assert sorted(r.state for r in rows) == ["sent", "sent", "sent"]
    assert await WriteBacks(core.ctx).drain() == {"sent": 0, "retry": 0, "failed": 0}
    assert len(hubspot.tasks) == 1 and len(hubspot.notes) == 1


async def test_a_failed_write_is_retried_and_a_lost_answer_is_not_written_twice(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    await setup_team(core)
    await say(core, "ada", "/align leads sync")
    hubspot.fail("/crm/v3/objects/tasks", 503, method="POST")
    await say(core, "dana", "/align lead touched Ledgerly called")
    await core.ctx.drain()
    assert hubspot.tasks == {}  # the 503: nothing written, the write kept for a retry

    hubspot.fail("/crm/v3/objects/tasks", 500, method="POST", after_processing=True)
    assert (await WriteBacks(core.ctx).drain())["retry"] == 1  # written, but the answer lost
    assert len(hubspot.tasks) == 1

    assert (await WriteBacks(core.ctx).drain())["sent"] == 1  # finds its marker: no new task
    assert len(hubspot.tasks) == 1
    assert hubspot.calls("POST", "/crm/v3/objects/tasks/search")


async def test_leads_sync_without_a_token_says_how_to_set_it_up(core: BotCore,
                                                                  tmp_path: Path) -> None:
    await setup_team(core)
    reply = await say(core, "ada", "/align leads sync")
    assert "set HUBSPOT_ACCESS_TOKEN" in reply
    named = await say(core, "ada", "/align leads sync hubspot")
    assert "set HUBSPOT_ACCESS_TOKEN" in named and "resumes" not in named  # nothing to resume
    assert "for admins" in await say(core, "dana", "/align leads sync")


async def test_the_leads_sync_schedule_runs_every_quarter_hour_weekends_included(
        core: BotCore, hubspot: FakeHubSpot, clock: ManualClock) -> None:
    await setup_team(core)
    clock.set(datetime(2026, 3, 7, 16, 0, tzinfo=UTC))  # a Saturday: nobody's working day
    reply = await say(core, "ada", '/align schedule add leads-sync "every 15m"')
    assert "leads-sync" in reply and "for Ada" in reply, reply
    await core.advance(timedelta(minutes=15))
    assert set(await leads(core)) == {"101", "102"}  # a sync is not a message: no days off
    contact(hubspot, "106", "Weekend Fintech", "1", "2026-03-07T16:20:00+00:00",
            recent_conversion_date="2026-03-07T16:10:00Z")
    await core.advance(timedelta(minutes=15))
    assert "106" in await leads(core)
    async with core.ctx.db.session() as session:
        state = await session.get(CrmSync, "hubspot")
    assert state is not None and state.error is None and state.ok_at == clock.now()


async def test_a_dry_run_shows_what_would_change_and_stores_nothing(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    await setup_team(core)
    (report,) = await sync_sources(core.ctx, ["hubspot"], dry_run=True)
    assert "2 new, 0 updated, 0 unchanged lead(s) would be stored" in report.summary()
    assert await leads(core) == {}
    async with core.ctx.db.session() as session:
        assert await session.get(CrmSync, "hubspot") is None  # no cursor moved, no run recorded
    (real,) = await sync_sources(core.ctx, ["hubspot"])
    assert real.created == 2  # the dry run left everything to read


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_cli_dry_run_reads_hubspot_and_refuses_an_unknown_source(
        db_url: str, tmp_path: Path) -> None:
    with fake_hubspot() as api:
        api.owner("1", "dana@example.com")
        contact(api, "101", "Ledgerly", "1", "2026-03-02T12:00:00+00:00",
                recent_conversion_date="2026-03-02T13:30:00Z")
        env = {"ALIGNBOT_DATABASE_URL": db_url, "HUBSPOT_ACCESS_TOKEN": TOKEN,
               "ALIGNBOT_HUBSPOT_BASE_URL": api.base_url,
               "ALIGNBOT_STRATEGY_FILE": str(EXAMPLE_STRATEGY)}
        result = CliRunner().invoke(app, ["leads", "sync", "--source", "hubspot", "--dry-run"],
                                    env=env)
        assert result.exit_code == 0, result.output
        assert "hubspot: 1 page(s) read; 0 new" in result.output and "would be" in result.output
        assert "101: owner 'dana@example.com' is not a member" in result.output  # empty team
        bad = CliRunner().invoke(app, ["leads", "sync", "--source", "pipedrive"], env=env)
        assert bad.exit_code != 0 and "not a CRM I can sync" in bad.output


async def test_a_csv_lead_that_says_hubspot_writes_nothing_back_while_hubspot_is_not_set_up(
        core: BotCore, tmp_path: Path) -> None:
    from bot.leads.csv_import import import_csv
    from tests.unit.leads.support import lead_row, write_csv

    await setup_team(core)
    rows = [lead_row("hs-1", "Ledgerly", "Dana", "2026-03-02T13:30:00Z")]  # source: hubspot
    assert (await import_csv(core.ctx, write_csv(tmp_path / "l.csv", rows))).created == 1
    assert "Logged a touch" in await say(core, "dana", "/align lead touched Ledgerly called")
    await core.ctx.drain()
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "crm_hubspot"))).all() == []


async def test_a_sync_longer_than_the_search_cap_starts_a_new_query_from_the_newest_change(
        core: BotCore, hubspot: FakeHubSpot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.leads.hubspot.SEARCH_CAP", 3)  # HubSpot's is 10,000 results
    await setup_team(core)
    (report,) = await sync_sources(core.ctx, ["hubspot"])
    assert report.error is None and report.created == 2 and report.pages == 3
    second = searches(hubspot)[1]
    assert second.get("after") is None  # a new query, not page 2 of the first
    assert second["filterGroups"][0]["filters"][0]["value"] == ms(  # type: ignore[index]
        "2026-03-02T12:01:00+00:00")


class Ticks:
    """A monotonic clock that moves only when the code under test sleeps on it."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.t += seconds


def paced(core: BotCore, ticks: Ticks) -> HubSpotConnector:
    return HubSpotConnector(core.ctx.settings, core.ctx.strategy, sleep=ticks.sleep,
                            monotonic=ticks)


async def test_writes_slow_down_before_the_ten_second_limit_and_never_get_a_429(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    ticks = Ticks()
    hubspot.limit(ticks, per_window=5)  # 5 calls per rolling 10 s, reported in the headers
    crm = paced(core, ticks)
    for n in range(12):
        await crm.write(WriteBack("touch", "101", note=f"call {n}", extra={"key": f"k{n}"}))

    assert len(hubspot.tasks) == 12 and hubspot.throttled == []
    # one call of each window kept in reserve (10%, at least one): 4 calls, then the window
    # is waited out (from the answer that left 1), three times over
    assert ticks.waits == [10.0, 10.0]


async def test_searches_are_spaced_under_hubspots_per_second_search_limit(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    ticks = Ticks()
    hubspot.limit(ticks, per_window=100)
    for n in range(6, 10):
        contact(hubspot, f"1{n:02d}", f"Company {n}", "1", f"2026-03-02T12:{n:02d}:00+00:00",
                recent_conversion_date="2026-03-02T13:00:00Z")
    core.ctx.settings.crm_page_size = 1
    core.ctx.settings.hubspot_searches_per_second = 4
    await setup_team(core)

    report = await LeadSync(core.ctx, paced(core, ticks)).run()

    assert report.error is None and report.pages == 8 and hubspot.throttled == []
    assert hubspot.limits is not None
    gaps = [b - a for a, b in pairwise(hubspot.limits.searches)]
    assert len(gaps) == 7 and min(gaps) >= 0.25  # 4 a second; HubSpot refuses a 6th in one


async def test_the_sync_stops_before_the_daily_limit_and_leaves_the_rest_to_write_backs(
        core: BotCore, hubspot: FakeHubSpot) -> None:
    ticks = Ticks()
    limits = hubspot.limit(ticks, per_window=100, daily=100, daily_used=89)
    await setup_team(core)

    stopped = await LeadSync(core.ctx, paced(core, ticks)).run()

    # page 1: a search and the owners (whose answer says 9 of 100 left, under the 10% reserve)
    assert stopped.error is not None and "daily API limit is nearly used up (9 of 100" in stopped.error
    assert stopped.created == 2 and len(searches(hubspot)) == 1 and hubspot.throttled == []
    async with core.ctx.db.session() as session:
        state = await session.get(CrmSync, "hubspot")
        assert state is not None and json.loads(state.cursor or "{}")["after"] == "2"
    crm = paced(core, ticks)
    assert (await crm.write(WriteBack("touch", "101", extra={"key": "k"}))).startswith("task:")

    limits.daily_used = limits.daily  # HubSpot's own daily 429: never waited out
    with pytest.raises(CrmError, match="the account's daily API limit") as refused:
        await crm.write(WriteBack("touch", "101", extra={"key": "k2"}))
    assert refused.value.transient and refused.value.retry_after is None
    assert ticks.waits == []
