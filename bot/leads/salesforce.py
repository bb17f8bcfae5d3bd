"""Salesforce as a lead source and a place reps' actions land, through `simple-salesforce`.

Reading: Leads (not converted, in the chosen statuses) changed since the cursor, by SOQL ordered
by `LastModifiedDate` and paged with `nextRecordsUrl`; the owner's email through the `Owner`
relationship; segment, engagement dates and content from the configured fields. With
ALIGNBOT_SALESFORCE_SYNC_CONTACTS, Contacts follow the same way after the Leads (company from the
Account, segment from ALIGNBOT_SALESFORCE_CONTACT_SEGMENT_FIELD, by default the Account's
Industry). The cursor is JSON `{"since": "<ISO time>", "next": <nextRecordsUrl or null>,
"phase": "leads"|"contacts", "contacts": {"since", "next"}}`: each object has its own (see
`bot.leads.sync` for how a stopped run resumes).

Writing: Done creates a completed Task on the Lead or Contact (`WhoId`), Disqualify sets the
chosen Lead Status (and the reason field when one is configured) and logs the reason as a
completed Task - on a Contact, which has no Lead Status, the Task and, where the org keeps one,
the status field ALIGNBOT_SALESFORCE_CONTACT_STATUS_FIELD names - and a reassignment sets
`OwnerId` to the active User with the new owner's email. Each Task's
description carries a marker with its write-back key, so a write whose answer was lost is found
(by SOQL) rather than written twice.

Login (`bot.leads.salesforce_login`): username, password and security token (SOAP login), or the
OAuth JWT bearer flow with a connected app's consumer key and private key, at
`https://<SALESFORCE_DOMAIN>.salesforce.com` (or ALIGNBOT_SALESFORCE_LOGIN_URL). An expired
session logs in again once; the org's API request limit (REQUEST_LIMIT_EXCEEDED) is a transient
error that ends the run until the next.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce, SFType
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from bot.config import Settings
from bot.leads.crm import CrmError, CrmRecord, Page, WriteBack, content_ids
from bot.leads.salesforce_login import login, route_logins
from bot.strategy.schema import Strategy

log = logging.getLogger(__name__)
T = TypeVar("T")


def _soql_text(value: str) -> str:
    """A SOQL string literal's content: quotes and backslashes escaped."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _soql_time(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":  # 2026-03-02T13:30:00.000+0000
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


CONTACT_PREFIX = "003"  # the key prefix of every Contact id (Leads' is 00Q)


def _field(row: dict[str, Any], path: str) -> Any:
    """A field of a query row by its SOQL path: `Industry`, or `Account.Industry` through a
    relationship (None when the relationship is empty)."""
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _sobject(sf: Salesforce, name: str) -> SFType:
    """The REST resource of one sObject type on `sf`'s session (what `sf.Lead` returns)."""
    return SFType(name, sf.session_id, sf.sf_instance, sf_version=sf.sf_version,
                  proxies=sf.proxies, session=sf.session, salesforce=sf)


class SalesforceConnector:
    """Leads from Salesforce Leads, and reps' actions written back (see the module doc)."""

    source = "salesforce"

    def __init__(self, settings: Settings, strategy: Strategy,
                 http: requests.Session | None = None) -> None:
        if settings.salesforce_username is None:
            raise CrmError("Salesforce is not set up: set SALESFORCE_USERNAME and either "
                           "SALESFORCE_PASSWORD + SALESFORCE_SECURITY_TOKEN or "
                           "SALESFORCE_CONSUMER_KEY + SALESFORCE_PRIVATE_KEY_FILE",
                           transient=False)
        self.settings, self.strategy = settings, strategy
        self.http = http or requests.Session()
        route_logins(settings, self.http)
        self._client: Salesforce | None = None

    # --- session ------------------------------------------------------------------------

    def _login(self) -> Salesforce:
        session_id, instance = login(self.settings, self.http)
        return Salesforce(session_id=session_id, instance=instance, session=self.http,
                          version=self.settings.salesforce_api_version)

    def _run(self, what: str, call: Callable[[Salesforce], T]) -> T:
        """One call, logged in (again, once, when the session expired)."""
        for attempt in (1, 2):
            if self._client is None:
                self._client = self._login()
            try:
                return call(self._client)
            except SalesforceExpiredSession:
                self._client = None
                if attempt == 2:
                    raise CrmError(f"Salesforce {what}: the session expired again right after"
                                   " logging in", transient=True) from None
            except SalesforceError as exc:
                raise self._error(what, exc) from None
            except requests.RequestException as exc:
                raise CrmError(f"Salesforce {what}: cannot reach Salesforce:"
                               f" {type(exc).__name__}", transient=True) from None
        raise AssertionError("unreachable")

    async def _call(self, what: str, call: Callable[[Salesforce], T]) -> T:
        return await asyncio.to_thread(self._run, what, call)

    @staticmethod
    def _error(what: str, exc: SalesforceError) -> CrmError:
        content = exc.content if isinstance(exc.content, list) else [exc.content]
        first: dict[str, Any] = content[0] if content and isinstance(content[0], dict) else {}
        code, message = str(first.get("errorCode", "")), str(first.get("message", ""))
        detail = f"Salesforce {what}: HTTP {exc.status} {code} {message}".strip()[:300]
        if code == "REQUEST_LIMIT_EXCEEDED":
            return CrmError(detail + " (the org's API limit; the next run tries again)",
                            transient=True)
        return CrmError(detail, transient=exc.status >= 500)

    # --- reading ----------------------------------------------------------------------------

    def _soql(self, sobject: str, since: str) -> str:
        settings = self.settings
        if sobject == "Lead":
            fields = ["Id", "Company", "FirstName", "LastName", "Email", "Owner.Email", "Status",
                      "LastModifiedDate", settings.salesforce_segment_field]
            where = [f"LastModifiedDate >= {since}", "IsConverted = false"]
            if settings.salesforce_lead_statuses:
                statuses = ", ".join(f"'{_soql_text(s)}'" for s in settings.salesforce_lead_statuses)
                where.append(f"Status IN ({statuses})")
        else:
            fields = ["Id", "Account.Name", "FirstName", "LastName", "Email", "Owner.Email",
                      "LastModifiedDate", settings.salesforce_contact_segment_field]
            where = [f"LastModifiedDate >= {since}"]
        fields += settings.salesforce_engagement_fields
        if settings.salesforce_content_field:
            fields.append(settings.salesforce_content_field)
        return (f"SELECT {', '.join(dict.fromkeys(fields))} FROM {sobject} WHERE "
                f"{' AND '.join(where)} ORDER BY LastModifiedDate ASC")

    async def changes(self, cursor: str | None) -> Page:
        """Leads, then (when enabled) Contacts, each read from its own `since` and paged on
        its own; the page that finishes the Leads hands over to the Contacts."""
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        leads = {"since": state.get("since"), "next": state.get("next")}
        contacts: dict[str, Any] = state.get("contacts") or {}
        with_contacts = self.settings.salesforce_sync_contacts
        if with_contacts and state.get("phase") == "contacts":
            records, contacts, finished = await self._read("Contact", contacts)
            phase, done = ("leads", True) if finished else ("contacts", False)
        else:
            records, leads, finished = await self._read("Lead", leads)
            phase = "contacts" if finished and with_contacts else "leads"
            done = finished and not with_contacts
        out: dict[str, Any] = {**leads, "phase": phase}
        if contacts:
            out["contacts"] = contacts
        return Page(records, json.dumps(out), done=done)

    async def _read(self, sobject: str, part: dict[str, Any]
                    ) -> tuple[list[CrmRecord], dict[str, Any], bool]:
        """One page of `sobject` changes: the records, the part's next cursor, and whether
        this was its last page."""
        since = part.get("since") or "1970-01-01T00:00:00Z"
        following = part.get("next")
        what = f"{sobject.lower()} query"
        if following:
            result = await self._call(what, lambda sf: sf.query_more(
                following, identifier_is_url=True))
        else:
            soql = self._soql(sobject, since)
            result = await self._call(what, lambda sf: sf.query(soql))
        records = [self._record(sobject, row) for row in result.get("records", [])]
        if not result.get("done", True) and result.get("nextRecordsUrl"):
            return records, {"since": since, "next": result["nextRecordsUrl"]}, False
        newest = max((r.modified_at for r in records), default=None)
        return records, {"since": _soql_time(newest) if newest else since, "next": None}, True

    def _record(self, sobject: str, row: dict[str, Any]) -> CrmRecord:
        settings = self.settings
        engaged = [t for t in (_parse_time(row.get(f)) for f in settings.salesforce_engagement_fields)
                   if t]
        owner = row.get("Owner") or {}
        name = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)
        content = str(_field(row, settings.salesforce_content_field) or "") if (
            settings.salesforce_content_field) else ""
        if sobject == "Lead":
            company, segment = row.get("Company"), _field(row, settings.salesforce_segment_field)
        else:
            company = _field(row, "Account.Name")
            segment = _field(row, settings.salesforce_contact_segment_field)
        return CrmRecord(
            external_id=str(row["Id"]), company=str(company or name),
            segment=str(segment or ""),
            owner_email=str(owner.get("Email") or "") if isinstance(owner, dict) else "",
            engaged_at=min(engaged) if engaged else None,
            modified_at=_parse_time(row.get("LastModifiedDate")) or datetime.now(UTC),
            contact_name=name, contact_email=row.get("Email") or None,
            content=content_ids(self.strategy, content))

    # --- writing ----------------------------------------------------------------------------

    async def write(self, action: WriteBack) -> str:
        marker = f"[alignbot {action.extra.get('key', '')}]"
        retaken = action.extra.get("retaken") == "1"
        when = (action.at or datetime.now(UTC)).astimezone(UTC).date().isoformat()
        lead_id = action.external_id
        sobject = "Contact" if lead_id.startswith(CONTACT_PREFIX) else "Lead"
        if action.kind == "owner":
            email = _soql_text(action.owner_email or "")
            users = await self._call("user query", lambda sf: sf.query(
                f"SELECT Id FROM User WHERE Email = '{email}' AND IsActive = true LIMIT 1"))
            if not users.get("records"):
                raise CrmError(f"Salesforce has no active user with the email "
                               f"{action.owner_email!r}: reassign to someone who has one",
                               transient=False)
            user_id = users["records"][0]["Id"]
            await self._call(f"{sobject.lower()} update", lambda sf: _sobject(sf, sobject).update(
                lead_id, {"OwnerId": user_id}))
            return f"owner:{user_id}"
        if action.kind == "disqualify" and sobject == "Contact":
            # A Contact has no Lead Status (it may well be a customer's person): the
            # disqualification and its reason are logged on it as a Task, and its own status
            # field set only where the org keeps one (it is not ours to invent)
            if field := self.settings.salesforce_contact_status_field:
                status = {field: self.settings.salesforce_disqualified_status}
                await self._call("contact update",
                                 lambda sf: _sobject(sf, "Contact").update(lead_id, status))
            subject, body = "Contact disqualified as a lead (alignbot)", f"Disqualified: {action.note}"
        elif action.kind == "disqualify":
            fields = {"Status": self.settings.salesforce_disqualified_status}
            if self.settings.salesforce_reason_field:
                fields[self.settings.salesforce_reason_field] = action.note[:255]
            await self._call("lead update", lambda sf: _sobject(sf, "Lead").update(lead_id, fields))
            subject, body = "Lead disqualified (alignbot)", f"Disqualified: {action.note}"
        elif action.kind == "touch":
            subject, body = "Lead follow-up (alignbot)", action.note or "Follow-up logged"
        else:
            return "skipped"  # qualify: conversion is the rep's own step in Salesforce
        if retaken and (found := await self._find_task(marker)):
            return found
        task = {"WhoId": lead_id, "Subject": subject, "Status": "Completed",
                "ActivityDate": when, "Description": f"{body} {marker}"}
        created = await self._call("task create", lambda sf: _sobject(sf, "Task").create(task))
        return f"task:{created.get('id')}"

    async def _find_task(self, marker: str) -> str | None:
        """The Task an earlier attempt wrote (its answer lost), by its marker. Description is a
        long text field SOQL cannot filter, so the recent Tasks with our subject are read."""
        soql = ("SELECT Id, Description FROM Task WHERE Subject LIKE '%(alignbot)' "
                "ORDER BY CreatedDate DESC LIMIT 200")
        result = await self._call("task query", lambda sf: sf.query(soql))
        for row in result.get("records", []):
            if marker in str(row.get("Description") or ""):
                return f"task:{row['Id']}"
        return None
