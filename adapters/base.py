"""What every adapter is: a ChatPort the core sends through, with an explicit async lifecycle.

Adding a platform means a new folder under `adapters/` implementing this; the core is unchanged.
"""

from __future__ import annotations

from typing import Protocol

from bot.port import ChatPort, DeliveryError

__all__ = ["Adapter", "ChatPort", "DeliveryError"]


class Adapter(ChatPort, Protocol):
    """A running platform connection: start it, let it feed events to the core, stop it."""

    async def start(self) -> None:
        """Connect and begin delivering inbound events to the core."""
        ...

    async def stop(self) -> None:
        """Finish in-flight work and disconnect."""
        ...
