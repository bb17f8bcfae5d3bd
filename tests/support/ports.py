"""A ChatPort that records what the core sends, for tests of core behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from bot.events import MemberProfile, MemberRef, Message, MessageRef
from bot.port import DeliveryError


@dataclass
class Sent:
    to: MemberRef
    message: Message
    thread: MessageRef | None
    ref: MessageRef


@dataclass
class RecordingPort:
    """Records sends; `fail_for` makes sends to those user ids fail (permanently or not)."""

    platform: str = "test"
    supports_forms: bool = False
    sent: list[Sent] = field(default_factory=list)
    updates: list[tuple[MessageRef, Message]] = field(default_factory=list)
    fail_for: dict[str, bool] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(1))

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        if to.user_id in self.fail_for:
            raise DeliveryError(f"cannot reach {to.user_id}", permanent=self.fail_for[to.user_id])
        ref = MessageRef(self.platform, to.user_id, str(next(self._ids)))
        self.sent.append(Sent(to, message, thread, ref))
        return ref

    async def find_sent(self, to: MemberRef, key: str) -> MessageRef | None:
        return next((s.ref for s in self.sent if s.to == to and s.message.key == key), None)

    async def update(self, ref: MessageRef, message: Message) -> None:
        self.updates.append((ref, message))

    async def lookup(self, reference: str) -> MemberProfile | None:
        name = " ".join(reference.strip().lstrip("@").split())
        if not name or name.lower().startswith("nobody"):
            return None
        return MemberProfile(MemberRef(self.platform, name.lower()), name, f"{name.lower()}@example.com",
                             "America/New_York")

    def texts_to(self, user_id: str) -> list[str]:
        return [s.message.text for s in self.sent if s.to.user_id == user_id]
