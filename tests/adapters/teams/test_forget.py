"""`/align forget` through botbuilder against the fake Bot Connector: the preview is a card with
a Confirm button (Action.Submit); submitting it deletes the member's data, including the stored
conversation reference the bot reached them by, and the one held in memory."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from adapters.teams.app import TeamsAdapter
from bot.core import BotCore
from bot.storage.models import Answer, Contact, Member
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import ADA, DANA, Teams
from tests.adapters.teams.test_flow import setup_team

Json = dict[str, Any]


def actions(card: Json) -> dict[str, Json]:
    """The card's Action.Submit buttons by our action id."""
    return {a["data"]["alignbot_action"]: a for e in card["body"] if e["type"] == "ActionSet"
            for a in e["actions"] if a["type"] == "Action.Submit"}


async def test_forget_is_confirmed_on_the_card(teams: Teams, core: BotCore, adapter: TeamsAdapter) -> None:
    connector = teams.connector
    await setup_team(teams)
    await teams.say(ADA, "align ask now dana")
    await teams.say(DANA, "We win mid-market fintech on audit readiness.")
    assert any(ref.user is not None and ref.user.id == DANA for ref in adapter._recent.values())

    [preview] = await teams.say(ADA, "align forget dana@acme.example")
    assert "Forget Dana?" in preview and "their answers (1)" in preview
    assert "contact records (1)" in preview  # her conversation reference
    sent = connector.of("send", teams.dm(ADA))[-1]
    card = sent.body["attachments"][0]["content"]
    confirm = actions(card)["forget:confirm"]
    assert confirm["title"] == "Confirm: forget Dana" and confirm["style"] == "destructive"
    card_id = next(aid for (cid, aid), body in connector.activities.items() if body is sent.body)

    before = len(connector.card_texts(conversation=teams.dm(ADA)))
    pressed = act.submit(connector.service_url, teams.user(ADA), card_id, confirm["data"])
    assert await teams.post(pressed) == 200
    [done] = connector.card_texts(conversation=teams.dm(ADA))[before:]
    assert "Forgotten: Dana is now" in done

    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Member).where(Member.platform_user_id == DANA))).first() is None
        assert [c.user_id for c in (await session.exec(select(Contact))).all()] == [ADA]
        assert (await session.exec(select(Answer))).all() == []
    assert not any(ref.user is not None and ref.user.id == DANA for ref in adapter._recent.values())
