"""The platform-neutral vocabulary between adapters and the core.

Inbound events say what a person did; outbound `Message`s are built from a few block types every
adapter can render natively (Block Kit, Adaptive Cards, plain text). Every inbound event keeps the
platform's `raw` payload: the core ignores it, adapters and debugging need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# --- who and where -----------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRef:
    """A person as a platform knows them."""

    platform: str
    user_id: str


@dataclass(frozen=True)
class MemberProfile:
    """What a platform can tell us about a person; any field may be unknown."""

    ref: MemberRef
    name: str
    email: str | None = None
    timezone: str | None = None
    is_platform_admin: bool = False


@dataclass(frozen=True)
class MessageRef:
    """Where a sent message lives, so it can be updated or replied to in a thread."""

    platform: str
    channel: str
    message_id: str


# --- inbound -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A text file a person sent the bot (e.g. a strategy YAML), already downloaded by the
    adapter; files the core has no use for are not fetched."""

    name: str
    text: str


@dataclass(frozen=True)
class UserMessage:
    """Free text a person sent the bot (a DM reply, a console line, a Teams message), with any
    text files they attached."""

    member: MemberRef
    text: str
    channel: str = ""
    event_id: str | None = None
    raw: Any = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class CommandInvoked:
    """`/align <text>`: `text` is what follows the command word. `platform_admin`: the platform
    says the caller administers the workspace (counts for callers not on the team yet)."""

    member: MemberRef
    text: str
    channel: str = ""
    event_id: str | None = None
    raw: Any = None
    platform_admin: bool = False


@dataclass(frozen=True)
class ActionInvoked:
    """A button press or form submission; `values` carries form inputs by field id."""

    member: MemberRef
    action_id: str
    value: str = ""
    values: dict[str, str] = field(default_factory=dict)
    message: MessageRef | None = None
    event_id: str | None = None
    raw: Any = None


@dataclass(frozen=True)
class MemberJoined:
    """The bot can now reach this person (app installed, joined a team, opened a DM)."""

    profile: MemberProfile
    raw: Any = None


@dataclass(frozen=True)
class MemberUnreachable:
    """The platform says this person can no longer be reached (e.g. their account was
    deactivated); `reason` is the platform's word for it."""

    member: MemberRef
    reason: str
    raw: Any = None


InboundEvent = UserMessage | CommandInvoked | ActionInvoked | MemberJoined | MemberUnreachable

# --- outbound ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str
    style: Literal["plain", "heading", "muted"] = "plain"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class FactList:
    facts: tuple[Fact, ...]
    title: str = ""


@dataclass(frozen=True)
class Button:
    action_id: str
    label: str
    value: str = ""
    style: Literal["default", "primary", "danger"] = "default"


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class FormField:
    field_id: str
    label: str
    hint: str = ""
    initial: str = ""
    multiline: bool = True
    max_length: int = 3000


@dataclass(frozen=True)
class QuestionForm:
    """Questions a form-capable platform may show together; plain chat asks them one by one."""

    form_id: str
    title: str
    fields: tuple[FormField, ...]
    submit_label: str = "Submit"
    # Without forms, the adapter asks the fields itself one by one and submits them (the
    # console); otherwise (a check-in) the core's chat asks the questions.
    prompted: bool = False


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceField:
    """A pick-list; submitted as the chosen values joined by commas ("" when none)."""

    field_id: str
    label: str
    options: tuple[Choice, ...]
    initial: tuple[str, ...] = ()
    multi: bool = True
    hint: str = ""


@dataclass(frozen=True)
class ChoiceForm:
    """Choices one click away, such as "Not right?" under feedback: Slack opens them in a modal
    from a button, Teams unfolds them with `Action.ShowCard`, the console lists them for `/click`.
    Submitting sends an `ActionInvoked` whose `action_id` is `form_id` and whose `values` hold each
    field's choices."""

    form_id: str
    title: str
    open_label: str
    fields: tuple[ChoiceField, ...]
    submit_label: str = "Save"


@dataclass(frozen=True)
class FormRefused:
    """Why a form cannot be shown to this person (`BotCore.form`): `reason` is a stable code
    adapters and tests can branch on (see `REFUSALS`), `text` the polite sentence to show them,
    worded in prompts/. Nothing was changed."""

    form_id: str
    reason: str
    text: str


# Why a form is refused: the person is not on the team; it is someone else's; the answer it
# corrects is gone (forgotten or removed); the form is under feedback on an earlier wording of
# the answer (edited since); the answer was edited and is being read again; there
# is nothing the bot read to correct (an answer in a language it does not judge); the check-in
# closed (answered) or expired (never answered); only admins may open it; anything else.
REFUSALS = ("unknown_member", "not_yours", "answer_deleted", "edited", "rereading", "nothing_to_correct",
            "checkin_closed", "checkin_expired", "admins_only", "gone")


@dataclass(frozen=True)
class Image:
    data: bytes
    alt: str
    filename: str = "chart.png"


@dataclass(frozen=True)
class Details:
    """Content one click away, so a message's first screen stays short: Slack posts it in the
    message's thread, Teams behind an `Action.ShowCard` button, the console behind `/click`."""

    label: str
    blocks: tuple[Text | FactList, ...]


Block = Text | FactList | Buttons | QuestionForm | ChoiceForm | Image | Details


@dataclass(frozen=True)
class Message:
    """What the core says; `text` is the plain fallback every platform can show.

    `key` is the outbox's idempotency key; adapters that can attach metadata to a message store it
    there, so `ChatPort.find_sent` can tell whether an interrupted send went through."""

    text: str
    blocks: tuple[Block, ...] = ()
    key: str | None = None

    @classmethod
    def plain(cls, text: str) -> Message:
        return cls(text=text, blocks=(Text(text),))

    def holds_form(self, form_id: str) -> bool:
        """Whether this message carries the form `form_id` (feedback and its "Not right?")."""
        return any(isinstance(b, ChoiceForm | QuestionForm) and b.form_id == form_id
                   for b in self.blocks)
