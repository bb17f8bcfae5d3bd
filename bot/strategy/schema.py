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

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_validator,
    model_serializer,
)

from bot.strategy.durations import DurationField

STATEMENT_WORD_LIMIT = 50

Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


_WORD = re.compile(r"[\w'’]+(?:[-‐‑][\w'’]+)*")


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters and digits, a hyphenated word once, and
    nothing for punctuation - a spaced dash (" - "), an ampersand or a bullet is not a word."""
    return sum(1 for match in _WORD.finditer(text) if any(c.isalnum() for c in match.group()))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(_Strict):
    """One objective, optionally with an id (for digests and labels) and what contradicts it:
    `counter_examples` are ways of working against it ("gave a discount to close" against a
    margin objective), so an answer that matches one is reported as working against it."""

    id: Id | None = None
    text: Text
    counter_examples: list[Text] = Field(default_factory=list)

    def __str__(self) -> str:
        return self.text

    @model_serializer(mode="wrap")
    def _short_form(self, handler: SerializerFunctionWrapHandler) -> object:
        """A plain objective serialises as its text, as it was written: exports stay tidy and
        the version hash of a file that uses no new field does not change."""
        if self.id is None and not self.counter_examples:
            return self.text
        return handler(self)


def _objective(value: object) -> object:
    """A plain string is an objective's text (the short form most files use)."""
    return {"text": value} if isinstance(value, str) else value


ObjectiveField = Annotated[Objective, BeforeValidator(_objective)]


class StrategyCore(_Strict):
    """Objectives, scope (via segments) and advantage, stated briefly, with a sell-by date."""

    name: Text
    statement: Text
    objectives: list[ObjectiveField] = Field(min_length=1)
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


def _country(value: object) -> object:
    """YAML 1.1 reads an unquoted NO (Norway) as false; in a country list it can only mean NO."""
    return "NO" if value is False else value


Country = Annotated[str, BeforeValidator(_country),
                    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{2}$")]


class Employees(_Strict):
    """Company size by headcount, either bound optional ({max: 49} is "under 50 staff")."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    def contains(self, count: int) -> bool:
        return (self.min is None or count >= self.min) and (self.max is None or count <= self.max)


class Segment(_Strict):
    """A market segment the strategy plays in (in_scope) or deliberately does not.

    Besides its name and aliases a segment can be described the way reps describe customers:
    by size (`employees`), place (`countries`: ISO 3166-1 alpha-2; `regions`: ISO 3166-2 codes
    such as US-TX, named regions such as DACH, Benelux, Nordics, EMEA, APAC, Eastern Europe or a
    continent, or a country's name) and by named accounts. A region none of these know ("Riviera
    Maya") is matched as written, like an alias.
    """

    id: Id
    name: Text
    in_scope: bool
    aliases: list[Text] = Field(default_factory=list)
    description: str = ""
    employees: Employees | None = None
    countries: list[Country] = Field(default_factory=list)
    regions: list[Text] = Field(default_factory=list)
    accounts: list[Text] = Field(default_factory=list)
    buying_process: BuyingProcess | None = None


class SalesTask(_Strict):
    """A concrete, observable thing sellers must do for the strategy to work."""

    id: Id
    name: Text
    description: Text
    examples: list[Text] = Field(min_length=1)
    counter_examples: list[Text] = Field(
        default_factory=list, description="what working against this task looks like")
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


BUYERS_JOURNEY = ("awareness", "consideration", "decision")
"""The common buyer's-journey stages a content library may use instead of a segment's own
buying-process stages; suggestions map one onto the other."""


class Strategy(_Strict):
    """The whole strategy file, validated."""

    strategy: StrategyCore
    glossary: dict[str, Text] = Field(
        default_factory=dict,
        description="this team's shorthand -> plain words (EB: economic buyer); overrides the"
                    " built-in sales shorthand")
    segments: list[Segment] = Field(min_length=1)
    sales_tasks: list[SalesTask] = Field(min_length=1)
    cadence: Cadence
    content: list[ContentItem] = Field(default_factory=list)

    @cached_property
    def version(self) -> str:
        """Content hash: the same strategy always has the same version, whatever the file layout."""
        canonical = json.dumps(_without_unset_extensions(self.model_dump(mode="json")),
                               sort_keys=True, ensure_ascii=False)
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
        """Content for a segment, the given stage first, then content for the same step of the
        buyer's journey: a buying-process stage and a journey stage (awareness, consideration,
        decision) meet by where the stage sits in the segment's buying process."""
        items = [c for c in self.content if segment_id in c.segments]
        if stage:
            wanted = self.journey_stage(segment_id, stage)
            items.sort(key=lambda c: (c.stage.lower() != stage.lower(),
                                      self.journey_stage(segment_id, c.stage) != wanted))
        return items

    def journey_stage(self, segment_id: str, stage: str) -> str | None:
        """The buyer's-journey stage a stage belongs to: itself for a journey stage; for a
        buying-process stage, the first, middle or last third of the segment's process."""
        lower = stage.strip().lower()
        if lower in BUYERS_JOURNEY:
            return lower
        segment = next((s for s in self.segments if s.id == segment_id), None)
        process = segment.buying_process if segment else None
        stages = [s.lower() for s in process.stages] if process else []
        if lower not in stages:
            return None
        third = stages.index(lower) * len(BUYERS_JOURNEY) // len(stages)
        return BUYERS_JOURNEY[third]


_EXTENSIONS: dict[str, object] = {"glossary": {}, "counter_examples": [], "employees": None, "countries": [],
               "regions": [], "accounts": []}


def _without_unset_extensions(value: object) -> object:
    """The dump with optional fields added after the first schema left out while unset, so a
    strategy that does not use them keeps the version it always had."""
    if isinstance(value, dict):
        return {k: _without_unset_extensions(v) for k, v in value.items()
                if not (k in _EXTENSIONS and v == _EXTENSIONS[k])}
    if isinstance(value, list):
        return [_without_unset_extensions(v) for v in value]
    return value
