"""What a digest needs from one answer, kept in plain columns of `answers` next to the stored
evaluation, so a digest of a whole organisation adds and counts in SQL instead of parsing every
answer's evaluation JSON (issue 24: 7.5 s at 10,000 reps when it parsed them).

The columns are derived from (text, evaluation) only, whenever an answer is inserted or updated
through the ORM (first verdict, an edit, a correction, `/align strategy rejudge`): see the mapper
hooks in `bot.storage.models`. Migration 0014_digest_aggregates backfills existing rows with the
same function. Segment and task ids are stored as judged; the digest filters them by the current
strategy, exactly as it did on the parsed evaluations.

`substantive` is None when the answer has no readable evaluation: the digest skips such answers
(an unreadable one never broke a digest and still does not).
"""

from __future__ import annotations

import json
from typing import Any

from bot.evaluation.contradictions import claims_price, stated_out_of_scope
from bot.evaluation.feedback import default_texts, off_strategy
from bot.evaluation.result import Evaluation
from bot.evaluation.substance import assess, is_substantive
from bot.text import shorten

SUB_SCORES = ("brevity", "components", "scope_clarity", "buying_process", "critical_coverage",
              "focus")
SCORE_COLUMNS = tuple(f"score_{name}" for name in SUB_SCORES)
LIST_COLUMNS = ("played", "done_tasks", "unmapped_texts", "against_items", "statement_facts")
COUNT_COLUMNS = ("done_count", "unmapped_count", "off_count", "against_count")
COLUMNS = ("substantive", *LIST_COLUMNS, *COUNT_COLUMNS, *SCORE_COLUMNS)
QUOTE_LIMIT = 80  # how much of the evidence "working against" quotes


def short(text: str, limit: int = 90) -> str:
    return shorten(text, limit)


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def unreadable() -> dict[str, Any]:
    return dict.fromkeys(COLUMNS)


def from_evaluation(text: str, evaluation: Evaluation, audience: str | None = None) -> dict[str, Any]:
    """The derived columns of an answer with this text and verdict, given to `audience` (its
    check-in's: a manager's team rhythm - pipeline reviews, 1:1s - is no off-strategy effort,
    as in the feedback)."""
    row = unreadable()
    row["substantive"] = is_substantive(text)
    if evaluation.scope is not None:  # stated as played, as judged; filtered by strategy later
        row["played"] = _dump([[m.segment_id, m.in_scope] for m in evaluation.scope.segments
                               if m.stated_as_played])
    tasks = evaluation.tasks
    if tasks is not None:
        row["done_tasks"] = _dump(tasks.task_ids)
        row["done_count"] = len(tasks.task_ids)
        unmapped = off_strategy(default_texts(), tasks.unmapped, audience, text)
        row["unmapped_count"] = len(unmapped)
        row["off_count"] = sum(assess(e.text, allow_one_word=True).substantive for e in unmapped)
        row["against_count"] = len({(x.kind, x.target) for x in tasks.against})
        shown = [" ".join(e.text.split()).strip(" .;,-") for e in unmapped]
        row["unmapped_texts"] = _dump([t for t in shown
                                       if t and assess(t, allow_one_word=True).substantive])
        row["against_items"] = _dump([[x.name, short(x.evidence.text, QUOTE_LIMIT)]
                                      for x in tasks.against])
    statement = evaluation.statement
    if statement is not None:
        row["statement_facts"] = _dump([
            statement.word_count, statement.within_limit,
            [c.component for c in statement.components if c.covered],
            [c.component for c in statement.components if not c.covered],
            list(stated_out_of_scope(evaluation)), claims_price(evaluation.statement_text)])
    for name, column in zip(SUB_SCORES, SCORE_COLUMNS, strict=True):
        row[column] = evaluation.scores.get(name)
    return row


def derive(text: str, evaluation_json: str | None, audience: str | None = None) -> dict[str, Any]:
    """The derived columns from the stored JSON; all None when there is none or it is unreadable
    (parsed quietly: the digest logs nothing for a row it simply leaves out)."""
    if not evaluation_json:
        return unreadable()
    try:
        evaluation = Evaluation.model_validate_json(evaluation_json)
    except ValueError:
        return unreadable()
    return from_evaluation(text, evaluation, audience)


def fill(answer: Any, audience: str | None = None) -> None:
    """Set an Answer's derived columns from its text and evaluation (the ORM hooks call this,
    with its check-in's audience)."""
    for column, value in derive(answer.text or "", answer.evaluation, audience).items():
        setattr(answer, column, value)
