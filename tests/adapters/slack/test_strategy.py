"""Strategy proposals through the real bolt app: the preview (diff, doctor, impact) is an
ephemeral reply within Block Kit's limits, and its Confirm button makes the version current."""

from __future__ import annotations

from pathlib import Path

from bot.core import BotCore
from bot.strategy.store import CURRENT, SUPERSEDED, list_versions
from tests.adapters.slack.conftest import ADA, DANA, Slack
from tests.adapters.slack.test_checkin_flow import DANA_DM, team
from tests.adapters.slack.test_forget import buttons, ephemeral_click
from tests.support.slack_api import dm_event, view_submission
from tests.unit.strategy.support import changed_file

ADA_DM = "D" + ADA[1:]  # as the fake's conversations.open names DMs


async def test_a_proposal_is_confirmed_with_its_button(slack: Slack, core: BotCore,
                                                       tmp_path: Path) -> None:
    api = slack.api
    await team(slack)
    core.ctx.settings = core.ctx.settings.model_copy(
        update={"strategy_file": changed_file(tmp_path)})
    [preview] = await slack.command(ADA, 'strategy reload reason="tighter statement"')
    assert preview.startswith("Proposed: strategy version 2") and "Why: tighter statement" in preview
    body = api.responses[-1][1]
    sections = " ".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    assert "New statement: “Be the audit-readiness" in sections
    confirm = buttons(body)["strategy:confirm"]
    assert confirm["text"]["text"] == "Confirm version 2" and confirm["style"] == "primary"

    await slack.poster.interaction(ephemeral_click(DANA, confirm, api.response_url("rep")))
    await core.ctx.drain()
    [(_, refused)] = [r for r in api.responses if r[0] == "rep"]
    assert "is for admins" in refused["text"]

    await slack.poster.interaction(ephemeral_click(ADA, confirm, api.response_url("click")))
    await core.ctx.drain()
    [(_, done)] = [r for r in api.responses if r[0] == "click"]
    assert done["text"].startswith("Strategy version 2") and "is current now" in done["text"]
    assert [r.status for r in await list_versions(core.ctx.db)] == [SUPERSEDED, CURRENT]
    assert core.ctx.strategy.strategy.statement.startswith("Be the audit-readiness")


async def test_a_segment_is_edited_in_a_modal(slack: Slack, core: BotCore) -> None:
    api = slack.api
    await team(slack)
    await slack.command(ADA, "strategy edit segment regional_banks")
    opener = buttons(api.responses[-1][1])["alignbot_open_form"]
    assert opener["value"] == "strategy-edit:change:segment:regional_banks"
    await slack.poster.interaction(ephemeral_click(ADA, opener, api.response_url("open")))
    await core.ctx.drain()
    [opened] = api.calls_to("views.open")
    view = opened.args["view"]
    typed = {b["block_id"]: b["element"].get("initial_value", "") for b in view["blocks"]
             if b["type"] == "input"}
    assert typed["in_scope"] == "yes" and "credit union" in typed["aliases"]
    typed.update(in_scope="no", reason="exam season stalls every deal")
    status, body = await slack.poster.interaction(view_submission(ADA, view, typed))
    assert (status, body) == (200, "")
    await core.ctx.drain()
    preview = [p for p in api.posts() if "Proposed: strategy version 2" in p["text"]]
    assert len(preview) == 1 and preview[0]["channel"] != "C0GENERAL"  # in Ada's DM, not a channel
    assert "Segment moved out of scope: Regional and community banks" in preview[0]["text"]
    assert "Why: exam season stalls every deal" in preview[0]["text"]
    await slack.command(DANA, "strategy edit")
    assert len(api.calls_to("views.open")) == 1  # nothing opens for a rep


async def test_a_yaml_file_shared_in_the_dm_is_proposed(slack: Slack, core: BotCore, tmp_path: Path) -> None:
    api = slack.api
    await team(slack)
    data = changed_file(tmp_path).read_bytes()
    event = dm_event(ADA, "", "Ev0FILE1", ADA_DM)
    event["event"].update(subtype="file_share", files=[api.share_file("F0STRAT1", "fy28.yaml", data)])
    await slack.poster.event(event)
    await core.ctx.drain()
    [info] = api.calls_to("files.info")
    assert info.args["file"] == "F0STRAT1"
    [preview] = [p for p in api.posts(ADA_DM) if "Proposed: strategy version 2" in p["text"]]
    assert "Proposed by Ada (upload: fy28.yaml)" in preview["text"]
    assert "New statement: “Be the audit-readiness" in preview["text"]

    event = dm_event(DANA, "", "Ev0FILE2", DANA_DM)
    event["event"].update(subtype="file_share", files=[api.share_file("F0STRAT2", "mine.yaml", data)])
    await slack.poster.event(event)
    await core.ctx.drain()
    assert "Only admins can propose a strategy" in api.posts(DANA_DM)[-1]["text"]
    assert [r.status for r in await list_versions(core.ctx.db)] == ["current", "proposed"]
