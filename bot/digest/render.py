"""A digest as a core `Message`, built for a VP's minute: one screen first - a headline (the
biggest change since the last period), at most one ranked action per lever, where managers and
reps disagree, five figures and the chart - and everything else (per-rep lines, segments, tasks,
leads, trends, the other actions) in a `Details` block one click away.

The first screen has a fixed number of blocks and lines whatever the team's size: a 50-rep team
gets the same screen as a 5-rep one, with names cut to a few and "and N more".

Adapters render the blocks natively (Block Kit, Adaptive Cards, terminal text); `Message.text`
is the whole digest as plain text for platforms or notifications that show only that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.digest.actions import LEVERS, Action
from bot.digest.corrections import CorrectionNote
from bot.digest.figures import DigestFigures, Mismatch, RepFigures, Trend
from bot.digest.texts import DigestTexts
from bot.events import Block, Button, Buttons, Details, Fact, FactList, Image, Message, Text
from bot.leads.metrics import FollowUp
from bot.strategy.schema import Strategy

COVERED_SHARE = 0.5
MAX_MEMBERS = 15  # per-member lines shown in a section
MAX_MISMATCHES = 1  # on the first screen; the rest are in the details
MAX_CRITICAL_SHOWN = 3
MAX_CORRECTION_BUTTONS = 2  # corrections with buttons on the first screen (Slack: 25 per block)
PERCENT_TRENDS = ("answer_rate", "leads_within_24h")


@dataclass(frozen=True)
class Digest:
    """Everything one digest says, ready to render."""

    figures: DigestFigures
    actions: list[Action]
    warning: str | None
    chart: bytes | None
    zone: ZoneInfo
    generated_at: datetime  # when it was built (the injected clock): names the chart file
    more_actions: list[Action] = field(default_factory=list)  # supported, but not the lever's first
    corrections: list[CorrectionNote] = field(default_factory=list)  # the team's "Not right?"s
    rejudged: int = 0  # answers re-judged under a newer strategy version on purpose
    strategy_version: str = ""


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
        blocks.append(Text(self.headline(f)))
        blocks += self._section("actions", self._actions(f, digest.actions))
        if f.mismatches:
            blocks.append(Text("\n".join(self._mismatch(m) for m in f.mismatches[:MAX_MISMATCHES])))
        blocks += self._section("figures", [self._figures(f)])
        blocks += self._corrections_first(digest)
        if digest.chart:
            run_day = digest.generated_at.astimezone(zone)
            blocks.append(Image(digest.chart, self.t.say("chart.alt", team=f.title),
                                filename=f"digest-{run_day:%Y-%m-%d}.png"))
        details = self._details(digest)
        blocks.append(Details(self.t.say("details"), tuple(details)))
        # the plain text is for where blocks are not shown (search, notifications, plain-text
        # clients): there nothing is one click away, so it holds the details too
        return Message(text=_plain([*blocks[:-1], Text(self.t.say("details"), style="heading"),
                                    *details]), blocks=tuple(blocks))

    def headline(self, f: DigestFigures) -> str:
        """The biggest change since the last period in one sentence - or, with no substantive
        answer at all, that there is no data (never a reassurance)."""
        if not f.has_data:
            return self.t.say("headline.no_data", open=f.participation.open)
        changed = [t for t in f.trends if t.delta]
        if changed:
            biggest = max(changed, key=lambda t: abs(t.delta or 0))
            show = pct if biggest.name in PERCENT_TRENDS else score
            return self.t.say("headline.change", previous=f.previous.label,
                              name=self.t.say(f"trend.names.{biggest.name}"),
                              direction=self.t.say("headline.up" if (biggest.delta or 0) > 0
                                                   else "headline.down"),
                              before=show(biggest.previous), now=show(biggest.current))
        known = [t for t in f.trends if t.current is not None and t.name in ("strategy", "scope", "tasks")]
        if not known:
            return self.t.say("headline.no_data", open=f.participation.open)
        lowest = min(known, key=lambda t: t.current or 0.0)
        key = "headline.steady" if lowest.previous is not None else "headline.first"
        name = self.t.say(f"trend.names.{lowest.name}")
        return self.t.say(key, previous=f.previous.label, name=name[:1].lower() + name[1:],
                          now=score(lowest.current))  # mid-sentence: "the weakest part is sales tasks"

    def _figures(self, f: DigestFigures) -> FactList:
        """Five lines, whatever the team's size."""
        p, lead = f.participation, f.follow_up
        critical = [t for t in f.tasks if t.critical]
        tasks = ", ".join(f"{t.name} {pct(t.share or 0.0)}" for t in critical[:MAX_CRITICAL_SHOWN])
        if len(critical) > MAX_CRITICAL_SHOWN:
            tasks += f" (+{len(critical) - MAX_CRITICAL_SHOWN})"
        effort = f.effort
        inside, out, none = (on + off + against for _, on, off, against in effort.rows())
        in_scope = inside / effort.total if effort.total else None
        lines = [
            self.t.say("figures.answers", answered=p.answered, closed=p.closed, rate=pct(p.rate),
                       open=p.open),
            self.t.say("figures.statement", count=len(f.articulating), stated=len(f.stated)),
            self.t.say("figures.scope", share=pct(in_scope), inside=inside, out=out, none=none),
            self.t.say("figures.tasks", items=tasks if f.task_reporters else "n/a"),
            self.t.say("figures.leads", leads=lead.leads, within_1h=pct(lead.within_1h),
                       overdue=lead.overdue, never=lead.never_touched),
        ]
        facts = []
        for line in lines:
            label, _, value = line.partition(": ")
            facts.append(Fact(label, value))
        return FactList(tuple(facts))

    def _mismatch(self, m: Mismatch) -> str:
        reps = "; ".join(self.t.say("consistency.rep", name=q.name, said=q.text) for q in m.reps)
        differ = []
        if m.manager_only:
            differ.append(self.t.say("consistency.manager_only", manager=m.manager.name,
                                     items=", ".join(m.manager_only)))
        if m.reps_only:
            differ.append(self.t.say("consistency.reps_only", items=", ".join(m.reps_only)))
        return self.t.say("consistency.line", manager=m.manager.name,
                          kind=self.t.say(f"consistency.kinds.{m.kind}"), said=m.manager.text,
                          reps=reps, differ=" ".join(differ))

    def _details(self, digest: Digest) -> list[Text | FactList]:
        f = digest.figures
        blocks: list[Block] = []
        if digest.more_actions:
            blocks += self._section("more_actions", [Text("\n".join(
                self._action_line(i, a) for i, a in enumerate(digest.more_actions, 1)))])
        blocks += self._section("participation", self._participation(f))
        blocks += self._section("articulation", self._articulation(f))
        blocks += self._section("scope", self._scope(f))
        blocks += self._section("tasks", self._tasks(f))
        blocks += self._section("unmapped", self._unmapped(f))
        blocks += self._section("leads", self._leads(f))
        blocks += self._section("consistency", [Text(
            "\n".join(self._mismatch(m) for m in f.mismatches) if f.mismatches
            else self.t.say("consistency.none" if f.managers_compared else "consistency.no_data"))])
        if f.said_nothing:
            blocks += self._section("said_nothing", [Text("\n".join(
                self.t.say("said_nothing.item", name=q.name, question=q.question, text=q.text)
                for q in f.said_nothing[:MAX_MEMBERS]))])
        blocks += self._section("trend", [Text("\n".join(self._trend(t) for t in f.trends))])
        if digest.corrections:
            blocks += self._section("corrections", [Text("\n".join(
                [*(c.line for c in digest.corrections), self.t.say("corrections.how")]))])
        return [b for b in blocks if isinstance(b, Text | FactList)]

    def _corrections_first(self, digest: Digest) -> list[Block]:
        """One line and the latest few Undo / Confirm buttons; the list is in the details."""
        blocks: list[Block] = []
        if digest.rejudged:
            blocks.append(Text(self.t.say("corrections.rejudged", count=digest.rejudged,
                                          version=digest.strategy_version)))
        if not digest.corrections:
            return blocks
        waiting = sum(c.waiting for c in digest.corrections)
        blocks.append(Text(self.t.say("corrections.line", count=len(digest.corrections),
                                      waiting=waiting)))
        buttons = []
        for note in digest.corrections[:MAX_CORRECTION_BUTTONS]:
            if note.waiting:
                buttons.append(Button(f"correction:confirm:{note.id}",
                                      self.t.say("corrections.confirm", id=note.id, name=note.name)))
            buttons.append(Button(f"correction:undo:{note.id}",
                                  self.t.say("corrections.undo", id=note.id, name=note.name),
                                  style="danger"))
        return [*blocks, Buttons(tuple(buttons))]

    def _section(self, name: str, body: list[Block]) -> list[Block]:
        return [Text(self.t.say(f"sections.{name}"), style="heading"), *body]

    def _facts(self, reps: list[RepFigures], value: Callable[[RepFigures], str],
               attention: Callable[[RepFigures], tuple[float, ...]]) -> list[Block]:
        """One line per member, those needing attention first; a large team (a whole
        organisation) is cut at MAX_MEMBERS lines so the digest stays readable in chat."""
        ordered = sorted(reps, key=lambda r: (*attention(r), r.name.lower()))
        blocks: list[Block] = [FactList(tuple(Fact(r.name, value(r)) for r in ordered[:MAX_MEMBERS]))]
        if len(ordered) > MAX_MEMBERS:
            blocks.append(Text(self.t.say("more", count=len(ordered) - MAX_MEMBERS), style="muted"))
        return blocks

    def _participation(self, f: DigestFigures) -> list[Block]:
        p = f.participation
        if not p.asked:
            return [Text(self.t.say("participation.none"))]
        total = self.t.say("participation.total", answered=p.answered, closed=p.closed,
                           rate=pct(p.rate), late=p.late, missed=p.missed, open=p.open)
        return [Text(total), *self._facts(f.reps, lambda r: self.t.say(
            "participation.rep", answered=r.participation.answered, asked=r.participation.asked,
            late=r.participation.late, missed=r.participation.missed),
            lambda r: (-r.participation.missed, r.participation.rate or 0.0, -r.participation.late))]

    def _articulation(self, f: DigestFigures) -> list[Block]:
        total = self.t.say("articulation.total", count=len(f.articulating), stated=len(f.stated))
        return [Text(total), *self._facts(f.reps, self._statement, lambda r: (
            2 if r.articulation and r.articulation.articulates else 1 if r.articulation is None
            else 0,))]

    def _statement(self, rep: RepFigures) -> str:
        a = rep.articulation
        if a is None:
            return self.t.say("articulation.none")
        if a.articulates:
            return self.t.say("articulation.ok", words=a.words)
        parts = [] if a.within_limit else [self.t.say("articulation.over", words=a.words, limit=50)]
        if a.wrong:
            parts.append(self.t.say("articulation.wrong", items=", ".join(a.wrong)))
        if a.missing:
            parts.append(self.t.say("articulation.missing", items=", ".join(a.missing)))
        return "; ".join(parts)

    def _scope(self, f: DigestFigures) -> list[Block]:
        if not f.segments:
            return [Text(self.t.say("scope.none"))]
        return [Text("\n".join(self.t.say(
            "scope.in" if s.in_scope else "scope.out", segment=s.name,
            members=", ".join(s.members) or self.t.say("scope.nobody"), count=s.mentions,
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
        if not f.activities:
            return [Text(self.t.say("unmapped.no_data"))]
        if not f.unmapped:
            return [Text(self.t.say("unmapped.none"))]
        return [Text("\n".join(self.t.say("unmapped.item", text=text, count=count)
                               for text, count in f.unmapped))]

    def _leads(self, f: DigestFigures) -> list[Block]:
        lead = f.follow_up
        if not lead.leads and not lead.overdue and not lead.never_touched:
            return [Text(self.t.say("leads.none"))]
        blocks: list[Block] = [Text(self._lead_total(lead))]
        if f.untouched:
            items = "; ".join(self.t.say("leads.untouched_item", owner=owner,
                                         segment=self._segment_name(segment), days=round(days))
                              for owner, segment, days in f.untouched[:MAX_MEMBERS])
            more = len(f.untouched) - MAX_MEMBERS
            blocks.append(Text(self.t.say("leads.untouched", items=items)
                               + (f" (+{more})" if more > 0 else "")))
        owners = [r for r in f.reps if r.follow_up.leads or r.follow_up.overdue
                  or r.follow_up.never_touched]
        if owners:
            blocks.extend(self._facts(owners, lambda r: self.t.say(
                "leads.rep", leads=r.follow_up.leads, median=duration(r.follow_up.median_first_touch),
                within_1h=pct(r.follow_up.within_1h), overdue=r.follow_up.overdue,
                never=r.follow_up.never_touched),
                lambda r: (-r.follow_up.overdue, -r.follow_up.never_touched)))
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
        percent = trend.name in PERCENT_TRENDS
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

    def _actions(self, f: DigestFigures, actions: list[Action]) -> list[Block]:
        if not actions:
            return [Text(self.t.say("actions.none" if f.has_data else "actions.no_data"))]
        return [Text("\n".join(self._action_line(i, a) for i, a in enumerate(actions, 1)))]

    def _action_line(self, rank: int, action: Action) -> str:
        return self.t.say("actions.line", rank=rank, lever=self.t.say(f"levers.{action.lever}"),
                          text=action.text, evidence=action.evidence)


assert set(LEVERS) == {"people", "control", "environment"}  # one levers.<name> text each


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
