"""The schedule engine: turns schedules and the clock into check-in rows, asks, and reminders.

Nothing due lives in memory. Each tick reads the schedules, computes the occurrences since each
one's `processed_until` in every member's own time zone, and writes one check-in row per member
and occurrence (skipped, missed or scheduled) with an idempotency key that a unique constraint
enforces. Rows are then asked through the outbox (claim -> send -> record), so a retry, a restart
mid-fan-out or a second engine on the same database never sends anything twice.

With several processes on one PostgreSQL database, turning a schedule's occurrences into rows
(and running a digest/nudges schedule) happens in one process at a time under a per-schedule
advisory lock, and asking and reminding go page by page: each process claims the next page of
due sends nobody holds, so the processes share the fan-out.

After downtime, occurrences missed by less than the grace period are still asked; older ones are
recorded as missed. `next_due` lets a moved clock (the console's /advance, tests) stop at each due
instant so nothing falls into that rule just because time jumped.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, Table, bindparam, cast, or_, tuple_, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.checkins.messages import Invitation, question_line
from bot.checkins.service import AWAITING_STATES, OPEN_STATES, CheckIns, audience_of
from bot.context import BotContext
from bot.delivery import (
    RECIPIENT_COLUMNS,
    Outbox,
    Outcome,
    Outgoing,
    Recipient,
    Seen,
    ref_from_json,
    ref_to_json,
)
from bot.events import Message
from bot.port import DeliveryError
from bot.scheduling.availability import unavailable_reason
from bot.scheduling.jobs import ScheduledJob, job_key
from bot.scheduling.targets import Person, members_of, people_page, timezones_of
from bot.scheduling.when import Recurrence, parse_when
from bot.storage.bulk import RowsInsert, RowsUpdate
from bot.storage.locks import exclusive
from bot.storage.models import Answer, CheckIn, Holiday, Member, OutboundMessage, Schedule, literal_states
from bot.strategy.durations import Duration

log = logging.getLogger(__name__)
TICK_RESOLUTION = timedelta(microseconds=1)
MATERIALISE_WAIT = 10.0  # seconds a tick waits while another process materialises a schedule
MEMBER_PAGE = 1000  # members read, turned into rows and inserted at a time when materialising
_CHECKINS: Table = CheckIn.__table__  # type: ignore[attr-defined]
_NOW = bindparam("now", type_=_CHECKINS.c.asked_at.type)
# A page's asks and reminders recorded in one statement each (PostgreSQL), in the page's order
# A page of members' new check-ins in one statement (PostgreSQL); keys already there are kept
_NEW_CHECKINS = RowsInsert(
    _CHECKINS, types={name: _CHECKINS.c[name].type for name in (
        "key", "member_id", "occurrence_at", "audience", "state", "note", "closes_at")},
    constants=("schedule_id", "strategy_version", "reminders_sent", "created_at"))
_MARK_ASKED = RowsUpdate(
    _CHECKINS, types={"cid": _CHECKINS.c.id.type, "ref": _CHECKINS.c.message_ref.type,
                      "remind": _CHECKINS.c.next_reminder_at.type},
    where=lambda row, value: [row.id == value("cid"), row.state == "scheduled"],
    values=lambda value: {"state": "asked", "asked_at": _NOW, "current_question": 0,
                          "message_ref": value("ref"), "next_reminder_at": value("remind")})
_MARK_REMINDED = RowsUpdate(
    _CHECKINS, types={"cid": _CHECKINS.c.id.type, "number": _CHECKINS.c.reminders_sent.type,
                      "before": _CHECKINS.c.reminders_sent.type,
                      "following": _CHECKINS.c.next_reminder_at.type},
    where=lambda row, value: [row.id == value("cid"), row.reminders_sent == value("before"),
                              or_(*(row.state == state for state in AWAITING_STATES))],
    values=lambda value: {"state": "reminded", "reminded_at": _NOW,
                          "reminders_sent": value("number"), "next_reminder_at": value("following")})


@dataclass(frozen=True, slots=True)
class DueCheckIn:
    """A due check-in as the ask query reads it: plain columns, no ORM object per recipient."""

    id: int
    key: str
    occurrence_at: datetime
    closes_at: datetime | None
    audience: str


DUE_COLUMNS = (col(CheckIn.id), col(CheckIn.key), col(CheckIn.occurrence_at),
               col(CheckIn.closes_at), col(CheckIn.audience))  # in DueCheckIn's field order
@functools.lru_cache(maxsize=64)
def _duration(text: str) -> timedelta:
    """A schedule's duration setting ("2h", "1d"): parsed once, not once per recipient."""
    return Duration.parse(text).as_timedelta()


_Ask = tuple[DueCheckIn, Schedule | None]  # None: an ad-hoc check-in (`/align ask now`)
_Reminder = tuple[CheckIn, Schedule, int]  # the reminder's number


def checkin_key(schedule_id: int, member_id: int, occurrence: datetime) -> str:
    """The idempotency key of one member's check-in for one occurrence of a schedule."""
    return f"s{schedule_id}:m{member_id}:{occurrence.strftime('%Y%m%dT%H%M%SZ')}"


def _zone(name: str | None) -> ZoneInfo:
    """The named zone; unknown or empty names fall back to UTC rather than stop a fan-out."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def member_zone(member: Member | Person) -> ZoneInfo:
    return _zone(member.timezone)


def zone_of(schedule: Schedule, member: Member | Person) -> ZoneInfo:
    """Where a schedule's wall-clock times are read: its own zone if it has one, else the member's."""
    return _zone(schedule.timezone) if schedule.timezone else member_zone(member)


def recurrence_of(schedule: Schedule) -> Recurrence:
    return parse_when(schedule.when_text, anchor_date=schedule.anchor_date)


@dataclass
class TickReport:
    """What one tick did, for logs and tests."""

    asked: int = 0
    reminded: int = 0
    skipped: int = 0
    missed: int = 0
    failed: int = 0
    jobs: int = 0
    notes: list[str] = field(default_factory=list)


class ScheduleEngine:
    def __init__(self, ctx: BotContext, checkins: CheckIns, outbox: Outbox,
                 jobs: Iterable[ScheduledJob] = ()) -> None:
        self.ctx = ctx
        self.checkins = checkins
        self.outbox = outbox
        self.jobs: dict[str, ScheduledJob] = {job.kind: job for job in jobs}

    @property
    def kinds(self) -> tuple[str, ...]:
        """The schedule kinds this engine can run."""
        return ("checkin", *self.jobs)

    @property
    def grace(self) -> timedelta:
        return self.ctx.settings.missed_grace.as_timedelta()

    # --- what is due when -------------------------------------------------------------

    async def next_due(self, after: datetime, until: datetime) -> datetime | None:
        """The earliest occurrence or reminder in (after, until], so a moved clock stops there."""
        candidates: list[datetime] = []
        async with self.ctx.db.session() as session:
            for schedule in await self._active_schedules(session):
                start = max(after, schedule.processed_until)
                for zone in await self._zones(session, schedule):
                    nxt = recurrence_of(schedule).next_occurrences(start, zone, 1)
                    if nxt and nxt[0] <= until:
                        candidates.append(nxt[0])
            reminder = (await session.exec(
                select(CheckIn.next_reminder_at)
                .join(Schedule, col(Schedule.id) == CheckIn.schedule_id).where(
                    literal_states(col(CheckIn.state), AWAITING_STATES),  # ix_checkins_reminder_due
                    col(CheckIn.next_reminder_at) > after,
                    col(CheckIn.next_reminder_at) <= until, col(Schedule.active).is_(True))
                .order_by(col(CheckIn.next_reminder_at)).limit(1))).first()
        if reminder is not None:
            candidates.append(reminder)
        return min(candidates, default=None)

    async def _zones(self, session: AsyncSession, schedule: Schedule) -> set[ZoneInfo]:
        if schedule.timezone:
            return {_zone(schedule.timezone)}
        return {_zone(name) for name in await timezones_of(session, schedule.target)}

    # --- the tick ---------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Materialise due occurrences, ask what is due, send due reminders."""
        report = TickReport()
        now = self.ctx.clock.now()
        async with self.ctx.db.session() as session:
            schedules = await self._active_schedules(session)
        for schedule in schedules:
            if schedule.kind == "checkin":
                await self._materialise(schedule, now, report)
            else:
                await self._run_jobs(schedule, now, report)
        await self._ask_scheduled(now, report)
        await self._remind_due(now, report)
        if report.asked or report.reminded or report.missed or report.failed or report.jobs:
            log.info("tick at %s: asked %d, reminded %d, skipped %d, missed %d, failed %d, jobs %d",
                     now.isoformat(timespec="minutes"), report.asked, report.reminded,
                     report.skipped, report.missed, report.failed, report.jobs)
        return report

    async def _active_schedules(self, session: AsyncSession) -> list[Schedule]:
        """Active schedules of the kinds this engine runs (a kind with no job is left alone)."""
        query = select(Schedule).where(col(Schedule.active).is_(True),
                                       col(Schedule.kind).in_(self.kinds))
        return list((await session.exec(query.order_by(col(Schedule.id)))).all())

    async def _reread(self, schedule: Schedule) -> Schedule | None:
        """The schedule as it is now (another process may have moved its mark)."""
        async with self.ctx.db.session() as session:
            current = await session.get(Schedule, schedule.id)
        return current if current is not None and current.active else None

    async def _run_jobs(self, schedule: Schedule, now: datetime, report: TickReport) -> None:
        """Run a digest/nudges schedule in one process at a time (the others skip it while it
        runs; if the holder dies, the next tick elsewhere repeats what it did not finish)."""
        if now <= schedule.processed_until:
            return
        assert schedule.id is not None
        async with exclusive(self.ctx.db, schedule.id) as held:
            current = await self._reread(schedule) if held else None
            if current is not None and now > current.processed_until:
                await self._run_jobs_held(current, now, report)

    async def _run_jobs_held(self, schedule: Schedule, now: datetime, report: TickReport) -> None:
        """Run the job for every recipient and due occurrence, then move the mark.

        The mark only moves once every run went through: a crash or a transient failure leaves it,
        so the next tick repeats the occurrence and the job's outbox key drops what was sent."""
        job, recurrence = self.jobs[schedule.kind], recurrence_of(schedule)
        async with self.ctx.db.session() as session:
            members = await members_of(session, schedule.target)
            holidays = await self._holidays(session)
        start, end = schedule.processed_until + TICK_RESOLUTION, now + TICK_RESOLUTION
        complete = True
        for member in members:
            assert member.id is not None and schedule.id is not None
            zone = zone_of(schedule, member)
            for occurrence in recurrence.occurrences_between(start, end, zone):
                local_day = occurrence.astimezone(member_zone(member)).date()
                if not getattr(job, "every_day", False) and unavailable_reason(
                        member, local_day, holidays) is not None:  # a sync is not a message
                    report.skipped += 1
                elif now - occurrence > self.grace:
                    report.missed += 1
                else:
                    complete &= await self._run_job(job, schedule, member, occurrence, report)
        if not complete:
            return
        async with self.ctx.db.session() as session:
            await session.exec(update(Schedule).where(
                col(Schedule.id) == schedule.id, col(Schedule.processed_until) < now)
                .values(processed_until=now))

    async def _run_job(self, job: ScheduledJob, schedule: Schedule, member: Member,
                       occurrence: datetime, report: TickReport) -> bool:
        assert member.id is not None and schedule.id is not None
        try:
            sent = await job.run(schedule, member, occurrence, job_key(schedule.id, member.id,
                                                                       occurrence))
        except DeliveryError as exc:
            report.failed += 1
            report.notes.append(f"{schedule.kind} for {member.name}: {exc}")
            return exc.permanent  # a permanent failure is recorded by the outbox; don't retry
        report.jobs += sent
        return True

    async def _materialise(self, schedule: Schedule, now: datetime, report: TickReport) -> None:
        """Turn the schedule's due occurrences into rows in one process at a time; the others
        wait for it (briefly), find the mark moved and go on to share the asking."""
        if now <= schedule.processed_until:
            return
        assert schedule.id is not None
        async with exclusive(self.ctx.db, schedule.id, wait=MATERIALISE_WAIT) as held:
            current = await self._reread(schedule) if held else None
            if current is not None and now > current.processed_until:
                await self._materialise_held(current, now, report)

    async def _materialise_held(self, schedule: Schedule, now: datetime, report: TickReport) -> None:
        """One row per member and occurrence in (processed_until, now], then move the mark.

        Members are read a page at a time (see `_insert_new`); a zone's occurrences are computed
        once, for all its members."""
        recurrence = recurrence_of(schedule)
        start, end = schedule.processed_until + TICK_RESOLUTION, now + TICK_RESOLUTION
        due: dict[ZoneInfo, list[tuple[datetime, datetime]]] = {}  # zone -> (occurrence, closes)
        async with self.ctx.db.session() as session:
            holidays = await self._holidays(session)
            open_for = await self._open_member_ids(session, schedule)

        async def pages(session: AsyncSession) -> AsyncIterator[list[dict[str, Any]]]:
            after = 0
            while page := await people_page(session, schedule.target, after, MEMBER_PAGE):
                after = page[-1].id
                rows: list[dict[str, Any]] = []
                for member in page:
                    zone = zone_of(schedule, member)
                    if zone not in due:
                        due[zone] = [(o, self._closes_at(schedule, recurrence, o, zone))
                                     for o in recurrence.occurrences_between(start, end, zone)]
                    # whether they have one open: from before, or one of these occurrences (a
                    # member's rows are made here together, so nothing is kept per member after)
                    is_open = member.id in open_for
                    for occurrence, closes_at in due[zone]:
                        row = self._row(schedule, member, occurrence, closes_at, zone, now,
                                        holidays, is_open, report)
                        is_open = is_open or row["state"] == "scheduled"
                        rows.append(row)
                yield rows

        await self._insert_new(pages, {"schedule_id": schedule.id, "reminders_sent": 0,
                                       "strategy_version": self.ctx.strategy.version,
                                       "created_at": now})
        async with self.ctx.db.session() as session:
            await session.exec(update(Schedule).where(
                col(Schedule.id) == schedule.id, col(Schedule.processed_until) < now)
                .values(processed_until=now))

    def _row(self, schedule: Schedule, member: Person, occurrence: datetime, closes_at: datetime,
             zone: ZoneInfo, now: datetime, holidays: dict[date, str], is_open: bool,
             report: TickReport) -> dict[str, Any]:
        assert member.id is not None and schedule.id is not None
        local_day = occurrence.astimezone(member_zone(member)).date()  # their day off, not ours
        state, note = "scheduled", unavailable_reason(member, local_day, holidays)
        if note is not None:
            state = "skipped"
        elif now - occurrence > self.grace or closes_at <= now:  # too late, or already closed
            state, note = "missed", "the bot was not running at the time"
        elif is_open:
            state, note = "skipped", "the previous check-in is still open"
        if state == "skipped":
            report.skipped += 1
        elif state == "missed":
            report.missed += 1
        return {"key": checkin_key(schedule.id, member.id, occurrence), "member_id": member.id,
                "occurrence_at": occurrence, "audience": audience_of(member), "state": state,
                "note": note, "closes_at": closes_at}  # the rest: _NEW_CHECKINS' constants

    async def _insert_new(self, pages: Callable[[AsyncSession], AsyncIterator[list[dict[str, Any]]]],
                          shared: Mapping[str, Any]) -> None:
        """Insert rows whose key is new; existing keys (another tick, another engine) are kept.
        `pages` reads members a page at a time in the inserting session and yields each page's
        rows, inserted before the next page is read: one transaction, so a crash leaves no rows,
        and memory holds one page whatever the organisation's size. `shared`: the columns every
        row has the same (`_NEW_CHECKINS`' constants), given once per statement."""
        async with self.ctx.db.session() as session:
            async for rows in pages(session):
                await _NEW_CHECKINS.run(session, rows, sqlite=self.ctx.db.is_sqlite, **shared)

    def _closes_at(self, schedule: Schedule, recurrence: Recurrence, occurrence: datetime,
                   zone: ZoneInfo) -> datetime:
        """At the close duration or the next occurrence, whichever is first."""
        following = recurrence.next_occurrences(occurrence, zone, 1)
        limits = [following[0]] if following else []
        if schedule.close_after:
            limits.append(occurrence + Duration.parse(schedule.close_after).as_timedelta())
        return min(limits, default=occurrence + timedelta(days=7))

    async def _holidays(self, session: AsyncSession) -> dict[date, str]:
        return {h.day: h.name for h in (await session.exec(select(Holiday))).all()}

    async def _open_member_ids(self, session: AsyncSession, schedule: Schedule) -> set[int]:
        """Members with a check-in of this schedule still open (they are not asked again).

        Read from the two partial indexes that hold exactly the check-ins not closed yet - those
        still to be asked (`ix_checkins_due`) and those asked and not closed
        (`ix_checkins_closing`) - not from an index of the schedule's every check-in ever (0017
        dropped `ix_checkins_schedule_id`, which every fan-out message wrote twice and only this
        read, walking the schedule's whole history each time). A check-in closed (`closed_at`)
        is not open: the closer closes only those whose window ended, forgetting a member those
        of someone no schedule asks any more."""
        now = self.ctx.clock.now()
        mine = col(CheckIn.schedule_id) == schedule.id
        rows = [*(await session.exec(select(CheckIn.member_id, CheckIn.closes_at).where(
                    literal_states(col(CheckIn.state), ("scheduled",)), mine))).all(),  # ix_checkins_due
                *(await session.exec(select(CheckIn.member_id, CheckIn.closes_at).where(
                    literal_states(col(CheckIn.state), OPEN_STATES),  # ix_checkins_closing
                    col(CheckIn.closed_at).is_(None), mine))).all()]
        return {member_id for member_id, closes_at in rows if closes_at is None or closes_at > now}

    # --- asking -----------------------------------------------------------------------

    async def _ask_scheduled(self, now: datetime, report: TickReport) -> None:
        """Ask every scheduled row that is due and not past its window or the grace period, a
        page at a time.

        A page's rows are locked while their sends are claimed (FOR UPDATE SKIP LOCKED on
        PostgreSQL), and a send another process holds is left to it (`_settle_asks`), so
        processes asking at once share the fan-out. Picks up rows a stopped
        process created but never asked, sends a dead process claimed once its lease ran out, and
        `/align ask now` invitations whose send failed for now (a timeout, a 500)."""
        after: tuple[datetime, int] | None = None
        schedules: dict[int, Schedule] = {}
        invitations: dict[str, Invitation] = {}  # by audience: rendered once for the fan-out
        strategy_name = self.ctx.strategy.strategy.name
        while True:
            async with self.ctx.db.session() as session:
                rows = await self._due_asks(session, now, after)
                if not rows:
                    return
                after = (rows[-1][2], rows[-1][0])  # (occurrence_at, id) of the page's last row
                await self._load_schedules(session, schedules, {r[10] for r in rows} - {None})
                claimed = await self._settle_asks(session, rows, schedules, now, report)
            for item in claimed:
                due = item.subject[0]
                if due.audience not in invitations:
                    invitations[due.audience] = Invitation(self.ctx.prompts, due.audience,
                                                           strategy_name)
                item.message = invitations[due.audience].to(due.id, item.member.name, key=item.key)
            if claimed:
                outcomes = await self.outbox.send(claimed, self._record_asks)
                report.asked += sum(o.ref is not None for o in outcomes)
                self._note_failures(outcomes, report)

    async def _due_asks(self, session: AsyncSession, now: datetime,
                        after: tuple[datetime, int] | None) -> list[Any]:
        """The next page of due rows (after `after`) as plain columns: DueCheckIn's,
        Recipient's, the schedule's id (None: none, or removed) and created_at. Walks ix_checkins_due in its
        order from the cursor, so a page reads its own rows and sorts nothing. Not the outbox:
        whether a row's send is claimed, sent or failed already is learnt by claiming it
        (`_settle_asks`), whose INSERT looks the key up anyway."""
        query = (sa_select(*DUE_COLUMNS, *RECIPIENT_COLUMNS, col(Schedule.id), col(CheckIn.created_at))
                 .join(Member, col(Member.id) == CheckIn.member_id)
                 .outerjoin(Schedule, col(Schedule.id) == CheckIn.schedule_id)
                 .where(literal_states(col(CheckIn.state), ("scheduled",)),  # ix_checkins_due
                        col(CheckIn.occurrence_at) <= now,
                        # A schedule's rows while it exists (a removed one asks nothing more),
                        # and `ask now`'s (`_settle_asks` leaves those it is still sending itself)
                        or_(col(Schedule.id).is_not(None), col(CheckIn.schedule_id).is_(None))))
        if after is not None:
            query = query.where(_after(col(CheckIn.occurrence_at), after))
        return await self._page(session, query.order_by(col(CheckIn.occurrence_at), col(CheckIn.id)))

    async def _page(self, session: AsyncSession, query: Any) -> list[Any]:
        query = query.limit(self.ctx.settings.fanout_batch)
        if not self.ctx.db.is_sqlite:
            query = query.with_for_update(of=CheckIn, skip_locked=True)
        return list((await session.exec(query)).all())

    async def _load_schedules(self, session: AsyncSession, schedules: dict[int, Schedule],
                              ids: set[int | None]) -> None:
        """The schedules of a page's rows not read yet this fan-out (a few, however many rows)."""
        if missing := [i for i in ids if i is not None and i not in schedules]:
            for schedule in (await session.exec(select(Schedule).where(
                    col(Schedule.id).in_(missing)))).all():
                schedules[schedule.id or 0] = schedule

    async def _settle_asks(self, session: AsyncSession, rows: list[Any],
                           schedules: dict[int, Schedule], now: datetime,
                           report: TickReport) -> list[Outgoing[_Ask]]:
        """Close what needs no send (too late; sent or failed for good earlier, e.g. before a
        crash or by `ask now`) and claim the rest; returns the sends claimed, in the page's order.

        A row's send is claimed outright: the claim's INSERT looks its key up in the outbox's
        unique index anyway, so the page query does not join the outbox for every row too. Only
        the keys not won are read and settled - sent or failed earlier, a dead process's claim
        (taken over once stale), another's live one (left to it) - none in a fan-out that no
        other process shares and no crash interrupted. `ask now`'s rows are read first: whether
        their send went out decides whether a newer check-in supersedes them, and one with no
        outbox row younger than the lease is still being sent by `ask now` itself."""
        stale, grace = now - self.outbox.lease, self.grace  # once a page, not per row
        late: list[int | None] = []
        failed: list[int | None] = []
        superseded: list[int | None] = []
        sent: list[tuple[_Ask, str]] = []  # with the message's ref as stored
        wanted: list[Outgoing[_Ask]] = []
        ad_hoc = [r for r in rows if r[10] is None]
        busy = await self._with_open_checkin(session, [r[5] for r in ad_hoc], now)
        seen = await self._seen(session, [f"{r[1]}:ask" for r in ad_hoc])
        for row in rows:
            checkin, member = DueCheckIn(*row[:5]), Recipient(*row[5:10])
            schedule = schedules.get(row[10]) if row[10] is not None else None
            key = f"{checkin.key}:ask"
            if schedule is None and key not in seen and row[11] >= stale:
                continue  # `ask now` is sending it itself (no claim yet): left to it
            if now - checkin.occurrence_at > grace or (
                    checkin.closes_at is not None and checkin.closes_at <= now):
                late.append(checkin.id)
            elif schedule is None and member.id in busy and (
                    key not in seen or seen[key].state != "sent"):
                superseded.append(checkin.id)  # an `ask now` retried after they were asked again
            else:
                wanted.append(Outgoing(member, key, "checkin", (checkin, schedule), seen=seen.get(key)))
        fresh = [i for i in wanted if i.seen is None]
        won = await self.outbox.claim(session, fresh)
        taken = {id(i) for i in won}
        lost = [i for i in fresh if id(i) not in taken]
        for key, found in (await self._seen(session, [i.key for i in lost])).items():
            seen[key] = found
        retake: list[Outgoing[_Ask]] = []
        for item in (i for i in wanted if id(i) not in taken):
            item.seen = seen.get(item.key)  # None: given back meanwhile; the next pass asks it
            if item.seen is None:
                continue
            if item.seen.state == "failed":
                failed.append(item.subject[0].id)
            elif item.seen.state == "sent":
                ref = ref_from_json(item.seen.platform_ref)
                assert ref is not None
                sent.append((item.subject, ref_to_json(ref)))
            elif item.seen.stale(stale):
                retake.append(item)  # its holder died, failed for now or shut down
        taken |= {id(i) for i in await self.outbox.claim(session, retake)}
        await self._close_unasked(session, late, "missed", "not asked in time")
        await self._close_unasked(session, failed, "failed", "could not be reached")
        await self._close_unasked(session, superseded, "skipped", "another check-in is open")
        await self._mark_asked(session, sent)
        report.missed += len(late)
        report.failed += len(failed)
        report.asked += len(sent)
        return [i for i in wanted if id(i) in taken]

    async def _seen(self, session: AsyncSession, keys: list[str]) -> dict[str, Seen]:
        """The outbox rows of these keys, as a fan-out reads them (none: no row)."""
        if not keys:
            return {}
        rows = (await session.exec(select(
            OutboundMessage.key, OutboundMessage.state, OutboundMessage.claimed_at,
            OutboundMessage.platform_ref).where(col(OutboundMessage.key).in_(keys)))).all()
        return {key: Seen(state, claimed_at, ref) for key, state, claimed_at, ref in rows}

    async def _with_open_checkin(self, session: AsyncSession, member_ids: list[int | None],
                                 now: datetime) -> set[int]:
        """Which of these members have a check-in open now."""
        if not member_ids:
            return set()
        rows = (await session.exec(select(CheckIn.member_id, CheckIn.closes_at).where(
            col(CheckIn.member_id).in_(member_ids), col(CheckIn.state).in_(OPEN_STATES)))).all()
        return {member_id for member_id, closes_at in rows if closes_at is None or closes_at > now}

    async def _record_asks(self, session: AsyncSession, outcomes: list[Outcome[_Ask]]) -> None:
        """In the outbox's transaction: the check-ins sent are asked, those given up failed."""
        await self._mark_asked(session, [(o.item.subject, o.ref_json) for o in outcomes
                                         if o.ref_json is not None])
        await self._close_unasked(session, [o.item.subject[0].id for o in outcomes if o.given_up],
                                  "failed", "could not be reached")

    async def _mark_asked(self, session: AsyncSession, sent: list[tuple[_Ask, str]]) -> None:
        """The check-ins asked, each with its message's ref (as stored)."""
        if not sent:
            return
        now = self.ctx.clock.now()
        rows = [{"cid": checkin.id, "ref": ref, "remind": self._first_reminder(checkin, schedule)}
                for (checkin, schedule), ref in sent]  # one statement per page, in this order
        await _MARK_ASKED.run(session, rows, sqlite=self.ctx.db.is_sqlite, now=now)
        for audience, count in Counter(checkin.audience for (checkin, _), _ in sent).items():
            self.ctx.metrics.checkins_asked.labels(audience).inc(count)

    async def _close_unasked(self, session: AsyncSession, ids: list[int | None], state: str,
                             note: str) -> None:
        if ids:
            await session.exec(update(CheckIn).where(
                col(CheckIn.id).in_(ids), col(CheckIn.state) == "scheduled")
                .values(state=state, note=note, closed_at=self.ctx.clock.now()))

    def _note_failures(self, outcomes: list[Outcome[Any]], report: TickReport) -> None:
        for outcome in outcomes:
            if outcome.error is not None:
                report.failed += 1
                report.notes.append(f"{outcome.item.member.name}: {outcome.error}")

    def _first_reminder(self, checkin: DueCheckIn, schedule: Schedule | None) -> datetime | None:
        if schedule is None or not schedule.remind_after or schedule.reminders < 1:
            return None
        asked = max(checkin.occurrence_at, self.ctx.clock.now())  # late after downtime: from then
        at = asked + _duration(schedule.remind_after)
        return at if checkin.closes_at is None or at < checkin.closes_at else None

    # --- reminding --------------------------------------------------------------------

    async def _remind_due(self, now: datetime, report: TickReport) -> None:
        """Remind members whose check-in is still incomplete, once per reminder slot, a page at a
        time as check-ins are asked (processes share the pages)."""
        after: tuple[datetime, int] | None = None
        while True:
            async with self.ctx.db.session() as session:
                rows = await self._due_reminders(session, now, after)
                if not rows:
                    return
                last = rows[-1][0]
                assert last.id is not None and last.next_reminder_at is not None
                after = (last.next_reminder_at, last.id)
                wanted = await self._settle_reminders(session, rows, now)
                claimed = await self.outbox.claim(session, wanted)
                answered = await self._answered(session, [i.subject[0].id for i in claimed
                                                          if i.subject[0].id is not None])
            for item in claimed:
                checkin = item.subject[0]
                assert isinstance(item.member, Member)  # reminders read the member's row
                item.message = self._reminder(checkin, item.member, answered[checkin.id or 0])
            if claimed:
                outcomes = await self.outbox.send(claimed, self._record_reminders)
                report.reminded += sum(o.ref is not None for o in outcomes)
                self._note_failures(outcomes, report)

    async def _due_reminders(self, session: AsyncSession, now: datetime,
                             after: tuple[datetime, int] | None) -> list[Any]:
        stale = now - self.outbox.lease
        key = col(CheckIn.key).concat(":remind:").concat(cast(col(CheckIn.reminders_sent) + 1, String))
        query = (sa_select(CheckIn, Member, Schedule, col(OutboundMessage.state),
                           col(OutboundMessage.claimed_at), col(OutboundMessage.platform_ref))
                 .join(Member, col(Member.id) == CheckIn.member_id)
                 .outerjoin(Schedule, col(Schedule.id) == CheckIn.schedule_id)
                 .outerjoin(OutboundMessage, col(OutboundMessage.key) == key)
                 .where(literal_states(col(CheckIn.state), AWAITING_STATES),  # ix_checkins_reminder_due
                        col(CheckIn.next_reminder_at) <= now,
                        col(Schedule.active).is_(True),  # paused: no reminders either
                        _unclaimed(stale)))
        if after is not None:
            query = query.where(_after(col(CheckIn.next_reminder_at), after))
        return await self._page(session, query.order_by(col(CheckIn.next_reminder_at), col(CheckIn.id)))

    async def _settle_reminders(self, session: AsyncSession, rows: list[Any],
                                now: datetime) -> list[Outgoing[_Reminder]]:
        settled: list[_Reminder] = []
        wanted: list[Outgoing[_Reminder]] = []
        for checkin, member, schedule, state, claimed_at, platform_ref in rows:
            if checkin.closes_at is not None and checkin.closes_at <= now:
                continue  # the closer expires it; a reminder for a closed check-in is noise
            number = checkin.reminders_sent + 1
            seen = Seen(state, claimed_at, platform_ref) if state is not None else None
            if seen is not None and seen.state in ("sent", "failed"):
                settled.append((checkin, schedule, number))  # done before a crash, not recorded
            else:
                wanted.append(Outgoing(member, f"{checkin.key}:remind:{number}", "reminder",
                                       (checkin, schedule, number), seen=seen,
                                       thread=ref_from_json(checkin.message_ref)))
        await self._mark_reminded(session, settled)
        return wanted

    async def _record_reminders(self, session: AsyncSession,
                                outcomes: list[Outcome[_Reminder]]) -> None:
        """Reminders sent, or failed for good, are done; a transient failure is retried."""
        await self._mark_reminded(session, [o.item.subject for o in outcomes
                                            if o.ref is not None or o.given_up])

    async def _mark_reminded(self, session: AsyncSession, done: list[_Reminder]) -> None:
        """Record reminder `number` and plan the next one, unless another engine already did."""
        if not done:
            return
        now = self.ctx.clock.now()
        rows = [{"cid": checkin.id, "number": number, "before": number - 1,
                 "following": self._following(checkin, schedule, number)}
                for checkin, schedule, number in done]  # one statement per page, in this order
        await _MARK_REMINDED.run(session, rows, sqlite=self.ctx.db.is_sqlite, now=now)

    def _following(self, checkin: CheckIn, schedule: Schedule, number: int) -> datetime | None:
        """When reminder `number + 1` is due, if the schedule has one and it comes before the close."""
        if number >= schedule.reminders or not schedule.remind_after:
            return None
        following = (checkin.asked_at or checkin.occurrence_at) + Duration.parse(
            schedule.remind_after).as_timedelta() * (number + 1)
        return None if checkin.closes_at is not None and following >= checkin.closes_at else following

    async def _answered(self, session: AsyncSession, checkin_ids: list[int]) -> dict[int, set[str]]:
        """The questions answered so far in each of these check-ins."""
        answered: dict[int, set[str]] = defaultdict(set)
        if checkin_ids:
            for checkin_id, question in (await session.exec(select(Answer.checkin_id, Answer.question)
                                                          .where(col(Answer.checkin_id).in_(checkin_ids)))).all():
                answered[checkin_id].add(question)
        return answered

    def _reminder(self, checkin: CheckIn, member: Member, answered: set[str]) -> Message:
        prompts = self.ctx.prompts
        questions = prompts.questions(checkin.audience)
        pending = [i for i, q in enumerate(questions.questions) if q.id not in answered]
        remaining = f"{len(pending)} of {len(questions.questions)} questions"
        closes = _local(checkin.closes_at, member) if checkin.closes_at else "soon"
        text = prompts.say("reminder", remaining=remaining, closes=closes,
                           question=question_line(prompts, questions, pending[0]) if pending else "")
        return Message.plain(text.strip())


def _unclaimed(stale: datetime) -> Any:
    """No send for the row yet, a settled one, or a claim nobody holds any more."""
    return or_(col(OutboundMessage.id).is_(None), col(OutboundMessage.state) != "claimed",
               col(OutboundMessage.claimed_at) < stale)


def _after(at: Any, after: tuple[datetime, int]) -> Any:
    """Rows past the keyset cursor (time, id): a fan-out reads each row at most once a tick. A
    row-value comparison, which both databases turn into a range on an index in that order."""
    return tuple_(at, col(CheckIn.id)) > tuple_(bindparam(None, after[0], type_=at.type),
                                                bindparam(None, after[1], type_=_CHECKINS.c.id.type))


def _local(instant: datetime, member: Member) -> str:
    return instant.astimezone(member_zone(member)).strftime("%a %d %b %H:%M")


__all__ = ["ScheduleEngine", "TickReport", "checkin_key", "recurrence_of", "zone_of"]
