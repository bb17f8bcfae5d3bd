"""Oversized and unusual input on Teams' /api/messages, through the real botbuilder CloudAdapter:
a body over 1 MiB gets 413; control characters in a message, a card's answers or a sender's name
are taken out before anything is stored; a card carrying fields that are no question stores only
the answers; a very long answer is cut with a message; unicode answers come back intact."""

from __future__ import annotations

import json
import unicodedata

import aiohttp
from sqlmodel import select

from bot.core import BotCore
from bot.storage.models import Answer, Contact
from bot.text import ANSWER_LIMIT
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import ADA, DANA, Teams
from tests.adapters.teams.test_flow import setup_team
from tests.support.bot_connector import card_text


async def answers(core: BotCore) -> dict[str, str]:
    async with core.ctx.db.session() as session:
        return {a.question: a.text for a in (await session.exec(select(Answer))).all()}


async def card_id_of_ask(teams: Teams) -> str:
    [ask] = teams.connector.of("send", teams.dm(DANA))
    return next(aid for (_, aid), body in teams.connector.activities.items() if body is ask.body)


async def test_a_body_over_1_mib_gets_413_and_nothing_is_stored(teams: Teams, core: BotCore) -> None:
    huge = act.message(teams.connector.service_url, teams.user(DANA), "x" * 1_100_000)
    async with aiohttp.ClientSession() as session, session.post(teams.url, json=huge) as response:
        assert response.status == 413
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Contact))).all() == []


async def test_control_characters_and_unknown_fields_never_reach_the_database(
        teams: Teams, core: BotCore) -> None:
    await setup_team(teams)
    await teams.say(ADA, "align ask now dana")
    card_id = await card_id_of_ask(teams)
    sender = teams.user(DANA) | {"name": "Dana\x00\x1b"}
    data = {"alignbot_action": "checkin:1", "answer:strategy": "We win\x00 fintech\x07 audits.",
            "answer:tasks": "Mapped\x1b the committee.", "answer:bogus": "not a question",
            "answer:scope": {"nested": "object"}}
    assert await teams.post(act.submit(teams.connector.service_url, sender, card_id, data)) == 200
    stored = await answers(core)
    assert stored["strategy"] == "We win fintech audits." and stored["tasks"] == "Mapped the committee."
    assert set(stored) == {"strategy", "tasks", "scope"}  # "bogus" is no question: ignored
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Contact).where(Contact.user_id == DANA))).one()
    assert dana.name == "Dana"
    await teams.say(DANA, "align answer 2 Fintech\x00 only")
    assert (await answers(core))["scope"] == "Fintech only"


async def test_a_very_long_answer_is_cut_with_a_message_and_unicode_comes_back_intact(
        teams: Teams, core: BotCore) -> None:
    await setup_team(teams)
    await teams.say(ADA, "align ask now dana")
    long_answer = " ".join(f"Sent the SOC 2 report to prospect {i}." for i in range(300))
    replies = await teams.say(DANA, long_answer)
    kept = (await answers(core))["strategy"]
    assert len(kept) <= ANSWER_LIMIT and long_answer.startswith(kept)
    assert any(f"kept the first {len(kept):,} characters" in r for r in replies)

    rtl = "Mid-market fintech 🚀 and regional banks; לא ממשלה; Cafe\u0301 chains are out."
    replies = await teams.say(DANA, rtl)
    assert (await answers(core))["scope"] == unicodedata.normalize("NFC", rtl)
    assert "saved your answer to question 2" in replies[0]
    [shown] = await teams.say(DANA, "align answers")
    assert unicodedata.normalize("NFC", rtl) in shown and kept in shown  # whole, not cut
    last = teams.connector.cards(conversation=teams.dm(DANA))[-1]
    assert "🚀" in card_text(last) and json.dumps(last, ensure_ascii=False).count("לא ממשלה") == 1
