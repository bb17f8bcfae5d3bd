"""The database tables. Rows are the source of truth: schedules, check-ins, answers, sends.

Every table change needs an Alembic migration in `bot/storage/migrations/versions/`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Index, String, Text, UniqueConstraint, event, literal_column
from sqlalchemy import text as sql
from sqlmodel import Field, SQLModel, col, select

from bot.storage.types import UTCDateTime

# ix_answers_digest: window, then what the organisation's chart and score means group by, then
# what they filter on (migration 0015_answer_occurrence creates the same).
DIGEST_INDEX = ("occurrence_at", "question", "overall_score", "score_brevity", "score_components",
                "score_scope_clarity", "score_buying_process", "score_critical_coverage",
                "score_focus", "substantive", "member_id")


# The predicates of the partial indexes the fan-out's writes skip (migration 0016_fanout_indexes,
# which copies them). A row leaving a predicate's states costs no entry in its index; a query
# uses the index only when its own WHERE says the same with literals (`literal_states`): neither
# SQLite nor a prepared PostgreSQL statement proves the predicate from a bound parameter.
SCHEDULED = "state = 'scheduled'"  # ix_checkins_due: rows still to be asked
REMINDABLE = "state IN ('asked', 'reminded') AND next_reminder_at IS NOT NULL"  # ix_checkins_reminder_due
CLOSABLE = "state IN ('asked', 'reminded', 'answered') AND closed_at IS NULL"  # ix_checkins_closing
UNSENT = "state <> 'sent'"  # ix_outbound_messages_unsent: claimed or failed sends


def _partial(where: str) -> dict[str, Any]:
    return {"sqlite_where": sql(where), "postgresql_where": sql(where)}


def literal_states(column: Any, states: Iterable[str], *, negate: bool = False) -> ColumnElement[bool]:
    """`column IN ('a', 'b')` (`= 'a'` for one state; `<>` / `NOT IN` with `negate`), the states
    written into the SQL as literals rather than bound: the form a partial index's predicate
    above must be matched by (`REMINDABLE` etc.), as both databases compare it with the query's."""
    states = tuple(states)
    values = [literal_column(f"'{state}'", String) for state in states]
    assert values and all("'" not in state for state in states)
    if len(values) == 1:
        return column != values[0] if negate else column == values[0]  # type: ignore[no-any-return]
    return column.notin_(values) if negate else column.in_(values)  # type: ignore[no-any-return]


def _utc(**kwargs: Any) -> Any:
    nullable = kwargs.pop("nullable", False)
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, **kwargs))


def _text(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(Text, nullable=nullable))


class Member(SQLModel, table=True):
    """A person the bot works with, on one platform."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    platform_user_id: str = Field(max_length=128)
    name: str = Field(max_length=200, index=True)
    email: str | None = Field(default=None, max_length=320, index=True)
    timezone: str = Field(default="UTC", max_length=64)
    timezone_overridden: bool = False
    role: str = Field(default="rep", max_length=16)  # rep | manager | admin (admin: not asked)
    admin: bool = False  # given the admin role by another admin (or the first member)
    platform_admin: bool = False  # the platform says so (e.g. Slack workspace owner/admin)
    manager_id: int | None = Field(default=None, foreign_key="members.id", index=True)
    working_days: str = Field(default="mon-fri", max_length=64)
    away_until: date | None = None
    away_from: date | None = None  # the local date `/align away` was set (leads' business time)
    active: bool = True
    # Why the platform says this person cannot be reached (e.g. account_inactive), None when they
    # can: sends skip them until a profile update or a message from them clears it.
    unreachable: str | None = Field(default=None, max_length=64)
    # Set by `/align forget`: the row is a tombstone (no name, email or platform id) kept only so
    # anonymous facts (check-in counts, lead history) still point at someone.
    forgotten_at: datetime | None = _utc(nullable=True)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class StrategyVersion(SQLModel, table=True):
    """One strategy version: proposed, current (exactly one), cancelled or superseded.

    Answers point at the one they were judged by through `version`, the content hash; the row id
    is the number admins use (`/align strategy rollback 3`). A rollback stores the old content
    again as a new row, so the same hash may appear on several rows (history keeps each event).
    `loaded_at` is when the row was stored (proposed, or loaded before proposals existed).
    """

    __tablename__ = "strategy_versions"
    __table_args__ = (
        # Exactly one current version; and one open proposal per content, so every process that
        # finds the same changed file proposes it once.
        Index("uq_strategy_versions_current", "status", unique=True,
              sqlite_where=sql("status = 'current'"), postgresql_where=sql("status = 'current'")),
        Index("uq_strategy_versions_proposed", "version", unique=True,
              sqlite_where=sql("status = 'proposed'"), postgresql_where=sql("status = 'proposed'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=64, index=True)
    name: str = Field(max_length=200)
    source: str = Field(max_length=500)
    review_by: date
    content: str = Field(sa_column=Column(Text, nullable=False))
    loaded_at: datetime = _utc()
    status: str = Field(default="superseded", max_length=16)  # proposed|current|cancelled|superseded
    author_id: int | None = Field(default=None, foreign_key="members.id")  # None: the file, the shell
    reason: str | None = _text()
    parent_version: str | None = Field(default=None, max_length=64)  # current when proposed
    confirmed_at: datetime | None = _utc(nullable=True)
    confirmed_by: int | None = Field(default=None, foreign_key="members.id")


class CheckIn(SQLModel, table=True):
    """One member's check-in for one occurrence, whatever its state.

    `key` makes asking idempotent: (schedule or ad-hoc request, member, occurrence).
    """

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_member_state", "member_id", "state"),
                      Index("ix_checkins_member_occurrence", "member_id", "occurrence_at"),
                      # The fan-out's due query, in its order: each page reads only its rows,
                      # and a row asked leaves the index (0016: the ask writes no entry here).
                      Index("ix_checkins_due", "occurrence_at", "id", **_partial(SCHEDULED)),
                      # Due reminders in their order, among the check-ins still awaiting one;
                      # one answered or closed leaves (it keeps its next_reminder_at).
                      Index("ix_checkins_reminder_due", "next_reminder_at", "id",
                            **_partial(REMINDABLE)),
                      # What the closer closes next: open check-ins by their close time.
                      Index("ix_checkins_closing", "closes_at", **_partial(CLOSABLE)))

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    member_id: int = Field(foreign_key="members.id")
    schedule_id: int | None = None  # not indexed: open ones are read by the partial indexes (0017)
    occurrence_at: datetime = _utc()
    audience: str = Field(default="rep", max_length=16)  # which question variant: rep | manager
    # Not indexed by itself: every index that reads it has it in a partial predicate (see above).
    state: str = Field(default="scheduled", max_length=16)
    strategy_version: str = Field(max_length=64)
    current_question: int | None = None  # index of the question plain chat is waiting on
    asked_at: datetime | None = _utc(nullable=True)
    reminded_at: datetime | None = _utc(nullable=True)
    reminders_sent: int = 0
    next_reminder_at: datetime | None = _utc(nullable=True)  # indexed by ix_checkins_reminder_due
    note: str | None = Field(default=None, max_length=200)  # why skipped or missed
    answered_at: datetime | None = _utc(nullable=True)
    closes_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)
    message_ref: str | None = _text()  # JSON MessageRef of the question message
    created_at: datetime = _utc()


class Schedule(SQLModel, table=True):
    """A recurring job an admin set up: check-ins, digests or nudges at a readable `when`.

    What is due is computed from these rows and the clock, never kept in memory: `processed_until`
    says up to which instant every occurrence has been turned into rows, so a restart (or a second
    process) picks up exactly where the last tick stopped.
    """

    __tablename__ = "schedules"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # checkin | digest | nudges
    when_text: str = Field(max_length=200)
    anchor_date: date  # week parity of "every 2 weeks" counts from here
    target: str = Field(default="all", max_length=64)  # reps|managers|all|member:<id>|team:<id>
    timezone: str | None = Field(default=None, max_length=64)  # None: each member's own zone
    remind_after: str | None = Field(default=None, max_length=16)  # a Duration; None: no reminder
    reminders: int = 1
    close_after: str | None = Field(default=None, max_length=16)  # None: at the next occurrence
    active: bool = True
    processed_until: datetime = _utc()
    created_by: int | None = Field(default=None, foreign_key="members.id")
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Holiday(SQLModel, table=True):
    """A workspace holiday: nobody is asked on this local date."""

    __tablename__ = "holidays"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True)
    name: str = Field(default="Holiday", max_length=200)
    created_at: datetime = _utc()


class Answer(SQLModel, table=True):
    """A member's answer to one question of a check-in; editing updates it in place."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("checkin_id", "question"),
        # The few answers still without a verdict, which each tick's catch-up looks for.
        Index("ix_answers_unjudged", "updated_at", sqlite_where=sql("evaluation IS NULL"),
              postgresql_where=sql("evaluation IS NULL")),
        # The digest's chart: every score of six periods, read from the index alone.
        Index("ix_answers_checkin_scores", "checkin_id", "question", "overall_score"),
        # The whole organisation's chart and score means: the window's answers in the order
        # they are grouped in, read from the index alone (no join, no sort; 0015).
        Index("ix_answers_digest", *DIGEST_INDEX),
    )

    id: int | None = Field(default=None, primary_key=True)
    checkin_id: int = Field(foreign_key="checkins.id", index=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    question: str = Field(max_length=16)  # strategy | scope | tasks
    text: str = Field(sa_column=Column(Text, nullable=False))
    evaluation: str | None = _text()  # JSON Evaluation
    feedback: str | None = _text()
    overall_score: float | None = None
    edits: int = 0
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    # Derived from text and evaluation on every ORM write (bot.digest.derived), so digests add
    # and count in SQL instead of parsing each evaluation. None when there is no readable one.
    substantive: bool | None = None
    played: str | None = _text()  # JSON [[segment id, in scope], ...] stated as played
    done_tasks: str | None = _text()  # JSON [task id, ...] done, in order of first mention
    unmapped_texts: str | None = _text()  # JSON [activity, ...] mapping to no task, substantive
    against_items: str | None = _text()  # JSON [[target name, quote], ...]
    statement_facts: str | None = _text()  # JSON [words, within, covered, missing, out of scope, price]
    done_count: int | None = None
    unmapped_count: int | None = None
    off_count: int | None = None
    against_count: int | None = None
    score_brevity: float | None = None
    score_components: float | None = None
    score_scope_clarity: float | None = None
    score_buying_process: float | None = None
    score_critical_coverage: float | None = None
    score_focus: float | None = None
    # The check-in's occurrence, copied when the answer is inserted (a check-in's occurrence
    # never changes), so the whole organisation's digest reads a window of answers without
    # joining check-ins (migration 0015_answer_occurrence; see ix_answers_digest).
    occurrence_at: datetime | None = _utc(nullable=True)


@event.listens_for(Answer, "before_insert")
@event.listens_for(Answer, "before_update")
def _derive_digest_columns(mapper: Any, connection: Any, answer: Answer) -> None:
    from bot.digest.derived import fill  # the evaluation types are not the storage layer's

    audience = None
    if answer.evaluation and answer.checkin_id is not None:  # a manager's rhythm is no off-strategy effort
        audience = connection.execute(select(CheckIn.audience).where(
            col(CheckIn.id) == answer.checkin_id)).scalar()
    fill(answer, audience)


@event.listens_for(Answer, "before_insert")
def _copy_occurrence(mapper: Any, connection: Any, answer: Answer) -> None:
    """Copy the check-in's occurrence onto an answer inserted through the ORM (the answer path's
    own INSERT takes it by subquery in the same statement)."""
    if answer.occurrence_at is None:
        answer.occurrence_at = connection.execute(
            select(col(CheckIn.occurrence_at)).where(col(CheckIn.id) == answer.checkin_id)).scalar_one()


class OutboundMessage(SQLModel, table=True):
    """Claim, send, record: a row per intended send, unique by key, so retries never duplicate."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        # Sends not recorded sent, for the catch-ups and the status page; the fan-out's record
        # writes no entry here (0016: `state` itself is not indexed, nearly every row is 'sent').
        Index("ix_outbound_messages_unsent", "kind", "claimed_at", **_partial(UNSENT)),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    member_id: int = Field(foreign_key="members.id", index=True)
    kind: str = Field(max_length=32)
    state: str = Field(default="claimed", max_length=16)  # claimed | sent | failed
    attempts: int = 0
    claimed_at: datetime = _utc()
    sent_at: datetime | None = _utc(nullable=True)
    platform_ref: str | None = _text()
    error: str | None = _text()


class InboundEvent(SQLModel, table=True):
    """Platform event ids already handled, so redelivered events change nothing."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    event_id: str = Field(max_length=200)
    received_at: datetime = _utc()


class Lead(SQLModel, table=True):
    """A marketing lead a rep owns, from first engagement to qualified or disqualified.

    Keyed by (source, external_id) so imports and webhooks from a CRM update, never duplicate.
    `next_due_at` is a cache of what `bot.leads.cadence` derives from the touches and the policy:
    recomputed on every change, kept as a column so "who is due now" is one indexed query.
    """

    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_leads_owner_status", "owner_id", "status"),
        Index("ix_leads_owner_engaged", "owner_id", "engaged_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=128)
    company: str = Field(max_length=200)
    contact_name: str = Field(default="", max_length=200)
    contact_email: str | None = Field(default=None, max_length=320)
    segment: str = Field(max_length=64, index=True)
    owner_id: int = Field(foreign_key="members.id")
    engaged_at: datetime = _utc()
    content: str = Field(default="", max_length=1000)  # content ids engaged with, ';'-separated
    status: str = Field(default="new", max_length=16)  # new | working | qualified | disqualified
    status_reason: str | None = Field(default=None, max_length=500)
    touches: int = 0
    first_touch_at: datetime | None = _utc(nullable=True)
    last_touch_at: datetime | None = _utc(nullable=True)
    snoozed_until: datetime | None = _utc(nullable=True)
    next_due_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True))
    nudged_step: int | None = None  # the cadence step the owner was last nudged about
    escalated_step: int | None = None  # the step the owner's manager was last told about
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class LeadEvent(SQLModel, table=True):
    """Everything that happened to a lead: engagement with content, a touch, a status change.

    `event_key` is unique when the sender gives one (a webhook event id, an import line), so the
    same event delivered twice is stored once.
    """

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_lead_at", "lead_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id")
    kind: str = Field(max_length=16)  # engaged | touch | status | snooze | nudged | escalated
    at: datetime = _utc()
    member_id: int | None = Field(default=None, foreign_key="members.id")  # by whom
    via: str = Field(default="", max_length=32)  # nudge | command | webhook | import | console
    detail: str = Field(default="", max_length=500)  # content id, touch channel, new status
    note: str | None = _text()
    event_key: str | None = Field(default=None, max_length=200, unique=True)


class PlatformInstallation(SQLModel, table=True):
    """An installation of the app into a workspace or org (e.g. Slack's OAuth install), with the
    platform's own record of it as JSON: the adapter's installation store reads and writes it, so
    several workspaces can be served and tokens survive restarts. Newest row wins."""

    __tablename__ = "installations"
    __table_args__ = (Index("ix_installations_lookup", "platform", "org_id", "workspace_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    org_id: str | None = Field(default=None, max_length=64)  # Slack enterprise id
    workspace_id: str | None = Field(default=None, max_length=64)  # Slack team id
    installer_id: str | None = Field(default=None, max_length=128)
    is_org_install: bool = False
    data: str = Field(sa_column=Column(Text, nullable=False))  # the platform's record (has tokens)
    installed_at: datetime = _utc()


class Organisation(SQLModel, table=True):
    """The one organisation a deployment serves on a platform (a Slack Enterprise Grid org or
    workspace, a Teams tenant), fixed by the first install or request when the operator set
    none (ALIGNBOT_ORGANISATION). One row per platform: the primary key makes "first" atomic."""

    __tablename__ = "organisations"

    platform: str = Field(max_length=32, primary_key=True)
    org_id: str = Field(max_length=64)
    fixed_at: datetime = _utc()


class OAuthState(SQLModel, table=True):
    """A one-time OAuth `state` handed to an installer's browser; consumed on the redirect."""

    __tablename__ = "oauth_states"

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    state: str = Field(max_length=200, unique=True)
    expires_at: datetime = _utc()


class MemberWorkspace(SQLModel, table=True):
    """Which workspace (and org) a platform user belongs to, so a multi-workspace adapter knows
    whose token reaches them."""

    __tablename__ = "member_workspaces"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=128)
    workspace_id: str = Field(max_length=64)
    org_id: str | None = Field(default=None, max_length=64)
    updated_at: datetime = _utc()


class Contact(SQLModel, table=True):
    """How to reach a person on a platform, learnt when they install the app or join a team.

    Exists before (and apart from) a `Member`: people install the app before an admin adds them.
    `address` is the adapter's own JSON (for Teams a conversation reference); the core stores it
    and never reads it. `personal` says whether it reaches the person privately (a 1:1 chat);
    otherwise it is a team conversation from which the adapter can open one.
    """

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    user_id: str = Field(max_length=200)
    name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320, index=True)
    timezone: str | None = Field(default=None, max_length=64)
    external_id: str | None = Field(default=None, max_length=128, index=True)  # e.g. AAD object id
    conversation_id: str | None = Field(default=None, max_length=400, index=True)
    personal: bool = False
    address: str | None = _text()
    updated_at: datetime = _utc()


class Confirmation(SQLModel, table=True):
    """A dangerous command waiting for its second step (e.g. `/align forget`): who asked, about
    whom, and until when the Confirm button or the typed `confirm` is accepted. Used once."""

    __tablename__ = "confirmations"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    action: str = Field(max_length=32)
    requested_by: int = Field(foreign_key="members.id", index=True)
    subject_id: int = Field(foreign_key="members.id")
    expires_at: datetime = _utc()
    created_at: datetime = _utc()
class Heartbeat(SQLModel, table=True):
    """The latest run of a periodic job (the scheduler's tick), whichever process ran it: admins
    see from `/align status` whether the scheduler is alive, late or failing."""

    __tablename__ = "heartbeats"

    name: str = Field(max_length=64, primary_key=True)
    process: str = Field(default="", max_length=200)  # host:pid of the process that ran it last
    beat_at: datetime = _utc()  # when the last run finished (bot clock)
    ok_at: datetime | None = _utc(nullable=True)  # when a run last succeeded
    lag_seconds: float = 0.0  # how late the last run started after it was due
    duration_seconds: float = 0.0
    failures: int = 0  # runs failed in a row
    error: str | None = _text()  # why the last run failed (no secrets: the exception's first line)


class CrmSync(SQLModel, table=True):
    """Where the incremental sync of one CRM stands: its cursor (resumed after a failure, so
    nothing is imported twice) and how its last run went, for `/align status`."""

    __tablename__ = "crm_syncs"

    source: str = Field(primary_key=True, max_length=32)
    cursor: str | None = _text()  # the source's own position (JSON): modified-since and page
    started_at: datetime | None = _utc(nullable=True)
    finished_at: datetime | None = _utc(nullable=True)
    ok_at: datetime | None = _utc(nullable=True)  # the end of the last run without an error
    newest_at: datetime | None = _utc(nullable=True)  # the latest change seen in the CRM
    imported: int = 0  # leads created or updated by the last run
    rejected: int = 0  # records the last run could not take (unknown owner, segment...)
    error: str | None = _text()


class Correction(SQLModel, table=True):
    """A person's "Not right?" on one answer's verdict: what the bot read, what they said it should
    have read, and the lessons drawn from the difference (examples and aliases per task or
    segment, JSON). `status`: `own` teaches only the author's answers (a rep's, until a manager or
    admin confirms it or a second person makes the same correction), `taught` teaches everyone,
    `undone` is kept for the record and teaches nothing."""

    __tablename__ = "corrections"

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int | None = Field(default=None, foreign_key="answers.id", index=True)
    author_id: int = Field(foreign_key="members.id", index=True)
    question: str = Field(max_length=16)
    strategy_version: str = Field(max_length=64)
    answer_text: str = Field(sa_column=Column(Text, nullable=False))
    read: str = Field(sa_column=Column(Text, nullable=False))  # JSON labels the bot read
    corrected: str = Field(sa_column=Column(Text, nullable=False))  # JSON labels the person gave
    lessons: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of lessons
    status: str = Field(default="own", max_length=16, index=True)  # own | taught | undone
    confirmed_by: int | None = Field(default=None, foreign_key="members.id")
    undone_by: int | None = Field(default=None, foreign_key="members.id")
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
