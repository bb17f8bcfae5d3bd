"""Every command of the `/align` grammar through a signed Slack slash command, parametrised over
the registry so a new command is covered automatically: the reply is ephemeral, within Block Kit's
limits (checked for every test by the `api` fixture), and the command was understood. Admin-only
commands are refused to a rep; a workspace admin (Slack's is_admin) may run them."""

from __future__ import annotations

import pytest

from bot.commands import build_registry
from bot.commands.registry import CommandSpec
from bot.core import BotCore
from bot.events import MemberRef
from tests.adapters.slack.conftest import ADA, DANA, LEE, Slack
from tests.support.slack_api import FakeSlackApi, SlackReply, block_problems, event_callback

SAM = "U0SAM0001"
SPECS = build_registry().specs
NOT_UNDERSTOOD = ("Usage:", "I don't know the command", "Did you mean", "Unknown option", "is for admins")


async def world(slack: Slack) -> None:
    """Admin Ada, manager Sam, rep Dana (reporting to Sam), one schedule, one holiday."""
    slack.api.add_user(SAM, "Sam", tz="Europe/Paris")
    for text in (f"team add <@{ADA}> admin", f"team add <@{SAM}> manager",
                 f"team add <@{DANA}> rep manager=<@{SAM}>", 'schedule add checkin "weekdays 09:00" to=reps',
                 "holiday add 2026-12-25 Christmas Day"):
        reply = (await slack.command(ADA, text))[0]
        assert not reply.startswith(NOT_UNDERSTOOD), reply


def replies_of(api: FakeSlackApi, since: int) -> list[dict[str, object]]:
    return [body for _, body in api.responses[since:]]


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
async def test_every_command_replies_ephemerally(slack: Slack, spec: CommandSpec) -> None:
    await world(slack)
    before = len(slack.api.responses)
    texts = await slack.command(ADA, spec.example)  # asserts response_type == "ephemeral"
    assert texts, f"/align {spec.example} sent no reply"
    assert not any(t.startswith(NOT_UNDERSTOOD) for t in texts), texts
    for body in replies_of(slack.api, before):
        assert body["response_type"] == "ephemeral" and body["replace_original"] is False
        assert body["blocks"] and block_problems(body["blocks"], 50) == []  # type: ignore[arg-type]
    assert slack.api.posts(channel="C0GENERAL") == []  # nothing said in the channel


ADMIN_ONLY = [s for s in SPECS if s.admin_only]


@pytest.mark.parametrize("spec", ADMIN_ONLY, ids=[s.name for s in ADMIN_ONLY])
async def test_admin_commands_are_refused_to_a_rep(slack: Slack, spec: CommandSpec) -> None:
    await world(slack)
    texts = await slack.command(DANA, spec.example)
    assert len(texts) == 1 and ("admin" in texts[0].lower()), texts


async def test_a_slack_workspace_admin_is_an_admin_once_the_profile_says_so(slack: Slack,
                                                                            core: BotCore) -> None:
    await world(slack)
    assert "Added Lee" in (await slack.command(ADA, f"team add <@{LEE}> rep"))[0]
    assert "is for admins" in (await slack.command(LEE, "holiday add 2026-11-26 Thanksgiving"))[0]
    # Lee is made a workspace admin in Slack: the user_change event refreshes the cached profile.
    user = slack.api.users[LEE] | {"is_admin": True}
    status, _ = await slack.poster.event(event_callback({"type": "user_change", "user": user}, "Ev0UC1"))
    assert status == 200
    await core.ctx.drain()
    assert "Added holiday" in (await slack.command(LEE, "holiday add 2026-11-26 Thanksgiving"))[0]


async def test_a_failure_on_our_side_still_gets_an_ephemeral_answer(
        slack: Slack, core: BotCore, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    async def broken(event: object) -> list[object]:
        raise RuntimeError("database went away")

    monkeypatch.setattr(core, "handle", broken)
    [reply] = await slack.command(ADA, "team list")
    assert "went wrong on my side" in reply
    assert any("slack-command" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_a_workspace_admin_not_on_the_team_is_an_admin(slack: Slack, core: BotCore) -> None:
    await world(slack)
    boss = slack.api.add_user("U0BOSS001", "Bo", is_admin=True)
    stranger = slack.api.add_user("U0STRANGE", "Cy")
    assert "is for admins" in (await slack.command(stranger["id"], "holiday add 2026-11-26 Thanksgiving"))[0]
    assert "Added holiday" in (await slack.command(boss["id"], "holiday add 2026-11-26 Thanksgiving"))[0]
    infos = [c.args["user"] for c in slack.api.calls_to("users.info")]
    assert infos[-2:] == [stranger["id"], boss["id"]]  # asked Slack about each unknown caller
    assert not await core.knows(MemberRef("slack", boss["id"]))  # an admin, not a team member
    slack.api.fail("users.info", SlackReply.server_error(500), SlackReply.server_error(500))
    assert "is for admins" in (await slack.command(boss["id"], "holiday remove 2026-11-26"))[0]


async def test_replies_to_commands_go_through_the_kept_session(
        slack: Slack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slash command's replies are posted to its response_url on the process's kept-alive
    session: bolt's own `respond` would open a new session (and connection) for every reply."""
    import sys

    import aiohttp

    opened: list[object] = []
    real = aiohttp.ClientSession

    def counted(*args: object, **kwargs: object) -> object:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("slack_sdk"):  # not the test's own poster
            opened.append(caller)
        return real(*args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(aiohttp, "ClientSession", counted)  # as slack_sdk's webhook client calls it
    for _ in range(3):
        assert (await slack.command(ADA, "help"))[0]
    assert opened == []
