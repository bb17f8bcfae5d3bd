"""The database unavailable while people use the bot in Teams, through the real botbuilder
CloudAdapter and the local Bot Connector: a typed answer and a submitted card are refused in the
conversation (the card's answers quoted back), nothing is stored, and sending again stores once."""

from __future__ import annotations

from sqlmodel import select

from bot.core import BotCore
from bot.storage.models import Answer
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import ADA, DANA, Teams
from tests.adapters.teams.test_flow import ANSWERS, setup_team
from tests.support.outage import Outage


async def answers(core: BotCore) -> list[Answer]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(Answer))).all())


async def test_a_typed_answer_while_the_database_is_down_is_refused_then_stored_once(
        teams: Teams, core: BotCore, outage: Outage) -> None:
    await setup_team(teams)
    await teams.say(ADA, "align ask now dana")
    await outage.begin()
    [refusal] = await teams.say(DANA, ANSWERS["strategy"])  # 200 to Teams, and a clear reply
    await outage.end()
    assert "couldn't save that just now" in refusal and "send it again" in refusal
    assert await answers(core) == []

    replies = await teams.say(DANA, ANSWERS["strategy"])
    assert "saved your answer to question 1" in replies[0]
    [stored] = await answers(core)
    assert (stored.text, stored.edits) == (ANSWERS["strategy"], 0)


async def test_a_card_submitted_while_the_database_is_down_gets_its_answers_back(
        teams: Teams, core: BotCore, outage: Outage) -> None:
    connector = teams.connector
    await setup_team(teams)
    await teams.say(ADA, "align ask now dana")
    [ask] = connector.of("send", teams.dm(DANA))
    card_id = next(aid for (_, aid), body in connector.activities.items() if body is ask.body)
    data = {"alignbot_action": "checkin:1", **{f"answer:{k}": v for k, v in ANSWERS.items()}}
    pressed = act.submit(connector.service_url, teams.user(DANA), card_id, data)

    await outage.begin()
    assert await teams.post(pressed) == 200
    await outage.end()
    refusal = connector.card_texts(conversation=teams.dm(DANA))[-1]
    assert "couldn't save your answers" in refusal
    assert all(text in refusal for text in ANSWERS.values())  # nothing typed is lost
    assert connector.of("update") == []  # the card still holds the inputs
    assert await answers(core) == []

    resubmitted = act.submit(connector.service_url, teams.user(DANA), card_id, data)
    assert await teams.post(resubmitted) == 200
    assert {a.question: a.edits for a in await answers(core)} == dict.fromkeys(ANSWERS, 0)
    assert len(connector.of("update")) == 1
