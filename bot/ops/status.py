"""What admins need to see without reading logs: messages that could not be delivered (for good,
or failed for now and waiting to be retried) by kind and platform, people the bot cannot reach,
answers the LLM could not judge, and whether the scheduler is ticking, late or failing.

Everything is read from the database, so any process answers for all of them. `/align status`
shows it; `bot.ops.alerts` messages admins once a day when deliveries failed for good.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from bot.context import BotContext
from bot.events import Fact, FactList, Message, Text
from bot.ops.heartbeat import Heartbeats
from bot.prompts import Prompts
from bot.storage.models import Answer, CrmSync, Heartbeat, Member, OutboundMessage, literal_states
from bot.text import shorten

WINDOW = timedelta(hours=24)
SHOWN = 10  # failures listed one by one; the rest are counted
ALERT_KIND = "alert"  # the outbox kind of the daily failure alert (not itself reported)


@dataclass(frozen=True)
class FailedSend:
    kind: str
    platform: str
    member: str
    error: str
    at: datetime  # the last attempt


@dataclass
class SystemStatus:
    since: datetime
    now: datetime
    sent: int = 0
    failed: list[FailedSend] = field(default_factory=list)  # for good
    retrying: list[FailedSend] = field(default_factory=list)  # failed for now, retried later
    unreachable: list[tuple[str, str, str]] = field(default_factory=list)  # name, platform, why
    judged: int = 0
    fallbacks: Counter[str] = field(default_factory=Counter)  # reason -> answers
    tick: Heartbeat | None = None
    crm: list[CrmSync] = field(default_factory=list)  # each CRM's last lead sync
    evaluator: str = ""  # the evaluator actually in use ("rules", "llm (gpt-4o-mini) ...")


async def failed_sends(ctx: BotContext, since: datetime, state: str = "failed") -> list[FailedSend]:
    """Sends in `state` whose last attempt was at or after `since`, newest first (failed: given
    up; claimed with an error: failed for now, waiting for the next pass)."""
    query = (select(OutboundMessage, Member).join(Member, col(Member.id) == OutboundMessage.member_id)
             .where(OutboundMessage.state == state, col(OutboundMessage.claimed_at) >= since,
                    literal_states(col(OutboundMessage.state), ("sent",), negate=True),  # unsent index
                    col(OutboundMessage.kind) != ALERT_KIND, col(OutboundMessage.error).is_not(None))
             .order_by(col(OutboundMessage.claimed_at).desc()))
    async with ctx.db.session() as session:
        rows = (await session.exec(query)).all()
    return [FailedSend(row.kind, member.platform, member.name, shorten(row.error or "", 200),
                       row.claimed_at) for row, member in rows]


async def gather(ctx: BotContext, window: timedelta = WINDOW) -> SystemStatus:
    now = ctx.clock.now()
    status = SystemStatus(since=now - window, now=now)
    status.failed = await failed_sends(ctx, status.since)
    status.retrying = await failed_sends(ctx, status.since, state="claimed")
    async with ctx.db.session() as session:
        status.sent = (await session.exec(select(func.count()).select_from(OutboundMessage).where(
            OutboundMessage.state == "sent", col(OutboundMessage.sent_at) >= status.since))).one()
        status.unreachable = [(m.name, m.platform, m.unreachable or "") for m in (await session.exec(
            select(Member).where(col(Member.active).is_(True), col(Member.unreachable).is_not(None))
            .order_by(col(Member.name)))).all()]
        judged = select(Answer.evaluation).where(col(Answer.updated_at) >= status.since,
                                                 col(Answer.evaluation).is_not(None))
        status.judged = (await session.exec(select(func.count()).select_from(judged.subquery()))).one()
        fell_back = (await session.exec(judged.where(
            col(Answer.evaluation).contains('"fallback_reason":"')))).all()
        status.crm = list((await session.exec(select(CrmSync).order_by(col(CrmSync.source)))).all())
    for evaluation in fell_back:
        reason = json.loads(evaluation or "{}").get("fallback_reason") or "unknown"
        status.fallbacks[reason.split("; used ")[0]] += 1
    status.tick = await Heartbeats(ctx).latest()
    return status


def _ago(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _by_kind(sends: list[FailedSend]) -> str:
    counts = Counter(f"{s.kind} ({s.platform})" for s in sends)
    return ", ".join(f"{what}: {n}" for what, n in counts.most_common())


class StatusReport:
    """The status as a message, in the reader's time zone, worded from prompts/messages.yaml."""

    def __init__(self, prompts: Prompts, zone: ZoneInfo, tick_seconds: float) -> None:
        self.say = prompts.say
        self.zone = zone
        self.tick_seconds = tick_seconds

    def message(self, status: SystemStatus) -> Message:
        hours = round((status.now - status.since).total_seconds() / 3600)
        title = self.say("status_title", hours=hours)
        blocks: list[Text | FactList] = [Text(title, style="heading"), self._deliveries(status)]
        blocks += [Text(self._line(s), style="muted") for s in status.failed[:SHOWN]]
        if len(status.failed) > SHOWN:
            blocks.append(Text(self.say("status_more", count=len(status.failed) - SHOWN), style="muted"))
        blocks += [self._unreachable(status), self._evaluation(status), self._scheduler(status)]
        if status.crm:
            blocks.append(self._crm(status))
        text = "\n".join(b.text if isinstance(b, Text) else "\n".join(
            [b.title] + [f"{f.label}: {f.value}" for f in b.facts]) for b in blocks)
        return Message(text=text, blocks=tuple(blocks))

    def _when(self, at: datetime) -> str:
        return at.astimezone(self.zone).strftime("%a %d %b %H:%M")

    def _line(self, send: FailedSend) -> str:
        return self.say("status_failure_line", kind=send.kind, name=send.member,
                        platform=send.platform, when=self._when(send.at), error=send.error)

    def _deliveries(self, status: SystemStatus) -> FactList:
        failed = (self.say("status_failed_count", count=len(status.failed), kinds=_by_kind(status.failed))
                  if status.failed else self.say("status_none"))
        retrying = (self.say("status_failed_count", count=len(status.retrying),
                             kinds=_by_kind(status.retrying))
                    if status.retrying else self.say("status_none"))
        return FactList((Fact(self.say("status_sent"), str(status.sent)),
                         Fact(self.say("status_failed"), failed),
                         Fact(self.say("status_retrying"), retrying)),
                        title=self.say("status_deliveries"))

    def _unreachable(self, status: SystemStatus) -> FactList:
        facts = tuple(Fact(name, f"{platform}: {why}") for name, platform, why in status.unreachable)
        return FactList(facts or (Fact(self.say("status_everyone"), self.say("status_reachable")),),
                        title=self.say("status_unreachable", count=len(status.unreachable)))

    def _evaluation(self, status: SystemStatus) -> FactList:
        total = sum(status.fallbacks.values())
        reasons = "; ".join(f"{reason} ({n})" for reason, n in status.fallbacks.most_common(3))
        facts = [Fact(self.say("status_evaluator"), status.evaluator)] if status.evaluator else []
        if status.evaluator.startswith("llm") or total:
            value = (self.say("status_fallbacks", count=total, judged=status.judged, reasons=reasons)
                     if total else self.say("status_no_fallbacks", judged=status.judged))
            facts.append(Fact(self.say("status_llm"), value))
        return FactList(tuple(facts), title=self.say("status_evaluation"))

    def _crm(self, status: SystemStatus) -> FactList:
        """Each CRM's last sync: when, what it took, how far behind we may be (the lag: time since
        the last run without an error) and the error that stopped the last run, if any."""
        facts = []
        for sync in status.crm:
            if sync.finished_at is None:
                facts.append(Fact(sync.source, self.say("status_crm_never")))
                continue
            line = self.say("status_crm_run", ago=_ago(status.now - sync.finished_at),
                            imported=sync.imported, rejected=sync.rejected,
                            lag=_ago(status.now - sync.ok_at) if sync.ok_at
                            else self.say("status_never"))
            if sync.error:
                line += " " + self.say("status_crm_error", error=shorten(sync.error, 200))
            facts.append(Fact(sync.source, line))
        return FactList(tuple(facts), title=self.say("status_crm"))

    def _scheduler(self, status: SystemStatus) -> FactList:
        tick = status.tick
        title = self.say("status_scheduler")
        if tick is None:
            return FactList((Fact(self.say("status_last_tick"), self.say("status_no_tick")),), title=title)
        age = status.now - tick.beat_at
        last = self.say("status_tick", ago=_ago(age), process=tick.process,
                        lag=f"{tick.lag_seconds:.1f} s", duration=f"{tick.duration_seconds:.1f} s")
        facts = [Fact(self.say("status_last_tick"), last)]
        if age > timedelta(seconds=max(3 * self.tick_seconds, 300)):
            facts.append(Fact("⚠", self.say("status_tick_stale", ago=_ago(age))))
        if tick.failures:
            ok = self._when(tick.ok_at) if tick.ok_at else self.say("status_never")
            facts.append(Fact("⚠", self.say("status_tick_failing", failures=tick.failures,
                                             error=tick.error or "", ok=ok)))
        return FactList(tuple(facts), title=title)


__all__ = ["ALERT_KIND", "FailedSend", "StatusReport", "SystemStatus", "failed_sends", "gather"]
