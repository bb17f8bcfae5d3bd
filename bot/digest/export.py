"""`alignbot export`: answers with their evaluations, leads and touches since a date, as CSV or
JSON for BI tools.

An operator tool: whoever runs it already holds the database URL, so by default it exports the
whole organisation; `--team <manager>` limits it to that manager's team (nested teams included),
using the same team tree as digests. Contact names and emails of leads are left out: BI needs
the company, segment and timings, not personal data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.history import parse_evaluation
from bot.evaluation.feedback import default_texts, off_strategy
from bot.storage.models import Answer, CheckIn, Lead, LeadEvent, Member
from bot.strategy.schema import Strategy

TABLES = ("answers", "leads", "touches")


@dataclass(frozen=True)
class Export:
    answers: list[dict[str, Any]]
    leads: list[dict[str, Any]]
    touches: list[dict[str, Any]]

    def table(self, name: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = getattr(self, name)
        return rows


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _answer_row(answer: Answer, checkin: CheckIn, member: Member, manager: str | None) -> dict[str, Any]:
    ev = parse_evaluation(answer.evaluation)
    tasks, scope, statement = (ev.tasks, ev.scope, ev.statement) if ev else (None, None, None)
    return {
        "answer_id": answer.id, "member": member.name, "email": member.email, "role": member.role,
        "manager": manager, "occurrence_at": _iso(checkin.occurrence_at),
        "answered_at": _iso(answer.updated_at), "question": answer.question, "text": answer.text,
        "overall": ev.overall if ev else None, "scores": json.dumps(ev.scores) if ev else None,
        "tasks": ";".join(tasks.task_ids) if tasks else "",
        # as the feedback and digest count it: a manager's pipeline review is no off-strategy effort
        "unmapped": ";".join(e.text for e in off_strategy(default_texts(), tasks.unmapped,
                                                          checkin.audience, answer.text))
        if tasks else "",
        "critical_missing": ";".join(tasks.critical_missing) if tasks else "",
        "segments_in": ";".join(scope.ids(in_scope=True)) if scope else "",
        "segments_out": ";".join(scope.ids(in_scope=False)) if scope else "",
        "word_count": statement.word_count if statement else None,
        "within_limit": statement.within_limit if statement else None,
        "components_covered": ";".join(c.component for c in statement.components if c.covered)
        if statement else "",
        "evaluator": ev.evaluator if ev else None,
        "strategy_version": checkin.strategy_version,
    }


def _lead_row(lead: Lead, owner: str, strategy: Strategy) -> dict[str, Any]:
    in_scope = next((s.in_scope for s in strategy.segments if s.id == lead.segment), None)
    delay = (lead.first_touch_at - lead.engaged_at).total_seconds() / 60 if lead.first_touch_at else None
    return {
        "lead_id": lead.id, "source": lead.source, "external_id": lead.external_id,
        "company": lead.company, "segment": lead.segment, "in_scope": in_scope, "owner": owner,
        "engaged_at": _iso(lead.engaged_at), "content": lead.content, "status": lead.status,
        "status_reason": lead.status_reason, "touches": lead.touches,
        "first_touch_at": _iso(lead.first_touch_at), "last_touch_at": _iso(lead.last_touch_at),
        "minutes_to_first_touch": round(delay, 1) if delay is not None else None,
        "next_due_at": _iso(lead.next_due_at),
    }


async def collect(session: AsyncSession, strategy: Strategy, since: datetime,
                  member_ids: Sequence[int] | None = None) -> Export:
    """Everything since `since` (check-in occurrence, lead engagement or touch time)."""
    members = {m.id: m for m in (await session.exec(select(Member))).all()}
    names = {mid: m.name for mid, m in members.items()}
    query = select(Answer, CheckIn).join(CheckIn, col(Answer.checkin_id) == col(CheckIn.id)).where(
        col(CheckIn.occurrence_at) >= since)
    lead_query = select(Lead).where((col(Lead.engaged_at) >= since) | (col(Lead.last_touch_at) >= since))
    touch_query = select(LeadEvent, Lead).join(Lead, col(LeadEvent.lead_id) == col(Lead.id)).where(
        LeadEvent.kind == "touch", col(LeadEvent.at) >= since)
    if member_ids is not None:
        ids = list(member_ids)
        query = query.where(col(CheckIn.member_id).in_(ids))
        lead_query = lead_query.where(col(Lead.owner_id).in_(ids))
        touch_query = touch_query.where(col(Lead.owner_id).in_(ids))
    answers = [
        _answer_row(a, c, members[a.member_id],
                    names.get(members[a.member_id].manager_id or -1))
        for a, c in (await session.exec(query.order_by(col(CheckIn.occurrence_at), col(Answer.id)))).all()]
    leads = [_lead_row(lead, names.get(lead.owner_id, ""), strategy)
             for lead in (await session.exec(lead_query.order_by(col(Lead.id)))).all()]
    touches = [{"lead_id": e.lead_id, "external_id": lead.external_id, "at": _iso(e.at),
                "member": names.get(e.member_id or -1), "via": e.via, "detail": e.detail}
               for e, lead in (await session.exec(touch_query.order_by(col(LeadEvent.at)))).all()]
    return Export(answers, leads, touches)


def write_json(export: Export) -> str:
    return json.dumps({name: export.table(name) for name in TABLES}, indent=2, ensure_ascii=False)


def write_csv(export: Export, folder: Path) -> list[Path]:
    """One CSV per table (answers.csv, leads.csv, touches.csv), with a header even when empty."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in TABLES:
        rows = export.table(name)
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(_columns(name, rows)))
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


_EMPTY_COLUMNS = {
    "answers": ("answer_id", "member", "email", "role", "manager", "occurrence_at", "answered_at",
                "question", "text", "overall", "scores", "tasks", "unmapped", "critical_missing",
                "segments_in", "segments_out", "word_count", "within_limit", "components_covered",
                "evaluator", "strategy_version"),
    "leads": ("lead_id", "source", "external_id", "company", "segment", "in_scope", "owner",
              "engaged_at", "content", "status", "status_reason", "touches", "first_touch_at",
              "last_touch_at", "minutes_to_first_touch", "next_due_at"),
    "touches": ("lead_id", "external_id", "at", "member", "via", "detail"),
}


def _columns(name: str, rows: list[dict[str, Any]]) -> Sequence[str]:
    return list(rows[0]) if rows else _EMPTY_COLUMNS[name]


class ExportError(Exception):
    """The operator asked for something we cannot export; the message says why."""


async def export_from(db_url: str, strategy: Strategy, since: datetime,
                      team: str | None = None) -> Export:
    """Open the database, resolve `--team` to a manager's team tree, and collect the rows."""
    from bot.digest.team import team_tree
    from bot.people.members import MemberDirectory
    from bot.storage.database import Database

    db = Database(db_url)
    try:
        await db.migrate()  # an empty or older database exports what it has, never a traceback
        async with db.session() as session:
            ids: list[int] | None = None
            if team is not None:
                matches = await MemberDirectory(session).find(team)
                if len(matches) != 1:
                    raise ExportError(f"--team {team}: {'no' if not matches else 'several'} members"
                                      " match; use the manager's exact name or email.")
                tree = await team_tree(session, matches[0])
                if not tree:
                    raise ExportError(f"--team {team}: {matches[0].name} has no reports.")
                ids = [m.id for m in tree if m.id is not None]
            return await collect(session, strategy, since, ids)
    finally:
        await db.dispose()
