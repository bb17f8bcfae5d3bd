"""What every CRM connector offers the lead sync and the write-back: pages of changed records,
and the few writes a rep's action makes there.

A connector (`bot.leads.hubspot`) speaks its vendor's API through the vendor's own client; the
sync (`bot.leads.sync`) and the write-back (`bot.leads.writeback`) only see these types, so a
second CRM is a second connector and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from bot.strategy.schema import Strategy


class CrmError(Exception):
    """A CRM call failed. `transient`: worth retrying later (rate limit, 5xx, network);
    otherwise the request itself is wrong (a missing scope, a deleted record) and a retry would
    fail the same way."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


@dataclass(frozen=True)
class CrmRecord:
    """A lead as the CRM has it, before validation against the members and the strategy."""

    external_id: str
    company: str
    segment: str
    owner_email: str
    engaged_at: datetime | None  # None: no engagement yet, so not a lead to follow up
    modified_at: datetime
    contact_name: str = ""
    contact_email: str | None = None
    content: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page of changes: the records, and the cursor that reads the next page (`done`:
    there is none; the cursor then reads changes after the newest record seen)."""

    records: list[CrmRecord]
    cursor: str
    done: bool


@dataclass(frozen=True)
class WriteBack:
    """What a rep did to a CRM lead, to be written to the CRM once."""

    kind: Literal["touch", "disqualify", "qualify", "owner"]
    external_id: str
    note: str = ""
    at: datetime | None = None
    owner_email: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def content_ids(strategy: Strategy, value: str) -> tuple[str, ...]:
    """Content ids a CRM field names (`;`-separated library ids or titles, as multi-select
    fields hold them); other values (a form's name that is not in the library) are dropped
    rather than refusing the lead."""
    by_name = {c.id.lower(): c.id for c in strategy.content}
    by_name |= {c.title.lower(): c.id for c in strategy.content}
    found = [by_name.get(part.strip().lower()) for part in value.split(";")]
    return tuple(dict.fromkeys(c for c in found if c))


class CrmConnector(Protocol):
    """A CRM the bot syncs leads from and writes reps' actions back to."""

    source: str  # the leads' `source` column: "hubspot", "salesforce"

    async def changes(self, cursor: str | None) -> Page:
        """The next page of records changed since `cursor` (None: from the beginning)."""
        ...

    async def write(self, action: WriteBack) -> str:
        """Apply `action`; returns the CRM's id of what was written (a task, a note)."""
        ...
