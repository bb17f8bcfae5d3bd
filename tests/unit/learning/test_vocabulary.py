"""Learned words (`bot.learning.vocabulary`): which words of corrected answers become cues, and
how carefully they are used - through `LabelTeacher`, the path a "Not right?" in chat takes."""

from __future__ import annotations

from bot.evaluation.metrics import LabeledItem
from bot.learning import corrections
from bot.learning.from_labels import LabelTeacher
from bot.learning.lessons import Labels
from bot.learning.vocabulary import Example, Removed, learn, terms
from tests.unit.learning.conftest import STRATEGY, tasks

DISCOVERY = "compliance_discovery"


async def read(teacher: LabelTeacher, answer: str) -> Labels:
    return Labels.of(await teacher.judge(LabeledItem("tasks", answer)))


def cues(*examples: Example, removed: tuple[Removed, ...] = ()) -> set[tuple[str, str, str]]:
    return {(c.kind, c.target, c.said) for c in learn(examples, removed, STRATEGY).cues}


def done(text: str, *task_ids: str, segments: tuple[str, ...] = ()) -> Example:
    return Example(text, "tasks", task_ids, segments)


async def test_a_word_two_corrected_answers_use_for_a_task_maps_an_activity_it_left_unmapped(
        teacher: LabelTeacher) -> None:
    later = "Kestrel: long walkdown with the head of risk. Lunch was good."
    assert await read(teacher, later) == Labels()
    await teacher.learn([tasks("Ledgerly: 2h walkdown with their controller. Budget is tight this year.",
                               DISCOVERY)])
    assert await read(teacher, later) == Labels()  # one answer is not enough
    await teacher.learn([tasks("Banko walkdown done, Friday. Their CFO was out sick.", DISCOVERY)])
    assert (await read(teacher, later)).tasks == (DISCOVERY,)
    # Only where the evaluator read nothing: a sentence it mapped keeps its own reading.
    mapped = "walkdown of the SOC 2 checklist with the CISO before the security review"
    assert DISCOVERY not in (await read(teacher, mapped)).tasks


def test_names_numbers_and_another_tasks_words_are_never_cues() -> None:
    learned = cues(done("Walkdown at Zenquist Holdings with finance, 3 hrs", DISCOVERY),
                   done("second walkdown at Zenquist, finance again, 3 hrs", DISCOVERY))
    assert ("task", DISCOVERY, "walkdown") in learned
    assert not [c for c in learned if "zenquist" in c[2] or "3" in c[2]]  # an account, a number
    # "finance" is no cue for discovery: the strategy gives it to the business case.
    assert "finance" in STRATEGY.task("business_case").name.lower()
    assert not [c for c in learned if "financ" in c[2]]


def test_a_word_in_a_corrected_answer_without_the_task_is_no_cue_for_it() -> None:
    both = (done("walkdown with the controller", DISCOVERY), done("another walkdown today", DISCOVERY))
    assert ("task", DISCOVERY, "walkdown") in cues(*both)
    assert ("task", DISCOVERY, "walkdown") not in cues(*both, done("walkdown of the office move"))


def test_a_segment_is_learned_only_from_answers_naming_one_and_never_from_words_for_work() -> None:
    one = done("met two neobanks, proof of value next", segments=("midmarket_fintech",))
    two = done("neobanks again: proof of value scoped", segments=("midmarket_fintech",))
    learned = cues(one, two)
    assert ("segment", "midmarket_fintech", "neobanks") in learned
    assert not [c for c in learned if c[0] == "segment" and "proof" in c[2]]  # a task's words
    several = done("neobanks and credit unions", segments=("midmarket_fintech", "regional_banks"))
    assert ("segment", "regional_banks", "neobanks") not in cues(one, two, several)


def test_a_word_corrections_removed_a_task_for_twice_drops_it_unless_the_strategy_uses_it() -> None:
    removed = (Removed("not_task", "value_pricing", "swapped price lists with Ledgerly",
                       "swapped price lists with Ledgerly"),
               Removed("not_task", "value_pricing", "Banko swapped price lists", "Banko swapped price lists"))
    learned = cues(removed=removed)
    assert ("not_task", "value_pricing", "swapped") in learned
    assert not [c for c in learned if c[2] == "price"]  # the strategy's own word for the task


def test_terms_keep_how_a_word_was_written_and_leave_names_out() -> None:
    found = terms("Ledgerly: walkdown with Pemberton Vale and the controller")
    assert "walkdown" in found.values() and "walkdown controller" not in found.values()
    assert not [w for w in found.values() if "pemberton" in w or "vale" in w]


async def test_cues_apply_only_to_whom_the_corrections_apply(teacher: LabelTeacher) -> None:
    """The teacher is an admin: its corrections teach everyone, and `teaching_for` anyone reads them."""
    await teacher.learn([tasks("Ledgerly: 2h walkdown with their controller. Budget is tight.", DISCOVERY),
                         tasks("Banko walkdown done, Friday. Their CFO was out sick.", DISCOVERY)])
    teaching = await corrections.teaching_for(teacher.db, None, STRATEGY)
    assert [c.said for c in teaching.vocabulary(STRATEGY).cues] == ["walkdown"]
