"""Core messages as Adaptive Cards 1.5 (what Teams renders for bots): pure functions, no I/O.

Every block has a rendering: Text -> TextBlock, FactList -> FactSet, Buttons -> ActionSet of
Action.Submit, QuestionForm -> one Input.Text per question plus a submit button, Image -> an Image
with the PNG as a data URI, Details and ChoiceForm -> an Action.ShowCard of the card (a ChoiceForm's
inner card holds one multi-select Input.ChoiceSet per field and its Save). A button's or form's
`Action.Submit` data carries our action id (and value) under namespaced keys, so a submission comes
back as the core's `ActionInvoked`; input ids are prefixed so a question id can never collide with
those keys, and a ChoiceForm's input ids also name the form, since one card can carry several
(feedback on three answers, combined) and a submit sends every input of the card it is in.

Teams refuses bot messages over 100 KB (413 MessageSizeTooBig; counted as UTF-16, base64 images
excluded; Microsoft recommends staying under 80 KB) and card images over 1 MB: a larger image is
replaced by its alt text and a longer card is cut, rather than failing to send.
"""

from __future__ import annotations

import base64
import json
import re
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

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
ACTION_KEY = "alignbot_action"  # Action.Submit data: which core action
VALUE_KEY = "alignbot_value"  # Action.Submit data: the button's value
INPUT_PREFIX = "answer:"  # Input.Text ids: "answer:<field id>"
CHOICE_PREFIX = "pick:"  # Input.ChoiceSet ids: "pick:<form id>|<field id>"
FIELDS_KEY = "alignbot_fields"  # a ChoiceForm's Action.Submit data: its field ids (Teams leaves
# out an Input.ChoiceSet with nothing chosen, and "none of these" is an answer)
CARD_KEY = "alignbot_card"  # a ChoiceForm's Action.Submit data: what its card shows (`card_layout`)
MAX_LAYOUT = 4_000  # characters of layout carried in each Save; a longer card is not updated in place
MAX_EXPANDED = 15  # choices shown as check boxes; more become a drop-down
MAX_CHOICE_TITLE = 150  # a choice is a name, not a paragraph: 200 of them stay well inside 80 KB
MAX_CARD_BYTES = 80_000  # UTF-16 bytes without data URIs; Teams' limit is 100 KB for the whole message
MAX_IMAGE_BYTES = 1_000_000
MAX_TEXT = 5_000
MAX_INPUT_LENGTH = 3_000

Json = dict[str, Any]


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def submit_data(action_id: str, value: str = "") -> Json:
    data: Json = {ACTION_KEY: action_id}
    if value:
        data[VALUE_KEY] = value
    return data


def _text(block: Text) -> list[Json]:
    element: Json = {"type": "TextBlock", "text": cut(block.text, MAX_TEXT) or " ", "wrap": True}
    if block.style == "heading":
        element.update(size="Large", weight="Bolder")
    elif block.style == "muted":
        element.update(isSubtle=True, size="Small")
    return [element]


def _facts(block: FactList) -> list[Json]:
    out: list[Json] = []
    if block.title:
        out.append({"type": "TextBlock", "text": cut(block.title, MAX_TEXT), "weight": "Bolder",
                    "wrap": True})
    if block.facts:
        out.append({"type": "FactSet", "facts": [
            {"title": cut(f.label, 500), "value": cut(f.value, MAX_TEXT) or " "} for f in block.facts]})
    return out


def _buttons(block: Buttons) -> list[Json]:
    actions: list[Json] = []
    for button in block.buttons:
        action: Json = {"type": "Action.Submit", "title": cut(button.label, 100),
                        "data": submit_data(button.action_id, button.value)}
        if button.style == "primary":
            action["style"] = "positive"
        elif button.style == "danger":
            action["style"] = "destructive"
        actions.append(action)
    return [{"type": "ActionSet", "actions": actions}] if actions else []


def _input(f: FormField) -> Json:
    element: Json = {"type": "Input.Text", "id": INPUT_PREFIX + f.field_id, "label": cut(f.label, 1000),
                     "isMultiline": f.multiline, "maxLength": min(f.max_length, MAX_INPUT_LENGTH)}
    if f.hint:
        element["placeholder"] = cut(f.hint, 500)
    if f.initial:
        element["value"] = f.initial[:MAX_INPUT_LENGTH]
    return element


def _form(block: QuestionForm) -> list[Json]:
    return [
        {"type": "TextBlock", "text": cut(block.title, MAX_TEXT), "size": "Medium", "weight": "Bolder",
         "wrap": True},
        *(_input(f) for f in block.fields),
        {"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": cut(block.submit_label, 100),
                                           "style": "positive", "data": submit_data(block.form_id)}]},
    ]


def _image(block: Image) -> list[Json]:
    encoded = base64.b64encode(block.data).decode("ascii")
    return [{"type": "Image", "url": f"data:{_mime(block)};base64,{encoded}",
             "altText": cut(block.alt, 500), "size": "Stretch"}]


def _mime(block: Image) -> str:
    if block.data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if block.data.startswith(b"GIF8"):
        return "image/gif"
    return "image/png"


def choice_input_id(form_id: str, field_id: str) -> str:
    return f"{CHOICE_PREFIX}{form_id}|{field_id}"


def _choice_set(form_id: str, f: ChoiceField) -> list[Json]:
    """Teams posts a multi-select back as its values joined by commas, as the core wants them."""
    element: Json = {"type": "Input.ChoiceSet", "id": choice_input_id(form_id, f.field_id),
                     "label": cut(f.label, 1000), "isMultiSelect": f.multi, "wrap": True,
                     "style": "expanded" if len(f.options) <= MAX_EXPANDED else "compact",
                     "choices": [{"title": cut(c.label, MAX_CHOICE_TITLE) or c.value, "value": c.value}
                                 for c in f.options]}
    offered = {c.value for c in f.options}
    initial = [v for v in f.initial if v in offered]
    if initial:
        element["value"] = ",".join(initial if f.multi else initial[:1])
    hint = [{"type": "TextBlock", "text": cut(f.hint, MAX_TEXT), "isSubtle": True, "size": "Small",
             "wrap": True, "spacing": "None"}] if f.hint else []
    return [element, *hint] if f.options else []


def card_layout(blocks: list[Block]) -> list[str | Json] | None:
    """What a card with "Not right?" forms shows, carried in each Save so the adapter can show
    the card again with the corrected reading (Teams sends back the pressed button's data, never
    the card): each form's feedback - its heading, its lines, the form - as the form id (written
    afresh from the stored verdict), any other line as it is ("Thanks - saved ...", the next
    question). None when the card holds anything else, or too much to carry."""
    layout: list[str | Json] = []
    section: list[Text] = []
    for block in blocks:
        if isinstance(block, Text) and block.style == "heading":
            layout += [{"text": t.text, "style": t.style} for t in section]
            section = [block]
        elif isinstance(block, Text):
            section.append(block)
        elif isinstance(block, ChoiceForm) and section and section[0].style == "heading":
            layout.append(block.form_id)
            section = []
        else:
            return None
    layout += [{"text": t.text, "style": t.style} for t in section]
    return layout if len(json.dumps(layout)) <= MAX_LAYOUT else None


def _choice_card(block: ChoiceForm, title: str, layout: list[str | Json] | None = None) -> Json:
    """A ChoiceForm one click away: a button that unfolds its pick-lists and Save."""
    data = {**submit_data(block.form_id), FIELDS_KEY: [f.field_id for f in block.fields if f.options]}
    if layout is not None:
        data[CARD_KEY] = layout
    inner = _card([
        {"type": "TextBlock", "text": cut(block.title, MAX_TEXT), "weight": "Bolder", "wrap": True},
        *(element for f in block.fields for element in _choice_set(block.form_id, f))])
    inner.pop("$schema")
    inner["actions"] = [{"type": "Action.Submit", "title": cut(block.submit_label, 100), "style": "positive",
                         "data": data}]
    return {"type": "Action.ShowCard", "title": cut(title, 100), "card": inner}


def _choice_cards(blocks: list[Block]) -> list[Json]:
    """Each ChoiceForm's button; when one card carries several (replies combined), each is named
    after the heading above it ("Not right? (Feedback on your sales tasks)")."""
    forms: list[tuple[ChoiceForm, str]] = []
    heading = ""
    for block in blocks:
        if isinstance(block, Text) and block.style == "heading":
            heading = block.text
        elif isinstance(block, ChoiceForm):
            forms.append((block, heading))
    several = len(forms) > 1
    layout = card_layout(blocks) if forms else None
    return [_choice_card(form, f"{form.open_label} ({above})" if several and above else form.open_label,
                         layout) for form, above in forms]


def _block(block: Block) -> list[Json]:
    if isinstance(block, Details | ChoiceForm):
        return []  # an Action.ShowCard of the card (see `message_card`)
    if isinstance(block, Text):
        return _text(block)
    if isinstance(block, FactList):
        return _facts(block)
    if isinstance(block, Buttons):
        return _buttons(block)
    if isinstance(block, QuestionForm):
        return _form(block)
    return _image(block)


def _card(body: list[Json]) -> Json:
    return {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION,
            "body": body or [{"type": "TextBlock", "text": " "}]}


_DATA_URI = re.compile(r'"data:image/[a-z]+;base64,[A-Za-z0-9+/=]*"')


def card_size(card: Json) -> int:
    """The size Teams counts: the JSON as UTF-16, base64 images excluded."""
    text = _DATA_URI.sub('""', json.dumps(card, separators=(",", ":"), ensure_ascii=False))
    return len(text.encode("utf-16-le"))


def _fits(block: Block) -> Block:
    if isinstance(block, Image) and len(block.data) > MAX_IMAGE_BYTES:
        return Text(f"(image: {block.alt} - too large for Teams)", style="muted")
    return block


def message_card(message: Message) -> Json:
    """The card for a core message (its blocks, or its text when it has none), within Teams'
    size limits."""
    blocks = [_fits(block) for block in message.blocks or (Text(message.text),)]
    card = _card([element for block in blocks for element in _block(block)])
    shows = [_show_card(block) for block in blocks if isinstance(block, Details)]
    if shows or any(isinstance(block, ChoiceForm) for block in blocks):
        card["actions"] = [*shows, *_choice_cards(blocks)]  # pick-lists are never shortened
    while card_size(card) > MAX_CARD_BYTES and shows and len(shows[-1]["card"]["body"]) > 1:
        inner = shows[-1]["card"]  # the details give way first: the first screen stays whole
        inner["body"] = [*inner["body"][:-2], {"type": "TextBlock", "text": "(details shortened)",
                                                "isSubtle": True, "wrap": True}]
    while card_size(card) > MAX_CARD_BYTES and len(card["body"]) > 1:
        card["body"] = [*card["body"][:-2], {"type": "TextBlock", "text": "(message shortened)",
                                              "isSubtle": True, "wrap": True}]
    return card


def _show_card(block: Details) -> Json:
    """Details one click away: a button that unfolds a card inside the card."""
    inner = _card([element for b in block.blocks for element in _block(b)])
    inner.pop("$schema")
    return {"type": "Action.ShowCard", "title": cut(block.label, 100), "card": inner}


def answered_card(form: QuestionForm, title: str, note: str = "") -> Json:
    """A submitted check-in card: the answers as read-only text (Teams cards cannot be locked,
    so the inputs are replaced), with the stored answers pre-filled behind "Change answers"."""
    body: list[Json] = [{"type": "TextBlock", "text": cut(title, MAX_TEXT), "size": "Medium",
                         "weight": "Bolder", "wrap": True}]
    for f in form.fields:
        body.append({"type": "TextBlock", "text": cut(f.label, MAX_TEXT), "weight": "Bolder", "wrap": True,
                     "spacing": "Medium"})
        body.append({"type": "TextBlock", "text": cut(f.initial, MAX_TEXT) or "(not answered yet)",
                     "wrap": True, "isSubtle": not f.initial})
    if note:
        body.append({"type": "TextBlock", "text": cut(note, MAX_TEXT), "isSubtle": True, "wrap": True})
    edit = _card(_form(form)[1:])
    edit.pop("$schema")
    card = _card(body)
    card["actions"] = [{"type": "Action.ShowCard", "title": "Change answers", "card": edit}]
    return card


def fallback_text(message: Message) -> str:
    """The notification text (activity `text`/`summary`) shown where the card is not."""
    return cut(message.text, 1000) or " "


__all__ = ["ACTION_KEY", "CARD_KEY", "CHOICE_PREFIX", "CONTENT_TYPE", "FIELDS_KEY", "INPUT_PREFIX",
           "MAX_CARD_BYTES", "MAX_IMAGE_BYTES", "MAX_LAYOUT", "VALUE_KEY", "answered_card", "card_layout",
           "card_size", "choice_input_id", "fallback_text", "message_card", "submit_data"]
