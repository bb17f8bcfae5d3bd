"""Strategy proposals through botbuilder against the fake Bot Connector: the preview is a card
valid against the Adaptive Cards schema, and its Confirm (Action.Submit) makes the version
current."""

from __future__ import annotations

from pathlib import Path

from bot.core import BotCore
from bot.strategy.store import CURRENT, SUPERSEDED, list_versions
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import ADA, Teams
from tests.adapters.teams.test_flow import setup_team
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
