"""A digest as a core `Message`: a heading, sections of text and fact lists, and the chart image.

Adapters render the blocks natively (Block Kit, Adaptive Cards, terminal text); `Message.text`
is the same content as plain text for platforms or notifications that show only that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.digest.actions import Action
from bot.digest.figures import DigestFigures, RepFigures, Trend
from bot.digest.texts import DigestTexts
from bot.events import Block, Fact, FactList, Image, Message, Text
from bot.leads.metrics import FollowUp
from bot.strategy.schema import Strategy

COVERED_SHARE = 0.5


@dataclass(frozen=True)
class Digest:
    """Everything one digest says, ready to render."""

    figures: DigestFigures
    actions: list[Action]
    warning: str | None
    chart: bytes | None
    zone: ZoneInfo


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100)}%"


def duration(value: timedelta | None) -> str:
    if value is None:
        return "n/a"
    minutes = value.total_seconds() / 60
    if minutes < 90:
        return f"{round(minutes)} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


class DigestRenderer:
    """Turns a Digest into a Message in the wording of prompts/digest.yaml."""

    def __init__(self, texts: DigestTexts, strategy: Strategy) -> None:
        self.t = texts
        self.strategy = strategy

    def message(self, digest: Digest) -> Message:
        f, zone = digest.figures, digest.zone
        title = self.t.say("title", team=f.title, period=f.period.label)
        last_day = f.period.end.astimezone(zone) - timedelta(seconds=1)
        subtitle = self.t.say("subtitle", start=f.period.start.astimezone(zone).strftime("%a %d %b %Y"),
                              end=last_day.strftime("%a %d %b %Y"), zone=zone.key,
                              previous=f.previous.label)
        blocks: list[Block] = [Text(title, style="heading"), Text(subtitle, style="muted")]
        if digest.warning:
            blocks.append(Text(digest.warning))
        blocks += self._section("participation", self._participation(f))
        blocks += self._section("articulation", self._articulation(f))
        blocks += self._section("scope", self._scope(f))
        blocks += self._section("tasks", self._tasks(f))
        blocks += self._section("unmapped", self._unmapped(f))
        blocks += self._section("leads", self._leads(f))
        blocks += self._section("trend", [Text("\n".join(self._trend(t) for t in f.trends))])
        blocks += self._section("actions", self._actions(digest.actions))
        if digest.chart:
            blocks.append(Image(digest.chart, self.t.say("chart.alt", team=f.title),
                                filename=f"digest-{f.period.end.astimezone(zone):%Y-%m-%d}.png"))
        return Message(text=_plain(blocks), blocks=tuple(blocks))

    def _section(self, name: str, body: list[Block]) -> list[Block]:
        return [Text(self.t.say(f"sections.{name}"), style="heading"), *body]

    @staticmethod
    def _facts(reps: list[RepFigures], value: Callable[[RepFigures], str]) -> FactList:
        return FactList(tuple(Fact(r.name, value(r)) for r in reps))

    def _participation(self, f: DigestFigures) -> list[Block]:
        p = f.participation
        if not p.asked:
            return [Text(self.t.say("participation.none"))]
        total = self.t.say("participation.total", answered=p.answered, asked=p.asked,
                           rate=pct(p.rate), late=p.late, missed=p.missed, open=p.open)
        return [Text(total), self._facts(f.reps, lambda r: self.t.say(
            "participation.rep", answered=r.participation.answered, asked=r.participation.asked,
            late=r.participation.late, missed=r.participation.missed))]

    def _articulation(self, f: DigestFigures) -> list[Block]:
        total = self.t.say("articulation.total", count=len(f.articulating), stated=len(f.stated))
        return [Text(total), self._facts(f.reps, self._statement)]

    def _statement(self, rep: RepFigures) -> str:
        a = rep.articulation
        if a is None:
            return self.t.say("articulation.none")
        if a.articulates:
            return self.t.say("articulation.ok", words=a.words)
        parts = [] if a.within_limit else [self.t.say("articulation.over", words=a.words, limit=50)]
        if a.missing:
            parts.append(self.t.say("articulation.missing", items=", ".join(a.missing)))
        return "; ".join(parts)

    def _scope(self, f: DigestFigures) -> list[Block]:
        if not f.segments:
            return [Text(self.t.say("scope.none"))]
        return [Text("\n".join(self.t.say(
            "scope.in" if s.in_scope else "scope.out", segment=s.name,
            members=", ".join(s.members) or self.t.say("scope.nobody"), mentions=s.mentions,
            leads=s.leads) for s in f.segments))]

    def _tasks(self, f: DigestFigures) -> list[Block]:
        if not f.task_reporters:
            return [Text(self.t.say("tasks.none"))]
        lines = [self.t.say("tasks.covered", mark=self._mark(t.critical, t.share), task=t.name,
                            critical=" " + self.t.say("tasks.critical") if t.critical else "",
                            members=t.members, reporters=f.task_reporters, share=pct(t.share))
                 for t in f.tasks if t.members or t.critical]
        neglected = [t.name for t in f.tasks if not t.members]
        if neglected:
            lines.append(self.t.say("tasks.neglected", items=", ".join(neglected)))
        return [Text("\n".join(lines))]

    @staticmethod
    def _mark(critical: bool, share: float | None) -> str:
        if share is not None and share >= COVERED_SHARE:
            return "✅"
        return "⚠" if critical else "➖"

    def _unmapped(self, f: DigestFigures) -> list[Block]:
        if not f.unmapped:
            return [Text(self.t.say("unmapped.none"))]
        return [Text("\n".join(self.t.say("unmapped.item", text=text, count=count)
                               for text, count in f.unmapped))]

    def _leads(self, f: DigestFigures) -> list[Block]:
        lead = f.follow_up
        if not lead.leads and not lead.overdue:
            return [Text(self.t.say("leads.none"))]
        blocks: list[Block] = [Text(self._lead_total(lead))]
        owners = [r for r in f.reps if r.follow_up.leads or r.follow_up.overdue]
        if owners:
            blocks.append(self._facts(owners, lambda r: self.t.say(
                "leads.rep", leads=r.follow_up.leads, median=duration(r.follow_up.median_first_touch),
                within_1h=pct(r.follow_up.within_1h), overdue=r.follow_up.overdue,
                never=r.follow_up.never_touched)))
        segments = [self.t.say("leads.segment", segment=self._segment_name(sid), leads=s.leads,
                               within_24h=pct(s.within_24h), never=s.never_touched)
                    for sid, s in f.follow_up_by_segment.items() if s.leads]
        if segments:
            blocks.append(Text("\n".join(segments)))
        return blocks

    def _lead_total(self, lead: FollowUp) -> str:
        per_lead = "n/a" if lead.touches_per_lead is None else f"{lead.touches_per_lead:.1f}"
        return self.t.say("leads.total", leads=lead.leads, median=duration(lead.median_first_touch),
                          within_1h=pct(lead.within_1h), within_24h=pct(lead.within_24h),
                          per_lead=per_lead, overdue=lead.overdue, never=lead.never_touched)

    def _segment_name(self, segment_id: str) -> str:
        return next((s.name for s in self.strategy.segments if s.id == segment_id), segment_id)

    def _trend(self, trend: Trend) -> str:
        percent = trend.name in ("answer_rate", "leads_within_24h")
        show = pct if percent else score
        if trend.previous is None:
            change = self.t.say("trend.new")
        elif trend.delta is None or trend.delta == 0:
            change = self.t.say("trend.same", previous=show(trend.previous))
        else:
            delta = (f"{round(abs(trend.delta) * 100)} pts" if percent else f"{abs(trend.delta):.2f}")
            change = self.t.say("trend.up" if trend.delta > 0 else "trend.down", delta=delta,
                                previous=show(trend.previous))
        return self.t.say("trend.line", name=self.t.say(f"trend.names.{trend.name}"),
                          current=show(trend.current), change=change)

    def _actions(self, actions: list[Action]) -> list[Block]:
        if not actions:
            return [Text(self.t.say("actions.none"))]
        return [Text("\n".join(self.t.say("actions.line", lever=self.t.say(f"levers.{a.lever}"),
                                          text=a.text, evidence=a.evidence) for a in actions))]


def _plain(blocks: list[Block]) -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Text):
            lines.append(f"*{block.text}*" if block.style == "heading" else block.text)
        elif isinstance(block, FactList):
            lines.extend(f"  {fact.label}: {fact.value}" for fact in block.facts)
        elif isinstance(block, Image):
            lines.append(f"[chart: {block.alt}]")
    return "\n".join(lines)
