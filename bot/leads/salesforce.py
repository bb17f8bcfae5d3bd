"""Salesforce as a lead source and a place reps' actions land, through `simple-salesforce`.

Reading: Leads (not converted, in the chosen statuses) changed since the cursor, by SOQL ordered
by `LastModifiedDate` and paged with `nextRecordsUrl`; the owner's email through the `Owner`
relationship; segment, engagement dates and content from the configured fields. The cursor is
JSON `{"since": "<ISO time>", "next": <nextRecordsUrl or null>}` (see `bot.leads.sync` for how a
stopped run resumes).

Writing: Done creates a completed Task on the Lead (`WhoId`), Disqualify sets the chosen Lead
Status (and the reason field when one is configured) and logs the reason as a completed Task,
a reassignment sets `OwnerId` to the active User with the new owner's email. Each Task's
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
from bot.leads.crm import CrmError, CrmRecord, Page, WriteBack
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

    def _soql(self, since: str) -> str:
        settings = self.settings
        fields = ["Id", "Company", "FirstName", "LastName", "Email", "Owner.Email", "Status",
                  "LastModifiedDate", settings.salesforce_segment_field,
                  *settings.salesforce_engagement_fields]
        if settings.salesforce_content_field:
            fields.append(settings.salesforce_content_field)
        where = [f"LastModifiedDate >= {since}", "IsConverted = false"]
        if settings.salesforce_lead_statuses:
            statuses = ", ".join(f"'{_soql_text(s)}'" for s in settings.salesforce_lead_statuses)
            where.append(f"Status IN ({statuses})")
        return (f"SELECT {', '.join(dict.fromkeys(fields))} FROM Lead WHERE "
                f"{' AND '.join(where)} ORDER BY LastModifiedDate ASC")

    async def changes(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        since = state.get("since") or "1970-01-01T00:00:00Z"
        following = state.get("next")
        if following:
            result = await self._call("lead query", lambda sf: sf.query_more(
                following, identifier_is_url=True))
        else:
            soql = self._soql(since)
            result = await self._call("lead query", lambda sf: sf.query(soql))
        records = [self._record(row) for row in result.get("records", [])]
        newest = max((r.modified_at for r in records), default=None)
        if not result.get("done", True) and result.get("nextRecordsUrl"):
            return Page(records, json.dumps({"since": since, "next": result["nextRecordsUrl"]}),
                        done=False)
        next_since = _soql_time(newest) if newest else since
        return Page(records, json.dumps({"since": next_since, "next": None}), done=True)

    def _record(self, row: dict[str, Any]) -> CrmRecord:
        settings = self.settings
        engaged = [t for t in (_parse_time(row.get(f)) for f in settings.salesforce_engagement_fields)
                   if t]
        owner = row.get("Owner") or {}
        name = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)
        content = str(row.get(settings.salesforce_content_field) or "") if (
            settings.salesforce_content_field) else ""
        by_name = {c.id.lower(): c.id for c in self.strategy.content}
        by_name |= {c.title.lower(): c.id for c in self.strategy.content}
        found = [by_name.get(part.strip().lower()) for part in content.split(";")]
        return CrmRecord(
            external_id=str(row["Id"]), company=str(row.get("Company") or name),
            segment=str(row.get(settings.salesforce_segment_field) or ""),
            owner_email=str(owner.get("Email") or "") if isinstance(owner, dict) else "",
            engaged_at=min(engaged) if engaged else None,
            modified_at=_parse_time(row.get("LastModifiedDate")) or datetime.now(UTC),
            contact_name=name, contact_email=row.get("Email") or None,
            content=tuple(dict.fromkeys(c for c in found if c)))

    # --- writing ----------------------------------------------------------------------------

    async def write(self, action: WriteBack) -> str:
        marker = f"[alignbot {action.extra.get('key', '')}]"
        retaken = action.extra.get("retaken") == "1"
        when = (action.at or datetime.now(UTC)).astimezone(UTC).date().isoformat()
        lead_id = action.external_id
        if action.kind == "owner":
            email = _soql_text(action.owner_email or "")
            users = await self._call("user query", lambda sf: sf.query(
                f"SELECT Id FROM User WHERE Email = '{email}' AND IsActive = true LIMIT 1"))
            if not users.get("records"):
                raise CrmError(f"Salesforce has no active user with the email "
                               f"{action.owner_email!r}: reassign to someone who has one",
                               transient=False)
            user_id = users["records"][0]["Id"]
            await self._call("lead update", lambda sf: _sobject(sf, "Lead").update(
                lead_id, {"OwnerId": user_id}))
            return f"owner:{user_id}"
        if action.kind == "disqualify":
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
