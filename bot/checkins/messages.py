"""Builds the platform-neutral messages of a check-in from the texts in `prompts/`."""

from __future__ import annotations

from typing import Protocol

from bot.events import FormField, Message, QuestionForm, Text
from bot.prompts import Prompts, QuestionSet
from bot.storage.models import Answer, CheckIn


class Asked(Protocol):
    """A check-in as an invitation needs it: a `CheckIn` row or the answer path's plain columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def audience(self) -> str: ...


def form_id(checkin: Asked) -> str:
    return form_id_of(checkin.id)


def form_id_of(checkin_id: int | None) -> str:
    return f"checkin:{checkin_id}"


def question_line(prompts: Prompts, questions: QuestionSet, index: int) -> str:
    q = questions.questions[index]
    return prompts.say("question", number=index + 1, total=len(questions.questions), text=q.text)


def ask_message(prompts: Prompts, checkin: Asked, name: str, strategy_name: str,
                answers: dict[str, str] | None = None) -> Message:
    """The check-in invitation: intro, the form (for platforms with forms) and question 1."""
    questions = prompts.questions(checkin.audience)
    intro = questions.intro.format(name=name, strategy_name=strategy_name)
    answers = answers or {}
    form = QuestionForm(
        form_id=form_id(checkin),
        title=prompts.say("form_title"),
        fields=tuple(FormField(q.id, q.text, hint=q.hint, initial=answers.get(q.id, ""))
                     for q in questions.questions),
        submit_label=prompts.say("edit_button" if answers else "answer_button"),
    )
    first = question_line(prompts, questions, 0)
    return Message(text=f"{intro}\n{first}", blocks=(Text(intro), form, Text(first)))


class Invitation:
    """The check-in invitation of one audience, rendered once for a whole fan-out: the questions,
    the form's fields, its labels and question 1 are the same for everyone asked at one
    occurrence; only the name in the intro and the check-in's form id differ per member."""

    def __init__(self, prompts: Prompts, audience: str, strategy_name: str) -> None:
        questions = prompts.questions(audience)
        self._intro, self._strategy_name = questions.intro, strategy_name
        self._title, self._submit = prompts.say("form_title"), prompts.say("answer_button")
        self._fields = tuple(FormField(q.id, q.text, hint=q.hint) for q in questions.questions)
        first = question_line(prompts, questions, 0)
        self._first, self._first_block = first, Text(first)

    def to(self, checkin_id: int | None, name: str, key: str | None = None) -> Message:
        """The invitation as `ask_message` builds it (without earlier answers), for one member;
        `key`: the outbox key it is sent under, set here rather than on a copy at the send."""
        intro = self._intro.format(name=name, strategy_name=self._strategy_name)
        form = QuestionForm(form_id=form_id_of(checkin_id), title=self._title, fields=self._fields,
                            submit_label=self._submit)
        return Message(text=f"{intro}\n{self._first}", blocks=(Text(intro), form, self._first_block),
                       key=key)


def answers_message(prompts: Prompts, checkin: CheckIn, answers: list[Answer]) -> Message:
    """A member's current answers, in question order."""
    questions = prompts.questions(checkin.audience)
    by_id = {a.question: a.text for a in answers}
    lines = [f"{i + 1}. {q.label}: {by_id.get(q.id, '(not answered yet)')}"
             for i, q in enumerate(questions.questions)]
    text = "Your answers:\n" + "\n".join(lines)
    return Message(text=text, blocks=(Text("Your answers", style="heading"),
                                      *(Text(line) for line in lines)))
