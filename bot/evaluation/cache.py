"""Caching evaluations so the same answer, asked the same way, is never paid for twice.

The key covers everything that can change a verdict: the answer text, the question, the strategy
version (a content hash), the model, and the evaluator version (which changes with the prompt).
The store sits behind the small async `EvaluationCache` protocol so a database-backed cache,
shared between bot processes, can replace the in-process LRU without touching evaluators.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Protocol

from bot.evaluation.result import Evaluation, Question


def cache_key(
    *, answer: str, question: Question, strategy_version: str, model: str, evaluator_version: str
) -> str:
    """A sha256 over the parts, JSON-encoded so no two different tuples can collide by joining."""
    parts = [answer, question, strategy_version, model, evaluator_version]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


class EvaluationCache(Protocol):
    """Where evaluations are kept by key. Async so a database-backed store fits the same shape."""

    async def get(self, key: str) -> Evaluation | None: ...

    async def set(self, key: str, evaluation: Evaluation) -> None: ...

    async def delete(self, key: str) -> None:
        """Drop an entry (its answer was deleted, e.g. `/align forget`)."""
        ...


class InMemoryLRUCache:
    """A bounded, least-recently-used cache local to one process (lost on restart, by design).

    Entries are copied in and out so a caller mutating its result cannot corrupt the cache.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, Evaluation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> Evaluation | None:
        evaluation = self._entries.get(key)
        if evaluation is None:
            return None
        self._entries.move_to_end(key)
        return evaluation.model_copy(deep=True)

    async def set(self, key: str, evaluation: Evaluation) -> None:
        self._entries[key] = evaluation.model_copy(deep=True)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)
