"""Taking an answer as one unit of work on the database's thread (`Database.run`).

An inbound answer - a chat message answering the current question, a submitted check-in form -
is, in one transaction: the platform's event id recorded (a redelivery stops there), the member
and their check-in read (locked on PostgreSQL), each answer inserted or updated, the check-in
moved on, and, when the evaluator can judge synchronously (the rules), each answer judged and its
verdict stored with it. The statements are SQLAlchemy Core built once at import (their compiled
form is cached by the engine), rows are plain tuples, and the whole unit is one hand-off to the
database thread: the async session it replaces took some 70 statements, each handed to the driver's
thread and back through the event loop, and built ORM objects for every row.

What the answer path decides (which check-in, which question, what is saved) lives here only:
`CheckIns` runs its chat, form and `/align answer` paths through `take`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.digest.derived import COLUMNS as DERIVED_COLUMNS
from bot.digest.derived import from_evaluation
from bot.evaluation.result import Evaluation
from bot.events import Message
from bot.prompts import Prompts
from bot.storage.models import Answer, CheckIn, Correction, InboundEvent, Member
from bot.text import ANSWER_LIMIT, clean

OPEN_STATES = ("asked", "reminded", "answered")  # answers can be edited until it closes
HISTORY_ANSWERS = 26  # earlier tasks answers a tasks answer's coaching looks at (half a year)

_MEMBERS: Table = Member.__table__  # type: ignore[attr-defined]
_CHECKINS: Table = CheckIn.__table__  # type: ignore[attr-defined]
_ANSWERS: Table = Answer.__table__  # type: ignore[attr-defined]
_INBOUND: Table = InboundEvent.__table__  # type: ignore[attr-defined]
_CORRECTIONS: Table = Correction.__table__  # type: ignore[attr-defined]

# --- the statements, built once -----------------------------------------------------------

_INBOUND_ROW = {"platform": bindparam("platform"), "event_id": bindparam("event_id"),
                "received_at": bindparam("received_at", type_=_INBOUND.c.received_at.type)}
RECORD_EVENT = {  # the event id, unless recorded before: RETURNING says which
    dialect: make(_INBOUND).values(_INBOUND_ROW).on_conflict_do_nothing(
        index_elements=["platform", "event_id"]).returning(_INBOUND.c.id)
    for dialect, make in (("sqlite", sqlite_insert), ("postgresql", pg_insert))}
MEMBER_BY_REF = select(_MEMBERS.c.id, _MEMBERS.c.name, _MEMBERS.c.active).where(
    _MEMBERS.c.platform == bindparam("platform"), _MEMBERS.c.platform_user_id == bindparam("user"))
MEMBER_BY_ID = select(_MEMBERS.c.id, _MEMBERS.c.name, _MEMBERS.c.active).where(
    _MEMBERS.c.id == bindparam("member_id"))
_CHECKIN_COLUMNS = (_CHECKINS.c.id, _CHECKINS.c.member_id, _CHECKINS.c.audience, _CHECKINS.c.state,
                    _CHECKINS.c.current_question, _CHECKINS.c.answered_at, _CHECKINS.c.closes_at,
                    _CHECKINS.c.strategy_version, _CHECKINS.c.message_ref)
# Locked (PostgreSQL; SQLite's unit holds the write lock from its start): two answers to one
# check-in take turns, so each sees the other's rows.
OPEN_CHECKINS = select(*_CHECKIN_COLUMNS).where(
    _CHECKINS.c.member_id == bindparam("member_id"), _CHECKINS.c.state.in_(OPEN_STATES)).order_by(
    _CHECKINS.c.asked_at.desc()).with_for_update()
CHECKIN_BY_ID = select(*_CHECKIN_COLUMNS).where(_CHECKINS.c.id == bindparam("checkin_id")).with_for_update()
ANSWERS_OF = select(_ANSWERS.c.id, _ANSWERS.c.question, _ANSWERS.c.text, _ANSWERS.c.edits).where(
    _ANSWERS.c.checkin_id == bindparam("checkin_id")).order_by(_ANSWERS.c.id)
_NOW = bindparam("now", type_=_ANSWERS.c.updated_at.type)
_NO_VERDICT = {**dict.fromkeys(DERIVED_COLUMNS), "evaluation": None, "feedback": None}
# An answer judged in its unit is written once, with its verdict and the digest's columns
# (judged before it is written: nothing the judge reads depends on the row); one judged later
# is written without them.
_VERDICT: dict[str, Any] = {"evaluation": bindparam("evaluation"), "overall_score": bindparam("overall"),
            "feedback": bindparam("feedback_text"), **{c: bindparam(f"d_{c}") for c in DERIVED_COLUMNS}}


def _insert_answer(verdict: dict[str, Any]) -> Any:
    """INSERT of a new answer, the check-in's occurrence copied in the same statement."""
    return insert(_ANSWERS).values(
        checkin_id=bindparam("checkin_id"), member_id=bindparam("member_id"),
        question=bindparam("question"), text=bindparam("text"), edits=0, created_at=_NOW,
        updated_at=_NOW, occurrence_at=select(_CHECKINS.c.occurrence_at).where(
            _CHECKINS.c.id == bindparam("checkin_id")).scalar_subquery(),
        **verdict).returning(_ANSWERS.c.id)


def _edit_answer(verdict: dict[str, Any]) -> Any:
    return update(_ANSWERS).where(_ANSWERS.c.id == bindparam("answer_id")).values(
        text=bindparam("text"), updated_at=_NOW, edits=_ANSWERS.c.edits + 1, **verdict)


INSERT_ANSWER, INSERT_JUDGED = _insert_answer(_NO_VERDICT), _insert_answer(_VERDICT)
EDIT_ANSWER, EDIT_JUDGED = _edit_answer(_NO_VERDICT), _edit_answer(_VERDICT)
ADVANCE = update(_CHECKINS).where(_CHECKINS.c.id == bindparam("checkin_id")).values(
    current_question=bindparam("current_question"), state=bindparam("state"),
    answered_at=bindparam("answered_at", type_=_CHECKINS.c.answered_at.type))
TEACHING = select(_CORRECTIONS.c.lessons).where(or_(
    _CORRECTIONS.c.status == "taught",
    and_(_CORRECTIONS.c.status == "own", _CORRECTIONS.c.author_id == bindparam("member_id")))).order_by(
    _CORRECTIONS.c.id)
TASK_HISTORY = select(_ANSWERS.c.created_at, _ANSWERS.c.done_tasks).where(
    _ANSWERS.c.member_id == bindparam("member_id"), _ANSWERS.c.question == "tasks",
    _ANSWERS.c.id != bindparam("answer_id"), _ANSWERS.c.evaluation.is_not(None)).order_by(
    _ANSWERS.c.created_at.desc()).limit(HISTORY_ANSWERS)


# --- what a unit reads and returns ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckInRow:
    """A check-in as the answer path reads it (plain columns)."""

    id: int
    member_id: int
    audience: str
    state: str
    current_question: int | None
    answered_at: datetime | None
    closes_at: datetime | None
    strategy_version: str
    message_ref: str | None

    def open_at(self, now: datetime) -> bool:
        return self.state in OPEN_STATES and (self.closes_at is None or self.closes_at > now)


@dataclass(frozen=True, slots=True)
class Saved:
    """One answer as stored by the unit."""

    id: int
    question: str
    text: str
    edits: int
    member_id: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """An answer judged in the unit: its feedback is ready."""

    answer_id: int
    message: Message


@dataclass
class Taken:
    """What a unit did with one inbound answer. `replies` are for the person; `checkin` is the
    open check-in the answer was for (even when nothing was saved in it, e.g. all answered);
    when something was `saved`, `answers` are all of its answers now (for the invitation or
    card shown again)."""

    duplicate: bool = False
    replies: list[Message] = field(default_factory=list)
    member_name: str = ""
    checkin: CheckInRow | None = None
    answers: dict[str, str] = field(default_factory=dict)
    saved: list[Saved] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)  # judged in the unit
    first_time_done: bool = False
    chat: bool = False
    alongside: Any = None  # what the caller's own step in the same unit returned (`CheckIns.take`)


@dataclass(frozen=True, slots=True)
class Judged:
    """An answer judged in its unit, before it is written: the verdict as stored (its JSON and
    the feedback's text) and `finish`, which gives the feedback as sent once the answer's id is
    known (its "Not right?" form names the answer)."""

    evaluation: Evaluation
    evaluation_json: str
    feedback: str
    finish: Callable[[Saved], Message]


# Judges one answer inside the unit before it is written, given the connection (for what it
# reads: the lessons, the person's history) and the check-in; the answer's `id` is 0 when it is
# new. None when it must be judged outside (e.g. an LLM, or an older strategy version not in
# memory).
InlineJudge = Callable[[Connection, Saved, CheckInRow], Judged | None]


@dataclass(frozen=True)
class Answering:
    """One inbound answer: who (a platform ref to look up, or a member already known), which
    check-in (a form's id, or the open one's current question in chat) and what they wrote."""

    values: dict[str, str]  # question id -> text; chat: {"": text}, the current question's
    platform: str = ""
    user_id: str = ""
    member_id: int | None = None
    checkin_id: int | None = None  # a form's check-in; None: the member's open one
    event_id: str | None = None  # the platform's, recorded first (a redelivery stops there)
    chat: bool = False  # plain chat: the text answers the current question
    edit_number: int | None = None  # `/align answer <n>`: the n-th question of the open one


def take(connection: Connection, request: Answering, *, now: datetime, prompts: Prompts,
         judge: InlineJudge | None) -> Taken:
    """The unit of work for one inbound answer (see the module docstring)."""
    if request.event_id is not None:
        recorded = connection.execute(RECORD_EVENT[connection.dialect.name], {
            "platform": request.platform[:32], "event_id": request.event_id[:200],
            "received_at": now}).first()
        if recorded is None:
            return Taken(duplicate=True)
    if request.member_id is not None:
        member = connection.execute(MEMBER_BY_ID, {"member_id": request.member_id}).first()
    else:
        member = connection.execute(MEMBER_BY_REF, {"platform": request.platform,
                                                    "user": request.user_id}).first()
    if member is None or not member.active:
        return Taken(replies=[Message.plain(prompts.say("unknown_member"))])
    taken = Taken(member_name=member.name, chat=request.chat)
    checkin, values = _target(connection, request, member.id, now, prompts, taken)
    if checkin is None:
        return taken
    questions = prompts.questions(checkin.audience)
    existing = {row.question: row for row in connection.execute(
        ANSWERS_OF, {"checkin_id": checkin.id})}
    taken.answers = {question: row.text for question, row in existing.items()}
    for question, raw in values.items():
        text, cut = clean(raw)
        if cut:
            taken.replies.append(Message.plain(prompts.say(
                "answer_cut", kept=f"{len(text):,}", limit=f"{ANSWER_LIMIT:,}")))
        before = existing.get(question)
        edits = 0 if before is None else before.edits + 1
        draft = Saved(0 if before is None else before.id, question, text, edits, member.id)
        judged = judge(connection, draft, checkin) if judge is not None else None
        verdict = verdict_params(draft, judged.evaluation, judged.evaluation_json,
                                 judged.feedback, checkin.audience) if judged is not None else {}
        if before is None:
            answer_id = connection.execute(INSERT_JUDGED if judged else INSERT_ANSWER, {
                "checkin_id": checkin.id, "member_id": member.id, "question": question,
                "text": text, "now": now, **verdict}).scalar_one()
        else:
            connection.execute(EDIT_JUDGED if judged else EDIT_ANSWER, {
                "answer_id": before.id, "text": text, "now": now, **verdict})
            answer_id = before.id
        saved = Saved(answer_id, question, text, edits, member.id)
        taken.saved.append(saved)
        if judged is not None:
            taken.verdicts.append(Verdict(answer_id, judged.finish(saved)))
        taken.answers[question] = text
        number = questions.index_of(question) + 1  # type: ignore[arg-type]
        taken.replies.append(Message.plain(prompts.say(
            "answer_edited" if before is not None else "answer_saved", number=number)))
    taken.checkin = _advance(connection, checkin, set(taken.answers), prompts, now, taken)
    return taken


def verdict_params(saved: Saved, evaluation: Evaluation, evaluation_json: str,
                   feedback: str, audience: str | None = None) -> dict[str, Any]:
    """The verdict's parameters of INSERT_JUDGED and EDIT_JUDGED: the verdict with the digest's
    columns derived from it for its check-in's `audience` (as the ORM's hooks derive them on
    any other write of an answer: a manager's team rhythm is no off-strategy effort)."""
    derived = from_evaluation(saved.text, evaluation, audience)
    return {"evaluation": evaluation_json, "overall": evaluation.overall, "feedback_text": feedback,
            **{f"d_{column}": value for column, value in derived.items()}}


def _target(connection: Connection, request: Answering, member_id: int, now: datetime,
            prompts: Prompts, taken: Taken) -> tuple[CheckInRow | None, dict[str, str]]:
    """The check-in answered and what is saved in it; None (with the reply set) when nothing is."""
    if request.checkin_id is not None:  # a form: the check-in it was opened for
        found = connection.execute(CHECKIN_BY_ID, {"checkin_id": request.checkin_id}).first()
        checkin = CheckInRow(*found) if found is not None else None
        if checkin is None or checkin.member_id != member_id:
            taken.replies.append(Message.plain(prompts.say("answer_checkin_not_yours")))
            return None, {}
        if not checkin.open_at(now):
            taken.replies.append(Message.plain(prompts.say("answer_checkin_closed")))
            return None, {}
        taken.checkin = checkin
        known: set[str] = {q.id for q in prompts.questions(checkin.audience).questions}
        values = {q: v for q, v in request.values.items() if q in known and v and v.strip()}  # a forged
        if not values:  # or stale form may carry fields that are no question: they are ignored
            taken.replies.append(Message.plain(prompts.say("answer_nothing_to_save")))
        return (checkin, values) if values else (None, {})
    rows = connection.execute(OPEN_CHECKINS, {"member_id": member_id}).all()
    checkin = next((c for c in (CheckInRow(*row) for row in rows) if c.open_at(now)), None)
    if checkin is None:
        taken.replies.append(Message.plain(prompts.say("no_open_checkin")))
        return None, {}
    taken.checkin = checkin  # the one being answered (its invitation's thread), saved in or not
    questions = prompts.questions(checkin.audience).questions
    text = request.values.get("", "")
    if request.edit_number is not None:
        if not 1 <= request.edit_number <= len(questions):
            taken.replies.append(Message.plain(prompts.say("answer_pick_question",
                                                           total=len(questions))))
            return None, {}
        return checkin, {questions[request.edit_number - 1].id: text}
    if checkin.current_question is None:
        taken.replies.append(Message.plain(prompts.say("checkin_already_complete")))
        return None, {}
    return checkin, {questions[checkin.current_question].id: text}


def _advance(connection: Connection, checkin: CheckInRow, answered: set[str], prompts: Prompts,
             now: datetime, taken: Taken) -> CheckInRow:
    """Point at the first unanswered question; mark answered when none is left."""
    order = [q.id for q in prompts.questions(checkin.audience).questions]
    pending = [i for i, q in enumerate(order) if q not in answered]
    current = pending[0] if pending else None
    taken.first_time_done = not pending and checkin.answered_at is None
    answered_at = now if taken.first_time_done else checkin.answered_at
    state = "answered" if not pending else checkin.state
    connection.execute(ADVANCE, {"checkin_id": checkin.id, "current_question": current,
                                 "state": state, "answered_at": answered_at})
    return CheckInRow(checkin.id, checkin.member_id, checkin.audience, state, current, answered_at,
                      checkin.closes_at, checkin.strategy_version, checkin.message_ref)


def lessons_rows(connection: Connection, member_id: int) -> list[str]:
    """The lessons JSON of every correction in force for this person (see `teaching_for`)."""
    return [row[0] for row in connection.execute(TEACHING, {"member_id": member_id})]


def task_history_rows(connection: Connection, member_id: int,
                      answer_id: int) -> list[tuple[datetime, str | None]]:
    """(created_at, done task ids JSON) of the person's earlier judged tasks answers, newest first."""
    return [(row[0], row[1]) for row in connection.execute(
        TASK_HISTORY, {"member_id": member_id, "answer_id": answer_id})]


def done_tasks(raw: str | None) -> list[str]:
    """A stored `done_tasks` column's task ids ([] when there is none)."""
    try:
        ids = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []
