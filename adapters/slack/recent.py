"""A dict bounded to its most recent entries, for what the Slack adapter learns per user."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class RecentMap(OrderedDict[K, V]):
    """A dict of at most `limit` entries: setting one past it drops the one set longest ago.

    For per-user look-ups a fan-out fills for every member (their DM channel, their workspace):
    kept whole they grew the bot's memory with the organisation (issue 24)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.limit:
            self.popitem(last=False)
