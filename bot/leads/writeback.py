"""Reps' actions on CRM leads, written back to the CRM once, through the outbox.

When a rep's Done, Disqualify or a manager's reassignment changes a lead that came from a CRM,
the lead book queues a write in `outbound_messages` (key `crm:<source>:ev<event id>`, kind
`crm_<source>`) in the same transaction as the event, released for the first taker. `drain`
claims queued writes the way the outbox claims sends (only one process holds a key; a claim whose
holder died is retaken after the lease), calls the CRM and records the result: sent with the
CRM's id, released for a retry after a transient failure (a 429, a 5xx, the network), failed for
good after a permanent one or MAX_ATTEMPTS tries. A retry after a failure whose answer was lost
first asks the CRM whether the write landed (the connector finds its marker), so nothing is
written twice. Snoozes are ours alone and write nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import BotContext
from bot.delivery import ABANDONED, MAX_ATTEMPTS, RELEASED
from bot.leads.crm import CrmConnector, CrmError, WriteBack
from bot.leads.sources import CRM_SOURCES, connector
from bot.storage.models import Lead, LeadEvent, OutboundMessage, literal_states

log = logging.getLogger(__name__)
ACTION_VIAS = ("nudge", "command", "escalation")  # what people did, as opposed to what we synced
WRITTEN_KINDS = ("touch", "status", "reassigned")
BATCH = 50


def write_key(source: str, event_id: int) -> str:
    return f"crm:{source}:ev{event_id}"


async def queue(session: AsyncSession, lead: Lead, event: LeadEvent, now: datetime) -> bool:
    """Queue the CRM write for `event` if it is a person's action on a CRM lead (the caller
    checks the CRM is set up: a CSV row that merely says "hubspot" writes nothing back)."""
    if (lead.source not in CRM_SOURCES or event.via not in ACTION_VIAS
            or event.kind not in WRITTEN_KINDS or event.id is None):
        return False
    session.add(OutboundMessage(key=write_key(lead.source, event.id),
                                member_id=event.member_id or lead.owner_id,
                                kind=f"crm_{lead.source}", state="claimed", claimed_at=RELEASED,
                                attempts=0))
    return True


def _action(lead: Lead, event: LeadEvent, key: str, retaken: bool) -> WriteBack:
    extra = {"key": key, "retaken": "1" if retaken else "0"}
    kind: Literal["touch", "disqualify", "qualify", "owner"]
    if event.kind == "touch":
        kind = "touch"
    elif event.kind == "reassigned":
        return WriteBack("owner", lead.external_id, owner_email=event.note or "", at=event.at,
                         extra=extra)
    else:
        kind = "disqualify" if event.detail == "disqualified" else "qualify"
    return WriteBack(kind, lead.external_id, note=event.note or "", at=event.at, extra=extra)


class WriteBacks:
    """Drains queued CRM writes (see the module doc)."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    async def drain(self, limit: int = BATCH) -> dict[str, int]:
        """Try every queued write that nobody holds; counts of sent / retry / failed."""
        counts = {"sent": 0, "retry": 0, "failed": 0}
        now = self.ctx.clock.now()
        stale = now - timedelta(seconds=self.ctx.settings.delivery_lease_seconds)
        async with self.ctx.db.session() as session:
            rows = list((await session.exec(select(OutboundMessage).where(
                col(OutboundMessage.kind).in_([f"crm_{s}" for s in CRM_SOURCES]),
                OutboundMessage.state == "claimed", col(OutboundMessage.claimed_at) < stale,
                literal_states(col(OutboundMessage.state), ("sent",), negate=True))  # unsent index
                .order_by(col(OutboundMessage.id)).limit(limit))).all())
        connectors: dict[str, CrmConnector] = {}
        for row in rows:
            outcome = await self._one(row, now, connectors)
            if outcome:
                counts[outcome] += 1
        return counts

    async def _one(self, row: OutboundMessage, now: datetime,
                   connectors: dict[str, CrmConnector]) -> str | None:
        async with self.ctx.db.session() as session:  # claim: only one process gets the key
            claimed = await session.exec(update(OutboundMessage).where(
                col(OutboundMessage.key) == row.key, col(OutboundMessage.state) == "claimed",
                col(OutboundMessage.claimed_at) == row.claimed_at).values(
                claimed_at=now, attempts=OutboundMessage.attempts + 1))
            if claimed.rowcount != 1:
                return None
            event = await session.get(LeadEvent, int(row.key.rsplit(":ev", 1)[1]))
            lead = await session.get(Lead, event.lead_id) if event else None
        source = row.kind.removeprefix("crm_")
        if event is None or lead is None:
            await self._record(row.key, now, error="the lead or its event is gone", final=True)
            return "failed"
        try:
            if source not in connectors:
                connectors[source] = connector(self.ctx, source)
            retaken = row.claimed_at != RELEASED  # an earlier try may have landed
            ref = await connectors[source].write(_action(lead, event, row.key, retaken))
        except CrmError as exc:
            final = not exc.transient or row.attempts + 1 >= MAX_ATTEMPTS
            mark = ABANDONED if exc.transient and exc.retry_after is None else RELEASED
            await self._record(row.key, now, error=str(exc), final=final, mark=mark)
            log.warning("CRM write %s failed (%s): %s", row.key,
                        "gave up" if final else "will retry", exc)
            return "failed" if final else "retry"
        await self._record(row.key, now, ref=ref)
        return "sent"

    async def _record(self, key: str, now: datetime, *, ref: str | None = None,
                      error: str | None = None, final: bool = False,
                      mark: datetime = RELEASED) -> None:
        async with self.ctx.db.session() as session:
            if ref is not None:
                values: dict[str, object] = {"state": "sent", "sent_at": now,
                                             "platform_ref": ref[:200], "error": None}
            elif final:
                values = {"state": "failed", "error": (error or "")[:2000]}
            else:
                values = {"claimed_at": mark, "error": (error or "")[:2000]}
            await session.exec(update(OutboundMessage).where(
                col(OutboundMessage.key) == key, col(OutboundMessage.claimed_at) == now)
                .values(**values))

