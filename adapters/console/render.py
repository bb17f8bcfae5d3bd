"""Core messages as plain terminal text (the console's equivalent of Block Kit / Adaptive Cards)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from bot.events import Block, Buttons, Details, FactList, Image, Message, QuestionForm, Text

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
