"""Salesforce over real HTTPS: `simple-salesforce` against a fake Salesforce on 127.0.0.1
(tests/support/salesforce_api.py). SOAP login, Leads by SOQL since the cursor with paging, owner
by email, segment from a field; Done writes a completed Task, Disqualify sets the Lead Status and
the reason; username-password and JWT bearer login (an RS256 assertion the fake verifies with
the test key's public half) at the configured login host; an expired session logs in again and
retries once; the API request limit ends the run, which resumes from its cursor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.core import BotCore
from bot.leads.salesforce import SalesforceConnector
from bot.leads.salesforce_login import login_address
from bot.leads.sync import LeadSync
from bot.leads.writeback import WriteBacks
from bot.storage.models import CrmSync, OutboundMessage
from tests.conftest import EXAMPLE_STRATEGY
from tests.e2e.test_console_session import rows
from tests.support.salesforce_api import (
    PASSWORD,
    TOKEN,
    USERNAME,
    VERSION,
    FakeSalesforce,
    fake_salesforce,
)
from tests.support.talk import say, setup_team
from tests.unit.leads.support import events, leads


@pytest.fixture
def salesforce(core: BotCore, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSalesforce]:
    with fake_salesforce() as api:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", api.ca_file)  # trust the fake's test CA
        api.user("005D", "dana@example.com")
        api.user("005L", "lee@example.com")
        api.lead("00Q1", Company="Ledgerly", FirstName="Maya", LastName="Chen",
                 Email="maya@ledgerly.example", OwnerId="005D", Status="Open - Not Contacted",
                 Industry="Fintech", CreatedDate="2026-03-02T13:30:00.000+0000",
                 LastModifiedDate="2026-03-02T13:31:00.000+0000")
        api.lead("00Q2", Company="Acme Bank", LastName="Patel", OwnerId="005L",
                 Status="Working - Contacted", Industry="Credit unions",
                 CreatedDate="2026-03-02T13:45:00.000+0000",
                 LastModifiedDate="2026-03-02T13:46:00.000+0000")
        api.lead("00Q3", Company="Closed Co", LastName="X", OwnerId="005L",
                 Status="Closed - Converted", Industry="Fintech",
                 CreatedDate="2026-03-02T13:00:00.000+0000",
                 LastModifiedDate="2026-03-02T13:47:00.000+0000")
        api.lead("00Q4", Company="Paynode", LastName="Wei", OwnerId="005D",
                 Status="Open - Not Contacted", Industry="payments company",
                 CreatedDate="2026-03-02T13:50:00.000+0000",
                 LastModifiedDate="2026-03-02T13:51:00.000+0000")
        settings = core.ctx.settings
        settings.salesforce_username = USERNAME
        settings.salesforce_password = SecretStr(PASSWORD)
        settings.salesforce_security_token = SecretStr(TOKEN)
        settings.salesforce_login_url = api.base_url
        yield api


async def test_leads_sync_by_soql_with_paging_owner_by_email_and_segment_aliases(
        core: BotCore, salesforce: FakeSalesforce) -> None:
    await setup_team(core)
    reply = await say(core, "ada", "/align leads sync salesforce")

    assert "salesforce: 2 page(s) read; 3 new" in reply, reply
    stored = await leads(core)
    assert set(stored) == {"00Q1", "00Q2", "00Q4"}  # 00Q3's status is not one we sync
    assert stored["00Q2"].segment == "regional_banks" and stored["00Q4"].segment == "midmarket_fintech"
    assert stored["00Q1"].contact_name == "Maya Chen" and stored["00Q1"].source == "salesforce"
    first = salesforce.queries()[0]
    assert "FROM Lead WHERE LastModifiedDate >= 1970-01-01T00:00:00Z" in first
    assert "Status IN ('Open - Not Contacted', 'Working - Contacted')" in first
    assert "Owner.Email" in first and "ORDER BY LastModifiedDate ASC" in first

    salesforce.leads["00Q2"]["Company"] = "Acme Bank & Trust"
    salesforce.leads["00Q2"]["LastModifiedDate"] = "2026-03-02T14:05:00.000+0000"
    again = await say(core, "ada", "/align leads sync salesforce")
    assert "0 new, 1 updated" in again
    assert "LastModifiedDate >= 2026-03-02T13:51:00Z" in salesforce.queries()[-1]
    assert len(await events(core, "engaged")) == 3
    assert salesforce.logins == 2  # one login per run (a new connector each run)


def key_pair(folder: Path) -> tuple[Path, bytes]:
    """A fresh RSA key pair: the private key's PEM file (for the bot) and the public key (the
    connected app's certificate, for the fake's token endpoint)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "salesforce.key"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, public


def use_jwt(core: BotCore, salesforce: FakeSalesforce, folder: Path) -> None:
    key_file, salesforce.jwt_public_key = key_pair(folder)
    settings = core.ctx.settings
    settings.salesforce_password = settings.salesforce_security_token = None
    settings.salesforce_consumer_key = salesforce.consumer_key
    settings.salesforce_private_key_file = key_file


@pytest.mark.parametrize("domain", ["login", "acme--uat.sandbox.my"])
async def test_jwt_bearer_login_signs_an_assertion_the_token_endpoint_verifies(
        core: BotCore, salesforce: FakeSalesforce, tmp_path: Path, domain: str) -> None:
    use_jwt(core, salesforce, tmp_path)
    core.ctx.settings.salesforce_domain = domain
    salesforce.audience = f"https://{domain}.salesforce.com"  # what Salesforce checks `aud` against
    await setup_team(core)

    reply = await say(core, "ada", "/align leads sync salesforce")

    assert "3 new" in reply, reply
    (claims,) = salesforce.assertions  # signed with the test key, verified with its public half
    assert (claims["iss"], claims["sub"]) == (salesforce.consumer_key, USERNAME)
    assert [r[1] for r in salesforce.requests[:2]] == ["token", f"/services/data/v{VERSION}/query/"]
    assert ("POST", "login", USERNAME) not in salesforce.requests  # no password login
    assert login_address(core.ctx.settings) == f"https://{domain}.salesforce.com"


async def test_a_key_the_connected_app_does_not_hold_is_a_clear_login_error(
        core: BotCore, salesforce: FakeSalesforce, tmp_path: Path) -> None:
    use_jwt(core, salesforce, tmp_path)
    _, salesforce.jwt_public_key = key_pair(tmp_path / "..")  # the app holds another certificate
    await setup_team(core)
    reply = await say(core, "ada", "/align leads sync salesforce")
    assert "Salesforce login failed" in reply and "invalid_grant" in reply, reply
    assert salesforce.logins == 0 and await leads(core) == {}

    core.ctx.settings.salesforce_private_key_file = tmp_path / "missing.key"
    assert "cannot read SALESFORCE_PRIVATE_KEY_FILE" in await say(
        core, "ada", "/align leads sync salesforce")


async def test_an_expired_session_logs_in_again_and_retries_the_call_once(
        core: BotCore, salesforce: FakeSalesforce, tmp_path: Path) -> None:
    use_jwt(core, salesforce, tmp_path)
    await setup_team(core)
    crm = SalesforceConnector(core.ctx.settings, core.ctx.strategy)
    await crm.changes(None)
    assert salesforce.logins == 1

    salesforce.expire()  # the session the connector holds is no longer valid
    page = await crm.changes(None)

    assert len(page.records) == 2 and salesforce.logins == 2
    asked = [r[1] for r in salesforce.requests]
    assert asked[-3:] == [f"/services/data/v{VERSION}/query/", "token",
                          f"/services/data/v{VERSION}/query/"]  # 401, log in, the same again

    salesforce.refuse_sessions = True  # a new session is refused too: one retry, then an error
    stopped = await LeadSync(core.ctx, crm).run()
    assert stopped.error is not None and "expired again right after logging in" in stopped.error
    assert salesforce.logins == 3


async def test_the_api_request_limit_ends_the_run_keeps_the_cursor_and_status_says_so(
        core: BotCore, salesforce: FakeSalesforce) -> None:
    await setup_team(core)
    salesforce.fail("/query", 403, "REQUEST_LIMIT_EXCEEDED", skip=1)  # page 1 goes through
    stopped = await LeadSync(core.ctx, SalesforceConnector(core.ctx.settings,
                                                           core.ctx.strategy)).run()

    assert stopped.error is not None and "REQUEST_LIMIT_EXCEEDED" in stopped.error
    assert "the org's API limit" in stopped.error
    assert set(await leads(core)) == {"00Q1", "00Q2"}  # page 1 was stored, page 2 was not
    async with core.ctx.db.session() as session:
        state = await session.get(CrmSync, "salesforce")
        assert state is not None and state.error and "REQUEST_LIMIT_EXCEEDED" in state.error
        cursor = json.loads(state.cursor or "{}")
    assert cursor["since"] == "1970-01-01T00:00:00Z" and cursor["next"]  # not past page 2
    status = await say(core, "ada", "/align status")
    assert "salesforce" in status and "REQUEST_LIMIT_EXCEEDED" in status, status

    resumed = await LeadSync(core.ctx, SalesforceConnector(core.ctx.settings,
                                                           core.ctx.strategy)).run()
    assert resumed.error is None and resumed.pages == 1 and resumed.created == 1
    assert len(await events(core, "engaged")) == 3  # nothing imported twice


async def test_done_and_disqualify_are_written_back_to_the_lead_once(
        core: BotCore, salesforce: FakeSalesforce) -> None:
    core.ctx.settings.salesforce_reason_field = "Disqualified_Reason__c"
    await setup_team(core)
    await say(core, "ada", "/align leads sync salesforce")
    assert "Logged a touch on *Ledgerly*" in await say(
        core, "dana", "/align lead touched Ledgerly called Maya")
    await core.ctx.drain()
    (task,) = salesforce.tasks.values()
    assert (task["WhoId"], task["Status"]) == ("00Q1", "Completed")
    assert task["ActivityDate"] == "2026-03-02" and "called Maya" in task["Description"]

    assert "Disqualified *Paynode*" in await say(
        core, "dana", "/align lead disqualify Paynode no budget this year")
    await core.ctx.drain()
    lead = salesforce.leads["00Q4"]
    assert lead["Status"] == "Closed - Not Converted"
    assert lead["Disqualified_Reason__c"] == "no budget this year"
    assert len(salesforce.tasks) == 2
    assert await WriteBacks(core.ctx).drain() == {"sent": 0, "retry": 0, "failed": 0}


async def test_a_wrong_password_is_a_clear_error(core: BotCore,
                                                 salesforce: FakeSalesforce) -> None:
    await setup_team(core)
    core.ctx.settings.salesforce_password = SecretStr("wrong")
    reply = await say(core, "ada", "/align leads sync salesforce")
    assert "Salesforce login failed" in reply and "INVALID_LOGIN" in reply


async def test_a_task_whose_answer_was_lost_is_not_written_twice(
        core: BotCore, salesforce: FakeSalesforce) -> None:
    await setup_team(core)
    await say(core, "ada", "/align leads sync salesforce")
    salesforce.fail("/sobjects/Task/", 503, "SERVER_UNAVAILABLE", after_processing=True)
    await say(core, "dana", "/align lead touched Ledgerly called Maya")
    await core.ctx.drain()
    assert len(salesforce.tasks) == 1  # created, but the bot was told 503

    assert await WriteBacks(core.ctx).drain() == {"sent": 1, "retry": 0, "failed": 0}
    assert len(salesforce.tasks) == 1  # the retry found its marker instead of writing again
    assert any(" FROM Task " in q for q in salesforce.queries())


async def test_contacts_sync_after_leads_with_their_own_cursor_and_take_write_backs(
        core: BotCore, salesforce: FakeSalesforce) -> None:
    salesforce.account("001A", Name="Northwind Credit Union", Industry="Credit unions")
    salesforce.contact("0031", AccountId="001A", FirstName="Ana", LastName="Ruiz",
                       Email="ana@northwind.example", OwnerId="005L",
                       CreatedDate="2026-03-02T13:20:00.000+0000",
                       LastModifiedDate="2026-03-02T13:21:00.000+0000")
    salesforce.contact("0032", FirstName="No", LastName="Account", OwnerId="005D",  # no segment
                       CreatedDate="2026-03-02T13:22:00.000+0000",
                       LastModifiedDate="2026-03-02T13:23:00.000+0000")
    await setup_team(core)
    without = await say(core, "ada", "/align leads sync salesforce")
    assert "3 new" in without and not any("FROM Contact" in q for q in salesforce.queries())

    core.ctx.settings.salesforce_sync_contacts = True
    reply = await say(core, "ada", "/align leads sync salesforce")

    assert "1 new, 0 updated" in reply and "0032:" in reply, reply  # 0032 has no segment
    contact_query = next(q for q in salesforce.queries() if "FROM Contact" in q)
    assert "Account.Name" in contact_query and "Account.Industry" in contact_query
    assert "LastModifiedDate >= 1970-01-01T00:00:00Z" in contact_query  # its own cursor
    ana = (await leads(core))["0031"]
    assert (ana.company, ana.segment, ana.contact_name) == (
        "Northwind Credit Union", "regional_banks", "Ana Ruiz")

    salesforce.contacts["0031"]["LastName"] = "Ruiz-Ortega"
    salesforce.contacts["0031"]["LastModifiedDate"] = "2026-03-02T14:10:00.000+0000"
    again = await say(core, "ada", "/align leads sync salesforce")
    assert "0 new, 1 updated" in again
    lead_query, contact_query = salesforce.queries()[-2:]
    assert "FROM Lead WHERE LastModifiedDate >= 2026-03-02T13:51:00Z" in lead_query
    assert "FROM Contact WHERE LastModifiedDate >= 2026-03-02T13:23:00Z" in contact_query

    await say(core, "lee", "/align lead touched Northwind Credit Union called Ana")
    assert "Disqualified *Northwind Credit Union*" in await say(
        core, "lee", "/align lead disqualify Northwind Credit Union already a customer")
    await core.ctx.drain()
    touch, disqualified = salesforce.tasks.values()
    assert (touch["WhoId"], touch["Status"]) == ("0031", "Completed")
    assert disqualified["WhoId"] == "0031" and "already a customer" in disqualified["Description"]
    assert "Status" not in salesforce.contacts["0031"]  # a Contact has no Lead Status to set

    salesforce.contacts["0031"].update(LastName="Ortega", LastModifiedDate="2026-03-02T15:00:00.000+0000")
    assert "0 new, 1 updated" in await say(core, "ada", "/align leads sync salesforce")
    assert (await leads(core))["0031"].status == "disqualified"  # a later sync does not reopen it


async def test_disqualify_on_a_contact_sets_the_orgs_own_status_field_when_one_is_named(
        core: BotCore, salesforce: FakeSalesforce) -> None:
    salesforce.account("001A", Name="Northwind Credit Union", Industry="Credit unions")
    salesforce.contact("0031", AccountId="001A", FirstName="Ana", LastName="Ruiz", OwnerId="005L",
                       CreatedDate="2026-03-02T13:20:00.000+0000",
                       LastModifiedDate="2026-03-02T13:21:00.000+0000")
    core.ctx.settings.salesforce_sync_contacts = True
    core.ctx.settings.salesforce_contact_status_field = "Lead_Status__c"
    await setup_team(core)
    await say(core, "ada", "/align leads sync salesforce")
    await say(core, "lee", "/align lead disqualify Northwind Credit Union already a customer")
    await core.ctx.drain()
    assert salesforce.contacts["0031"]["Lead_Status__c"] == "Closed - Not Converted"
    [task] = salesforce.tasks.values()
    assert task["WhoId"] == "0031" and "already a customer" in task["Description"]


def test_the_cli_dry_run_logs_in_by_jwt_from_the_environment_and_stores_nothing(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_salesforce() as api:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", api.ca_file)
        api.user("005D", "dana@example.com")
        api.lead("00Q1", Company="Ledgerly", LastName="Chen", OwnerId="005D",
                 Status="Open - Not Contacted", Industry="Fintech",
                 CreatedDate="2026-03-02T13:30:00.000+0000",
                 LastModifiedDate="2026-03-02T13:31:00.000+0000")
        key_file, api.jwt_public_key = key_pair(tmp_path)
        api.audience = "https://test.salesforce.com"
        env = {"ALIGNBOT_DATABASE_URL": db_url, "ALIGNBOT_STRATEGY_FILE": str(EXAMPLE_STRATEGY),
               "SALESFORCE_USERNAME": USERNAME, "SALESFORCE_CONSUMER_KEY": api.consumer_key,
               "SALESFORCE_PRIVATE_KEY_FILE": str(key_file), "SALESFORCE_DOMAIN": "test",
               "ALIGNBOT_SALESFORCE_LOGIN_URL": api.base_url}
        result = CliRunner().invoke(app, ["leads", "sync", "--source", "salesforce",
                                          "--dry-run"], env=env)
        assert result.exit_code == 0, result.output
        assert "salesforce: 1 page(s) read; 0 new" in result.output and "would be" in result.output
        assert "00Q1: owner 'dana@example.com' is not a member" in result.output  # empty team
        assert len(api.assertions) == 1 and rows(db_url, "select count(*) from leads") == [(0,)]


async def test_a_reassignment_sets_the_owner_to_the_user_with_the_members_email(
        core: BotCore, salesforce: FakeSalesforce) -> None:
    await setup_team(core)
    await say(core, "ada", "/align leads sync salesforce")
    assert "is now Lee's lead" in await say(core, "sam", "/align lead reassign Ledgerly Lee")
    await core.ctx.drain()
    assert salesforce.leads["00Q1"]["OwnerId"] == "005L"
    assert any("FROM User WHERE Email = 'lee@example.com' AND IsActive = true" in q
               for q in salesforce.queries())

    assert "is now Sam's lead" in await say(core, "sam", "/align lead reassign Paynode Sam")
    await core.ctx.drain()  # Sam has no Salesforce user: the write fails for good, clearly
    assert salesforce.leads["00Q4"]["OwnerId"] == "005D"
    async with core.ctx.db.session() as session:
        failed = (await session.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "crm_salesforce", OutboundMessage.state == "failed"))).all()
    assert [f.error for f in failed] == [
        "Salesforce has no active user with the email 'sam@example.com': reassign to someone"
        " who has one"]
