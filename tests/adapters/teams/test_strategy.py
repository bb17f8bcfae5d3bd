"""Strategy proposals through botbuilder against the fake Bot Connector: the preview is a card
valid against the Adaptive Cards schema, and its Confirm (Action.Submit) makes the version
current."""

from __future__ import annotations

from pathlib import Path

from bot.core import BotCore
from bot.strategy.store import CURRENT, SUPERSEDED, list_versions
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import ADA, Teams
from tests.adapters.teams.test_flow import inputs, setup_team, submit_action
from tests.adapters.teams.test_forget import actions
from tests.unit.strategy.support import changed_file


async def test_a_proposal_is_confirmed_on_its_card(teams: Teams, core: BotCore, tmp_path: Path) -> None:
    connector = teams.connector
    await setup_team(teams)
    core.ctx.settings = core.ctx.settings.model_copy(
        update={"strategy_file": changed_file(tmp_path)})
    [preview] = await teams.say(ADA, 'align strategy reload reason="tighter statement"')
    assert "Proposed: strategy version 2" in preview and "New statement: “Be the" in preview
    sent = connector.of("send", teams.dm(ADA))[-1]
    card = sent.body["attachments"][0]["content"]
    confirm = actions(card)["strategy:confirm"]
    assert confirm["title"] == "Confirm version 2"
    card_id = next(aid for (cid, aid), body in connector.activities.items() if body is sent.body)

    before = len(connector.card_texts(conversation=teams.dm(ADA)))
    assert await teams.post(act.submit(connector.service_url, teams.user(ADA), card_id,
                                       confirm["data"])) == 200
    [done] = connector.card_texts(conversation=teams.dm(ADA))[before:]
    assert "Strategy version 2" in done and "is current now" in done
    assert [r.status for r in await list_versions(core.ctx.db)] == [SUPERSEDED, CURRENT]


async def test_the_strategy_is_edited_on_a_card(teams: Teams, core: BotCore) -> None:
    connector = teams.connector
    await setup_team(teams)
    await teams.say(ADA, "align strategy edit")
    sent = connector.of("send", teams.dm(ADA))[-1]
    card = sent.body["attachments"][0]["content"]
    fields = {e["id"]: e.get("value", "") for e in inputs(card)}
    statement = next(k for k in fields if k.endswith("statement"))
    assert fields[statement].startswith("Become the audit-readiness")
    submit = submit_action(card)
    card_id = next(aid for (cid, aid), body in connector.activities.items() if body is sent.body)
    typed = {**fields, next(k for k in fields if k.endswith("review_by")): "2027-12-31",
             next(k for k in fields if k.endswith("reason")): "board moved the review"}
    before = len(connector.card_texts(conversation=teams.dm(ADA)))
    assert await teams.post(act.submit(connector.service_url, teams.user(ADA), card_id,
                                       {**submit["data"], **typed})) == 200
    [preview] = connector.card_texts(conversation=teams.dm(ADA))[before:]
    assert "Proposed: strategy version 2" in preview and "Review by: 2027-06-30 → 2027-12-31" in preview
    assert "Why: board moved the review" in preview


async def test_a_yaml_file_attached_in_the_chat_is_proposed(teams: Teams, core: BotCore,
                                                            tmp_path: Path) -> None:
    connector = teams.connector
    await setup_team(teams)
    before = len(connector.cards(conversation=teams.dm(ADA)))
    sent = act.message(connector.service_url, teams.user(ADA), "")
    sent["attachments"] = [connector.share_file("fy28.yaml", changed_file(tmp_path).read_bytes())]
    assert await teams.post(sent) == 200
    [preview] = connector.card_texts(conversation=teams.dm(ADA))[before:]
    assert "Proposed: strategy version 2" in preview and "Proposed by Ada (upload: fy28.yaml)" in preview
    assert [r.status for r in await list_versions(core.ctx.db)] == [CURRENT, "proposed"]
