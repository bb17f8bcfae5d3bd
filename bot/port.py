"""The port the core calls to reach people on a chat platform; each adapter implements it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bot.events import MemberProfile, MemberRef, Message, MessageRef


class DeliveryError(Exception):
    """A send failed. `permanent` means retrying cannot help (deactivated user, closed DM);
    `unreachable` names why the person, not just this message, cannot be reached (e.g.
    account_inactive), so the core marks them and stops trying until their profile changes;
    `ambiguous` means the platform may have accepted the message anyway (a timeout, a 500), so a
    retry first asks the platform (`ChatPort.find_sent`) whether it went through."""

    def __init__(self, message: str, *, permanent: bool = False, unreachable: str | None = None,
                 ambiguous: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent or unreachable is not None
        self.unreachable = unreachable
        self.ambiguous = ambiguous and not self.permanent


class ChatPort(Protocol):
    """What the core needs from a platform; nothing platform-specific leaks through it."""

    platform: str

    async def send(
        self, to: MemberRef, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef:
        """Deliver privately to a member (DM); raise DeliveryError when it cannot."""
        ...

    async def update(self, ref: MessageRef, message: Message) -> None:
        """Replace a message the bot sent earlier."""
        ...

    async def find_sent(self, to: MemberRef, key: str) -> MessageRef | None:
        """The message sent to `to` with this idempotency key, if the platform can tell; None
        when it was not sent or the platform keeps no such record."""
        ...

    async def lookup(self, reference: str) -> MemberProfile | None:
        """Resolve how an admin referred to someone (a mention, an email, a name) to a profile."""
        ...


@runtime_checkable
class ForgetsMembers(Protocol):
    """A ChatPort that holds something about people outside the database (caches, a page the
    platform shows them) and can drop it when a member is forgotten (`/align forget`)."""

    async def forget(self, to: MemberRef) -> None:
        """Best effort: drop cached ids and clear what the platform shows them from the bot."""
        ...
