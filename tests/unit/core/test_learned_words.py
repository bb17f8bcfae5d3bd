"""Learned words through chat: a word that corrected answers keep using for one task ("walkdown"
for the compliance discovery call) maps another answer that uses it in other words - under the
trust rules of every correction, listed with the corrections behind it, exported, unlearned and
forgotten with them."""

from __future__ import annotations

import yaml

from bot.core import BotCore
from tests.support.talk import say, setup_team
from tests.unit.core.test_corrections import (
    answer_tasks,
    correct,
    corrections,
    form_of,
    next_week,
    read_tasks,
)

FIRST = "Ledgerly: 2h walkdown with their controller. Budget is tight this year."
SECOND = "Banko walkdown done, Friday. Their CFO was out sick."
THIRD = "Finly: walkdown w/ the ops lead"
FOURTH = "Kestrel: long walkdown with the head of risk. Lunch was good."
TASK = "compliance_discovery"


async def teach(core: BotCore, first: str, second: str) -> None:
    """`first` and `second` each answer once and correct their answer to the discovery call."""
    await correct(core, first, form_of(await answer_tasks(core, first, FIRST)), tasks=TASK)
    if first == second:
        await next_week(core)
    await correct(core, second, form_of(await answer_tasks(core, second, SECOND)), tasks=TASK)


async def test_a_word_two_corrected_answers_share_reads_a_reps_next_answer_after_confirmation(
        core: BotCore) -> None:
    await setup_team(core)
    assert await read_tasks(core) == []
    await teach(core, "dana", "dana")
    await next_week(core)
    await answer_tasks(core, "dana", THIRD)  # her own corrections apply to her at once
    await answer_tasks(core, "lee", THIRD)  # not to Lee's until confirmed
    assert (await read_tasks(core))[2:] == [[TASK], []]
    listed = await say(core, "sam", "/align strategy learned")
    assert '"walkdown" means Run a compliance discovery call (from #1, #2)' in listed
    for number in (1, 2):
        assert f"Confirmed correction #{number}" in await say(
            core, "sam", f"/align strategy learned confirm {number}")
    await next_week(core)
    await answer_tasks(core, "lee", FOURTH)
    assert (await read_tasks(core))[-1] == [TASK]
    exported = await say(core, "ada", "/align strategy learned export")
    # the learned word, next to the phrase SECOND's correction taught ("Banko walkdown done":
    # since "Friday" is no activity, it is the one unmapped activity of that answer)
    merged = yaml.safe_load(exported.split("```")[1])
    assert {t["id"]: t["examples"] for t in merged["sales_tasks"]}[TASK][-1] == "walkdown"
    # Unlearning one of the two corrections behind the word unlearns the word.
    assert "Removed correction #2" in await say(core, "sam", "/align strategy unlearn 2")
    assert '"walkdown" means' not in await say(core, "sam", "/align strategy learned")
    await next_week(core)
    await answer_tasks(core, "lee", FOURTH)
    assert (await read_tasks(core))[-1] == []


async def test_two_people_whose_corrected_answers_share_a_word_teach_everyone(core: BotCore) -> None:
    await setup_team(core)
    await teach(core, "dana", "lee")
    assert [c.status for c in await corrections(core)] == ["taught", "taught"]
    await next_week(core)
    await answer_tasks(core, "sam", THIRD)
    assert (await read_tasks(core))[-1] == [TASK]


async def test_one_reps_corrections_do_not_teach_another_rep_a_word(core: BotCore) -> None:
    """Two answers of one rep are one person's opinion: the word is theirs until confirmed."""
    await setup_team(core)
    await teach(core, "dana", "dana")
    assert [c.status for c in await corrections(core)] == ["own", "own"]
    await next_week(core)
    await answer_tasks(core, "lee", THIRD)
    assert (await read_tasks(core))[-1] == []


async def test_a_managers_corrections_teach_a_word_to_everyone_at_once(core: BotCore) -> None:
    await setup_team(core)
    await teach(core, "sam", "sam")
    await next_week(core)
    await answer_tasks(core, "lee", THIRD)
    assert (await read_tasks(core))[-1] == [TASK]


async def test_forgetting_a_person_forgets_the_words_their_answers_taught(core: BotCore) -> None:
    await setup_team(core)
    await teach(core, "dana", "lee")
    await next_week(core)
    await answer_tasks(core, "sam", THIRD)
    assert (await read_tasks(core))[-1] == [TASK]
    await say(core, "ada", "/align forget Dana")
    await say(core, "ada", "/align forget Dana confirm")
    assert len(await corrections(core)) == 1
    await next_week(core)
    await answer_tasks(core, "sam", FOURTH)  # Lee's one answer is no longer two
    assert (await read_tasks(core))[-1] == []
