"""Incremental lead sync from a CRM: read the changes page by page, take each record through the
same validation as the CSV and webhook intakes, and store the cursor with the page's leads.

Each page is one transaction holding its leads and the cursor that follows it, so a run that
fails half-way (a 429 that lasts, a crash) resumes at the first page it did not store, and a page
read twice changes nothing (leads are keyed by source + external id, engagements by their time).
A dry run reads and validates the same way and rolls every page back: it shows what would change.

The run's outcome (when, how many, the error) is kept in `crm_syncs` for `/align status`.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.context import BotContext
from bot.leads.book import LeadBook
from bot.leads.crm import CrmConnector, CrmError, CrmRecord
from bot.leads.intake import LeadRejected, LeadResolver
from bot.storage.models import CrmSync

log = logging.getLogger(__name__)
MAX_PAGES = 200  # per run; the rest follows next run, from the stored cursor


class _DryRun(Exception):
    """Raised inside a dry run's page transaction so it rolls back."""


@dataclass
class SyncReport:
    source: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_engaged: int = 0
    pages: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (external id, reason)
    error: str | None = None
    newest: datetime | None = None

    def summary(self, limit: int = 10) -> str:
        verb = "would be" if self.dry_run else "were"
        lines = [f"{self.source}: {self.pages} page(s) read; {self.created} new, {self.updated} "
                 f"updated, {self.unchanged} unchanged lead(s) {verb} stored; "
                 f"{self.not_engaged} contact(s) without engagement yet, "
                 f"{len(self.rejected)} not taken."]
        lines += [f"  {external_id}: {reason}" for external_id, reason in self.rejected[:limit]]
        if len(self.rejected) > limit:
            lines.append(f"  ... and {len(self.rejected) - limit} more")
        error = (self.error or "").rstrip(".")  # a CRM's message may end with its own period
        if error and self.pages:
            lines.append(f"Stopped: {error}. The next run resumes where this one stopped.")
        elif error:  # nothing was read (not set up, a login refused): nothing to resume
            lines.append(f"Stopped: {error}.")
        return "\n".join(lines)


class LeadSync:
    """Runs one connector's sync (see the module doc)."""

    def __init__(self, ctx: BotContext, connector: CrmConnector) -> None:
        self.ctx = ctx
        self.connector = connector
        self.source = connector.source

    async def run(self, dry_run: bool = False, max_pages: int = MAX_PAGES) -> SyncReport:
        report = SyncReport(self.source, dry_run=dry_run)
        cursor = await self._start(dry_run)
        try:
            for _ in range(max_pages):
                page = await self.connector.changes(cursor)
                report.pages += 1
                with contextlib.suppress(_DryRun):  # the dry run's page was rolled back
                    await self._store(page.records, page.cursor, report, dry_run)
                cursor = page.cursor
                if page.done:
                    break
        except CrmError as exc:
            report.error = str(exc)
            log.warning("%s sync stopped: %s", self.source, exc)
        if not dry_run:
            await self._finish(report)
        return report

    async def _start(self, dry_run: bool) -> str | None:
        async with self.ctx.db.session() as session:
            state = await session.get(CrmSync, self.source)
            if state is None:
                state = CrmSync(source=self.source)
            if not dry_run:
                state.started_at = self.ctx.clock.now()
                session.add(state)
            return state.cursor

    async def _store(self, records: list[CrmRecord], cursor: str, report: SyncReport,
                     dry_run: bool) -> None:
        """One page and the cursor after it, in one transaction (rolled back in a dry run)."""
        async with self.ctx.db.session() as session:
            resolver = await LeadResolver.load(session, self.ctx.strategy)
            book = LeadBook(self.ctx, session)
            for record in records:
                report.newest = max(filter(None, (report.newest, record.modified_at)))
                if record.engaged_at is None:
                    report.not_engaged += 1
                    continue
                try:
                    if not record.owner_email:
                        raise LeadRejected("it has no owner with an email in the CRM")
                    data = resolver.lead(
                        source=self.source, external_id=record.external_id,
                        company=record.company, segment=record.segment,
                        owner=record.owner_email, engaged_at=record.engaged_at,
                        contact_name=record.contact_name, contact_email=record.contact_email,
                        content=record.content)
                except LeadRejected as exc:
                    report.rejected.append((record.external_id, str(exc)))
                    continue
                _, outcome = await book.upsert(data, via=self.source)
                setattr(report, outcome, getattr(report, outcome) + 1)
            if dry_run:
                raise _DryRun
            state = await session.get(CrmSync, self.source) or CrmSync(source=self.source)
            state.cursor = cursor
            session.add(state)

    async def _finish(self, report: SyncReport) -> None:
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            state = await session.get(CrmSync, self.source) or CrmSync(source=self.source)
            state.finished_at = now
            state.imported = report.created + report.updated
            state.rejected = len(report.rejected)
            state.error = report.error[:2000] if report.error else None
            if report.error is None:
                state.ok_at = now
            if report.newest and (state.newest_at is None or report.newest > state.newest_at):
                state.newest_at = report.newest
            session.add(state)
