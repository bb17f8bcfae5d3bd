"""The `leads-sync` schedule and `/align leads sync`: sync every configured CRM, then write back
what reps did. One run per occurrence whoever the schedule names (the engine runs a job
schedule in one process at a time), so the schedule is "every 15 minutes", not "per member"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.context import BotContext
from bot.leads.crm import CrmError
from bot.leads.sources import configured, connector
from bot.leads.sync import LeadSync, SyncReport
from bot.leads.writeback import WriteBacks
from bot.storage.models import Member, Schedule


async def sync_sources(ctx: BotContext, sources: list[str] | None = None,
                       dry_run: bool = False) -> list[SyncReport]:
    """Sync `sources` (default: every configured CRM); a source that is not set up gets a
    report with its error rather than stopping the others."""
    reports = []
    for source in sources if sources is not None else configured(ctx):
        try:
            crm = connector(ctx, source)
        except CrmError as exc:
            reports.append(SyncReport(source, dry_run=dry_run, error=str(exc)))
            continue
        reports.append(await LeadSync(ctx, crm).run(dry_run=dry_run))
    if not dry_run:
        await WriteBacks(ctx).drain()
    return reports


@dataclass
class LeadsSyncJob:
    """`/align schedule add leads-sync "*/15 * * * *"`: runs once per occurrence (for the first
    recipient; the others' runs find nothing new, as the sync is incremental)."""

    ctx: BotContext
    kind: str = "leads-sync"
    every_day: bool = True  # a sync is not a message: days off and time away do not apply

    async def run(self, schedule: Schedule, member: Member, occurrence: datetime, key: str) -> bool:
        reports = await sync_sources(self.ctx)
        return any(r.created or r.updated for r in reports)
