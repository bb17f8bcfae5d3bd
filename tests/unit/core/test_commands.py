"""The /align grammar end to end through the core, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.commands import build_registry, forget
from bot.core import BotCore
from bot.events import ActionInvoked, Attachment, MemberProfile, MemberRef, UserMessage
from bot.people.members import MemberDirectory
from bot.storage.models import Member
from tests.conftest import EXAMPLE_STRATEGY
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team


async def members(core: BotCore) -> dict[str, Member]:
    async with core.ctx.db.session() as session:
        return {m.name: m for m in await MemberDirectory(session).all()}


async def test_first_member_may_only_make_themselves_admin(core: BotCore) -> None:
    reply = await say(core, "ada", "/align team add Bob rep")
    assert "first member must add themselves as admin" in reply
    reply = await say(core, "ada", "/align team add Bob admin")
    assert "first member must add themselves as admin" in reply
    assert await members(core) == {}
    assert "Added Ada as admin" in await say(core, "ada", "/align team add Ada admin")
    assert "Only admins" in await say(core, "mallory", "/align team add Mallory admin")


async def test_team_roles_managers_and_admin_on_top_of_a_role(core: BotCore) -> None:
    await setup_team(core)
    team = await members(core)
    assert team["Dana"].role == "rep" and team["Dana"].manager_id == team["Sam"].id
    assert team["Dana"].timezone == "America/New_York"  # from the platform profile
    assert "Updated Sam as manager and admin" in await say(core, "ada", "/align team add sam admin")
    team = await members(core)
    assert team["Sam"].role == "manager" and team["Sam"].admin
    assert "not a manager yet" in await say(core, "ada", "/align team add Kim rep manager=Dana")
    assert "can't be their own manager" in await say(core, "ada",
                                                     "/align team add Sam manager manager=Sam")


async def test_non_admins_are_refused_admin_commands(core: BotCore) -> None:
    await setup_team(core)
    for command in ("/align team add Zed rep", "/align ask now", "/align team remove Lee",
                    "/align strategy reload"):
        reply = await say(core, "dana", command)
        assert "admins" in reply.lower(), command
    assert len(await members(core)) == 4


async def test_team_list_shows_what_each_role_may_see(core: BotCore) -> None:
    await setup_team(core)
    admin_view = await say(core, "ada", "/align team list")
    assert all(name in admin_view for name in ("Ada", "Sam", "Dana", "Lee"))
    assert "Dana: rep; reports to Sam; America/New_York" in admin_view
    manager_view = await say(core, "sam", "/align team list")
    assert "Dana" in manager_view and "Ada" not in manager_view
    rep_view = await say(core, "dana", "/align team list")
    assert "Lee" not in rep_view and "Sam" in rep_view


async def test_unknown_commands_and_bad_arguments_get_a_usage_line(core: BotCore) -> None:
    await setup_team(core)
    assert "I don't know the command 'tema'. Did you mean `/align team`?" in await say(
        core, "ada", "/align tema list")
    assert "Did you mean: `/align team add" in await say(core, "ada", "/align team")
    reply = await say(core, "ada", "/align team add Zed")
    assert reply.startswith("Usage: `/align team add <member> rep|manager|admin")
    assert (await say(core, "ada", "/align team list Dana")).startswith("Usage: `/align team list`")
    assert "e.g. `/align team add" in reply
    assert "'boss' is not a role" in await say(core, "ada", "/align team add Zed boss")
    assert "Unknown option colour=" in await say(core, "ada", "/align team add Zed rep colour=red")
    assert "quote is not closed" in await say(core, "ada", '/align team add "Zed rep')
    assert "I couldn't find 'nobody'" in await say(core, "ada", "/align team add nobody rep")
    assert "Type `/align help`" in await say(core, "ada", "/align")


async def test_help_lists_every_command_with_an_example(core: BotCore) -> None:
    await setup_team(core)
    admin_help = await say(core, "ada", "/align help")
    for spec in build_registry().specs:
        assert f"/align {spec.usage}" in admin_help
        assert f"Example: /align {spec.example}" in admin_help
    rep_help = await say(core, "dana", "align help")  # Teams/console style, no slash
    assert "/align ask now" not in rep_help and "/align strategy show" in rep_help


async def test_strategy_show_and_sell_by_warning(core: BotCore) -> None:
    shown = await say(core, "anyone", "/align strategy show")
    assert "Northbeam Compliance FY27" in shown and "We do not play in: Global tier-1 banks" in shown
    assert "Map the buying committee (critical)" in shown and "sell-by" not in shown
    core.ctx.clock.set(core.ctx.clock.now().replace(year=2027, month=7, day=15))  # type: ignore[attr-defined]
    assert "sell-by date (2027-06-30) passed 15 days ago" in await say(
        core, "anyone", "/align strategy show")


async def test_strangers_are_told_how_to_join(core: BotCore, port: RecordingPort) -> None:
    assert "Ask an admin to add you" in await say(core, "stranger", "hello")
    assert port.sent == []


async def test_team_remove_deactivates_but_keeps_history(core: BotCore) -> None:
    await setup_team(core)
    assert "Removed Lee" in await say(core, "ada", "/align team remove lee")
    async with core.ctx.db.session() as session:
        lee = (await session.exec(select(Member).where(Member.name == "Lee"))).one()
    assert not lee.active
    assert "Ask an admin to add you" in await say(core, "lee", "my answer")


async def test_team_list_shows_admins_who_cannot_be_reached(core: BotCore, port: RecordingPort) -> None:
    await setup_team(core)
    port.fail_for["lee"] = True  # permanently: e.g. a Teams user who never installed the app
    assert "Could not reach 1: Lee" in await say(core, "ada", "/align ask now lee")
    listed = await say(core, "ada", "/align team list")
    [lee] = [line for line in listed.splitlines() if line.startswith("Lee:")]
    assert "⚠ cannot be reached: cannot reach lee" in lee
    assert "cannot be reached" not in listed.replace(lee, "")
    assert "cannot be reached" not in await say(core, "sam", "/align team list")  # admins only
    del port.fail_for["lee"]
    await core.advance(timedelta(minutes=1))
    assert "Asked 1: Lee" in await say(core, "ada", "/align ask now lee")
    assert "cannot be reached" not in await say(core, "ada", "/align team list")  # reached again


async def test_a_command_word_with_an_unknown_verb_lists_that_family(core: BotCore) -> None:
    await setup_team(core)
    reply = await say(core, "ada", "/align team frobnicate")
    assert reply.startswith("Did you mean: `/align team add"), reply
    assert "`/align team list`" in reply and "`/align team remove" in reply


async def test_mistakes_made_with_a_button_or_a_file_get_a_reply_not_an_error(core: BotCore) -> None:
    """Not only typed commands: a rep sending a strategy file or pressing an admin's button, and
    an admin submitting a form that no longer exists, are told why in a reply."""
    await setup_team(core)

    async def text_of(event: UserMessage | ActionInvoked) -> str:
        return "\n".join(r.text for r in await core.handle(event))

    upload = UserMessage(MemberRef("test", "dana"), "", attachments=(
        Attachment("strategy.yaml", EXAMPLE_STRATEGY.read_text(encoding="utf-8")),))
    assert "Only admins can propose a strategy" in await text_of(upload)
    forwarded = ActionInvoked(MemberRef("test", "dana"), forget.CONFIRM_ACTION, "a-token")
    assert "`/align forget` is for admins" in await text_of(forwarded)
    stale = ActionInvoked(MemberRef("test", "ada"), "strategy-edit:rename:nothing", "", values={})
    assert "That form is no longer valid" in await text_of(stale)
    assert len(await members(core)) == 4


async def test_team_replies_say_each_role_once_and_who_they_report_to(core: BotCore) -> None:
    assert await say(core, "ada", "/align team add Ada admin") == (
        "Added Ada as admin (time zone America/New_York).")
    assert await say(core, "ada", "/align team add Sam manager") == (
        "Added Sam as manager (time zone America/New_York).")
    assert await say(core, "ada", "/align team add Dana rep manager=Sam") == (
        "Added Dana as rep, reporting to Sam (time zone America/New_York).")
    assert await say(core, "ada", "/align team add ada admin") == (  # again: read back
        "Updated Ada as admin (time zone America/New_York).")


async def test_an_admin_cannot_remove_themselves_and_a_removed_member_is_listed_as_such(
        core: BotCore) -> None:
    await setup_team(core)
    assert "You can't remove yourself" in await say(core, "ada", "/align team remove ada")
    assert (await say(core, "ada", "/align team remove")).startswith(
        "Usage: `/align team remove <member>`")
    assert "Updated Lee as rep and admin" in await say(core, "ada", "/align team add Lee admin")
    assert "Removed Dana" in await say(core, "lee", "/align team remove Dana")  # added before Lee
    assert "Removed Lee" in await say(core, "ada", "/align team remove Lee")
    listed = (await say(core, "ada", "/align team list")).splitlines()
    assert listed[0] == "Team (2 active)"
    assert "Ada: admin; America/New_York" in listed
    assert "Dana: rep; reports to Sam; America/New_York; removed" in listed


async def test_team_list_shows_a_manager_their_reports_and_a_rep_their_manager(core: BotCore) -> None:
    await setup_team(core)  # Sam manages Dana and Lee
    assert "Added Kim" in await say(core, "ada", "/align team add Kim manager")
    assert "Added Zoe" in await say(core, "ada", "/align team add Zoe rep manager=Kim")
    names = {line.split(":")[0] for line in (await say(core, "sam", "/align team list")).splitlines()[1:]}
    assert names == {"Sam", "Dana", "Lee"}
    assert (await say(core, "dana", "/align team list")).splitlines()[1:] == [
        "Dana: rep; reports to Sam; America/New_York", "Sam: manager; America/New_York"]



async def profile_seen(core: BotCore, platform: str, user_id: str, name: str) -> None:
    """Someone the bot has met on a platform (e.g. they wrote to it) but nobody added yet."""
    async with core.ctx.db.session() as session:
        await MemberDirectory(session).upsert_profile(MemberProfile(
            MemberRef(platform, user_id), name, f"{user_id}@example.com", "Europe/Berlin"),
            core.ctx.clock.now())


async def roles_of(core: BotCore, name: str) -> dict[tuple[str, str], str]:
    async with core.ctx.db.session() as session:
        return {(m.platform, m.platform_user_id): m.role for m in await MemberDirectory(session).all()
                if m.name == name}


async def test_team_add_asks_for_an_email_when_a_name_is_shared(core: BotCore) -> None:
    await setup_team(core)
    await profile_seen(core, "test", "alex", "Alex")
    await profile_seen(core, "test", "alex.b", "Alex")
    before = await roles_of(core, "Alex")
    reply = await say(core, "ada", "/align team add Alex manager")
    assert "'Alex' matches several people" in reply and "Use an email" in reply
    assert await roles_of(core, "Alex") == before
    assert "Alex as manager" in await say(core, "ada", "/align team add alex.b@example.com manager")
    assert (await roles_of(core, "Alex"))[("test", "alex.b")] == "manager"


async def test_someone_of_the_same_name_on_another_platform_is_another_person(core: BotCore) -> None:
    await setup_team(core)
    await profile_seen(core, "teams", "29:zed", "Zed")
    before = await roles_of(core, "Zed")
    assert (await say(core, "ada", "/align team add Zed manager")).startswith("Added Zed as manager")
    assert await roles_of(core, "Zed") == {**before, ("test", "zed"): "manager"}
