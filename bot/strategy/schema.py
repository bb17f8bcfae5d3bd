"""The strategy file's schema: what an admin must define for the bot to judge alignment.

Field-level rules live here (types, required keys, the 50-word statement). Rules that span the
file (unique ids, references between sections) live in `references.py` so that every error in a
broken file can be reported at once, even when parts of it do not parse.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from bot.strategy.durations import DurationField

STATEMENT_WORD_LIMIT = 50

Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters/digits, hyphenated words counting once."""
    return len(re.findall(r"[\w'’\-]+", text))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StrategyCore(_Strict):
    """Objectives, scope (via segments) and advantage, stated briefly, with a sell-by date."""

    name: Text
    statement: Text
    objectives: list[Text] = Field(min_length=1)
    advantage: Text
    review_by: date

    @field_validator("statement")
    @classmethod
    def _statement_is_brief(cls, value: str) -> str:
        words = count_words(value)
        if words > STATEMENT_WORD_LIMIT:
            raise ValueError(
                f"has {words} words; a strategy statement must be {STATEMENT_WORD_LIMIT} words or"
                f" fewer - cut {words - STATEMENT_WORD_LIMIT}"
            )
        return value


class BuyingProcess(_Strict):
    """How buyers in a segment buy: the steps they take and who takes part."""

    stages: list[Text] = Field(min_length=1)
    roles: list[Text] = Field(min_length=1)


class Segment(_Strict):
    """A market segment the strategy plays in (in_scope) or deliberately does not."""

    id: Id
    name: Text
    in_scope: bool
    aliases: list[Text] = Field(default_factory=list)
    description: str = ""
    buying_process: BuyingProcess | None = None


class SalesTask(_Strict):
    """A concrete, observable thing sellers must do for the strategy to work."""

    id: Id
    name: Text
    description: Text
    examples: list[Text] = Field(min_length=1)
    critical: bool = False
    segments: list[Id] = Field(
        default_factory=list, description="segment ids this task applies to; empty means all"
    )


class CadencePolicy(_Strict):
    """Follow-up rhythm for a lead after it engages, in the owner's business time."""

    first_touch_within: DurationField
    steps: list[DurationField] = Field(min_length=1)
    max_touches: int = Field(ge=1, le=50)


class CadenceOverride(_Strict):
    """A segment's departures from the default cadence; unset keys inherit the default."""

    first_touch_within: DurationField | None = None
    steps: list[DurationField] | None = None
    max_touches: int | None = Field(default=None, ge=1, le=50)


class Cadence(_Strict):
    default: CadencePolicy
    segments: dict[Id, CadenceOverride] = Field(default_factory=dict)


class ContentItem(_Strict):
    """A piece of marketing content sellers can send, for given segments and a buying stage."""

    id: Id
    title: Text
    url: Text
    segments: list[Id] = Field(min_length=1)
    stage: Text


class Strategy(_Strict):
    """The whole strategy file, validated."""

    strategy: StrategyCore
    segments: list[Segment] = Field(min_length=1)
    sales_tasks: list[SalesTask] = Field(min_length=1)
    cadence: Cadence
    content: list[ContentItem] = Field(default_factory=list)

    @cached_property
    def version(self) -> str:
        """Content hash: the same strategy always has the same version, whatever the file layout."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def segment(self, segment_id: str) -> Segment:
        return next(s for s in self.segments if s.id == segment_id)

    def task(self, task_id: str) -> SalesTask:
        return next(t for t in self.sales_tasks if t.id == task_id)

    @property
    def task_ids(self) -> set[str]:
        return {t.id for t in self.sales_tasks}

    @property
    def segment_ids(self) -> set[str]:
        return {s.id for s in self.segments}

    @property
    def critical_tasks(self) -> list[SalesTask]:
        return [t for t in self.sales_tasks if t.critical]

    def cadence_for(self, segment_id: str | None) -> CadencePolicy:
        """The default cadence with the segment's overrides applied."""
        override = self.cadence.segments.get(segment_id or "")
        if override is None:
            return self.cadence.default
        merged = self.cadence.default.model_dump()
        merged.update(override.model_dump(exclude_none=True))
        return CadencePolicy.model_validate(merged)

    def content_for(self, segment_id: str, stage: str | None = None) -> list[ContentItem]:
        """Content for a segment, the given buying stage first."""
        items = [c for c in self.content if segment_id in c.segments]
        if stage:
            items.sort(key=lambda c: c.stage.lower() != stage.lower())
        return items
