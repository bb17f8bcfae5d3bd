"""HubSpot as a lead source and a place reps' actions land, through HubSpot's own Python client.

Reading: contacts in the chosen lifecycle stages / lead statuses, changed since the cursor, by
the CRM search API sorted by `hs_lastmodifieddate` ascending and paged with `after`; the owner's
email from the owners API; segment, engagement dates and content from the configured properties.
The cursor is JSON `{"since": <ms>, "after": <paging token or null>}`: a run that stops half-way
resumes at the page it was on, and the next run asks from the newest change it saw (inclusive:
a record at the boundary is read again and found unchanged).

Writing: Done creates a completed task associated with the contact, Disqualify sets the chosen
`hs_lead_status` and adds a note with the reason, a reassignment sets `hubspot_owner_id`. Each
task and note carries a marker with its write-back key, so a write whose answer was lost is found
(by search) rather than written twice.

HubSpot's client is synchronous (urllib3), so calls run in a worker thread. Every call goes
through a pace (`bot.leads.hubspot_pace`) that reads HubSpot's rate limit headers and slows down
before the limits are reached. A 429 that happens anyway is waited out when its Retry-After (or
the limit's interval) is short (ALIGNBOT_CRM_MAX_WAIT), else it ends the call as a transient
error for the caller to retry later; the daily limit's 429 is never waited out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hubspot import HubSpot
from hubspot.crm.contacts import (
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot.crm.objects.notes import AssociationSpec as NoteAssociation
from hubspot.crm.objects.notes import PublicAssociationsForObject as NoteLink
from hubspot.crm.objects.notes import PublicObjectId as NoteTarget
from hubspot.crm.objects.notes import SimplePublicObjectInputForCreate as NoteInput
from hubspot.crm.objects.tasks import AssociationSpec as TaskAssociation
from hubspot.crm.objects.tasks import PublicAssociationsForObject as TaskLink
from hubspot.crm.objects.tasks import PublicObjectId as TaskTarget
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as TaskInput
from urllib3.exceptions import HTTPError as TransportError

from bot.config import Settings
from bot.leads.crm import CrmError, CrmRecord, Page, WriteBack, content_ids
from bot.leads.hubspot_pace import HubSpotPace, Monotonic, Sleep
from bot.strategy.schema import Strategy

log = logging.getLogger(__name__)
TASK_TO_CONTACT = 204  # HubSpot-defined association type ids
NOTE_TO_CONTACT = 202
MAX_TRIES = 3
SEARCH_CAP = 10_000  # results one CRM search query pages through at most
CONTACT_PROPERTIES = ("firstname", "lastname", "email", "company", "hubspot_owner_id",
                      "hs_lastmodifieddate", "lifecyclestage", "hs_lead_status")


def _ms(instant: datetime) -> str:
    return str(int(instant.timestamp() * 1000))


def _parse_time(value: str | None) -> datetime | None:
    """HubSpot dates come as ISO 8601 or as epoch milliseconds."""
    if not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class HubSpotConnector:
    """Leads from HubSpot contacts, and reps' actions written back (see the module doc)."""

    source = "hubspot"

    def __init__(self, settings: Settings, strategy: Strategy, sleep: Sleep = asyncio.sleep,
                 client: HubSpot | None = None, monotonic: Monotonic = time.monotonic) -> None:
        token = settings.hubspot_access_token
        if token is None and client is None:
            raise CrmError("HubSpot is not set up: set HUBSPOT_ACCESS_TOKEN (a private app token)",
                           transient=False)
        self.settings, self.strategy, self.sleep = settings, strategy, sleep
        self.client = client or HubSpot(
            access_token=token.get_secret_value() if token else None,
            host=settings.hubspot_base_url.rstrip("/"))
        self._owner_emails: dict[str, str] | None = None
        self.pace = HubSpotPace(monotonic, sleep, settings.hubspot_rate_reserve,
                                settings.hubspot_searches_per_second)

    # --- calling the client ---------------------------------------------------------------

    async def _call(self, what: str, call: Callable[[], Any], *, read: bool = True,
                    search: bool = False) -> Any:
        """Run one client call (its `*_with_http_info` form, whose answer carries the rate limit
        headers) in a thread, paced; wait out a short 429 and try again."""
        for attempt in range(1, MAX_TRIES + 1):
            await self.pace.before(search=search, read=read)
            try:
                data, _, headers = await asyncio.to_thread(call)
            except TransportError as exc:
                raise CrmError(f"HubSpot {what}: cannot reach {self.settings.hubspot_base_url}:"
                               f" {type(exc).__name__}", transient=True) from None
            except Exception as exc:  # the client's ApiException differs per API package
                self.pace.after(dict(getattr(exc, "headers", None) or {}))
                error = self._error(what, exc)
                wait = error.retry_after
                if (error.transient and wait is not None and wait <= self.settings.crm_max_wait
                        and attempt < MAX_TRIES):
                    log.info("HubSpot %s rate limited; waiting %.1f s as asked", what, wait)
                    await self.sleep(wait)
                    continue
                raise error from None
            self.pace.after(dict(headers or {}))
            return data
        raise AssertionError("unreachable")

    @staticmethod
    def _error(what: str, exc: Exception) -> CrmError:
        status = getattr(exc, "status", None)
        if not isinstance(status, int):  # e.g. an answer the client cannot read
            log.error("HubSpot %s: unexpected failure", what, exc_info=exc)
            return CrmError(f"HubSpot {what}: {type(exc).__name__}: {str(exc)[:200]}",
                            transient=False)
        headers = dict(getattr(exc, "headers", None) or {})
        body = getattr(exc, "body", None) or b""
        try:
            answer = json.loads(body) if body else {}
            message, policy = str(answer.get("message", "")), str(answer.get("policyName", ""))
        except (ValueError, AttributeError):
            message = policy = ""
        detail = f"HubSpot {what}: HTTP {status}" + (f" - {message[:200]}" if message else "")
        if status == 429 and policy == "DAILY":
            return CrmError(detail + " (the account's daily API limit; the next run tries"
                                     " again)", transient=True)
        if status == 429:
            lower = {str(k).lower(): str(v) for k, v in headers.items()}
            retry = lower.get("retry-after")
            interval = lower.get("x-hubspot-ratelimit-interval-milliseconds", "")
            wait = (float(retry) if retry and retry.replace(".", "", 1).isdigit()
                    else int(interval) / 1000 if interval.isdigit() else 10.0)
            return CrmError(detail + f" (rate limited; retry after {wait:g} s)", transient=True,
                            retry_after=wait)
        if status in (401, 403):
            return CrmError(detail + " - check HUBSPOT_ACCESS_TOKEN and its scopes",
                            transient=False)
        return CrmError(detail, transient=status >= 500)

    # --- reading ----------------------------------------------------------------------------

    async def owner_emails(self) -> dict[str, str]:
        """Owner id -> email, all pages, read once per connector."""
        if self._owner_emails is None:
            owners: dict[str, str] = {}
            after: str | None = None
            api = self.client.crm.owners.owners_api
            while True:
                page = await self._call("owners", lambda a=after: (  # type: ignore[misc]
                    api.get_page_with_http_info(limit=100, after=a, archived=False)))
                owners.update({str(o.id): (o.email or "") for o in page.results or []})
                after = page.paging.next.after if page.paging and page.paging.next else None
                if after is None:
                    break
            self._owner_emails = owners
        return self._owner_emails

    def _request(self, since: int, after: str | None) -> PublicObjectSearchRequest:
        filters = [Filter(property_name="hs_lastmodifieddate", operator="GTE", value=str(since))]
        if self.settings.hubspot_lifecycle_stages:
            filters.append(Filter(property_name="lifecyclestage", operator="IN",
                                  values=list(self.settings.hubspot_lifecycle_stages)))
        if self.settings.hubspot_lead_statuses:
            filters.append(Filter(property_name="hs_lead_status", operator="IN",
                                  values=list(self.settings.hubspot_lead_statuses)))
        wanted = (*CONTACT_PROPERTIES, self.settings.hubspot_segment_property,
                  self.settings.hubspot_content_property,
                  *self.settings.hubspot_engagement_properties)
        return PublicObjectSearchRequest(
            filter_groups=[FilterGroup(filters=filters)],
            sorts=[{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            properties=list(dict.fromkeys(wanted)), limit=self.settings.crm_page_size,
            after=after)

    async def changes(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        since, after = int(state.get("since") or 0), state.get("after")
        request = self._request(since, after)
        api = self.client.crm.contacts.search_api
        result = await self._call("contact search", lambda: api.do_search_with_http_info(
            public_object_search_request=request), search=True)
        owners = await self.owner_emails()
        records = [self._record(item.id, item.properties or {}, owners)
                   for item in result.results or []]
        token = result.paging.next.after if result.paging and result.paging.next else None
        newest = max((r.modified_at for r in records), default=None)
        if (token is not None and newest is not None and token.isdigit()
                and int(token) + self.settings.crm_page_size > SEARCH_CAP
                and int(_ms(newest)) > since):  # (a new query from `since` would loop)
            # HubSpot's search stops at 10,000 results a query: go on with a new query from the
            # newest change read (records sharing that instant are read again, unchanged)
            return Page(records, json.dumps({"since": int(_ms(newest)), "after": None}),
                        done=False)
        if token is not None:
            return Page(records, json.dumps({"since": since, "after": token}), done=False)
        next_since = int(_ms(newest)) if newest else since
        return Page(records, json.dumps({"since": next_since, "after": None}), done=True)

    def _record(self, contact_id: str, props: dict[str, Any], owners: dict[str, str]) -> CrmRecord:
        settings = self.settings
        engaged = [t for t in (_parse_time(props.get(p))
                               for p in settings.hubspot_engagement_properties) if t]
        name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
        return CrmRecord(
            external_id=str(contact_id),
            company=props.get("company") or name or str(props.get("email") or ""),
            segment=str(props.get(settings.hubspot_segment_property) or ""),
            owner_email=owners.get(str(props.get("hubspot_owner_id") or ""), ""),
            engaged_at=min(engaged) if engaged else None,
            modified_at=_parse_time(props.get("hs_lastmodifieddate")) or datetime.now(UTC),
            contact_name=name, contact_email=props.get("email") or None,
            content=content_ids(self.strategy,
                                str(props.get(settings.hubspot_content_property) or "")))

    # --- writing ----------------------------------------------------------------------------

    async def write(self, action: WriteBack) -> str:
        marker = f"[alignbot {action.extra.get('key', '')}]"
        when = _ms(action.at or datetime.now(UTC))
        retaken = action.extra.get("retaken") == "1"  # an earlier attempt's answer was lost
        if action.kind == "touch":
            if retaken and (found := await self._find("tasks", "hs_task_body", marker)):
                return found
            body = f"{action.note or 'Follow-up logged in alignbot'} {marker}"
            task = TaskInput(properties={
                "hs_timestamp": when, "hs_task_subject": "Lead follow-up (alignbot)",
                "hs_task_body": body, "hs_task_status": "COMPLETED", "hs_task_type": "TODO"},
                associations=[TaskLink(to=TaskTarget(id=action.external_id), types=[
                    TaskAssociation(association_category="HUBSPOT_DEFINED",
                                    association_type_id=TASK_TO_CONTACT)])])
            api = self.client.crm.objects.tasks.basic_api
            created = await self._call("task create", lambda: api.create_with_http_info(
                simple_public_object_input_for_create=task), read=False)
            return f"task:{created.id}"
        if action.kind == "disqualify":
            await self._update_contact({"hs_lead_status":
                                        self.settings.hubspot_disqualified_status},
                                       action.external_id)
            return await self._note(action, f"Disqualified: {action.note} {marker}", when,
                                    marker if retaken else None)
        if action.kind == "owner":
            owner_id = await self._owner_id(action.owner_email or "")
            await self._update_contact({"hubspot_owner_id": owner_id}, action.external_id)
            return f"owner:{owner_id}"
        return "skipped"  # qualify: HubSpot's own stages say that; nothing of ours to write

    async def _update_contact(self, properties: dict[str, str], contact_id: str) -> None:
        api = self.client.crm.contacts.basic_api
        await self._call("contact update", lambda: api.update_with_http_info(
            contact_id=contact_id, simple_public_object_input=SimplePublicObjectInput(
                properties=properties)), read=False)

    async def _note(self, action: WriteBack, body: str, when: str, look_for: str | None) -> str:
        if look_for and (found := await self._find("notes", "hs_note_body", look_for)):
            return found
        note = NoteInput(properties={"hs_timestamp": when, "hs_note_body": body}, associations=[
            NoteLink(to=NoteTarget(id=action.external_id), types=[NoteAssociation(
                association_category="HUBSPOT_DEFINED", association_type_id=NOTE_TO_CONTACT)])])
        api = self.client.crm.objects.notes.basic_api
        created = await self._call("note create", lambda: api.create_with_http_info(
            simple_public_object_input_for_create=note), read=False)
        return f"note:{created.id}"

    async def _find(self, kind: str, body_property: str, marker: str) -> str | None:
        """The task or note an earlier attempt already wrote (its answer lost), by marker."""
        api = (self.client.crm.objects.tasks if kind == "tasks"
               else self.client.crm.objects.notes).search_api
        module = __import__(f"hubspot.crm.objects.{kind}", fromlist=["PublicObjectSearchRequest"])
        request = module.PublicObjectSearchRequest(filter_groups=[module.FilterGroup(filters=[
            module.Filter(property_name=body_property, operator="CONTAINS_TOKEN",
                          value=marker)])], limit=1, properties=[body_property])
        found = await self._call(f"{kind} search", lambda: api.do_search_with_http_info(
            public_object_search_request=request), search=True, read=False)
        results = found.results or []
        return f"{kind[:-1]}:{results[0].id}" if results else None

    async def _owner_id(self, email: str) -> str:
        for owner_id, owner_email in (await self.owner_emails()).items():
            if owner_email.lower() == email.lower():
                return owner_id
        raise CrmError(f"HubSpot has no owner with the email {email!r}: add them as a user in"
                       " HubSpot, or reassign to someone who is", transient=False)
