"""Core messages as Block Kit: message blocks, the text fallback and the form modals (a check-in's
questions as text inputs, a "Not right?" form's choices as multi-selects).

Pure functions, no I/O. Everything fits Slack's documented limits (50 blocks per message,
100 per modal, section text 3,000 characters, header 150, button text 75, ...): a long text is
split over several sections, anything else too long is cut, rather than an `invalid_blocks`
error.
"""

from __future__ import annotations

import json
from typing import Any

from bot.events import (
    Block,
    Buttons,
    ChoiceField,
    ChoiceForm,
    Details,
    FactList,
    FormField,
    Image,
    Message,
    QuestionForm,
    Text,
)

OPEN_FORM_ACTION = "alignbot_open_form"  # the "Answer" button; its value is the form id
FORM_CALLBACK = "alignbot_form"  # the modal's callback_id
ANSWER_ACTION = "answer"  # action_id of each modal text input; the block_id is the field id
CHOOSE_ACTION = "choose"  # action_id of each modal multi-select; the block_id is the field id

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS = 25
MAX_ID = 255
MAX_VIEW_TITLE = 24
MAX_INPUT_LABEL = 2000
MAX_INPUT_LENGTH = 3000
MAX_FALLBACK_TEXT = 39_000
MAX_METADATA = 3000
MAX_OPTIONS = 100  # per select menu, and option groups per menu
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150

Json = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters; without this "<member>" would be read as a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int) -> Json:
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> Json:
    return {"type": "mrkdwn", "text": cut(escape(text), limit) or " "}


def _section(text: str) -> Json:
    return {"type": "section", "text": mrkdwn(text)}


def pieces(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """`text` in consecutive pieces whose escaped form fits `limit`, split at a line break or
    space where there is one: a long answer shown back is shown whole, not cut."""
    out: list[str] = []
    while len(escape(text)) > limit:
        cut_at, size = 0, 0
        while cut_at < len(text) and size + len(escape(text[cut_at])) <= limit:
            size += len(escape(text[cut_at]))
            cut_at += 1
        space = max(text.rfind("\n", 0, cut_at), text.rfind(" ", 0, cut_at))
        cut_at = space + 1 if space > cut_at // 2 else cut_at
        out.append(text[:cut_at])
        text = text[cut_at:]
    return [*out, text]


def _text(block: Text) -> list[Json]:
    if block.style == "heading" and len(block.text) <= MAX_HEADER and "\n" not in block.text:
        return [{"type": "header", "text": plain(block.text, MAX_HEADER)}]
    if block.style == "heading":
        return [_section(f"*{block.text}*")]
    if block.style == "muted":
        return [{"type": "context", "elements": [mrkdwn(block.text)]}]
    return [_section(piece) for piece in pieces(block.text)]


def _facts(block: FactList) -> list[Json]:
    out: list[Json] = [_section(f"*{block.title}*")] if block.title else []
    facts = list(block.facts)
    for start in range(0, len(facts), MAX_FIELDS):
        fields = [mrkdwn(f"*{f.label}*\n{f.value}", MAX_FIELD_TEXT) for f in facts[start:start + MAX_FIELDS]]
        out.append({"type": "section", "fields": fields})
    return out


def _button(action_id: str, label: str, value: str, style: str = "default") -> Json:
    button: Json = {"type": "button", "action_id": action_id[:MAX_ID],
                    "text": plain(label, MAX_BUTTON_TEXT)}
    if value:
        button["value"] = value[:MAX_BUTTON_VALUE]
    if style in ("primary", "danger"):
        button["style"] = style
    return button


def _buttons(block: Buttons) -> list[Json]:
    buttons = [_button(b.action_id, b.label, b.value, b.style) for b in block.buttons]
    return [{"type": "actions", "elements": buttons[start:start + MAX_ACTIONS]}
            for start in range(0, len(buttons), MAX_ACTIONS)]


def _form(block: QuestionForm) -> list[Json]:
    """A form is a button; pressing it opens the modal (`form_view`) with the current answers."""
    return [{"type": "actions", "block_id": f"form:{block.form_id}"[:MAX_ID],
             "elements": [_button(OPEN_FORM_ACTION, block.submit_label, block.form_id, "primary")]}]


def _choice_form(block: ChoiceForm) -> list[Json]:
    """A "Not right?" is a plain button too (not primary: feedback is read, rarely corrected);
    the modal (`form_view`) opens with the choices as they stand then."""
    return [{"type": "actions", "block_id": f"form:{block.form_id}"[:MAX_ID],
             "elements": [_button(OPEN_FORM_ACTION, block.open_label, block.form_id)]}]


def _image(block: Image) -> list[Json]:
    """Where the bytes cannot be uploaded (a Home tab view), the alt text stands in."""
    return [{"type": "context", "elements": [mrkdwn(f"(image: {block.alt})")]}]


def _details_pointer(block: Details) -> list[Json]:
    """In a message, details go to its thread (`details_message`); this line says where."""
    return [{"type": "context", "elements": [mrkdwn(f"{block.label}: in the thread ↓")]}]


def _block(block: Block, images: bool, details: bool = False) -> list[Json]:
    if isinstance(block, Details):
        if details:  # inline (a Home tab has no thread)
            return [b for inner in block.blocks for b in _block(inner, images)]
        return _details_pointer(block)
    if isinstance(block, Text):
        return _text(block)
    if isinstance(block, FactList):
        return _facts(block)
    if isinstance(block, Buttons):
        return _buttons(block)
    if isinstance(block, QuestionForm):
        return _form(block)
    if isinstance(block, ChoiceForm):
        return _choice_form(block)
    return _image(block) if images else []


def message_blocks(message: Message, *, limit: int = MAX_MESSAGE_BLOCKS,
                   image_alt: bool = False, inline_details: bool = False) -> list[Json]:
    """The message's blocks, at most `limit` (the last says that the rest was cut). Images are
    left out (the port uploads them as files) unless `image_alt` puts their alt text instead.
    `Details` are a pointer to the thread (see `details_message`) unless `inline_details`."""
    blocks = [b for block in message.blocks for b in _block(block, image_alt, inline_details)]
    if len(blocks) > limit:
        blocks = [*blocks[: limit - 1], {"type": "context", "elements": [mrkdwn("(message shortened)")]}]
    return blocks


def home_view(message: Message) -> Json:
    """An App Home tab view of a core message (at most 100 blocks; images as their alt text;
    details inline, since a tab has no thread)."""
    return {"type": "home", "blocks": message_blocks(message, limit=MAX_VIEW_BLOCKS, image_alt=True,
                                                     inline_details=True)}


def details_message(message: Message) -> Message | None:
    """The message's `Details` as a message of their own, for the port to post in the thread of
    the first one: the first screen stays short, the rest is one click ("N replies") away."""
    details = [block for block in message.blocks if isinstance(block, Details)]
    if not details:
        return None
    blocks = tuple(inner for d in details for inner in (Text(d.label, style="heading"), *d.blocks))
    text = "\n".join(b.text if isinstance(b, Text) else "\n".join(f"{f.label}: {f.value}" for f in b.facts)
                     for b in blocks if isinstance(b, Text | FactList))
    return Message(text=text, blocks=blocks)


def fallback_text(message: Message) -> str:
    """The notification and screen-reader text Slack shows where blocks are not rendered."""
    return cut(escape(message.text), MAX_FALLBACK_TEXT) or " "


def _text_input(f: FormField) -> Json:
    element: Json = {"type": "plain_text_input", "action_id": ANSWER_ACTION, "multiline": f.multiline,
                     "max_length": min(f.max_length, MAX_INPUT_LENGTH)}
    if f.initial:
        element["initial_value"] = f.initial[:MAX_INPUT_LENGTH]
    return _input(f.field_id, f.label, f.hint, element)


def _select(f: ChoiceField) -> Json | None:
    """A multi-select (a static select for a single choice); None when there is nothing to pick.
    Over 100 options they go in groups of 100, as Slack allows 100 per menu and per group.
    Optional: choosing none of them is an answer ("none of these")."""
    options = [{"text": plain(c.label, MAX_OPTION_TEXT), "value": c.value}
               for c in f.options if 0 < len(c.value) <= MAX_OPTION_VALUE]
    if not options:
        return None
    element: Json = {"type": "multi_static_select" if f.multi else "static_select",
                     "action_id": CHOOSE_ACTION}
    if len(options) <= MAX_OPTIONS:
        element["options"] = options
    else:
        element["option_groups"] = [
            {"label": plain(f"{start + 1}-{min(start + MAX_OPTIONS, len(options))}", MAX_OPTION_TEXT),
             "options": options[start:start + MAX_OPTIONS]}
            for start in range(0, min(len(options), MAX_OPTIONS * MAX_OPTIONS), MAX_OPTIONS)]
    initial = [o for o in options if o["value"] in f.initial]  # exactly as in the menu, as Slack wants
    if initial and f.multi:
        element["initial_options"] = initial
    elif initial:
        element["initial_option"] = initial[0]
    return _input(f.field_id, f.label, f.hint, element)


def _input(field_id: str, label: str, hint: str, element: Json) -> Json:
    block: Json = {"type": "input", "block_id": field_id[:MAX_ID], "optional": True,
                   "label": plain(label, MAX_INPUT_LABEL), "element": element}
    if hint:
        block["hint"] = plain(hint, MAX_INPUT_LABEL)
    return block


def form_view(form: QuestionForm | ChoiceForm, private_metadata: Json) -> Json:
    """The modal: a check-in's questions as multiline inputs pre-filled with the current answers,
    or a ChoiceForm's fields as multi-selects pre-selected with the current choices."""
    if isinstance(form, ChoiceForm):
        inputs = [b for b in (_select(f) for f in form.fields) if b is not None]
        submit = form.submit_label
    else:
        inputs = [_text_input(f) for f in form.fields]
        submit = "Save"
    metadata = json.dumps(private_metadata, separators=(",", ":"))
    if len(metadata) > MAX_METADATA:
        raise ValueError("private_metadata is longer than Slack allows")
    return {"type": "modal", "callback_id": FORM_CALLBACK, "title": plain(form.title, MAX_VIEW_TITLE),
            "submit": plain(submit, MAX_VIEW_TITLE), "close": plain("Cancel", MAX_VIEW_TITLE),
            "private_metadata": metadata, "blocks": inputs[:MAX_VIEW_BLOCKS]}


def notice_view(title: str, text: str, close: str) -> Json:
    """A modal that only tells the person something (why a form did not open): no submit, so
    it is private to them wherever they pressed the button, and one click closes it."""
    return {"type": "modal", "title": plain(title, MAX_VIEW_TITLE), "close": plain(close, MAX_VIEW_TITLE),
            "blocks": [_section(piece) for piece in pieces(text)][:MAX_VIEW_BLOCKS]}


__all__ = ["ANSWER_ACTION", "CHOOSE_ACTION", "FORM_CALLBACK", "OPEN_FORM_ACTION", "details_message",
           "fallback_text", "form_view", "home_view", "message_blocks", "notice_view"]
