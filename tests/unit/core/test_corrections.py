""""Not right?": a person corrects how the bot read their answer; the answer is judged again at
once, and the correction teaches the bot - their own answers at once, everyone's once a manager
or admin confirms it or a second person makes the same correction."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.core import BotCore
from bot.evaluation.result import Evaluation
from bot.events import ActionInvoked, ChoiceForm, FormRefused, MemberRef, Message, Text, UserMessage
from bot.storage.models import Answer, CheckIn, Correction
from bot.strategy.loader import load_strategy
from bot.strategy.store import record_version
from tests.support.talk import say, setup_team

MISREAD = "Walked the treasury team at Finlo through our audit trail sandbox for two weeks"
AGAIN = "walked the treasury team at Kestrel through the audit trail sandbox this week"


async def answer_tasks(core: BotCore, who: str, text: str) -> list[Message]:
    """Ask `who` now and answer all three questions; the replies to the tasks answer."""
    asked = await say(core, "ada", f"/align ask now {who}")
    assert "Asked 1" in asked, asked
    await say(core, who, "We win mid-market fintech on audit readiness.")
    await say(core, who, "Mid-market fintech and regional banks; not tier-1 banks.")
    replies = await core.handle(UserMessage(MemberRef("test", who), text))
    await core.ctx.drain()
    return replies


async def next_week(core: BotCore) -> None:
    await core.advance(timedelta(days=7))


def form_of(replies: list[Message]) -> ChoiceForm:
    forms = [b for r in replies for b in r.blocks if isinstance(b, ChoiceForm)]
    assert len(forms) == 1, [r.text for r in replies]
    return forms[0]


async def correct(core: BotCore, who: str, form: ChoiceForm, **values: str) -> list[Message]:
    replies = await core.handle(ActionInvoked(MemberRef("test", who), form.form_id, values=values))
    await core.ctx.drain()
    return replies


async def read_tasks(core: BotCore, who_id: int | None = None) -> list[list[str]]:
    """What the bot read in each stored tasks answer (oldest first)."""
    async with core.ctx.db.session() as session:
        rows = (await session.exec(select(Answer).where(Answer.question == "tasks")
                                   .order_by(col(Answer.id)))).all()
    return [Evaluation.model_validate_json(a.evaluation or "{}").tasks.task_ids  # type: ignore[union-attr]
            for a in rows if who_id is None or a.member_id == who_id]


async def corrections(core: BotCore) -> list[Correction]:
    async with core.ctx.db.session() as session:
        return list((await session.exec(select(Correction).order_by(col(Correction.id)))).all())


async def test_feedback_offers_not_right_prefilled_with_what_was_read(core: BotCore) -> None:
    await setup_team(core)
    form = form_of(await answer_tasks(core, "dana", "Got the CISO at Brightpay to sign off the"
                                                     " vendor questionnaire"))
    assert form.open_label == "Not right?"
    tasks, segments = form.fields
    assert tasks.field_id == "tasks" and tasks.initial == ("security_review",)
    assert len(tasks.options) == len(core.ctx.strategy.sales_tasks)
    assert ("proof_of_value", "Run a scoped proof of value") in [(o.value, o.label) for o in tasks.options]
    assert segments.field_id == "segments" and segments.initial == ()
    assert "Global tier-1 banks (we don't play)" in [o.label for o in segments.options]


async def test_a_correction_rejudges_the_answer_at_once(core: BotCore) -> None:
    await setup_team(core)
    first = await answer_tasks(core, "dana", MISREAD)
    # Misread: a scoped trial read as no task at all ("trail" is one word of "not an open-ended
    # free trial" away, which no longer makes it work against the task).
    assert 'Not one of our sales tasks (effort outside the strategy): "Walked the treasury' in first[-2].text
    form = form_of(first)
    assert form.fields[0].initial == ()  # nothing read as done
    replies = await correct(core, "dana", form, tasks="proof_of_value", segments="")
    assert "Works against" not in replies[1].text  # the person says it was the task itself
    assert "re-read your answer" in replies[0].text and "once your manager confirms" in replies[0].text
    assert "Run a scoped proof of value" in replies[1].text  # the corrected feedback
    assert form_of(replies[1:]).fields[0].initial == ("proof_of_value",)  # can be corrected again
    assert await read_tasks(core) == [["proof_of_value"]]
    [row] = await corrections(core)
    assert row.status == "own" and row.question == "tasks"


async def test_a_reps_correction_teaches_only_their_answers_until_a_manager_confirms(
        core: BotCore) -> None:
    await setup_team(core)
    await correct(core, "dana", form_of(await answer_tasks(core, "dana", MISREAD)),
                  tasks="proof_of_value")
    await next_week(core)
    await answer_tasks(core, "dana", AGAIN)
    await answer_tasks(core, "lee", AGAIN)
    assert (await read_tasks(core))[1:] == [["proof_of_value"], []]  # Dana's, Lee's
    listed = await say(core, "sam", "/align strategy learned")
    assert "#1 Dana" in listed and "tasks + Run a scoped proof of value" in listed
    assert "their answers only, until confirmed" in listed
    assert "Confirmed correction #1" in await say(core, "sam", "/align strategy learned confirm 1")
    await next_week(core)
    await answer_tasks(core, "lee", "walked the treasury team at Brightpay through our audit trail"
                                    " sandbox for 2 weeks")
    assert (await read_tasks(core))[-1] == ["proof_of_value"]


async def test_two_people_making_the_same_correction_teach_everyone(core: BotCore) -> None:
    await setup_team(core)
    first = await correct(core, "dana", form_of(await answer_tasks(core, "dana", MISREAD)),
                          tasks="proof_of_value")
    assert "once your manager confirms" in first[0].text
    second = await correct(core, "lee", form_of(await answer_tasks(core, "lee", MISREAD)),
                           tasks="proof_of_value")
    assert "Someone else made the same correction" in second[0].text
    assert [c.status for c in await corrections(core)] == ["taught", "taught"]


async def test_a_managers_correction_teaches_everyone_at_once(core: BotCore) -> None:
    await setup_team(core)
    replies = await correct(core, "sam", form_of(await answer_tasks(core, "sam", MISREAD)),
                            tasks="proof_of_value")
    assert "for everyone" in replies[0].text
    await answer_tasks(core, "lee", AGAIN)
    assert (await read_tasks(core))[-1] == ["proof_of_value"]


async def test_a_correction_is_refused_clearly_when_it_cannot_apply(core: BotCore) -> None:
    await setup_team(core)
    form = form_of(await answer_tasks(core, "dana", MISREAD))
    assert "Only the person who answered" in (await correct(core, "lee", form, tasks="business_case"))[0].text
    assert "I don't know nope" in (await correct(core, "dana", form, tasks="nope"))[0].text
    assert "nothing changed" in (await correct(core, "dana", form, tasks="", segments=""))[0].text
    assert "no longer there" in (await core.handle(ActionInvoked(
        MemberRef("test", "dana"), "correct:999", values={"tasks": ""})))[0].text
    assert await corrections(core) == []


async def test_a_form_that_cannot_open_says_why(core: BotCore) -> None:
    """`BotCore.form` gives each adapter the reason and the sentence to show, not a bare None."""
    await setup_team(core)
    form = form_of(await answer_tasks(core, "dana", MISREAD))

    async def refused(who: str, form_id: str) -> tuple[str, str]:
        found = await core.form(MemberRef("test", who), form_id)
        assert isinstance(found, FormRefused) and found.form_id == form_id, found
        return found.reason, found.text

    assert isinstance(await core.form(MemberRef("test", "dana"), form.form_id), ChoiceForm)
    assert await refused("lee", form.form_id) == (
        "not_yours", "Only the person who answered can correct how I read it; nothing was changed.")
    assert (await refused("zoe", form.form_id))[0] == "unknown_member"
    assert (await refused("dana", "correct:999"))[0] == "answer_deleted"
    assert await core.form(MemberRef("test", "dana"), "lead:done:1") is None  # a button, no form
    # An answer in a language the bot does not judge: nothing it read, so nothing to correct.
    await next_week(core)
    replies = await answer_tasks(core, "lee", "Ho fatto la chiamata con il titolare e mandato la"
                                              " proposta ieri sera, tutto bene")
    assert not [b for r in replies for b in r.blocks if isinstance(b, ChoiceForm)]
    async with core.ctx.db.session() as session:
        italian = (await session.exec(select(Answer).where(Answer.question == "tasks")
                                      .order_by(col(Answer.id).desc()))).first()
    assert italian is not None
    assert await refused("lee", f"correct:{italian.id}") == (
        "nothing_to_correct", "There is nothing I read in that answer to correct: I don't judge"
                              " answers in that language yet.")
    # A check-in's form: someone else's, closed once answered, expired unanswered.
    dana_checkin = f"checkin:{(await _answer(core, form)).checkin_id}"
    assert (await refused("lee", dana_checkin))[0] == "not_yours"
    await say(core, "ada", "/align ask now sam")
    await next_week(core)
    assert (await refused("dana", dana_checkin))[0] == "checkin_closed"
    async with core.ctx.db.session() as session:
        sams = (await session.exec(select(CheckIn).order_by(col(CheckIn.id).desc()))).first()
    assert sams is not None and sams.state == "expired"
    assert await refused("sam", f"checkin:{sams.id}") == (
        "checkin_expired", "That check-in closed before it was answered, so it can't be opened any"
                           " more. I'll ask again at the next one.")


async def _answer(core: BotCore, form: ChoiceForm) -> Answer:
    async with core.ctx.db.session() as session:
        found = await session.get(Answer, int(form.form_id.partition(":")[2]))
    assert found is not None
    return found


async def test_unlearn_removes_the_lesson_and_judges_the_answer_again(core: BotCore) -> None:
    await setup_team(core)
    await correct(core, "dana", form_of(await answer_tasks(core, "dana", MISREAD)),
                  tasks="proof_of_value")
    assert "can't" in (await say(core, "lee", "/align strategy unlearn 1")).lower() or \
        "Only managers" in await say(core, "lee", "/align strategy unlearn 1")
    assert "Removed correction #1" in await say(core, "ada", "/align strategy unlearn 1")
    assert await read_tasks(core) == [[]]
    await next_week(core)
    await answer_tasks(core, "dana", AGAIN)
    assert (await read_tasks(core))[-1] == []
    listed = await say(core, "ada", "/align strategy learned")
    assert "(undone)" not in listed
    # Found in the console: it said "Nobody has corrected how I read an answer yet".
    assert listed.startswith("No correction teaches me anything now: the one made so far was removed")


async def test_export_gives_yaml_to_merge_into_the_strategy(core: BotCore) -> None:
    await setup_team(core)
    assert "nothing to export" in await say(core, "ada", "/align strategy learned export")
    await correct(core, "sam", form_of(await answer_tasks(core, "sam", MISREAD)),
                  tasks="proof_of_value")
    exported = await say(core, "ada", "/align strategy learned export")
    assert "sales_tasks:\n- id: proof_of_value\n  examples:\n  - " + MISREAD in exported


async def test_the_managers_digest_shows_corrections_and_can_undo_one(core: BotCore) -> None:
    await setup_team(core)
    await correct(core, "dana", form_of(await answer_tasks(core, "dana", MISREAD)),
                  tasks="proof_of_value")
    await core.advance(timedelta(hours=1))  # the digest's week ends at its run
    [digest] = await core.command(MemberRef("test", "sam"), "digest")
    assert "1 answer(s) corrected by the team" in digest.text and "1 apply only" in digest.text
    day = f"{core.ctx.clock.now():%Y-%m-%d}"
    assert f'#1 Dana, {day}: "{MISREAD}" - tasks + Run a scoped proof' in digest.text
    buttons = [b for block in digest.blocks for b in getattr(block, "buttons", ())]
    assert [b.action_id for b in buttons] == ["correction:confirm:1", "correction:undo:1"]
    replies = await core.handle(ActionInvoked(MemberRef("test", "lee"), "correction:undo:1"))
    assert "Only managers" in replies[0].text  # a rep cannot press their manager's button
    replies = await core.handle(ActionInvoked(MemberRef("test", "sam"), "correction:undo:1"))
    assert "Removed correction #1" in replies[0].text
    assert [c.status for c in await corrections(core)] == ["undone"]
    assert await read_tasks(core) == [[]]


async def test_forgetting_a_person_deletes_their_corrections(core: BotCore) -> None:
    await setup_team(core)
    await correct(core, "dana", form_of(await answer_tasks(core, "dana", MISREAD)),
                  tasks="proof_of_value")
    await correct(core, "lee", form_of(await answer_tasks(core, "lee", MISREAD)),
                  tasks="business_case")
    assert "corrections they made or that quote their answers (1)" in " ".join(
        (await say(core, "ada", "/align forget Dana")).split())
    await say(core, "ada", "/align forget Dana confirm")
    assert [c.corrected for c in await corrections(core)] == [
        '{"tasks": ["business_case"], "segments": []}']


async def test_rejudge_reads_a_period_under_the_current_version_and_the_digest_says_so(
        core: BotCore) -> None:
    await setup_team(core)
    await answer_tasks(core, "dana", "Got the CISO at Brightpay to sign off the vendor questionnaire")
    old = core.ctx.strategy
    data = old.model_dump(mode="json")
    data["sales_tasks"] = [t for t in data["sales_tasks"] if t["id"] != "security_review"]
    new = type(old).model_validate(data)
    await record_version(core.ctx.db, old, "test", core.ctx.clock.now())
    await record_version(core.ctx.db, new, "test", core.ctx.clock.now())
    core.ctx.strategy = new
    await core.advance(timedelta(hours=1))  # "last week" ends now
    assert "strategy rejudge <period>" in await say(core, "ada", "/align strategy rejudge")
    assert "admin" in (await say(core, "sam", "/align strategy rejudge last week")).lower()
    done = await say(core, "ada", "/align strategy rejudge last week")
    assert "Re-judged 3 of 3 answers from the last week under the current strategy version 2." in done
    assert await read_tasks(core) == [[]]  # the task is gone from the current version
    [digest] = await core.command(MemberRef("test", "sam"), "digest")
    assert "3 answer(s) of this period were re-judged under the current strategy version 2 " in digest.text


async def test_the_digest_places_segments_as_the_answers_were_judged_until_rejudged(
        core: BotCore) -> None:
    """Found in the console: Dana named a segment that was in scope when she was asked; an admin
    then moved it out. Her answer is judged by the version she was asked under, so the digest
    counted her effort in scope - and in the same message told Sam she was putting effort where
    we do not play. The segments follow the verdicts; re-judging on purpose moves both."""
    await setup_team(core)
    await say(core, "ada", "/align ask now dana")
    old = core.ctx.strategy
    data = old.model_dump(mode="json")
    for segment in data["segments"]:
        if segment["id"] == "healthcare_providers":
            segment["in_scope"] = False
    new = type(old).model_validate(data)
    await record_version(core.ctx.db, new, "test", core.ctx.clock.now())
    core.ctx.strategy = new
    await say(core, "dana", "We win mid-market fintech on audit readiness.")
    await say(core, "dana", "Healthcare provider groups: the CISO signs off after a security review.")
    await say(core, "dana", "mapped the buying committee at a hospital group")
    await core.advance(timedelta(hours=1))

    async def digest() -> str:
        [message] = await core.command(MemberRef("test", "sam"), "digest")
        return "\n".join(b.text for b in message.blocks if isinstance(b, Text)) + message.text

    before = await digest()
    assert "Effort in scope: 100%" in before and "where we do not play" not in before
    await say(core, "ada", "/align strategy rejudge last week")
    after = await digest()
    assert "Effort in scope: 0%" in after and "Healthcare provider groups, where we do not play" in after


async def test_lessons_carry_to_a_new_version_while_the_id_exists(core: BotCore) -> None:
    await setup_team(core)
    await correct(core, "sam", form_of(await answer_tasks(core, "sam", MISREAD)),
                  tasks="proof_of_value")
    reloaded = load_strategy(core.ctx.settings.strategy_file)
    data = reloaded.model_dump(mode="json")
    data["strategy"]["statement"] = "We win mid-market fintech by audit readiness in weeks."
    core.ctx.strategy = type(reloaded).model_validate(data)  # a new version, same task ids
    await answer_tasks(core, "lee", AGAIN)
    assert (await read_tasks(core))[-1] == ["proof_of_value"]
    data["sales_tasks"] = [t for t in data["sales_tasks"] if t["id"] != "proof_of_value"]
    data["sales_tasks"][0]["critical"] = True
    core.ctx.strategy = type(reloaded).model_validate(data)  # the task is gone: so is its lesson
    await next_week(core)
    await answer_tasks(core, "lee", AGAIN)
    assert (await read_tasks(core))[-1] == []
