"""`/align forget <member>` on SQLite and PostgreSQL: after it, table by table, nothing personal
about the member remains; everyone else's rows are exactly as they were; leads and reports are
handed on; only admins may do it, only in two steps, and the second step expires."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, col, select

from bot.clock import ManualClock
from bot.core import BotCore
from bot.events import ActionInvoked, Buttons, MemberRef, Message
from bot.leads.csv_import import import_csv
from bot.people.contacts import ContactBook, ContactInfo
from bot.people.installations import Installations, Workspace
from bot.people.unreachable import UnreachableNotices
from bot.storage.models import (
    Answer,
    CheckIn,
    Confirmation,
    Contact,
    Lead,
    LeadEvent,
    Member,
    MemberWorkspace,
    OutboundMessage,
    PlatformInstallation,
    Schedule,
)
from tests.support.talk import say, setup_team
from tests.unit.leads.support import lead_row, write_csv

DANA_ANSWERS = ("Zebra-7 plan: we win mid-market fintech on audit readiness, in half the time.",
                "Quokka-3 scope: mid-market fintech and regional banks; not government.",
                "Narwhal-9 work: mapped the buying committee at Ledgerly and sent the SOC 2 report.")
LEE_ANSWER = "Lemur-5 plan: regional banks pass audits faster with us."
USER_TOKEN = "xoxp-user-token-of-the-installer"
# Everything that identifies Dana or is hers: none of it may be left anywhere afterwards.
DANA_TRACES = ("dana", "Zebra-7", "Quokka-3", "Narwhal-9", USER_TOKEN, "conv-personal-d")


async def rows(core: BotCore) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as plain dicts."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with core.ctx.db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            result = await connection.execute(sa_select(table).order_by(*table.primary_key.columns))
            found[table.name] = [dict(row._mapping) for row in result]
    return found


async def member(core: BotCore, name: str) -> Member:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Member).where(Member.name == name))).one()


async def busy_dana(core: BotCore, tmp_path: Path) -> None:
    """Dana (rep of Sam) with data in every table that can hold some about a person."""
    await setup_team(core)
    assert "Asked 2" in await say(core, "ada", "/align ask now reps")
    for answer in DANA_ANSWERS:
        await say(core, "dana", answer)
    await say(core, "lee", LEE_ANSWER)
    async with core.ctx.db.session() as session:  # Dana says the bot misread her tasks answer
        tasks_answer = (await session.exec(select(Answer).where(Answer.question == "tasks"))).one()
    corrected = await core.handle(ActionInvoked(MemberRef("test", "dana"), f"correct:{tasks_answer.id}",
                                                values={"tasks": "business_case"}))
    assert "re-read your answer" in corrected[0].text
    report = await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", [
        lead_row("L-1", "Ledgerly", "dana@example.com", "2026-03-02T09:00:00Z"),
        lead_row("L-2", "Fintrex", "dana@example.com", "2026-03-02T09:30:00Z"),
        lead_row("L-3", "Bankly", "lee@example.com", "2026-03-02T09:30:00Z")]))
    assert report.created == 3
    assert "Ledgerly" in await say(core, "dana", '/align lead touched Ledgerly "called their CFO"')
    assert "Scheduled #" in await say(core, "ada", '/align schedule add checkin "weekdays 09:00" to=Dana')
    assert "Scheduled #" in await say(core, "ada", '/align schedule add checkin "fridays 10:00" to=Lee')
    contacts = ContactBook(core.ctx.db, core.ctx.clock)
    for who in ("dana", "lee"):
        await contacts.remember(ContactInfo("test", who, who.title(), f"{who}@example.com",
                                            "America/New_York", f"aad-{who}"),
                                address=json.dumps({"conversation": f"conv-personal-{who[0]}"}),
                                personal=True, conversation_id=f"conv-personal-{who[0]}")
    installs = Installations(core.ctx.db, core.ctx.clock, "test")
    await installs.save({"user_id": "dana", "user_token": USER_TOKEN, "bot_token": "xoxb-workspace",
                         "team_id": "T0ACME"}, org_id=None, workspace_id="T0ACME", installer_id="dana",
                        is_org_install=False)
    for who in ("dana", "lee"):
        await installs.remember(who, Workspace("T0ACME"))
    notices = UnreachableNotices(core.ctx, core.outbox)
    assert await notices.report(MemberRef("test", "dana"), "account_inactive") == 1
    assert await notices.report(MemberRef("test", "lee"), "account_inactive") == 1
    await core.ctx.drain()


def about(table: str, row: dict[str, Any], dana_id: int, checkins: set[int]) -> bool:
    """Whether a row is Dana's (or, for leads, owned by her) - the rows forgetting may change."""
    if table == "members":
        return bool(row["id"] == dana_id)
    if table == "corrections":
        return bool(row["author_id"] == dana_id)
    if table in ("checkins", "answers", "outbound_messages"):
        return bool(row["member_id"] == dana_id or ":dana:" in str(row.get("key")))
    if table in ("contacts", "member_workspaces"):
        return bool(row["user_id"] == "dana")
    if table == "installations":
        return bool(row["installer_id"] == "dana")
    if table == "leads":
        return bool(row["owner_id"] == dana_id)
    if table == "schedules":
        return bool(row["target"] == f"member:{dana_id}")
    return False


async def test_forgetting_leaves_nothing_personal_and_touches_nobody_else(
        core: BotCore, tmp_path: Path) -> None:
    await busy_dana(core, tmp_path)
    dana, sam = await member(core, "Dana"), await member(core, "Sam")
    assert dana.id is not None
    before = await rows(core)
    assert any("dana" in json.dumps(r, default=str).lower() for r in before["installations"])
    dana_checkins = {r["id"] for r in before["checkins"] if r["member_id"] == dana.id}

    preview = await say(core, "ada", "/align forget Dana")
    assert "Forget Dana? This deletes their personal data and cannot be undone." in preview
    assert "their answers (3) with evaluations and feedback;" in preview
    assert "corrections they made or that quote their answers (1); contact records (2)" in preview
    assert "check-ins (1) as anonymous counts" in preview and "lead events they recorded (1)" in preview
    assert "Leads they own (2) go to Sam." in preview
    assert "Schedules aimed at them or their team (1) are paused." in preview
    assert await rows(core) == {**before, "confirmations": (await rows(core))["confirmations"]}

    done = await say(core, "ada", "/align forget Dana confirm")
    assert f'Forgotten: Dana is now "Forgotten member #{dana.id}"' in done
    after = await rows(core)

    # Nothing that was Dana's is left anywhere, in any column of any table.
    for table, found in after.items():
        for row in found:
            text = json.dumps(row, default=str).lower()
            for trace in DANA_TRACES:
                assert trace.lower() not in text, (table, trace, row)

    # Table by table: what happened to what was hers.
    tombstone = next(r for r in after["members"] if r["id"] == dana.id)
    assert tombstone["name"] == f"Forgotten member #{dana.id}"
    assert tombstone["platform_user_id"] == f"forgotten-{dana.id}" and tombstone["email"] is None
    assert (tombstone["timezone"], tombstone["manager_id"], tombstone["active"]) == ("UTC", None, False)
    assert tombstone["forgotten_at"] is not None and not tombstone["admin"]
    assert [r for r in after["answers"] if r["member_id"] == dana.id] == []
    assert len(before["corrections"]) == 1 and after["corrections"] == []
    kept = [r for r in after["checkins"] if r["member_id"] == dana.id]
    assert {r["id"] for r in kept} == dana_checkins  # anonymous counts stay
    assert all(r["message_ref"] is None and r["note"] is None and r["closed_at"] for r in kept)
    assert all(r["answered_at"] is not None for r in kept)  # she answered: still counted
    sends = [r for r in after["outbound_messages"] if r["member_id"] == dana.id]
    assert sends and all(r["platform_ref"] is None and r["error"] is None for r in sends)
    assert [r for r in after["contacts"] if r["user_id"] == "dana"] == []
    assert [r for r in after["member_workspaces"] if r["user_id"] == "dana"] == []
    install = after["installations"][0]
    data = json.loads(install["data"])
    assert install["installer_id"] is None and data["user_id"] is None and data["user_token"] is None
    assert data["bot_token"] == "xoxb-workspace"  # the workspace keeps working
    owned = {r["external_id"]: r["owner_id"] for r in after["leads"]}
    assert owned["L-1"] == owned["L-2"] == sam.id
    assert all(r["nudged_step"] is None for r in after["leads"] if r["external_id"] != "L-3")
    touch = [r for r in after["lead_events"] if r["kind"] == "touch"]
    assert len(touch) == 1 and touch[0]["member_id"] == dana.id  # history kept, anonymous
    moved = [r for r in after["lead_events"] if r["kind"] == "reassigned"]
    assert len(moved) == 2 and {r["detail"] for r in moved} == {"previous owner forgotten; now Sam"}
    paused = {r["target"]: r["active"] for r in after["schedules"]}
    assert paused[f"member:{dana.id}"] is False
    assert after["confirmations"] == []

    # Everyone else's rows are exactly as they were.
    for table, found in before.items():
        if table == "confirmations":
            continue
        others_before = [r for r in found if not about(table, r, dana.id, dana_checkins)]
        others_after = [r for r in after[table] if r["id"] in {o["id"] for o in others_before}]
        if table == "lead_events":  # two "reassigned" events were added, nothing else changed
            others_after = [r for r in after[table] if r["id"] in {o["id"] for o in found}]
            others_before = found
        assert others_after == others_before, table
    lee_answer = [r for r in after["answers"] if r["text"] == LEE_ANSWER]
    assert len(lee_answer) == 1 and lee_answer[0]["evaluation"]

    # The tombstone is no one: not listed, not asked, not findable.
    assert "Forgotten" not in await say(core, "ada", "/align team list")
    assert "I don't know 'Dana'" in await say(core, "ada", "/align forget Dana")
    asked = await say(core, "ada", "/align ask now reps")
    assert "Lee" in asked and "Forgotten" not in asked and "1:" in asked


def buttons(message: Message) -> dict[str, str]:
    """action id -> value of the buttons on a message."""
    return {b.action_id: b.value for block in message.blocks if isinstance(block, Buttons)
            for b in block.buttons}


async def click(core: BotCore, who: str, action_id: str, value: str) -> str:
    replies = await core.handle(ActionInvoked(MemberRef("test", who), action_id, value))
    return "\n".join(r.text for r in replies)


async def dana_exists(core: BotCore) -> bool:
    async with core.ctx.db.session() as session:
        found = (await session.exec(select(Member).where(Member.platform_user_id == "dana"))).first()
        answers = (await session.exec(select(Answer))).all()
    return found is not None and found.name == "Dana" and len(answers) >= 1


async def preview(core: BotCore, who: str, target: str) -> Message:
    replies = await core.command(MemberRef("test", who), f"forget {target}")
    assert len(replies) == 1
    return replies[0]


async def test_the_confirmation_is_required_is_the_requesters_and_expires(
        core: BotCore, clock: ManualClock) -> None:
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    await say(core, "dana", DANA_ANSWERS[0])
    assert "Updated Sam as manager and admin" in await say(core, "ada", "/align team add Sam admin")

    nothing = await say(core, "ada", "/align forget Dana confirm")
    assert "Nothing to confirm: run `/align forget Dana` first" in nothing
    assert "Usage: `/align forget <member> [confirm]`" in await say(core, "ada", "/align forget Dana yes")
    assert await dana_exists(core)

    message = await preview(core, "ada", "Dana")
    token = buttons(message)["forget:confirm"]
    assert buttons(message) == {"forget:confirm": token, "forget:cancel": token} and len(token) >= 24
    # Another admin cannot use Ada's confirmation, by text or by her button.
    assert "Nothing to confirm" in await say(core, "sam", "/align forget Dana confirm")
    assert "Nothing to confirm" in await click(core, "sam", "forget:confirm", token)
    assert "Nothing to confirm" in await click(core, "ada", "forget:confirm", "forged-token")
    assert await dana_exists(core)

    clock.advance(timedelta(seconds=core.ctx.settings.forget_confirm_seconds + 1))
    expired = await say(core, "ada", "/align forget Dana confirm")
    assert "That confirmation expired (it lasts 5 minutes); nothing was deleted." in expired
    assert await dana_exists(core)
    message = await preview(core, "ada", "dana@example.com")
    clock.advance(timedelta(seconds=core.ctx.settings.forget_confirm_seconds + 1))
    assert "expired" in await click(core, "ada", "forget:confirm", buttons(message)["forget:confirm"])
    assert await dana_exists(core)

    # Cancel drops it; a newer preview replaces an older one's button.
    message = await preview(core, "ada", "Dana")
    assert "Cancelled: nothing was deleted." in await click(
        core, "ada", "forget:cancel", buttons(message)["forget:cancel"])
    cancelled = buttons(message)["forget:confirm"]
    assert "Nothing to confirm" in await click(core, "ada", "forget:confirm", cancelled)
    older = buttons(await preview(core, "ada", "Dana"))["forget:confirm"]
    newer = buttons(await preview(core, "ada", "Dana"))["forget:confirm"]
    assert "Nothing to confirm" in await click(core, "ada", "forget:confirm", older)
    assert await dana_exists(core)

    clock.advance(timedelta(seconds=core.ctx.settings.forget_confirm_seconds - 5))  # still in time
    assert "Forgotten: Dana is now" in await click(core, "ada", "forget:confirm", newer)
    assert not await dana_exists(core)
    assert "Nothing to confirm" in await click(core, "ada", "forget:confirm", newer)  # used once
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Confirmation))).all() == []


async def test_only_admins_may_forget_and_nobody_forgets_themselves(core: BotCore) -> None:
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    await say(core, "dana", DANA_ANSWERS[0])
    for who in ("sam", "lee", "dana", "stranger"):
        assert "`/align forget` is for admins" in await say(core, who, "/align forget Dana")
        assert "is for admins" in await say(core, who, "/align forget Dana confirm")
    token = buttons(await preview(core, "ada", "Dana"))["forget:confirm"]
    for who in ("sam", "dana"):  # even holding a valid token
        assert "is for admins" in await click(core, who, "forget:confirm", token)
    assert await dana_exists(core)
    assert "You can't forget yourself" in await say(core, "ada", "/align forget Ada")
    # An admin who loses the role between preview and confirm is refused too.
    assert "Updated Sam as manager and admin" in await say(core, "ada", "/align team add Sam admin")
    token = buttons(await preview(core, "sam", "Lee"))["forget:confirm"]
    async with core.ctx.db.session() as session:
        sam = (await session.exec(select(Member).where(Member.name == "Sam"))).one()
        sam.admin = False
        session.add(sam)
    assert "is for admins" in await click(core, "sam", "forget:confirm", token)
    assert (await member(core, "Lee")).forgotten_at is None


async def test_a_forgotten_manager_hands_on_reports_leads_and_team_schedules(
        core: BotCore, tmp_path: Path) -> None:
    await setup_team(core)
    assert "Added Vic" in await say(core, "ada", "/align team add Vic manager")
    assert "Updated Sam" in await say(core, "ada", "/align team add Sam manager manager=Vic")
    await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", [
        lead_row("L-9", "Vaultly", "sam@example.com", "2026-03-02T09:00:00Z")]))
    assert "Scheduled #" in await say(core, "ada", '/align schedule add checkin "mondays 09:00" to=team:Sam')
    text = await say(core, "ada", "/align forget Sam")
    assert "Dana, Lee will report to Vic." in text and "Leads they own (1) go to Vic." in text
    assert "Schedules aimed at them or their team (1) are paused." in text
    assert "Forgotten: Sam" in await say(core, "ada", "/align forget Sam confirm")
    dana, lee, vic = [await member(core, n) for n in ("Dana", "Lee", "Vic")]
    assert dana.manager_id == lee.manager_id == vic.id
    async with core.ctx.db.session() as session:
        lead = (await session.exec(select(Lead))).one()
        schedule = (await session.exec(select(Schedule))).one()
    assert lead.owner_id == vic.id and schedule.active is False

    # Without a manager to inherit, leads go to the admin who confirmed, and reports are unmanaged.
    await import_csv(core.ctx, write_csv(tmp_path / "more.csv", [
        lead_row("L-10", "Coinly", "vic@example.com", "2026-03-02T09:00:00Z")]))
    text = await say(core, "ada", "/align forget Vic")
    assert "Leads they own (2) go to Ada." in text  # Vaultly (from Sam) and Coinly
    assert "Dana, Lee will have no manager until you set one." in text
    await say(core, "ada", "/align forget Vic confirm")
    ada = await member(core, "Ada")
    async with core.ctx.db.session() as session:
        coinly = (await session.exec(select(Lead).where(Lead.company == "Coinly"))).one()
        events = (await session.exec(select(LeadEvent).where(LeadEvent.kind == "reassigned")
                                     .order_by(col(LeadEvent.id)))).all()
    assert coinly.owner_id == ada.id and events[-1].member_id == ada.id
    assert (await member(core, "Dana")).manager_id is None


async def test_the_preview_and_outcome_name_no_one_else_and_a_removed_member_can_be_forgotten(
        core: BotCore) -> None:
    await setup_team(core)
    assert "Removed Lee" in await say(core, "ada", "/align team remove Lee")
    text = await say(core, "ada", "/align forget Lee")
    assert "Forget Lee?" in text and "Leads they own (0) go to Sam." in text
    assert "Forgotten: Lee" in await say(core, "ada", "/align forget Lee confirm")
    assert "has already been forgotten" in await say(
        core, "ada", f'/align forget "Forgotten member #{(await member(core, "Forgotten member #4")).id}"')
    async with core.ctx.db.session() as session:
        assert (await session.exec(select(Contact))).all() == []
        assert (await session.exec(select(MemberWorkspace))).all() == []
        assert (await session.exec(select(PlatformInstallation))).all() == []
        assert (await session.exec(select(OutboundMessage))).all() == []
        assert len((await session.exec(select(CheckIn))).all()) == 0
