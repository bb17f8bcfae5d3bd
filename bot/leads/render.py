"""How leads read in messages: a nudge, an escalation, a lead after an action, a list.

Everything is built from the core's neutral blocks (Text, FactList, Buttons), so Slack, Teams and
the console each render a nudge natively. A nudge keeps to a few blocks per lead and at most
`MAX_LEADS_PER_MESSAGE` leads, well inside Block Kit's 50 blocks per message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.events import Block, Button, Buttons, Fact, FactList, Message, Text
from bot.leads.cadence import DueStep
from bot.prompts import Prompts
from bot.storage.models import Lead, Member
from bot.strategy.schema import ContentItem, Segment, Strategy

MAX_LEADS_PER_MESSAGE = 10
MAX_REASSIGN_BUTTONS = 3  # "Give to ..." buttons per escalated lead, besides "Take it myself"


@dataclass(frozen=True)
class LeadCard:
    """A lead with what the reader needs to act on it."""

    lead: Lead
    owner: Member
    due: DueStep | None


def local(instant: datetime, member: Member) -> str:
    """An instant in the reader's own zone: "Tue 03 Mar 10:00"."""
    try:
        zone = ZoneInfo(member.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return instant.astimezone(zone).strftime("%a %d %b %H:%M")


def due_text(due: DueStep | None, now: datetime, reader: Member) -> str:
    if due is None:
        return "no follow-up due"
    if now - timedelta(minutes=1) < due.due_at <= now:
        return "due now"
    if due.due_at <= now:
        return f"overdue since {local(due.due_at, reader)} ({_ago(now - due.due_at)})"
    return f"due {local(due.due_at, reader)}"


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def suggested_content(strategy: Strategy, lead: Lead) -> list[ContentItem]:
    """Content to send next: for the lead's segment, not yet engaged with, at the stage of what it
    last engaged with first, then the library's following stages."""
    seen = [c for c in lead.content.split(";") if c]
    items = strategy.content_for(lead.segment)
    stages = list(dict.fromkeys(c.stage for c in items))
    last = next((c.stage for c in items if seen and c.id == seen[-1]), stages[0] if stages else "")
    start = stages.index(last) if last in stages else 0
    order = {stage: (i - start) % max(1, len(stages)) for i, stage in enumerate(stages)}
    fresh = [c for c in items if c.id not in seen]
    return sorted(fresh, key=lambda c: order.get(c.stage, 0))[:2]


def engaged_text(strategy: Strategy, lead: Lead, reader: Member) -> str:
    titles = {c.id: c.title for c in strategy.content}
    seen = [titles.get(c, c) for c in lead.content.split(";") if c]
    what = ", ".join(f"'{t}'" for t in seen) or "our website"
    return f"{what} - {local(lead.engaged_at, reader)}"


def out_of_scope(strategy: Strategy, lead: Lead) -> Segment | None:
    """The lead's segment when the strategy deliberately does not play there: such a lead is to be
    qualified out, not followed up (the strategy's qualify-out task)."""
    segment = next((s for s in strategy.segments if s.id == lead.segment), None)
    return segment if segment is not None and not segment.in_scope else None


def out_of_scope_blocks(prompts: Prompts, strategy: Strategy, lead: Lead, segment: Segment,
                        reader: Member, outcome: str | None) -> list[Block]:
    """An out-of-scope lead: "disqualify?" with the strategy's reason, and no follow-up buttons."""
    line = prompts.say("lead_out_of_scope_line", company=lead.company,
                       contact=lead.contact_name or "no contact", segment=segment.name)
    blocks: list[Block] = [Text(line), FactList((
        Fact("Why", _out_of_scope_why(prompts, segment)),
        Fact("Engaged with", engaged_text(strategy, lead, reader))))]
    if outcome:
        blocks.append(Text(outcome, style="muted"))
    else:
        blocks.append(_out_of_scope_buttons(prompts, lead, segment))
    return blocks


def _out_of_scope_why(prompts: Prompts, segment: Segment) -> str:
    """The strategy's own reason for not playing in the segment (its description)."""
    return prompts.say("lead_out_of_scope_why", segment=segment.name,
                       reason=segment.description or "it is outside our scope")


def _out_of_scope_buttons(prompts: Prompts, lead: Lead, segment: Segment) -> Buttons:
    return Buttons((Button(
        f"lead:disqualify:{lead.id}", prompts.say("lead_out_of_scope_button"), style="danger",
        value=prompts.say("lead_out_of_scope_reason", segment=segment.name)),))


def lead_blocks(prompts: Prompts, strategy: Strategy, card: LeadCard, reader: Member,
                now: datetime, actions: bool = True, outcome: str | None = None) -> list[Block]:
    """One lead: a line, what it engaged with, suggested content, and buttons or the outcome."""
    if (excluded := out_of_scope(strategy, card.lead)) is not None:
        return out_of_scope_blocks(prompts, strategy, card.lead, excluded, reader, outcome)
    lead, policy = card.lead, strategy.cadence_for(card.lead.segment)
    segment = next((s.name for s in strategy.segments if s.id == lead.segment), lead.segment)
    step = card.due.label(policy) if card.due else ""
    line = prompts.say("lead_line", company=lead.company, contact=lead.contact_name or "no contact",
                       segment=segment, step=step, due=due_text(card.due, now, reader))
    suggestions = suggested_content(strategy, lead)
    suggest = "; ".join(f"{c.title} <{c.url}>" for c in suggestions) or prompts.say(
        "lead_suggest_none")
    blocks: list[Block] = [Text(line), FactList((
        Fact("Engaged with", engaged_text(strategy, lead, reader)),
        Fact("Send next", suggest)))]
    if outcome:
        blocks.append(Text(outcome, style="muted"))
    elif actions:
        blocks.append(Buttons(action_buttons(prompts, lead)))
    return blocks


def action_buttons(prompts: Prompts, lead: Lead) -> tuple[Button, ...]:
    return (Button(f"lead:done:{lead.id}", prompts.say("lead_done_button"), style="primary"),
            Button(f"lead:snooze:{lead.id}", prompts.say("lead_snooze_1d"), value="1d"),
            Button(f"lead:snooze:{lead.id}", prompts.say("lead_snooze_3d"), value="3d"),
            Button(f"lead:disqualify:{lead.id}", prompts.say("lead_disqualify_button"),
                   style="danger"))


def nudge_message(prompts: Prompts, strategy: Strategy, cards: Sequence[LeadCard], reader: Member,
                  now: datetime, outcomes: dict[int, str] | None = None) -> Message:
    """The one message a rep gets per nudge run, listing every lead due or overdue."""
    outcomes = outcomes or {}
    shown = cards[:MAX_LEADS_PER_MESSAGE]
    heading = prompts.say("lead_nudge_heading", count=len(cards), name=reader.name)
    blocks: list[Block] = [Text(heading, style="heading"), Text(prompts.say("lead_nudge_intro"))]
    for card in shown:
        assert card.lead.id is not None
        blocks += lead_blocks(prompts, strategy, card, reader, now,
                              outcome=outcomes.get(card.lead.id))
    if len(cards) > len(shown):
        blocks.append(Text(prompts.say("lead_nudge_more", count=len(cards) - len(shown))))
    lines = [heading] + [f"- {c.lead.company}: " + (
        prompts.say("lead_out_of_scope_text") if out_of_scope(strategy, c.lead)
        else due_text(c.due, now, reader)) for c in cards]
    return Message(text="\n".join(lines), blocks=tuple(blocks))


def reassign_buttons(prompts: Prompts, lead: Lead, manager: Member,
                     team: Sequence[Member]) -> Buttons:
    """Give the lead to someone else on the manager's team, or take it over."""
    others = [m for m in team if m.id not in (lead.owner_id, manager.id)][:MAX_REASSIGN_BUTTONS]
    buttons = [Button(f"lead:reassign:{lead.id}", prompts.say("lead_reassign_button", name=m.name),
                      value=str(m.id)) for m in others]
    if manager.id != lead.owner_id:
        buttons.append(Button(f"lead:reassign:{lead.id}", prompts.say("lead_reassign_self_button"),
                              value=str(manager.id)))
    return Buttons(tuple(buttons))


def escalation_message(prompts: Prompts, strategy: Strategy,
                       items: Sequence[tuple[LeadCard, str]], manager: Member,
                       now: datetime, team: Sequence[Member] = ()) -> Message:
    """What a manager gets when their reports' leads are overdue or the owner is away, with
    buttons to give each lead to someone on `team` (their active reports) or take it over; an
    out-of-scope lead says so, with the Disqualify button instead."""
    heading = prompts.say("lead_escalation_heading", count=len(items), name=manager.name)
    blocks: list[Block] = [Text(heading, style="heading"),
                           Text(prompts.say("lead_escalation_intro"))]
    lines = [heading]
    for card, why in items[:MAX_LEADS_PER_MESSAGE * 2]:
        policy = strategy.cadence_for(card.lead.segment)
        excluded = out_of_scope(strategy, card.lead)
        if excluded is not None:  # qualify it out rather than hand it on
            line = prompts.say("lead_escalation_line", company=card.lead.company,
                               owner=card.owner.name, step="",
                               due=prompts.say("lead_out_of_scope_text"), why="; ".join((
                                   why, _out_of_scope_why(prompts, excluded))))
            buttons = _out_of_scope_buttons(prompts, card.lead, excluded)
        else:
            line = prompts.say("lead_escalation_line", company=card.lead.company,
                               owner=card.owner.name,
                               step=card.due.label(policy) if card.due else "",
                               due=due_text(card.due, now, manager), why=why)
            buttons = reassign_buttons(prompts, card.lead, manager, team)
        blocks.append(Text(line))  # two blocks a lead: 20 leads stay inside Block Kit's 50
        lines.append(f"- {line}")
        if buttons.buttons:
            blocks.append(buttons)
    return Message(text="\n".join(lines), blocks=tuple(blocks))


def list_lines(strategy: Strategy, cards: Sequence[LeadCard], reader: Member, now: datetime,
               show_owner: bool) -> list[str]:
    """`/align leads`: one line per lead, most urgent first."""
    lines = []
    for card in cards:
        lead, policy = card.lead, strategy.cadence_for(card.lead.segment)
        owner = f" - {card.owner.name}" if show_owner else ""
        step = f"{card.due.label(policy)} " if card.due else ""
        lines.append(f"#{lead.id} {lead.company} ({lead.segment}, {lead.status}){owner}: "
                     f"{step}{due_text(card.due, now, reader)}")
    return lines
