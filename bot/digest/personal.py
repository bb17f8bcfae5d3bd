"""A member's own alignment for `/align me`: their latest answered check-in against the one
before. Reads only the caller's rows, so a rep sees their own data and nobody else's."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digest.texts import DigestTexts
from bot.evaluation.result import QUESTIONS, Evaluation
from bot.storage.models import Answer, CheckIn, Member


async def _scores(session: AsyncSession, checkin_id: int | None) -> dict[str, float]:
    rows = (await session.exec(select(Answer.evaluation).where(
        Answer.checkin_id == checkin_id, col(Answer.evaluation).is_not(None)))).all()
    evaluations = [Evaluation.model_validate_json(text) for text in rows if text]
    return {e.question: e.overall for e in evaluations}


async def my_alignment(session: AsyncSession, member: Member, texts: DigestTexts) -> list[str]:
    """Lines about the member's latest two answered check-ins (none if they never answered)."""
    recent = (await session.exec(select(CheckIn).where(
        CheckIn.member_id == member.id, col(CheckIn.answered_at).is_not(None)).order_by(
        col(CheckIn.occurrence_at).desc()).limit(2))).all()
    if not recent:
        return [texts.say("me.none")]
    latest = await _scores(session, recent[0].id)
    before = await _scores(session, recent[1].id) if len(recent) > 1 else {}
    parts = []
    for question in QUESTIONS:
        if question not in latest:
            continue
        value, earlier = latest[question], before.get(question)
        change = "" if earlier is None else texts.say(
            "me.change", delta=f"{value - earlier:+.2f}")
        parts.append(texts.say("me.score", name=texts.say(f"trend.names.{question}"),
                               value=f"{value:.2f}", change=change).rstrip())
    when = recent[0].occurrence_at.strftime("%d %b %Y")
    return [texts.say("me.latest", date=when, scores="; ".join(parts))]
