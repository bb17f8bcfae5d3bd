"""A member's home page, platform-neutral: their open check-in, latest feedback and alignment
trend; a manager's team summary; an admin's active schedules and the strategy's sell-by date.

Built from the ordinary message blocks so every adapter can show it (Slack's App Home tab renders
it as a view). Wording lives in `prompts/messages.yaml` (`home_*`).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.messages import ask_message
from bot.checkins.service import OPEN_STATES
from bot.commands.strategy import sell_by_note
from bot.context import BotContext
from bot.events import Block, Fact, FactList, Message, QuestionForm, Text
from bot.leads.cadence import OPEN_STATUSES, DueStep
from bot.leads.render import due_text
from bot.people.members import MemberDirectory, is_admin
from bot.scheduling.targets import describe
from bot.storage.models import Answer, CheckIn, Lead, Member, Schedule

TREND_CHECKINS = 6  # how many recent check-ins the trend covers
TEAM_ROWS = 40  # reports listed (a FactList of 40 is 4 blocks; the Home view allows 100)
SCHEDULE_ROWS = 20
FEEDBACK_CHARS = 1200
STEADY = 0.05  # score changes smaller than this are "steady"


def _percent(score: float | None) -> str:
    return "-" if score is None else f"{round(score * 100)}%"


def _day(instant: datetime | None) -> str:
    return instant.strftime("%a %d %b %H:%M UTC") if instant else "-"


async def _scores(session: AsyncSession, member_id: int, limit: int) -> list[tuple[CheckIn, float]]:
    """Recent check-ins with answers, newest first, with the mean score of their answers."""
    checkins = (await session.exec(select(CheckIn).where(
        CheckIn.member_id == member_id, col(CheckIn.asked_at).is_not(None)).order_by(
        col(CheckIn.asked_at).desc()).limit(limit * 3))).all()
    scored: list[tuple[CheckIn, float]] = []
    for checkin in checkins:
        values = [s for s in (await session.exec(select(Answer.overall_score).where(
            Answer.checkin_id == checkin.id))).all() if s is not None]
        if values:
            scored.append((checkin, sum(values) / len(values)))
        if len(scored) == limit:
            break
    return scored


HOME_LEADS = 5


class HomePage:
    """Builds the page for one member from the database, the strategy and the texts."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self.say = ctx.prompts.say

    async def build(self, member: Member | None) -> Message:
        if member is None or not member.active:
            return self._message([Text(self.say("home_title"), style="heading"),
                                  Text(self.say("home_unknown"))])
        assert member.id is not None
        blocks: list[Block] = [Text(self.say("home_title"), style="heading")]
        async with self.ctx.db.session() as session:
            blocks += await self._checkin(session, member)
            blocks += await self._feedback(session, member.id)
            blocks += await self._trend(session, member.id)
            blocks += await self._leads(session, member)
            if member.role == "manager" or is_admin(member):
                blocks += await self._team(session, member)
            if is_admin(member):
                blocks += await self._schedules(session)
        if is_admin(member):
            blocks += self._sell_by()
        return self._message(blocks)

    @staticmethod
    def _message(blocks: list[Block]) -> Message:
        lines: list[str] = []
        for block in blocks:
            if isinstance(block, Text):
                lines.append(block.text)
            elif isinstance(block, FactList):
                lines += [block.title] if block.title else []
                lines += [f"{f.label}: {f.value}" for f in block.facts]
        return Message(text="\n".join(lines), blocks=tuple(blocks))

    async def _leads(self, session: AsyncSession, member: Member) -> list[Block]:
        """The member's leads due or overdue now, most urgent first (at most five)."""
        now = self.ctx.clock.now()
        due = (await session.exec(select(Lead).where(
            Lead.owner_id == member.id, col(Lead.status).in_(OPEN_STATUSES),
            col(Lead.next_due_at) <= now).order_by(col(Lead.next_due_at)))).all()
        if not due:
            return [Text(self.say("home_no_due_leads"), style="muted")]
        facts = tuple(Fact(lead.company, due_text(DueStep(lead.touches, lead.next_due_at), now,
                                                  member))
                      for lead in due[:HOME_LEADS] if lead.next_due_at is not None)
        more = [Text(self.say("home_more_leads", count=len(due) - HOME_LEADS))] \
            if len(due) > HOME_LEADS else []
        return [FactList(facts, title=self.say("home_due_leads", count=len(due))), *more]

    async def _checkin(self, session: AsyncSession, member: Member) -> list[Block]:
        assert member.id is not None
        now = self.ctx.clock.now()
        rows = (await session.exec(select(CheckIn).where(
            CheckIn.member_id == member.id, col(CheckIn.state).in_(OPEN_STATES)).order_by(
            col(CheckIn.asked_at).desc()))).all()
        checkin = next((c for c in rows if c.closes_at is None or c.closes_at > now), None)
        if checkin is None:
            return [Text(self.say("home_no_open_checkin"))]
        answers = {a.question: a.text for a in (await session.exec(select(Answer).where(
            Answer.checkin_id == checkin.id))).all()}
        total = len(self.ctx.prompts.questions(checkin.audience).questions)
        line = self.say("home_open_checkin", closes=_day(checkin.closes_at), answered=len(answers),
                        total=total)
        invitation = ask_message(self.ctx.prompts, checkin, member.name, self.ctx.strategy.strategy.name,
                                 answers)
        form = [b for b in invitation.blocks if isinstance(b, QuestionForm)]
        return [Text(line), *form]

    async def _feedback(self, session: AsyncSession, member_id: int) -> list[Block]:
        latest = (await session.exec(select(Answer).where(
            Answer.member_id == member_id, col(Answer.feedback).is_not(None)).order_by(
            col(Answer.updated_at).desc()).limit(1))).first()
        if latest is None or not latest.feedback:
            return [Text(self.say("home_no_feedback"), style="muted")]
        checkin = await session.get(CheckIn, latest.checkin_id)
        questions = self.ctx.prompts.questions(checkin.audience if checkin else "rep")
        number = next((i + 1 for i, q in enumerate(questions.questions) if q.id == latest.question), 1)
        feedback = latest.feedback if len(latest.feedback) <= FEEDBACK_CHARS else (
            latest.feedback[:FEEDBACK_CHARS - 1] + "…")
        return [Text(self.say("home_latest_feedback", number=number, when=_day(latest.updated_at)),
                     style="heading"), Text(feedback)]

    async def _trend(self, session: AsyncSession, member_id: int) -> list[Block]:
        scored = await _scores(session, member_id, TREND_CHECKINS)
        if not scored:
            return [Text(self.say("home_trend_none"), style="muted")]
        oldest_first = list(reversed(scored))
        change = oldest_first[-1][1] - oldest_first[0][1]
        direction = ("home_trend_flat" if len(scored) < 2 or abs(change) < STEADY
                     else "home_trend_up" if change > 0 else "home_trend_down")
        title = self.say("home_trend", count=len(scored), direction=self.say(direction))
        facts = tuple(Fact(_day(c.asked_at), _percent(score)) for c, score in oldest_first)
        return [FactList(facts, title=title)]

    async def _team(self, session: AsyncSession, member: Member) -> list[Block]:
        directory = MemberDirectory(session)
        team = await directory.reports(member)
        if not team:
            return []
        facts = []
        for report in team[:TEAM_ROWS]:
            assert report.id is not None
            last = (await session.exec(select(CheckIn).where(
                CheckIn.member_id == report.id, col(CheckIn.asked_at).is_not(None)).order_by(
                col(CheckIn.asked_at).desc()).limit(1))).first()
            scored = await _scores(session, report.id, 1)
            state = f"last check-in {last.state}" if last else "not asked yet"
            facts.append(Fact(report.name, self.say("home_team_row", state=state,
                                                    score=_percent(scored[0][1] if scored else None))))
        return [FactList(tuple(facts), title=self.say("home_team", count=len(team)))]

    async def _schedules(self, session: AsyncSession) -> list[Block]:
        schedules = (await session.exec(select(Schedule).where(Schedule.active == True).order_by(  # noqa: E712
            col(Schedule.id)))).all()
        if not schedules:
            return [Text(self.say("home_no_schedules"), style="muted")]
        facts = []
        for s in schedules[:SCHEDULE_ROWS]:
            who = await describe(session, s.target)
            facts.append(Fact(f"#{s.id} {s.kind} \"{s.when_text}\"",
                              f"for {who}, {s.timezone or 'each member local time'}"))
        return [FactList(tuple(facts), title=self.say("home_schedules"))]

    def _sell_by(self) -> list[Block]:
        today = self.ctx.clock.now().date()
        review_by = self.ctx.strategy.strategy.review_by
        days = (review_by - today).days
        when = f"in {days} days" if days >= 0 else f"passed {-days} days ago"
        blocks: list[Block] = [Text(self.say("home_sell_by", date=review_by.isoformat(), days=when))]
        if note := sell_by_note(self.ctx.strategy, today):
            blocks.append(Text(note, style="muted"))
        return blocks


async def home(ctx: BotContext, member: Member | None) -> Message:
    """The home page of `member` (None: someone the bot does not know yet)."""
    return await HomePage(ctx).build(member)
