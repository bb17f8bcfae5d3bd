"""Core messages as plain terminal text (the console's equivalent of Block Kit / Adaptive Cards)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from bot.events import Block, Buttons, ChoiceForm, Details, FactList, Image, Message, QuestionForm, Text

DETAILS_ACTION = "details"  # `/click details <n>` shows the n-th Details the console kept


def _block(block: Block, saved: Path | None = None, details: str | None = None) -> list[str]:
    if isinstance(block, Details):
        return [f"  [{block.label}: /click {DETAILS_ACTION} {details}]"] if details else []
    if isinstance(block, Text):
        return [block.text.upper() if block.style == "heading" else block.text]
    if isinstance(block, FactList):
        head = [block.title] if block.title else []
        return head + [f"  • {f.label}: {f.value}" for f in block.facts]
    if isinstance(block, Buttons):
        return ["  " + "  ".join(f"[{b.label}: /click {b.action_id}{' ' + b.value if b.value else ''}]"
                                 for b in block.buttons)]
    if isinstance(block, Image):
        return [f"  (chart saved to {saved}: {block.alt})" if saved else f"  (image: {block.alt})"]
    if isinstance(block, ChoiceForm):
        return [f"  [{block.open_label}: /click {block.form_id}]"]
    if isinstance(block, QuestionForm):
        return []  # plain chat asks the questions one at a time instead
    return []


_BOLD = re.compile(r"\*(\S(?:[^*\n]*\S)?)\*")  # *bold*, not the stars of "0 9 * * 1-5"


def render(message: Message, saved: Mapping[int, Path] | None = None,
           details: Mapping[int, str] | None = None) -> str:
    """Every block as lines of text (the fallback text when there are no blocks), with chat
    markup such as *bold* removed: a terminal shows it literally. `saved` maps the index of an
    image block to the file the console wrote it to, `details` the index of a Details block to
    the value that `/click details` shows it with (without one, a Details block is left out)."""
    lines: list[str] = []
    for index, block in enumerate(message.blocks):
        lines.extend(_block(block, (saved or {}).get(index), (details or {}).get(index)))
    return _BOLD.sub(r"\1", "\n".join(lines) if message.blocks else message.text)


def render_details(block: Details) -> str:
    """A Details block unfolded: its label, then its blocks."""
    lines = [block.label.upper()]
    for inner in block.blocks:
        lines.extend(_block(inner))
    return _BOLD.sub(r"\1", "\n".join(lines))


NONE = "-"  # `tasks=-` (or `tasks=`): none of these


def render_choices(form: ChoiceForm) -> str:
    """A ChoiceForm unfolded: each field's options numbered, [x] where chosen now, and the line
    that saves it, filled in with the current choices so it only needs editing."""
    lines = [form.title.upper()]
    current: list[str] = []
    for f in form.fields:
        lines.append(f"{f.label}:")
        lines += [f"  {f.hint}"] if f.hint else []
        picked = [str(n) for n, c in enumerate(f.options, 1) if c.value in f.initial]
        lines += [f"  [{'x' if c.value in f.initial else ' '}] {n}. {c.label} ({c.value})"
                  for n, c in enumerate(f.options, 1)]
        current.append(f"{f.field_id}={','.join(picked) or NONE}")
    lines.append(f"{form.submit_label}: /click {form.form_id} {' '.join(current)}")
    lines.append(f"  (numbers or ids, separated by commas; {NONE} for none; a field left out stays as it is)")
    return _BOLD.sub(r"\1", "\n".join(lines))


class PickError(ValueError):
    """A `/click <form> field=...` line that does not fit the form (a field it does not have)."""


def parse_picks(form: ChoiceForm, text: str) -> dict[str, str]:
    """`tasks=1,3 segments=-` as the values a submission carries: each field's chosen option
    values joined by commas. A number is the option shown with it, an id (any case) the option
    with that value; anything else is passed on as typed, for the core to refuse by name."""
    fields = {f.field_id.lower(): f for f in form.fields}
    values: dict[str, str] = {}
    for word in text.split():
        name, equals, picks = word.partition("=")
        f = fields.get(name.lower())
        if not equals or f is None:
            known = " ".join(f"{field.field_id}=..." for field in form.fields)
            raise PickError(f"{word!r} is not one of this form's fields; use {known}")
        by_value = {c.value.lower(): c.value for c in f.options}
        chosen: list[str] = []
        for pick in (p.strip() for p in picks.split(",")):
            if not pick or pick == NONE:
                continue
            if pick.isdigit() and 1 <= int(pick) <= len(f.options):
                chosen.append(f.options[int(pick) - 1].value)
            else:
                chosen.append(by_value.get(pick.lower(), pick))
        values[f.field_id] = ",".join(dict.fromkeys(chosen))
    return values
