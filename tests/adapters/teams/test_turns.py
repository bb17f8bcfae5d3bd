"""Turn logic with botbuilder's TestAdapter (no HTTP, no connector): the same TeamsAdapter bot
answers a command, remembers the sender, ignores a redelivered activity, and turns a card
submission into saved answers plus an updated card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter, TestFlow
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlmodel import select

from adapters.teams.app import BotAuthConfig, TeamsAdapter
from bot.core import BotCore
from bot.storage.models import Answer, Contact
from tests.support.bot_connector import BOT_ID, CARD, TENANT, card_text

DANA = ChannelAccount(id="29:dana-0001", name="Dana", aad_object_id="aad-dana")
ADA = ChannelAccount(id="29:ada-0001", name="Ada", aad_object_id="aad-ada")


def template(user: ChannelAccount) -> Activity:
    return Activity(channel_id="msteams", service_url="https://smba.example/amer/", from_property=user,
                    recipient=ChannelAccount(id=BOT_ID, name="alignbot"),
                    conversation=ConversationAccount(id=f"a:dm-{user.id}", conversation_type="personal",
                                                     tenant_id=TENANT),
                    channel_data={"tenant": {"id": TENANT}})


@pytest.fixture
async def bot(core: BotCore) -> AsyncIterator[tuple[TestAdapter, TeamsAdapter]]:
    test_adapter = TestAdapter(template_or_conversation=template(DANA))
    teams = TeamsAdapter(core, BotAuthConfig(), bot_adapter=test_adapter)
    test_adapter.logic = teams.on_turn
    core.attach(teams)
    yield test_adapter, teams


def texts(activities: list[Activity]) -> list[str]:
    return [card_text(a.attachments[0].content) for a in activities
            if a.attachments and a.attachments[0].content_type == CARD]


async def say(adapter: TestAdapter, core: BotCore, text: str, user: ChannelAccount = DANA,
              **extra: Any) -> list[str]:
    adapter.template = template(user)
    await adapter.receive_activity(Activity(type="message", text=text, from_property=user, **extra))
    await core.ctx.drain()
    replies = [a for a in adapter.activity_buffer if a.conversation.id == f"a:dm-{user.id}"]
    adapter.activity_buffer.clear()
    return texts(replies)


async def test_help_with_test_flow(bot: tuple[TestAdapter, TeamsAdapter]) -> None:
    adapter, _ = bot

    def is_help(activity: Activity, description: str | None = None) -> None:
        assert "sales-align-bot commands" in card_text(activity.attachments[0].content)
        assert activity.summary and activity.summary.startswith("sales-align-bot commands")
    flow = await TestFlow(None, adapter).send("help")
    await flow.assert_reply(is_help)


async def test_every_activity_refreshes_the_reference_and_duplicates_are_ignored(
        bot: tuple[TestAdapter, TeamsAdapter], core: BotCore) -> None:
    adapter, _ = bot
    assert "I don't know you yet" in (await say(adapter, core, "hello", id="same-1"))[0]
    async with core.ctx.db.session() as session:
        [contact] = (await session.exec(select(Contact))).all()
    assert (contact.user_id, contact.personal) == (DANA.id, True)
    assert contact.conversation_id == "a:dm-29:dana-0001" and contact.external_id == "aad-dana"
    assert await say(adapter, core, "hello", id="same-1") == []  # redelivered: no second reply


async def test_card_submission_saves_and_updates_the_card(
        bot: tuple[TestAdapter, TeamsAdapter], core: BotCore) -> None:
    adapter, _ = bot
    await say(adapter, core, "hi")  # Dana wrote to the bot once: she can be found and reached
    await say(adapter, core, "align team add Ada admin", user=ADA)
    await say(adapter, core, "align team add Dana rep", user=ADA)
    assert "Asked 1: Dana" in (await say(adapter, core, "align ask now dana", user=ADA))[0]
    value = {"alignbot_action": "checkin:1", "answer:strategy": "We help fintechs pass audits fast.",
             "answer:scope": "", "answer:tasks": "Ran discovery calls."}
    adapter.template = template(DANA)
    await adapter.receive_activity(Activity(type="message", from_property=DANA, value=value,
                                            reply_to_id="card-1"))
    await core.ctx.drain()
    async with core.ctx.db.session() as session:
        saved = {a.question: a.text for a in (await session.exec(select(Answer))).all()}
    assert saved == {"strategy": "We help fintechs pass audits fast.", "tasks": "Ran discovery calls."}
    [updated] = adapter.updated_activities
    assert updated.id == "card-1" and updated.conversation.id == "a:dm-29:dana-0001"
    shown = card_text(updated.attachments[0].content)
    assert "We help fintechs pass audits fast." in shown and "(not answered yet)" in shown
    [reply] = texts([a for a in adapter.activity_buffer if a.reply_to_id is None])
    assert "saved your answer to question 1" in reply and "saved your answer to question 3" in reply
