"""The Slack end-to-end scenario on Teams, through the real botbuilder CloudAdapter and a local Bot
Connector: install, a scheduled check-in (ManualClock), the answer submitted on the card (the card
then shows the answers), feedback, a command in a channel, and a nudge/digest-like message with
buttons and a chart whose button press comes back with the card's reference and updates it in
place. Every card sent or updated is checked against the Adaptive Card 1.5 schema (conftest)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from adapters.teams.app import TeamsAdapter
from bot.core import BotCore, Handled
from bot.events import ActionInvoked, Button, Buttons, Fact, FactList, Image, InboundEvent, Message, Text
from bot.leads.csv_import import import_csv
from bot.storage.models import Answer, Contact, Member, OutboundMessage
from tests.adapters.teams import activities as act
from tests.adapters.teams.conftest import ADA, DANA, Teams
from tests.support.bot_connector import card_text
from tests.unit.leads.support import lead_row, write_csv

ANSWERS = {
    "strategy": "We help mid-market fintechs pass audits in half the time, winning on audit readiness.",
    "scope": "Mid-market fintech and regional banks; not tier-1 banks or government.",
    "tasks": "Mapped the buying committee at Ledgerly, sent the SOC 2 report, ran discovery calls.",
}
# A real 1x1 PNG, as a digest chart would be (smaller, same format).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
                       "hKmMIQAAAABJRU5ErkJggg==")
Json = dict[str, Any]


async def stored_answers(core: BotCore) -> dict[str, str]:
    async with core.ctx.db.session() as session:
        return {a.question: a.text for a in (await session.exec(select(Answer))).all()}


async def setup_team(teams: Teams) -> None:
    await teams.install(ADA, "Europe/Berlin")
    await teams.install(DANA, "America/New_York")
    added = await teams.say(ADA, "/align team add Ada admin")
    assert "Added Ada as admin (time zone Europe/Berlin)" in added[0]
    # The command menu sends "team add" without /align; Dana is found by the email Teams gave us.
    assert "Added Dana as rep (time zone America/New_York)" in (
        await teams.say(ADA, "team add dana@acme.example rep"))[0]


def inputs(card: Json) -> list[Json]:
    return [e for e in card["body"] if e["type"] == "Input.Text"]


def submit_action(card: Json) -> Json:
    return next(a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"])


async def test_install_stores_reference_and_profile(teams: Teams, core: BotCore) -> None:
    await teams.install(DANA, "America/New_York")
    async with core.ctx.db.session() as session:
        [dana] = (await session.exec(select(Contact))).all()
    assert (dana.user_id, dana.email, dana.external_id, dana.timezone) == (
        DANA, "dana@acme.example", "aad-dana", "America/New_York")
    assert dana.personal and dana.conversation_id == teams.dm(DANA)
    assert '"serviceUrl"' in (dana.address or "") and teams.connector.service_url in (dana.address or "")
    assert [c.activity_id for c in teams.connector.of("member")] == [DANA]  # TeamsInfo.get_member


async def test_scheduled_checkin_answered_on_the_card(teams: Teams, core: BotCore) -> None:
    connector = teams.connector
    await setup_team(teams)
    added = await teams.say(ADA, 'align schedule add checkin "weekdays 09:00" to=reps remind=off')
    assert "Scheduled #1" in added[0]

    await core.advance(timedelta(days=1))  # Tue 3 Mar, 09:00 in New York = 14:00 UTC
    [ask] = connector.of("send", teams.dm(DANA))
    card = ask.body["attachments"][0]["content"]
    assert [i["id"] for i in inputs(card)] == ["answer:strategy", "answer:scope", "answer:tasks"]
    assert all(i["isMultiline"] for i in inputs(card))
    assert submit_action(card)["data"] == {"alignbot_action": "checkin:1"}
    assert ask.body["summary"].startswith("Hi Dana!")
    card_id = next(aid for (cid, aid), body in connector.activities.items() if body is ask.body)

    data = {"alignbot_action": "checkin:1", **{f"answer:{k}": v for k, v in ANSWERS.items()}}
    pressed = act.submit(connector.service_url, teams.user(DANA), card_id, data)
    assert await teams.post(pressed) == 200
    assert await stored_answers(core) == ANSWERS

    # The card itself now shows the saved answers (update_activity on the same activity id) ...
    [update] = connector.of("update")
    assert (update.conversation, update.activity_id) == (teams.dm(DANA), card_id)
    shown = card_text(update.body["attachments"][0]["content"])
    assert "Your answers (saved)" in shown and all(answer in shown for answer in ANSWERS.values())
    # ... and one reply card carries the confirmations and the feedback.
    reply = connector.card_texts(conversation=teams.dm(DANA))[-1]
    assert "saved your answer to question 1" in reply and "saved your answer to question 3" in reply
    assert "FEEDBACK" in reply.upper() and "Coaching" in reply

    # Teams redelivers the same activity: nothing is stored, sent or updated twice.
    calls = len(connector.calls)
    assert await teams.post(pressed) == 200
    assert len(connector.calls) == calls
    async with core.ctx.db.session() as session:
        assert [a.edits for a in (await session.exec(select(Answer))).all()] == [0, 0, 0]


async def test_commands_in_a_channel_with_the_bot_mentioned(teams: Teams, core: BotCore) -> None:
    await setup_team(teams)
    post = act.channel_message(teams.connector.service_url, teams.user(ADA), "team list")
    assert await teams.post(post) == 200
    channel = act.channel()["id"]
    [listed] = teams.connector.card_texts(conversation=channel)
    assert "Team (2 active)" in listed and "Dana" in listed
    # A reply in a channel threads under the post that asked (replyToId).
    assert teams.connector.of("send", channel)[0].activity_id == post["id"]
    # Free text in a channel is a command too, never an answer.
    await teams.post(act.channel_message(teams.connector.service_url, teams.user(ADA), "plans for today"))
    assert "I don't know the command 'plans'" in teams.connector.card_texts(conversation=channel)[-1]


async def test_help_card_and_typed_align(teams: Teams) -> None:
    await teams.install(DANA)
    [card] = await teams.say(DANA, "help")
    assert "sales-align-bot commands" in card and "/align team list" in card
    assert await teams.say(DANA, "/align help") == [card]
    assert await teams.say(DANA, "align help") == [card]
    assert "I don't know you yet" in (await teams.say(DANA, "we sold a lot"))[0]  # not a command


async def test_nudge_like_card_with_buttons_and_image_updates_in_place(
        teams: Teams, core: BotCore, adapter: TeamsAdapter) -> None:
    await setup_team(teams)
    async with core.ctx.db.session() as session:
        dana = (await session.exec(select(Member).where(Member.platform_user_id == DANA))).one()
    nudge = Message(
        text="Lead Ledgerly is due for follow-up",
        blocks=(Text("Follow up: Ledgerly", style="heading"),
                FactList((Fact("Segment", "Mid-market fintech"), Fact("Due", "today")), title="Lead"),
                Image(PNG, alt="Follow-ups this week"),
                Buttons((Button("lead:done:7", "Done", style="primary"),
                         Button("lead:snooze:7", "Snooze 1 day", value="1d"),
                         Button("lead:disqualify:7", "Disqualify", style="danger")))))
    ref = await core.outbox.deliver(dana, "nudge:7:1", "nudge", nudge)
    assert ref is not None and ref.channel == teams.dm(DANA)
    card = teams.connector.of("send", teams.dm(DANA))[-1].body["attachments"][0]["content"]
    image = next(e for e in card["body"] if e["type"] == "Image")
    assert image["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert image["altText"] == "Follow-ups this week"
    actions = next(e for e in card["body"] if e["type"] == "ActionSet")["actions"]
    assert [(a["data"], a.get("style")) for a in actions] == [
        ({"alignbot_action": "lead:done:7"}, "positive"),
        ({"alignbot_action": "lead:snooze:7", "alignbot_value": "1d"}, None),
        ({"alignbot_action": "lead:disqualify:7"}, "destructive")]

    # Pressing Snooze reaches the core as ActionInvoked pointing at the card, which the core
    # updates in place through the port.
    seen: list[InboundEvent] = []
    respond = core.respond

    async def spy(event: InboundEvent) -> Handled:
        seen.append(event)
        return await respond(event)
    core.respond = spy  # type: ignore[method-assign]
    await teams.post(act.submit(teams.connector.service_url, teams.user(DANA), ref.message_id,
                                actions[1]["data"]))
    [pressed] = seen
    assert isinstance(pressed, ActionInvoked)
    assert (pressed.action_id, pressed.value, pressed.message) == ("lead:snooze:7", "1d", ref)
    await core.ctx.port_for("teams").update(ref, Message.plain("Snoozed until tomorrow."))
    [update] = teams.connector.of("update")
    assert (update.conversation, update.activity_id) == (ref.channel, ref.message_id)
    assert card_text(update.body["attachments"][0]["content"]) == "Snoozed until tomorrow."


async def test_ask_now_reaches_a_team_member_through_a_new_chat(teams: Teams, core: BotCore) -> None:
    """Installed in a team: the roster is stored, and a member who never opened a chat with the
    bot is reached by creating the 1:1 conversation (POST /v3/conversations)."""
    connector = teams.connector
    await teams.install(ADA)
    assert "Added Ada" in (await teams.say(ADA, "align team add Ada admin"))[0]
    assert await teams.post(act.team_installed(connector.service_url, teams.user(ADA))) == 200
    assert len(connector.of("members")) == 1
    assert "Added Lee as rep" in (await teams.say(ADA, "align team add lee@acme.example rep"))[0]
    assert "Asked 1: Lee" in (await teams.say(ADA, "align ask now lee"))[0]
    [created] = connector.of("create")
    assert created.body["members"] == [{"id": "29:lee-0001"}] and created.body["isGroup"] is False
    # botbuilder spells it tenantID (the service reads JSON case-insensitively) and Teams also
    # wants it in channelData
    assert created.body["tenantID"] == "tenant-0001"
    assert created.body["channelData"] == {"tenant": {"id": "tenant-0001"}}
    chat = connector.personal_conversation("29:lee-0001")
    assert chat and "Hi Lee!" in connector.card_texts(conversation=chat)[0]
    # the chat is remembered: the next message goes straight there
    await core.outbox.deliver(await _member(core, "29:lee-0001"), "hello:lee", "test", Message.plain("hi"))
    assert len(connector.of("create")) == 1 and connector.card_texts(conversation=chat)[-1] == "hi"


async def _member(core: BotCore, user_id: str) -> Member:
    async with core.ctx.db.session() as session:
        return (await session.exec(select(Member).where(Member.platform_user_id == user_id))).one()


async def test_someone_without_a_chat_is_reported_to_admins(teams: Teams, core: BotCore) -> None:
    """A member the bot has no conversation for is not skipped silently: the outbox records the
    failure, `ask now` says so, and every admin gets a notice once a day."""
    await setup_team(teams)
    now = datetime(2026, 3, 2, 14, tzinfo=UTC)
    async with core.ctx.db.session() as session:  # e.g. added before the app was installed anew
        session.add(Member(platform="teams", platform_user_id="29:sam-0001", name="Sam", role="rep",
                           created_at=now, updated_at=now))
    reply = "\n".join(await teams.say(ADA, "align ask now sam"))
    assert "Could not reach 1: Sam" in reply
    notices = [t for t in teams.connector.card_texts(conversation=teams.dm(ADA)) if "message Sam" in t]
    assert len(notices) == 1 and "not installed the app" in notices[0]
    async with core.ctx.db.session() as session:
        [failed] = (await session.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "checkin"))).all()
    assert failed.state == "failed" and "not installed the app" in (failed.error or "")
    listed = (await teams.say(ADA, "team list"))[0]
    assert "Sam" in listed and "unreachable (teams: app not installed for them)" in listed
    await teams.say(ADA, "align ask now sam")  # asked again the same day: no second notice
    again = [t for t in teams.connector.card_texts(conversation=teams.dm(ADA)) if "message Sam" in t]
    assert len(again) == 1


async def test_someone_who_joined_the_team_later_is_found_in_the_roster(teams: Teams) -> None:
    connector = teams.connector
    await teams.install(ADA)
    await teams.say(ADA, "align team add Ada admin")
    assert await teams.post(act.team_installed(connector.service_url, teams.user(ADA))) == 200
    connector.add_user("29:kim-0001", "Kim", email="kim@acme.example")  # not in the stored roster
    assert "Added Kim as rep" in (await teams.say(ADA, "align team add kim@acme.example rep"))[0]
    [lookup] = [c for c in connector.of("member") if c.activity_id == "kim@acme.example"]
    assert lookup.conversation == "19:team1@thread.tacv2"  # asked the team the bot is in
    assert "I couldn't find 'nobody@acme.example'" in (
        await teams.say(ADA, "align team add nobody@acme.example rep"))[0]


async def test_removing_the_app_makes_someone_unreachable_at_once(teams: Teams, core: BotCore) -> None:
    await setup_team(teams)
    removed = act.activity("installationUpdate", teams.connector.service_url, teams.user(DANA),
                           act.personal(DANA), action="remove")
    assert await teams.post(removed) == 200
    assert "Could not reach 1: Dana" in "\n".join(await teams.say(ADA, "align ask now dana"))
    assert teams.connector.of("send", teams.dm(DANA)) == []  # not even tried
    assert any("message Dana" in t for t in teams.connector.card_texts(conversation=teams.dm(ADA)))
    await teams.install(DANA)  # added again: reachable again
    await core.advance(timedelta(minutes=1))
    assert "Asked 1: Dana" in (await teams.say(ADA, "align ask now dana"))[0]


async def test_a_new_time_zone_from_the_client_is_followed(teams: Teams, core: BotCore) -> None:
    await setup_team(teams)
    moved = act.message(teams.connector.service_url, teams.user(DANA), "hello", timezone="Europe/Lisbon")
    await teams.post(moved)
    assert (await _member(core, DANA)).timezone == "Europe/Lisbon"
    await teams.say(DANA, "align me tz America/Chicago")  # set by hand: the client no longer decides
    await teams.post(act.message(teams.connector.service_url, teams.user(DANA), "hi", timezone="Asia/Tokyo"))
    assert (await _member(core, DANA)).timezone == "America/Chicago"


async def test_a_real_nudge_and_its_done_button_update_the_card_in_place(
        teams: Teams, core: BotCore, tmp_path: Path) -> None:
    """The core's lead nudges on Teams: the scheduled nudge card, its Done button pressed in Teams,
    and the core updating that same card (PUT on its activity id) to show what was done."""
    connector = teams.connector
    await setup_team(teams)
    rows = [lead_row("L1", "Ledgerly", "Dana", "2026-03-02T13:30:00Z")]
    assert (await import_csv(core.ctx, write_csv(tmp_path / "leads.csv", rows))).created == 1
    assert "#1" in (await teams.say(ADA, 'align schedule add nudges "0 10,14 * * 1-5" to=all'))[0]

    await core.advance(timedelta(hours=1))  # Mon 10:00 in New York: Ledgerly is due
    [nudge] = [c for c in connector.of("send", teams.dm(DANA)) if "Ledgerly" in card_text(
        c.body["attachments"][0]["content"])]
    card = nudge.body["attachments"][0]["content"]
    actions = [a for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
    done = next(a for a in actions if a["data"]["alignbot_action"].startswith("lead:done:"))
    card_id = next(aid for (cid, aid), body in connector.activities.items() if body is nudge.body)

    assert await teams.post(act.submit(connector.service_url, teams.user(DANA), card_id, done["data"])) == 200
    [update] = connector.of("update")
    assert (update.conversation, update.activity_id) == (teams.dm(DANA), card_id)
    updated = update.body["attachments"][0]["content"]
    assert "Logged a touch on" in card_text(updated) and "Ledgerly" in card_text(updated)
    assert not any(a["data"]["alignbot_action"].startswith("lead:") for e in updated["body"]
                   if e["type"] == "ActionSet" for a in e["actions"])  # its only lead was handled
    assert "Logged a touch on" in connector.card_texts(conversation=teams.dm(DANA))[-1]


async def test_a_scheduled_digest_arrives_as_a_card_with_its_chart(teams: Teams,
                                                                   core: BotCore) -> None:
    """The core's real digest job on Teams: an admin's organisation digest sent on schedule as an
    Adaptive Card (schema-checked by the conftest) with the chart PNG as an inline image."""
    connector = teams.connector
    await setup_team(teams)
    assert "Scheduled #1 digest" in (await teams.say(
        ADA, 'align schedule add digest "daily 10:00" to=Ada'))[0]

    await core.advance(timedelta(days=1))

    cards = [c.body["attachments"][0]["content"] for c in connector.of("send", teams.dm(ADA))
             if c.body.get("attachments")]
    digests = [card for card in cards if "digest" in card_text(card).lower()]
    assert digests, [card_text(c)[:80] for c in cards]
    images = [e for e in digests[-1]["body"] if e["type"] == "Image"]
    assert images and images[0]["url"].startswith("data:image/png;base64,")
    assert base64.b64decode(images[0]["url"].split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert connector.of("send", teams.dm(DANA)) == [] or all(
        "digest" not in card_text(c.body["attachments"][0]["content"]).lower()
        for c in connector.of("send", teams.dm(DANA)) if c.body.get("attachments"))


async def test_an_answer_notes_its_sender_in_its_own_unit_of_work(
        teams: Teams, core: BotCore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chat answer is one hand-off to the database's thread: the sender noted (their client's
    new time zone followed), the answer taken and judged, in the same unit of work."""
    await setup_team(teams)
    await teams.say(ADA, "align ask now dana")
    units: list[str] = []
    run = core.ctx.db.run

    async def counted(work: Any) -> Any:
        units.append(getattr(work, "__qualname__", ""))
        return await run(work)
    monkeypatch.setattr(core.ctx.db, "run", counted)
    travelled = act.message(teams.connector.service_url, teams.user(DANA), ANSWERS["strategy"],
                            timezone="Asia/Tokyo")
    assert await teams.post(travelled) == 200
    assert len(units) == 1 and await stored_answers(core) == {"strategy": ANSWERS["strategy"]}
    reply = teams.connector.card_texts(conversation=teams.dm(DANA))[-1]
    assert "saved your answer to question 1" in reply and "FEEDBACK" in reply.upper()
    async with core.ctx.db.session() as session:
        contact = (await session.exec(select(Contact).where(Contact.user_id == DANA))).one()
        member = (await session.exec(select(Member).where(Member.platform_user_id == DANA))).one()
    assert contact.timezone == "Asia/Tokyo" and member.timezone == "Asia/Tokyo"


async def test_a_failure_noting_the_sender_of_an_answer_still_takes_the_answer(
        teams: Teams, core: BotCore, adapter: TeamsAdapter, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The sender noted in the answer's unit fails (a bug): logged with its traceback, and
    nothing else of the unit is undone - the answer is stored, judged and confirmed."""
    await setup_team(teams)
    await teams.say(ADA, "align ask now dana")

    def broken(*args: Any, **kwargs: Any) -> Any:
        def step(connection: Any) -> Any:
            raise RuntimeError("a bug in the contact book")
        return step
    monkeypatch.setattr(adapter.contacts, "noting", broken)
    assert await teams.post(act.message(teams.connector.service_url, teams.user(DANA),
                                        ANSWERS["strategy"])) == 200
    assert await stored_answers(core) == {"strategy": ANSWERS["strategy"]}
    assert "saved your answer to question 1" in teams.connector.card_texts(conversation=teams.dm(DANA))[-1]
    assert any("could not save the sender" in r.message and r.exc_info for r in caplog.records)
