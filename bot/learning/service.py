"""A person's "Not right?": the form as it stands, and saving a correction, which re-judges the
answer at once and replies with the corrected feedback."""

from __future__ import annotations

from bot.context import BotContext
from bot.evaluation.feedback import FeedbackTexts
from bot.evaluation.result import QUESTIONS, Evaluation
from bot.evaluation.review import AnswerReviewer
from bot.events import ChoiceForm, FormRefused, Message
from bot.learning import corrections
from bot.learning.form import SEGMENTS_FIELD, TASKS_FIELD, chosen, correction_form, form_id
from bot.learning.lessons import Labels
from bot.storage.models import Answer, CheckIn, Member
from bot.strategy.schema import Strategy


class CorrectionDesk:
    def __init__(self, ctx: BotContext, reviewer: AnswerReviewer, texts: FeedbackTexts) -> None:
        self.ctx = ctx
        self.reviewer = reviewer
        self.t = texts

    async def _judged(self, member: Member, answer_id: int,
                      edition: int) -> tuple[Answer, Evaluation, Strategy] | str:
        """The answer, its stored verdict and the strategy it was judged by, or why not (a
        reason of `bot.events.REFUSALS`); `edition` is the wording the form was offered under."""
        async with self.ctx.db.session() as session:
            answer = await session.get(Answer, answer_id)
            checkin = await session.get(CheckIn, answer.checkin_id) if answer else None
        if answer is None or checkin is None:
            return "answer_deleted"
        if answer.member_id != member.id:
            return "not_yours"
        if answer.edits != edition:  # feedback on an earlier wording: the newest has its own form
            return "edited"
        if answer.question not in QUESTIONS:
            return "nothing_to_correct"
        if answer.evaluation is None:  # edited: its new verdict is on its way
            return "rereading"
        try:
            evaluation = Evaluation.model_validate_json(answer.evaluation)
        except ValueError:
            return "gone"
        return answer, evaluation, await self.reviewer.strategy_for(checkin)

    def refusal(self, answer_id: int, edition: int, reason: str) -> FormRefused:
        return FormRefused(form_id(answer_id, edition), reason, self.t.say("correction", reason))

    async def form(self, member: Member, answer_id: int, edition: int = 0) -> ChoiceForm | FormRefused:
        judged = await self._judged(member, answer_id, edition)
        if isinstance(judged, str):
            return self.refusal(answer_id, edition, judged)
        _, evaluation, strategy = judged
        form = correction_form(self.t, answer_id, evaluation, strategy, edition)
        return form if form is not None else self.refusal(answer_id, edition, "nothing_to_correct")

    async def feedback(self, member: Member, answer_id: int, edition: int = 0) -> Message | FormRefused:
        """The feedback on this person's answer as it stands now (after a correction), or why not."""
        judged = await self._judged(member, answer_id, edition)
        if isinstance(judged, str):
            return self.refusal(answer_id, edition, judged)
        answer, evaluation, _ = judged
        async with self.ctx.db.session() as session:
            checkin = await session.get(CheckIn, answer.checkin_id)
        if checkin is None:
            return self.refusal(answer_id, edition, "answer_deleted")
        return await self.reviewer.as_stored(answer, checkin, evaluation)

    async def submit(self, member: Member, answer_id: int, values: dict[str, str],
                     edition: int = 0) -> list[Message]:
        judged = await self._judged(member, answer_id, edition)
        if isinstance(judged, str):
            return [Message.plain(self.refusal(answer_id, edition, judged).text)]
        answer, evaluation, strategy = judged
        read = Labels.of(evaluation)
        tasks = chosen(values, TASKS_FIELD) if evaluation.question == "tasks" else None
        segments = chosen(values, SEGMENTS_FIELD)
        unknown = [i for i in (tasks or ()) if i not in strategy.task_ids] + [
            i for i in (segments or ()) if i not in strategy.segment_ids]
        if unknown:
            return [Message.plain(self.t.say("correction", "unknown", what=", ".join(unknown)))]
        corrected = Labels(read.tasks if tasks is None else tasks,
                           read.segments if segments is None else segments)
        saved = await corrections.save(
            self.ctx.db, author=member, answer_id=answer_id, question=evaluation.question,
            answer=answer.text, evaluation=evaluation, corrected=corrected, strategy=strategy,
            now=self.ctx.clock.now())
        if saved is None:
            return [Message.plain(self.t.say("correction", "unchanged"))]
        note = ("saved_shared" if saved.shared else
                "saved_taught" if saved.correction.status == corrections.TAUGHT else "saved_own")
        review = await self.reviewer.review(answer_id)
        replies = [Message.plain(self.t.say("correction", note))]
        return replies + ([review.message] if review else [])
