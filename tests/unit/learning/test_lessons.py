"""What one correction teaches beyond its own words, through the path a "Not right?" in chat and
`alignbot eval --learn-from` share (`LabelTeacher` -> `corrections.save` -> `teaching_for` ->
`judge`): a rep's phrasing recognised reworded, a removed finding unlearned once two corrections
agree, a segment learned from the list item that named it, and no competitor taught as an account."""

from __future__ import annotations

from bot.evaluation.metrics import LabeledItem
from bot.evaluation.result import Evaluation, Question
from bot.evaluation.rules import RulesEvaluator
from bot.learning import corrections
from bot.learning.from_labels import LabelTeacher
from bot.learning.judge import judge, judge_sync
from bot.learning.lessons import Labels, alike
from bot.storage.models import Member
from bot.strategy.schema import Strategy
from tests.unit.learning.conftest import AT, STRATEGY, tasks

WALKDOWN = "walkdown of the kyc stack with Ledgerly's head of compliance"


def scope(answer: str, *segment_ids: str) -> LabeledItem:
    return LabeledItem("scope", answer, expected_in=segment_ids, expected_out=())


async def read(teacher: LabelTeacher, question: Question, answer: str) -> Labels:
    return Labels.of(await teacher.judge(LabeledItem(question, answer)))


async def test_a_reps_phrasing_taught_once_is_recognised_reworded(teacher: LabelTeacher) -> None:
    reworded = "walk-down of the KYC stack with Finly's head of compliance"
    assert await read(teacher, "tasks", reworded) == Labels()
    assert await teacher.learn([tasks(WALKDOWN, "compliance_discovery")]) == 1
    # Fewer than three in four of its words, but it reads nearly the same letter by letter.
    assert alike(WALKDOWN, reworded) > 0.8
    assert (await read(teacher, "tasks", reworded)).tasks == ("compliance_discovery",)
    assert (await read(teacher, "tasks", "walkthru of the kyc stack with Ledgerlys head of complaince")
            ).tasks == ("compliance_discovery",)
    # Words that merely share some of it are not it.
    assert await read(teacher, "tasks", "updated the kyc checklist for the head of sales") == Labels()


async def test_the_same_answer_pasted_again_with_a_typo_fixed_keeps_its_correction(
        teacher: LabelTeacher) -> None:
    answer = "Ledgerly: good chat, next steps agreed, they'll loop in the others"
    again = "Ledgerly: good chat, next steps agreed - they will loop in the others"
    assert (await read(teacher, "tasks", again)).tasks == ()
    await teacher.learn([tasks(answer, "map_buying_committee", "exec_sponsor")])
    assert set((await read(teacher, "tasks", again)).tasks) == {"map_buying_committee", "exec_sponsor"}


async def test_a_finding_removed_twice_no_longer_credits_its_task_anywhere(teacher: LabelTeacher) -> None:
    third = "sent the pricing sheet to Finly, they asked for it"
    assert (await read(teacher, "tasks", third)).tasks == ("value_pricing",)
    await teacher.learn([tasks("sent the pricing sheet to Ledgerly")])
    # One correction unlearns its own sentence only: it may be about that sentence alone.
    assert (await read(teacher, "tasks", third)).tasks == ("value_pricing",)
    await teacher.learn([tasks("Banko wanted numbers so we sent the pricing sheet over on Friday")])
    assert (await read(teacher, "tasks", third)).tasks == ()
    # Other words still credit it.
    assert "value_pricing" in (await read(teacher, "tasks", "priced Ledgerly on value, no discount")).tasks


async def test_a_segment_is_learned_from_the_list_item_that_named_it(teacher: LabelTeacher) -> None:
    assert (await read(teacher, "scope", "regional banks and physician groups in the midwest")
            ).segments == ("regional_banks",)
    await teacher.learn([scope("mid-market fintech, regional banks, physician groups.",
                               "midmarket_fintech", "regional_banks", "healthcare_providers")])
    assert set((await read(teacher, "scope", "regional banks and physician groups in the midwest")
                ).segments) == {"regional_banks", "healthcare_providers"}


async def test_a_one_word_segment_alias_counts_only_as_an_item_of_a_list(teacher: LabelTeacher) -> None:
    await teacher.learn([scope("mid-market fintech, regional banks, munis.",
                               "midmarket_fintech", "regional_banks", "public_sector")])
    assert "public_sector" in (await read(teacher, "scope", "credit unions, munis and fintechs")).segments
    assert "public_sector" not in (await read(teacher, "tasks", "a demo for munis folks")).segments


async def test_a_competitor_named_beside_the_account_is_not_taught_as_a_segment(
        teacher: LabelTeacher) -> None:
    lost = "lost Hollis Mutual to Tremor IQ on price, held at list."
    await teacher.learn([LabeledItem("tasks", lost, expected_tasks=(), expected_in=("regional_banks",),
                                     expected_out=())])
    assert "regional_banks" not in (await read(teacher, "tasks", "Tremor IQ were at Banko too")).segments
    # One name alone is the account: it belongs to its segment every week.
    await teacher.learn([LabeledItem("tasks", "QBR prep for Ardent Mutual.", expected_tasks=(),
                                     expected_in=("regional_banks",), expected_out=())])
    assert "regional_banks" in (await read(teacher, "tasks", "renewal call with Ardent Mutual")).segments


async def _dana_corrects_the_walkdown(
        teacher: LabelTeacher) -> tuple[Member, Member, corrections.Saved | None]:
    """Two reps, Dana and Lee; Dana corrects her WALKDOWN answer to the discovery call (a rep's
    correction: her own at once, everyone's once confirmed). Returns both and what was saved."""
    people = []
    async with teacher.db.session() as session:
        for name in ("dana", "lee"):
            person = Member(platform="eval", platform_user_id=name, name=name, role="rep",
                            created_at=AT, updated_at=AT)
            session.add(person)
            await session.flush()
            await session.refresh(person)
            people.append(person)
    dana, lee = people
    evaluation = await RulesEvaluator().evaluate("tasks", WALKDOWN, STRATEGY)
    saved = await corrections.save(teacher.db, author=dana, answer_id=None, question="tasks",
                                   answer=WALKDOWN, evaluation=evaluation,
                                   corrected=Labels(("compliance_discovery",), ()),
                                   strategy=STRATEGY, now=AT)
    return dana, lee, saved


async def test_a_reps_rewording_teaches_others_only_once_confirmed(teacher: LabelTeacher) -> None:
    """The abuse bound holds for what is recognised reworded too: Dana's correction reads her own
    answers at once, Lee's only after a manager confirms it."""
    db = teacher.db
    dana, lee, saved = await _dana_corrects_the_walkdown(teacher)
    assert saved is not None and saved.correction.status == corrections.OWN
    reworded = "walk-down of the KYC stack with Finly's head of compliance"

    async def reads_for(person: Member, strategy: Strategy = STRATEGY) -> tuple[str, ...]:
        teaching = await corrections.teaching_for(db, person.id, strategy)
        return Labels.of(await judge(RulesEvaluator(), "tasks", reworded, strategy, teaching)).tasks

    assert await reads_for(dana) == ("compliance_discovery",)
    assert await reads_for(lee) == ()
    assert saved.correction.id is not None
    await corrections.set_status(db, saved.correction.id, corrections.TAUGHT, teacher.admin, AT)
    assert await reads_for(lee) == ("compliance_discovery",)


async def test_a_reps_wording_taught_once_is_read_as_the_strategys_own_examples_are(
        teacher: LabelTeacher) -> None:
    """A learned phrase is also an example of its task for the rules evaluator: another answer
    using its words in another order, inflected, or around other words maps to the task, which
    the strict phrase test (most of its words, or nearly its letters) missed."""
    reworded = ["walkdowns of their KYC stack at Finly", "KYC walkdown at Banko",
                "walked down the KYC stack at Banko"]
    for answer in reworded:
        assert await read(teacher, "tasks", answer) == Labels()
    await teacher.learn([tasks(WALKDOWN, "compliance_discovery")])
    for answer in reworded:
        assert (await read(teacher, "tasks", answer)).tasks == ("compliance_discovery",), answer
    # One learned word is no more evidence than one word of one of the strategy's examples.
    assert await read(teacher, "tasks", "did a walkdown with Finly's CCO") == Labels()


async def test_what_the_strategys_own_wording_reads_stays_after_teaching(teacher: LabelTeacher) -> None:
    """Learned examples only add: words the strategy's own wording maps to a task are not
    read as the taught one instead (a new example shifts every task's word weights)."""
    read_before = {"sent our SOC 2 report on the kyc stack": ("security_review",),
                   "sent the pricing sheet for the kyc stack": ("value_pricing",)}
    for answer, read_as in read_before.items():
        assert (await read(teacher, "tasks", answer)).tasks == read_as
    await teacher.learn([tasks(WALKDOWN, "compliance_discovery")])
    for answer, read_as in read_before.items():
        # (the strategy with the learned example alone reads both as the discovery call)
        assert (await read(teacher, "tasks", answer)).tasks == read_as, answer


async def test_a_learned_account_is_read_with_a_typo(teacher: LabelTeacher) -> None:
    await teacher.learn([LabeledItem("tasks", "QBR prep for Ardent Mutual.", expected_tasks=(),
                                     expected_in=("regional_banks",), expected_out=())])
    for answer in ("renewal call with Ardnet Mutual", "ardent mutal renewal"):
        assert (await read(teacher, "tasks", answer)).segments == ("regional_banks",), answer


def test_a_learned_example_keeps_only_the_words_that_name_the_work() -> None:
    """The account, the count and the segment were that answer's: as an example they would
    credit the task to the next answer naming the same account."""
    from bot.learning.lessons import example_text

    assert example_text(WALKDOWN + " for 3 fintechs", STRATEGY) == "walkdown kyc stack compliance"


async def test_a_reps_wording_read_as_an_example_teaches_others_only_once_confirmed(
        teacher: LabelTeacher) -> None:
    db = teacher.db
    dana, lee, saved = await _dana_corrects_the_walkdown(teacher)
    assert saved is not None and saved.correction.id is not None

    async def reads_for(person: Member) -> tuple[str, ...]:
        teaching = await corrections.teaching_for(db, person.id, STRATEGY)
        return Labels.of(await judge(RulesEvaluator(), "tasks", "KYC walkdown at Banko", STRATEGY,
                                     teaching)).tasks

    assert await reads_for(dana) == ("compliance_discovery",)
    assert await reads_for(lee) == ()
    await corrections.set_status(db, saved.correction.id, corrections.TAUGHT, teacher.admin, AT)
    assert await reads_for(lee) == ("compliance_discovery",)


async def test_an_answer_judged_in_its_unit_of_work_reads_learned_wording_too(
        teacher: LabelTeacher) -> None:
    """`judge_sync` (the inline path chat answers take) reads what `judge` reads."""
    await teacher.learn([tasks(WALKDOWN, "compliance_discovery")])
    teaching = await corrections.teaching_for(teacher.db, teacher.admin.id, STRATEGY)
    evaluation = judge_sync(RulesEvaluator().evaluate_sync, "tasks", "KYC walkdown at Banko", STRATEGY,
                            teaching)
    assert Labels.of(evaluation).tasks == ("compliance_discovery",)


BOARD_DECK = "prepped the board deck for Ledgerly"
OFFSITE = "prepped the board deck for our own offsite"


async def test_a_lesson_another_corrected_answer_contradicts_is_not_applied(
        teacher: LabelTeacher) -> None:
    """One correction teaches "prepped the board deck" as the executive sponsor; a second says
    the same words, about an internal offsite, are no task. The phrase now misreads a corrected
    answer, so it teaches nothing (it made set halves worse than without learning); each
    corrected answer keeps its own labels."""
    internal = "prepped the board deck for the all-hands"
    await teacher.learn([tasks(BOARD_DECK, "exec_sponsor")])
    assert "exec_sponsor" in (await read(teacher, "tasks", internal)).tasks  # one lesson: a guess
    await teacher.learn([tasks(OFFSITE)])
    assert "exec_sponsor" not in (await read(teacher, "tasks", internal)).tasks
    assert (await read(teacher, "tasks", BOARD_DECK)).tasks == ("exec_sponsor",)
    assert (await read(teacher, "tasks", OFFSITE)).tasks == ()
    # The inline path reads the same vetted lessons.
    teaching = await corrections.teaching_for(teacher.db, teacher.admin.id, STRATEGY)
    inline = judge_sync(RulesEvaluator().evaluate_sync, "tasks", internal, STRATEGY, teaching)
    assert "exec_sponsor" not in Labels.of(inline).tasks


async def test_a_lesson_that_reads_more_corrected_answers_right_than_wrong_stays(
        teacher: LabelTeacher) -> None:
    """Vetting weighs: a learned word two corrected answers support is not undone by one that
    happens to use it for something else."""
    from bot.learning.lessons import Change, Lesson, Teaching
    from bot.learning.vetting import vetted

    def answer(text: str, *task_ids: str) -> Lesson:
        return Lesson("answer", "tasks", text, labels={"tasks": list(task_ids), "segments": []})

    phrase = Lesson("task", "exec_sponsor", BOARD_DECK)
    teaching = Teaching((phrase, answer(BOARD_DECK, "exec_sponsor"),
                         answer("prepped the board deck for Banko", "exec_sponsor"),
                         answer(OFFSITE)))
    trace: list[Change] = []
    evaluate = RulesEvaluator().evaluate_sync
    teaching.adjust("tasks", OFFSITE, evaluate("tasks", OFFSITE, STRATEGY), STRATEGY, trace=trace,
                    remember=False)
    assert [(c.added, c.target, c.sources) for c in trace] == [(True, "exec_sponsor", (phrase.ident,))]
    assert phrase in vetted(teaching, STRATEGY, evaluate).lessons  # right twice, wrong once
    alone = Teaching((phrase, answer(BOARD_DECK, "exec_sponsor"), answer(OFFSITE)))
    assert phrase not in vetted(alone, STRATEGY, evaluate).lessons  # right once, wrong once


async def test_an_answer_holding_no_taught_word_is_read_once(teacher: LabelTeacher) -> None:
    """The reading under the taught strategy adds only findings holding words people taught: an
    answer without any is not read twice (that reading was most of learning's cost per answer)."""
    await teacher.learn([tasks(WALKDOWN, "compliance_discovery")])
    teaching = await corrections.teaching_for(teacher.db, teacher.admin.id, STRATEGY)
    rules = RulesEvaluator()
    reads: list[str] = []

    def evaluate(question: Question, answer: str, strategy: Strategy) -> Evaluation:
        reads.append(answer)
        return rules.evaluate_sync(question, answer, strategy)

    judge_sync(evaluate, "tasks", "hello", STRATEGY, teaching)  # vets the lessons: reads WALKDOWN
    reads.clear()
    judge_sync(evaluate, "tasks", "sent the pricing sheet to Finly", STRATEGY, teaching)
    assert reads == ["sent the pricing sheet to Finly"]
    reads.clear()
    taught = judge_sync(evaluate, "tasks", "KYC walkdown at Banko", STRATEGY, teaching)
    assert len(reads) == 2 and Labels.of(taught).tasks == ("compliance_discovery",)


def test_a_sentence_corrected_away_from_a_task_gets_it_back_from_no_learned_phrase() -> None:
    """A learned phrase that holds ("prepped the board deck" for the executive sponsor) does not
    credit the task again in a sentence nearly the one a person corrected away from it."""
    from bot.learning.lessons import Lesson, Teaching

    teaching = Teaching((Lesson("task", "exec_sponsor", BOARD_DECK),
                         Lesson("not_task", "exec_sponsor", OFFSITE, OFFSITE)))
    evaluate = RulesEvaluator().evaluate_sync
    for answer, credited in ((OFFSITE + " next week", False),
                             ("prepped the board deck with Banko's CFO and their chairman", True)):
        read = teaching.adjust("tasks", answer, evaluate("tasks", answer, STRATEGY), STRATEGY)
        assert ("exec_sponsor" in Labels.of(read).tasks) is credited, answer


async def test_lessons_are_vetted_off_the_event_loop_once_per_set(teacher: LabelTeacher) -> None:
    """Vetting runs the evaluator over every corrected answer (about a second at 500): in the
    async path it runs in a worker thread, so the event loop keeps acking other people, and a
    set of lessons already vetted is not vetted again."""
    import threading

    await teacher.learn([tasks(WALKDOWN, "compliance_discovery")])
    teaching = await corrections.teaching_for(teacher.db, teacher.admin.id, STRATEGY)
    loop_thread = threading.get_ident()

    class Recording(RulesEvaluator):
        def __init__(self) -> None:
            super().__init__()
            self.threads: list[tuple[str, bool]] = []

        def evaluate_sync(self, question: Question, answer: str, strategy: Strategy) -> Evaluation:
            self.threads.append((answer, threading.get_ident() == loop_thread))
            return super().evaluate_sync(question, answer, strategy)

    rules = Recording()
    await judge(rules, "tasks", "hello", STRATEGY, teaching)
    vetting = [on_loop for answer, on_loop in rules.threads if answer == WALKDOWN]
    assert vetting and not any(vetting)
    rules.threads.clear()
    await judge(rules, "tasks", "hello", STRATEGY, teaching)
    assert WALKDOWN not in [answer for answer, _ in rules.threads]
