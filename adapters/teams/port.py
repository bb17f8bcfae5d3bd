"""TeamsPort: the core's ChatPort on the Bot Framework (proactive sends, card updates, profiles).

A person can be messaged once the bot holds a conversation reference for them: their 1:1 chat
(saved whenever they install the app or write to the bot), or a team they share with the bot, from
which the 1:1 chat is opened on first use. Someone with neither is reported to the admins and the
send fails with `DeliveryError(unreachable=...)`: the outbox records it and the core stops trying
until they install the app again (which sends the core a fresh profile).

Teams keeps no message history the bot can read, so `find_sent` cannot ask the platform whether an
interrupted send went through; it answers None (the outbox then sends, which is the documented
behaviour for such platforms).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationReference

from adapters.teams.cards import CONTENT_TYPE, fallback_text, message_card
from adapters.teams.connector import Connector, ConnectorError
from adapters.teams.convert import PLATFORM, contact_info
from adapters.teams.wire import address_of, reference_from
from bot.events import MemberProfile, MemberRef, Message, MessageRef
from bot.ops.health import ok_because
from bot.people.contacts import ContactBook
from bot.people.members import valid_timezone
from bot.people.unreachable import NOTICE_PREFIX
from bot.port import DeliveryError
from bot.storage.models import Contact

log = logging.getLogger(__name__)
PERMANENT_STATUSES = frozenset({403, 404})  # blocked by the user / app removed, chat gone
NOT_INSTALLED = ("they have not installed the app in Teams and share no team with it, so there is"
                 " no chat to write to.")
REFUSED = ("Teams refused the message (the app was removed or blocked for them, or they left"
           " the organisation).")
NOT_INSTALLED_REASON = "teams: app not installed for them"  # Member.unreachable (<= 64 chars)
REFUSED_REASON = "teams: app removed or blocked"
MAX_ROSTER_LOOKUPS = 5
NO_CREDENTIALS = "no app credentials (local emulator mode): outbound calls are not authenticated"
Report = Callable[[MemberRef, str], Awaitable[None]]
Json = dict[str, object]


def card_activity(message: Message, card: dict[str, object] | None = None) -> Activity:
    """A message activity carrying the message as an Adaptive Card. The plain text goes in
    `summary` (notifications, screen readers), not `text`, which Teams would show above the card."""
    attachment = Attachment(content_type=CONTENT_TYPE, content=card or message_card(message))
    return Activity(type=ActivityTypes.message, summary=fallback_text(message), attachments=[attachment])


def _failure(exc: ConnectorError, what: str, person: bool = False) -> DeliveryError:
    """A DeliveryError; when `person` and Teams refused for good, the person (not just this
    message) is unreachable, so the core stops trying until they install the app again."""
    refused = exc.status in PERMANENT_STATUSES
    return DeliveryError(f"Teams {what} failed: {exc}", permanent=refused,
                         unreachable=REFUSED_REASON if refused and person else None,
                         ambiguous=exc.ambiguous)


def profile_of(contact: Contact) -> MemberProfile:
    return MemberProfile(MemberRef(PLATFORM, contact.user_id), contact.name or contact.user_id,
                         email=contact.email, timezone=valid_timezone(contact.timezone))


class TeamsPort:
    """ChatPort for one Teams app (all tenants it is installed in)."""

    platform = PLATFORM
    supports_forms = True

    def __init__(self, connector: Connector, contacts: ContactBook, report: Report | None = None) -> None:
        self.connector = connector
        self.contacts = contacts
        self.report = report
        self._recent: dict[str, ConversationReference] = {}  # conversation id -> reference seen

    # --- ChatPort -----------------------------------------------------------------------

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        reference = await self._personal_reference(to, message)
        try:
            activity_id = await self.connector.send(reference, card_activity(message))
        except ConnectorError as exc:
            if exc.status in PERMANENT_STATUSES:
                await self._unreachable(to, message, REFUSED)
            raise _failure(exc, "send", person=True) from exc
        conversation = reference.conversation.id if reference.conversation else ""
        return MessageRef(PLATFORM, conversation, activity_id)

    async def update(self, ref: MessageRef, message: Message) -> None:
        await self.update_card(ref, message, None)

    async def update_card(self, ref: MessageRef, message: Message, card: dict[str, object] | None) -> None:
        """Replace a card the bot sent (`card` overrides the message's own rendering)."""
        reference = await self._reference_for_conversation(ref.channel)
        try:
            await self.connector.update(reference, ref.message_id, card_activity(message, card))
        except ConnectorError as exc:
            raise _failure(exc, "update") from exc

    async def find_sent(self, to: MemberRef, key: str) -> MessageRef | None:
        return None  # see the module docstring: Teams has no history the bot can search

    async def check_connection(self) -> str | None:
        """Readiness (/readyz): the app's credentials get an access token from the Microsoft
        login endpoint, as every outbound call needs. Without an app id (a local emulator or
        fake connector, authentication off) there is nothing to check: ok, and it says so."""
        if not self.connector.app_id:
            return ok_because(NO_CREDENTIALS)
        try:
            await self.connector.check_credentials()
        except ConnectorError as exc:
            return f"Teams: {exc}"
        return None

    async def lookup(self, reference: str) -> MemberProfile | None:
        """A stored contact by user id, AAD object id, email or exact name; else the members of
        the teams the bot is in, asked by user id, AAD object id or UPN/email."""
        found = await self.contacts.find(PLATFORM, reference)
        if len(found) == 1:
            return profile_of(found[0])
        if found:
            return None  # ambiguous: the core asks for an email or mention
        wanted = reference.strip().lstrip("@")
        if not wanted or " " in wanted:
            return None
        for address in (await self.contacts.shared_addresses(PLATFORM))[:MAX_ROSTER_LOOKUPS]:
            try:
                account = await self.connector.member(reference_from(address), wanted)
            except ConnectorError as exc:
                raise _failure(exc, "member lookup") from exc
            if account and account.get("id"):
                contact = await self.contacts.remember(contact_info(account), address=address,
                                                       conversation_id=None, personal=False)
                return profile_of(contact)
        return None

    async def forget(self, to: MemberRef) -> None:
        """A member is being forgotten: drop the conversation references held in memory that
        name them (the stored ones go with their contact, in the core)."""
        for conversation, reference in list(self._recent.items()):
            if reference.user is not None and reference.user.id == to.user_id:
                del self._recent[conversation]

    # --- helpers ------------------------------------------------------------------------

    def seen(self, reference: ConversationReference) -> None:
        """Remember an inbound activity's conversation (replies and card updates go there)."""
        if reference.conversation and reference.conversation.id:
            self._recent[reference.conversation.id] = reference

    async def reply(self, reference: ConversationReference, message: Message) -> MessageRef:
        """Answer in the conversation the person wrote in: in a channel, in the thread of their
        post; in a 1:1 or group chat, as the next message."""
        conversation = reference.conversation
        in_channel = conversation is not None and conversation.conversation_type == "channel"
        thread = reference.activity_id if in_channel else None
        try:
            activity_id = await self.connector.send(reference, card_activity(message), reply_to=thread)
        except ConnectorError as exc:
            raise _failure(exc, "reply") from exc
        return MessageRef(PLATFORM, reference.conversation.id, activity_id)

    async def _personal_reference(self, to: MemberRef, message: Message) -> ConversationReference:
        contact = await self.contacts.get(PLATFORM, to.user_id)
        if contact is None or not contact.address:
            await self._unreachable(to, message)
            raise DeliveryError(f"cannot message {to.user_id} in Teams: {NOT_INSTALLED}",
                                unreachable=NOT_INSTALLED_REASON)
        if contact.personal:
            return reference_from(contact.address)
        shared = reference_from(contact.address)
        tenant = (shared.conversation.tenant_id if shared.conversation else None) or None
        bot = shared.bot.serialize() if shared.bot else {}
        try:
            personal = await self.connector.open_personal(shared.service_url, tenant, bot, to.user_id)
        except ConnectorError as exc:
            if exc.status in PERMANENT_STATUSES:
                await self._unreachable(to, message, REFUSED)
            raise _failure(exc, "opening a 1:1 chat", person=True) from exc
        personal.user = personal.user or shared.user
        await self.contacts.remember(contact_info({"id": to.user_id}), address=address_of(personal),
                                     conversation_id=personal.conversation.id, personal=True)
        return personal

    async def _reference_for_conversation(self, conversation_id: str) -> ConversationReference:
        if conversation_id in self._recent:
            return self._recent[conversation_id]
        contact = await self.contacts.by_conversation(PLATFORM, conversation_id)
        if contact is None or not contact.address:
            raise DeliveryError(f"no Teams conversation {conversation_id} is known", permanent=True)
        return reference_from(contact.address)

    async def _unreachable(self, to: MemberRef, message: Message, reason: str = NOT_INSTALLED) -> None:
        if self.report is not None and not (message.key or "").startswith(NOTICE_PREFIX):
            await self.report(to, reason)


__all__ = ["NOT_INSTALLED", "TeamsPort", "address_of", "card_activity", "profile_of", "reference_from"]
