"""Privacy, enforced in the core: a manager sees only their own (and nested) teams, reps only
their own figures, admins everything - through every command that shows alignment data."""

from __future__ import annotations

from bot.core import BotCore
from tests.support.talk import say
from tests.unit.digest.support import build_org

REFUSED_TEAM = "You can see digests of your own team only"


async def test_a_manager_cannot_see_another_team_in_any_command(core: BotCore) -> None:
    await build_org(core)

    own = await say(core, "sam", "/align digest")
    assert "*Alignment digest: Sam's team, the last week*" in own and "Dana" in own and "Lee" in own
    assert "Zed" not in own and "Noor" not in own and "Omar" not in own

    for other in ("team:Pat", "team:Kim", "team:Mia", "team:Zed", "team:all", "team:everyone"):
        reply = await say(core, "sam", f"/align digest {other}")
        assert "Alignment digest" not in reply and "Participation" not in reply, other
        assert "Noor" not in reply and "Omar" not in reply, other
        assert REFUSED_TEAM in reply or "Only admins" in reply, (other, reply)
    # with a period too, and with the name written as an email
    reply = await say(core, "sam", "/align digest team:pat@example.com last 4 weeks")
    assert REFUSED_TEAM in reply

    # nor through the team list or lead commands
    team_list = await say(core, "sam", "/align team list")
    assert "Zed" not in team_list and "Noor" not in team_list
    assert "Company L2" in await say(core, "sam", "/align leads overdue")  # Dana's, overdue
    for text in ("/align leads", "/align leads overdue", "/align leads Zed"):
        assert "Company L6" not in await say(core, "sam", text), text  # Zed's lead
    assert "Company L6" in await say(core, "ada", "/align leads overdue")


async def test_reps_see_only_their_own_figures(core: BotCore) -> None:
    await build_org(core)
    for text in ("/align digest", "/align digest team:Sam", "/align digest team:Dana",
                 "/align digest team:all"):
        reply = await say(core, "dana", text)
        assert "Alignment digest" not in reply and "Lee" not in reply, (text, reply)
    assert "`/align me`" in await say(core, "dana", "/align digest")

    me = await say(core, "dana", "/align me")
    assert "Your alignment (check-in of 24 Feb 2026)" in me
    assert "Strategy statement 1.00" in me and "Lee" not in me and "Ravi" not in me
    lee = await say(core, "lee", "/align me")
    # Lee's short statement last week (0.67) against his good one the week before (1.00)
    assert "Strategy statement 0.67 (-0.33 vs the one before)" in lee, lee


async def test_a_manager_of_managers_and_admins_see_what_is_theirs(core: BotCore) -> None:
    await build_org(core)
    mia = await say(core, "mia", "/align digest team:Sam")
    assert "Sam's team" in mia and "Dana" in mia and "Zed" not in mia
    assert REFUSED_TEAM in await say(core, "mia", "/align digest team:Pat")
    rolled_up = await say(core, "mia", "/align digest")
    assert "Mia's team" in rolled_up and "Noor" in rolled_up and "Dana" in rolled_up

    pat = await say(core, "ada", "/align digest team:Pat")
    assert "Pat's team" in pat and "Zed" in pat and "Dana" not in pat
    org = await say(core, "ada", "/align digest team:all")
    assert "the whole organisation" in org and "Zed" in org and "Dana" in org


async def test_bad_digest_requests_get_a_usage_line(core: BotCore) -> None:
    await build_org(core)
    reply = await say(core, "sam", "/align digest last fortnight")
    assert "I can't read the period 'last fortnight'" in reply
    assert "Usage: `/align digest" in reply and "/align digest team:Sam last 4 weeks" in reply
    assert "not a month" in await say(core, "sam", "/align digest 2026-13")
    assert "ends before it starts" in await say(core, "sam", "/align digest 2026-03-10..2026-03-01")
    assert "I don't know 'Nobody'" in await say(core, "sam", "/align digest team:Nobody")
    assert "Name one team" in await say(core, "ada", "/align digest team:Sam team:Pat")
