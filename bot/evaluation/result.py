"""The one result type every evaluator returns for one answer to one question.

Feedback, digests and exports read only this type, so evaluators can change freely behind it.
Spans (`Evidence.start`/`end`) index into the answer text exactly as the person wrote it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Question = Literal["strategy", "scope", "tasks"]
QUESTIONS: tuple[Question, ...] = ("strategy", "scope", "tasks")
Component = Literal["objectives", "scope", "advantage"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    """A span of the answer that supports a finding."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


TaskState = Literal["done", "planned", "not_done"]
"""Done counts as coverage; planned ("will send the proposal Mon") and not done or stalled
("couldn't reach the CISO, security review still stuck") are shown, stored and never counted."""


class TaskMatch(_Model):
    """One activity the person mentioned, mapped to a strategy-defined sales task."""

    task_id: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: Evidence
    state: TaskState = "done"


class Against(_Model):
    """Work that goes against the strategy: the opposite of a sales task ("gave an extra 15%
    discount" against "defend price with value") or of an objective ("no discount-led deals")."""

    kind: Literal["task", "objective"]
    target: str = Field(description="the task id, or the objective's id (or its 1-based number)")
    name: str = Field(description="the task's name or the objective's text, for feedback")
    evidence: Evidence


class TasksResult(_Model):
    """What the person is doing, against the strategy's sales tasks."""

    matches: list[TaskMatch] = Field(default_factory=list)
    unmapped: list[Evidence] = Field(
        default_factory=list, description="activities that map to no task: off-strategy effort"
    )
    negated: list[Evidence] = Field(
        default_factory=list, description="activities the person said they did not do"
    )
    critical_missing: list[str] = Field(default_factory=list, description="critical task ids")
    against: list[Against] = Field(
        default_factory=list, description="work that goes against a task or an objective")
    away: list[Evidence] = Field(
        default_factory=list, description="where the person says they were away (PTO, sick,"
                                          " out of office): with nothing done, an answer too")

    @property
    def task_ids(self) -> list[str]:
        """Distinct task ids done (the only state that counts), in order of first mention."""
        return list(dict.fromkeys(m.task_id for m in self.matches if m.state == "done"))

    def ids_in(self, state: TaskState) -> list[str]:
        """Distinct task ids in `state` that are not also done in this answer."""
        done = set(self.task_ids)
        return list(dict.fromkeys(m.task_id for m in self.matches
                                  if m.state == state and m.task_id not in done))

    def against_ids(self) -> list[str]:
        """`task:<id>` / `objective:<id>` for everything worked against, as datasets label it."""
        return list(dict.fromkeys(f"{a.kind}:{a.target}" for a in self.against))


class SegmentMention(_Model):
    """A segment the person named (by name, alias or a close misspelling)."""

    segment_id: str
    in_scope: bool
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: Evidence
    stated_as_played: bool = Field(
        default=True,
        description="False when the person said we do NOT play there (e.g. 'we avoid SMB')",
    )


class ProcessCoverage(_Model):
    """Buying-process stages and roles the person named for a segment, against the definition."""

    segment_id: str
    stages_mentioned: list[str] = Field(default_factory=list)
    stages_missing: list[str] = Field(default_factory=list)
    roles_mentioned: list[str] = Field(default_factory=list)
    roles_missing: list[str] = Field(default_factory=list)


class ScopeResult(_Model):
    segments: list[SegmentMention] = Field(default_factory=list)
    processes: list[ProcessCoverage] = Field(default_factory=list)

    def ids(self, *, in_scope: bool) -> list[str]:
        return list(dict.fromkeys(s.segment_id for s in self.segments if s.in_scope is in_scope))


class ComponentCoverage(_Model):
    component: Component
    covered: bool
    evidence: list[Evidence] = Field(default_factory=list)


class StatementResult(_Model):
    """The person's statement of the strategy: brevity and the three components."""

    word_count: int = Field(ge=0)
    word_limit: int = 50
    within_limit: bool
    components: list[ComponentCoverage]


class Evaluation(_Model):
    """The verdict on one answer: findings, scores in 0..1, and who produced it."""

    question: Question
    evaluator: str
    evaluator_version: str
    strategy_version: str
    tasks: TasksResult | None = None
    scope: ScopeResult | None = None
    statement: StatementResult | None = None
    scores: dict[str, float] = Field(default_factory=dict)
    overall: float = Field(ge=0.0, le=1.0)
    fallback_reason: str | None = Field(
        default=None, description="set when another evaluator failed and this result replaced it"
    )
    language: str | None = Field(default=None, description="the answer's language (ISO 639-1)")
    statement_text: str = Field(
        default="", description="for strategy answers: the statement as written (feedback reads"
                                " which advantage it claims)")
    language_supported: bool = Field(
        default=True, description="False when the evaluator does not read that language: nothing"
                                  " was judged, and the feedback says so")
    strategy_language: str | None = Field(
        default=None, description="set (to the strategy's language) when the answer's language is"
                                  " read but nothing in it met a strategy written in another:"
                                  " nothing was judged, and the feedback says why")
