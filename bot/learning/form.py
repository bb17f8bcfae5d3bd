"""The "Not right?" form under feedback: the strategy's tasks and segments as pick-lists,
pre-filled with what the bot read, so correcting is a few clicks, not a sentence."""

from __future__ import annotations

from bot.bounds import parse_id
from bot.evaluation.feedback import FeedbackTexts
from bot.evaluation.result import Evaluation
from bot.events import Choice, ChoiceField, ChoiceForm
from bot.learning.lessons import Labels
from bot.strategy.schema import Strategy

FORM_KIND = "correct"
TASKS_FIELD, SEGMENTS_FIELD = "tasks", "segments"


def form_id(answer_id: int, edition: int = 0) -> str:
    """`correct:12` for an answer as first written; `correct:12.2` after its second edit, so a
    "Not right?" under feedback on an earlier wording is known as such (and refused politely)."""
    return f"{FORM_KIND}:{answer_id}" + (f".{edition}" if edition else "")


def parse_target(target: str) -> tuple[int, int] | None:
    """(answer id, edition) from the part of a form id after `correct:`; None if malformed."""
    number, dot, edition = target.partition(".")
    answer_id = parse_id(number)
    if answer_id is None or (dot and not (edition.isascii() and edition.isdigit() and len(edition) <= 6)):
        return None
    return answer_id, int(edition or 0)


def correction_form(texts: FeedbackTexts, answer_id: int, evaluation: Evaluation,
                    strategy: Strategy, edition: int = 0) -> ChoiceForm | None:
    """The form for one judged answer; None when there was nothing judged to correct."""
    if not evaluation.language_supported:
        return None
    read = Labels.of(evaluation)
    fields: list[ChoiceField] = []
    if evaluation.question == "tasks" and evaluation.tasks is not None:
        fields.append(ChoiceField(
            TASKS_FIELD, texts.say("correction", "tasks"),
            tuple(Choice(t.id, t.name) for t in strategy.sales_tasks),
            initial=tuple(t for t in read.tasks if t in strategy.task_ids),
            hint=texts.say("correction", "tasks_hint")))
    fields.append(ChoiceField(
        SEGMENTS_FIELD, texts.say("correction", "segments"),
        tuple(Choice(s.id, texts.say("correction", "segment_in" if s.in_scope else "segment_out",
                                     name=s.name)) for s in strategy.segments),
        initial=tuple(s for s in read.segments if s in strategy.segment_ids)))
    return ChoiceForm(form_id(answer_id, edition), texts.say("correction", "title"),
                      texts.say("correction", "open"), tuple(fields),
                      submit_label=texts.say("correction", "save"))


def chosen(values: dict[str, str], field: str) -> tuple[str, ...] | None:
    """The ids picked in a field (None: the form had no such field, so it is not corrected)."""
    if field not in values:
        return None
    return tuple(dict.fromkeys(v.strip() for v in values[field].split(",") if v.strip()))
