"""Helpers for lead tests: a CSV writer and readers of leads and nudges."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import col, select

from bot.core import BotCore
from bot.storage.models import Lead, LeadEvent
from tests.support.ports import RecordingPort, Sent

HEADER = ("external_id", "company", "contact_name", "contact_email", "segment", "owner", "source",
          "engaged_at", "content")


def write_csv(path: Path, rows: list[dict[str, str]], header: tuple[str, ...] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header))
        writer.writeheader()
        for row in rows:
            writer.writerow({h: row.get(h, "") for h in header})
    return path


def lead_row(external_id: str, company: str, owner: str, engaged_at: str,
             segment: str = "midmarket_fintech", content: str = "soc2_checklist") -> dict[str, str]:
    return {"external_id": external_id, "company": company, "contact_name": f"{company} CFO",
            "contact_email": f"cfo@{company.lower().replace(' ', '')}.example", "segment": segment,
            "owner": owner, "source": "hubspot", "engaged_at": engaged_at, "content": content}


async def leads(core: BotCore) -> dict[str, Lead]:
    async with core.ctx.db.session() as session:
        return {lead.external_id: lead for lead in (await session.exec(select(Lead))).all()}


async def events(core: BotCore, kind: str | None = None) -> list[LeadEvent]:
    async with core.ctx.db.session() as session:
        query = select(LeadEvent).order_by(col(LeadEvent.id))
        if kind:
            query = query.where(LeadEvent.kind == kind)
        return list((await session.exec(query)).all())


def nudges(port: RecordingPort, user_id: str | None = None) -> list[Sent]:
    return [s for s in port.sent if s.message.key and s.message.key.endswith(":nudge")
            and (user_id is None or s.to.user_id == user_id)]


def escalations(port: RecordingPort, user_id: str | None = None) -> list[Sent]:
    return [s for s in port.sent if s.message.key and s.message.key.endswith((":escalate", ":team"))
            and (user_id is None or s.to.user_id == user_id)]
