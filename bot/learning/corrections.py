"""Corrections in the database: saving one, who it teaches, confirming, undoing, listing.

They live in the database, not in a process, so every process reads the same lessons. Abuse is
bounded by who made the correction: a rep's teaches their own answers at once and everyone's only
once a manager or admin confirms it, or a second person made the same correction; a manager's or
admin's teaches everyone at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.evaluation.result import Evaluation, Question
from bot.learning.lessons import (
    Labels,
    Lesson,
    Teaching,
    draw,
    in_force,
    lessons_from_json,
    lessons_to_json,
)
from bot.learning.vocabulary import taught_by
from bot.people.members import is_admin
from bot.storage.database import Database
from bot.storage.models import Correction, Member
from bot.strategy.schema import Strategy

OWN, TAUGHT, UNDONE = "own", "taught", "undone"


def teaches_at_once(author: Member) -> bool:
    return is_admin(author) or author.role in ("manager", "admin")


@dataclass(frozen=True)
class Saved:
    correction: Correction
    shared: bool  # a second person made the same correction, so it now teaches everyone


async def save(db: Database, *, author: Member, answer_id: int | None, question: Question,
               answer: str, evaluation: Evaluation, corrected: Labels, strategy: Strategy,
               now: datetime) -> Saved | None:
    """Store a correction and its lessons; None when it changes nothing."""
    read = Labels.of(evaluation)
    if set(read.tasks) == set(corrected.tasks) and set(read.segments) == set(corrected.segments):
        return None
    lessons = draw(question, answer, evaluation, corrected, strategy)
    assert author.id is not None
    row = Correction(answer_id=answer_id, author_id=author.id, question=question,
                     strategy_version=strategy.version, answer_text=answer, read=read.to_json(),
                     corrected=corrected.to_json(), lessons=lessons_to_json(lessons),
                     status=TAUGHT if teaches_at_once(author) else OWN,
                     created_at=now, updated_at=now)
    shared = False
    async with db.session() as session:
        if answer_id is not None:  # a second correction of one answer replaces the first
            for old in (await session.exec(select(Correction).where(
                    Correction.answer_id == answer_id, Correction.author_id == author.id,
                    Correction.status != UNDONE))).all():
                old.status, old.undone_by, old.updated_at = UNDONE, author.id, now
                session.add(old)
        session.add(row)
        if row.status == OWN:
            shared = await _second_opinion(session, row, lessons, strategy, now)
        await session.flush()
        await session.refresh(row)
    return Saved(row, shared)


async def _second_opinion(session: AsyncSession, row: Correction, lessons: list[Lesson],
                          strategy: Strategy, now: datetime) -> bool:
    """Two people who made the same correction teach everyone: the same lesson, or corrected
    answers of theirs that teach the same learned word (see `bot.learning.vocabulary`)."""
    keys = {lesson.key() for lesson in lessons if lesson.kind != "answer"}
    others = (await session.exec(select(Correction).where(
        Correction.status == OWN, Correction.author_id != row.author_id))).all()
    agreeing = [o for o in others if keys & {x.key() for x in lessons_from_json(o.lessons)}]
    if not agreeing and others:
        agreeing = await _same_words(session, row, list(others), strategy)
    for other in agreeing:
        other.status, other.updated_at = TAUGHT, now
        session.add(other)
    if agreeing:
        row.status = TAUGHT
    return bool(agreeing)


async def _same_words(session: AsyncSession, row: Correction, others: list[Correction],
                      strategy: Strategy) -> list[Correction]:
    """Other people's unconfirmed corrections that teach a learned word together with this one
    (read with everything that already teaches everyone, which may make a word ambiguous): a
    word two people's answers kept using for one task is as good as the same correction twice."""
    taught = (await session.exec(select(Correction.id, Correction.lessons).where(
        Correction.status == TAUGHT))).all()
    mine = -1  # not flushed yet: a number no row has
    rows = [(number or 0, raw) for number, raw in taught] + [(mine, row.lessons)] + [
        (other.id or 0, other.lessons) for other in others]
    by_id = {other.id: other for other in others}
    agreeing: dict[int, Correction] = {}
    for _, numbers in taught_by(rows, strategy):
        if mine in numbers:
            agreeing.update({n: by_id[n] for n in numbers if n in by_id})
    return list(agreeing.values())


async def teaching_for(db: Database, member_id: int | None, strategy: Strategy) -> Teaching:
    """The lessons in force for this person's answers: everyone's, plus their own unconfirmed."""
    condition: Any = col(Correction.status) == TAUGHT
    if member_id is not None:
        condition = or_(condition, and_(col(Correction.status) == OWN,
                                        col(Correction.author_id) == member_id))
    async with db.session() as session:
        rows = (await session.exec(select(Correction.lessons).where(condition)
                                   .order_by(col(Correction.id)))).all()
    return teaching_from(rows, strategy)


def teaching_from(rows: Iterable[str], strategy: Strategy) -> Teaching:
    """The lessons in force under `strategy`, from corrections' lessons JSON (in id order)."""
    return in_force((lesson for raw in rows for lesson in lessons_from_json(raw)), strategy)


async def listing(db: Database, *, authors: set[int] | None = None,
                  since: datetime | None = None, include_undone: bool = False) -> list[Correction]:
    query = select(Correction).order_by(col(Correction.id))
    if authors is not None:
        query = query.where(col(Correction.author_id).in_(authors))
    if since is not None:
        query = query.where(col(Correction.created_at) >= since)
    if not include_undone:
        query = query.where(Correction.status != UNDONE)
    async with db.session() as session:
        return list((await session.exec(query)).all())


async def get(db: Database, correction_id: int) -> Correction | None:
    async with db.session() as session:
        return await session.get(Correction, correction_id)


async def set_status(db: Database, correction_id: int, status: str, by: Member,
                     now: datetime) -> Correction | None:
    """Confirm (`taught`) or undo (`undone`) a correction; None when there is no such one."""
    async with db.session() as session:
        row = await session.get(Correction, correction_id)
        if row is None:
            return None
        row.status, row.updated_at = status, now
        if status == TAUGHT:
            row.confirmed_by = by.id
        elif status == UNDONE:
            row.undone_by = by.id
        session.add(row)
        await session.flush()
        await session.refresh(row)
        return row


def counts(rows: list[Correction]) -> Counter[str]:
    return Counter(row.status for row in rows)
