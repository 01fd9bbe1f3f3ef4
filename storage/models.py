"""SQLModel tables. Storage knows nothing of Slack, schedules or reports.

Nothing here is ever overwritten where history matters: an SRO's update is a new row per
submission (``version`` counts up; the newest written counts) and every change leaves an
``AuditEvent``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Rag(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"


class Role(StrEnum):
    sro = "sro"
    delegate = "delegate"


class Source(StrEnum):
    modal = "modal"
    thread = "thread"
    imported = "import"
    cli = "cli"
    web = "web"  # the web form (handlers/web), for SROs not on Slack
    teams = "teams"  # a prompt card submitted in Microsoft Teams (handlers/teams)


class Framework(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    organisation: str = ""
    # Governance rules checked at entry; see bot.collection.rules for the defaults.
    rules: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Board-paper cover table (meeting, sponsor, author, decision required, ...).
    cover: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Theme(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("framework_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    name: str
    position: int = 0
    ambition: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    objectives: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, description="the id used in framework files")
    name: str
    title: str = ""
    email: str | None = Field(default=None, index=True)
    slack_id: str | None = Field(default=None, index=True)
    dm_channel: str | None = None
    # How Ragtime reaches them: slack | email | auto (Slack when they have an account, else
    # email); see bot.framework.people.reach_of. 0006_person_channel adds it.
    channel: str = Field(default="auto", sa_column_kwargs={"server_default": "auto"})


class Deliverable(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("framework_id", "ref"),
                      UniqueConstraint("framework_id", "code"))
    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    ref: str = Field(description="stable identity across re-imports")
    # The reference people see and type (``GO-3``), unique in the framework; kept once given
    # (bot.framework.codes; 0004_deliverable_code carried existing rows over).
    code: str | None = None
    area: str = ""
    title: str = Field(sa_column=Column(Text, nullable=False))
    number: str = ""
    position: int = 0
    active: bool = True


class DeliverableOwner(SQLModel, table=True):
    """An SRO (joint SROs are several rows) or a delegate of a deliverable."""

    __tablename__ = "deliverable_owner"
    __table_args__ = (UniqueConstraint("deliverable_id", "person_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    deliverable_id: int = Field(foreign_key="deliverable.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: Role = Role.sro
    position: int = 0


class Risk(SQLModel, table=True):
    """A Board Assurance Framework risk of a theme."""

    __table_args__ = (UniqueConstraint("framework_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    number: str
    title: str = Field(sa_column=Column(Text, nullable=False))
    position: int = 0


class RiskScore(SQLModel, table=True):
    __tablename__ = "risk_score"
    __table_args__ = (UniqueConstraint("risk_id", "period_id"),)
    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    score: int
    direction: str | None = None  # up | down | static


class PeriodRecord(SQLModel, table=True):
    """A stored period; see ``bot.calendar.periods.Period`` for the arithmetic."""

    __tablename__ = "period"
    __table_args__ = (UniqueConstraint("fy", "quarter"),)
    id: int | None = Field(default=None, primary_key=True)
    fy: int
    quarter: int
    label: str = Field(unique=True)
    start: date
    end: date


class RoundStatus(StrEnum):
    open = "open"
    closed = "closed"


class Round(SQLModel, table=True):
    """The collection cycle of one period for one framework."""

    __table_args__ = (UniqueConstraint("framework_id", "period_id"),)
    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    status: RoundStatus = RoundStatus.open
    opened_at: datetime = Field(default_factory=utcnow)
    opened_by: str = ""
    deadline: date | None = None
    frozen: bool = False
    approved_at: datetime | None = None
    approved_by: str | None = None
    # Who froze/closed it and when (see bot.collection.rounds; 0002_outbox adds these columns).
    frozen_at: datetime | None = None
    frozen_by: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


def _when_submitted(context: Any) -> datetime:
    """``Update.written_at`` when none is given: the row's ``submitted_at``."""
    return context.get_current_parameters()["submitted_at"]


class Update(SQLModel, table=True):
    """One submission of RAG + narrative for a deliverable in a period. Never updated in place.

    ``version`` numbers submissions in the order they arrived; the one that counts is the newest
    written (``written_at``, then ``version``): see ``bot.collection.updates.newest_first``."""

    __table_args__ = (
        UniqueConstraint("deliverable_id", "period_id", "version"),
        Index("ix_update_latest", "period_id", "deliverable_id", "version"),
        Index("ix_update_written", "period_id", "deliverable_id", "written_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    deliverable_id: int = Field(foreign_key="deliverable.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    version: int = 1
    rag: Rag
    narrative: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    recovery_action: str | None = Field(default=None, sa_column=Column(Text))
    recovery_date: date | None = None
    change_reason: str | None = Field(default=None, sa_column=Column(Text))
    submitted_by_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_by_slack_id: str | None = None
    submitted_at: datetime = Field(default_factory=utcnow)
    # When the person wrote it (a thread reply's message time; a form's submission; by default
    # ``submitted_at``): versions are ordered by it, so a late-delivered older message never
    # becomes the latest.
    written_at: datetime | None = Field(default=None, sa_column=Column(
        UTCDateTime(), nullable=False, default=_when_submitted))
    source: Source = Source.modal
    # The delivery's identity (the message's channel + ts, the form's view id, ...) so a retry or
    # a second delivery of the same message stores nothing twice.
    idempotency_key: str | None = Field(default=None, unique=True)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = ""
    action: str = Field(index=True)
    subject: str = ""
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxStatus(StrEnum):
    pending = "pending"
    sending = "sending"  # claimed by a sender; see bot.messaging.outbox for the lease
    sent = "sent"
    failed = "failed"


class OutboxMessage(SQLModel, table=True):
    """A message (Slack or email) recorded before it is sent and marked after (prompts,
    reminders, ...).

    ``key`` is unique, so asking twice for the same prompt records it once; a sender that
    was killed resumes with the rows still ``pending``.
    """

    __tablename__ = "outbox_message"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str = Field(index=True)  # prompt | reminder | escalation | notice | confirmation …
    status: OutboxStatus = Field(default=OutboxStatus.pending, index=True)
    period_id: int | None = Field(default=None, foreign_key="period.id", index=True)
    deliverable_id: int | None = Field(default=None, foreign_key="deliverable.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Which channel delivers it (slack | email; None is Slack, as before 0006) and, once
    # sent, where it went there (a Slack channel id and ts; "email" and the message's id).
    via: str | None = None
    channel: str | None = None
    ts: str | None = Field(default=None, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None


class JobRun(SQLModel, table=True):
    """One run of a scheduled job for a period; the unique key stops a second run."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "period_label"),)
    id: int | None = Field(default=None, primary_key=True)
    job: str
    period_label: str
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    runner: str = ""


class ProcessedDelivery(SQLModel, table=True):
    """Slack deliveries already handled (event ids, ...), so retries are answered once."""

    __tablename__ = "processed_delivery"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    received_at: datetime = Field(default_factory=utcnow)


class InboxStatus(StrEnum):
    pending = "pending"
    working = "working"  # claimed by a worker; see bot.messaging.inbox for the lease
    done = "done"
    failed = "failed"


class InboxItem(SQLModel, table=True):
    """Work acknowledged to a channel and not yet done: a Slack event, a slash command, a
    button press, a form to fill. Written before the acknowledgement, so a crash loses none of
    it; ``key`` is unique, so a redelivery is stored once."""

    __tablename__ = "inbox_item"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    kind: str
    status: InboxStatus = Field(default=InboxStatus.pending, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    last_error: str | None = None
    received_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    finished_at: datetime | None = None


class WorkerBeat(SQLModel, table=True):
    """The last sign of life of each worker process (``ragtime worker``)."""

    __tablename__ = "worker_beat"
    name: str = Field(primary_key=True)  # host:pid
    started_at: datetime = Field(default_factory=utcnow)
    beat_at: datetime = Field(default_factory=utcnow)
    stopped_at: datetime | None = None


class ReportStatus(StrEnum):
    draft = "draft"
    changes_requested = "changes_requested"
    approved = "approved"


class CompiledReport(SQLModel, table=True):
    __tablename__ = "compiled_report"
    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", index=True)
    period_id: int | None = Field(default=None, foreign_key="period.id", index=True)
    kind: str = "quarter"  # quarter | closure
    fy: int | None = None
    content_hash: str = Field(index=True)
    compiled_at: datetime = Field(default_factory=utcnow)
    compiled_by: str = ""
    status: ReportStatus = ReportStatus.draft
    decided_by: str | None = None
    decided_at: datetime | None = None
    channel: str | None = None
    ts: str | None = None
    # The summary as posted ({"text", "blocks"}), so a decision redraws it with a new status.
    message: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The cover values given on the command, so approval recompiles like with like.
    cover: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # When the report files reached the summary's thread, and their names.
    files_uploaded_at: datetime | None = None
    files: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class LinkRevocation(SQLModel, table=True):
    """Web form links of a person revoked (``ragtime round links revoke``): every link issued to
    them before ``revoked_at``, for one round or (``round_id`` None) every round, is refused."""

    __tablename__ = "link_revocation"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="round.id")
    revoked_at: datetime = Field(default_factory=utcnow)
    revoked_by: str = ""


# --- issue 20: Microsoft Teams ---


class TeamsAccount(SQLModel, table=True):
    """A Teams user who installed Ragtime: the conversation that reaches them (Teams will not
    send to an email address) and, once matched by email or UPN, the person they are."""

    __tablename__ = "teams_account"
    id: int | None = Field(default=None, primary_key=True)
    aad_object_id: str = Field(unique=True)  # lower-case GUID
    tenant_id: str
    conversation_id: str
    service_url: str
    upn: str | None = Field(default=None, index=True)  # lower-cased email or UPN
    name: str = ""
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    installed: bool = True  # False once they removed the app (then not reachable)
    updated_at: datetime = Field(default_factory=utcnow)


# --- issue 22: absences, cover and deadline extensions ---

class Absence(SQLModel, table=True):
    """A person away from ``starts`` to ``ends`` (both inclusive, dates in the round's time
    zone), and who answers for them meanwhile (``cover_id``, another person of the framework).
    Cancelled absences are kept (``cancelled_at``) so the audit trail reads whole."""

    __tablename__ = "absence"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    starts: date
    ends: date
    cover_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = "cli"  # cli | slack | web | import
    recorded_by: str = ""
    recorded_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None


class DeadlineExtension(SQLModel, table=True):
    """A later deadline in one round for a person (all their deliverables) or for one
    deliverable (``person_id`` or ``deliverable_id``); reminders and escalation follow it."""

    __tablename__ = "deadline_extension"
    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="round.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    deliverable_id: int | None = Field(default=None, foreign_key="deliverable.id")
    until: date
    granted_by: str = ""
    granted_at: datetime = Field(default_factory=utcnow)


class UpdateOnBehalf(SQLModel, table=True):
    """An update submitted by a cover for an absent SRO: ``Update.submitted_by_id`` is the
    cover, ``on_behalf_of_id`` the SRO they covered for."""

    __tablename__ = "update_on_behalf"
    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="update.id", unique=True)
    on_behalf_of_id: int = Field(foreign_key="person.id")
    absence_id: int | None = Field(default=None, foreign_key="absence.id")
# --- issue 21: BAF risk returns ---

class BafSettings(SQLModel, table=True):
    """A framework's Board Assurance Framework settings from its file (``baf:``): the scoring
    bands and the highest score each risk appetite tolerates (``bot.framework.baf``). No row:
    the defaults (the NPSA model matrix)."""

    __tablename__ = "baf_settings"
    framework_id: int = Field(foreign_key="framework.id", primary_key=True)
    bands: list[dict[str, Any]] = Field(default_factory=list,
                                        sa_column=Column(JSON, nullable=False))
    appetite: dict[str, int] = Field(default_factory=dict,
                                     sa_column=Column(JSON, nullable=False))


class RiskDetail(SQLModel, table=True):
    """What a framework file says about a BAF risk beyond its number, title and score."""

    __tablename__ = "risk_detail"
    risk_id: int = Field(foreign_key="risk.id", primary_key=True)
    lead_committee: str = ""
    cause: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    event: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    impact: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    appetite: str | None = None  # averse | minimal | cautious | open
    target_score: int | None = None
    target_date: date | None = None


class RiskOwner(SQLModel, table=True):
    """An owner (executive lead) of a BAF risk; joint owners are several rows."""

    __tablename__ = "risk_owner"
    __table_args__ = (UniqueConstraint("risk_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    position: int = 0


class RiskReturn(SQLModel, table=True):
    """A risk owner's quarterly return for a risk. Never updated in place: each submission is
    a new ``version``; the highest counts (``bot.collection.risk_returns``)."""

    __tablename__ = "risk_return"
    __table_args__ = (UniqueConstraint("risk_id", "period_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", index=True)
    period_id: int = Field(foreign_key="period.id", index=True)
    version: int = 1
    likelihood: int
    consequence: int
    score: int  # likelihood × consequence, computed, never typed
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    controls: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    control_gaps: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # [{"line": first|second|third, "kind": positive|negative, "text": ...}]
    assurances: list[dict[str, Any]] = Field(default_factory=list,
                                             sa_column=Column(JSON, nullable=False))
    assurance_gaps: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # [{"text": ..., "owner": ..., "due": ISO date, "deliverable": a deliverable code or null}]
    actions: list[dict[str, Any]] = Field(default_factory=list,
                                          sa_column=Column(JSON, nullable=False))
    unchanged: bool = False  # confirmed in one step: "No change this quarter"
    submitted_by_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_by_slack_id: str | None = None
    submitted_at: datetime = Field(default_factory=utcnow)
    source: str = "modal"  # modal | thread | web | cli
    idempotency_key: str | None = Field(default=None, unique=True)
# --- issue 23: durability ---
class StorageProbe(SQLModel, table=True):
    """One row the serving process rewrites to learn whether the database takes writes again
    after a failure (a full or read-only disk; ``bot.messaging.database_watch``). ``room`` is
    as large as a big unit of work, so a disk with room for a tiny write only is not "well"."""

    __tablename__ = "storage_probe"
    id: int = Field(default=1, primary_key=True)
    written_at: datetime = Field(default_factory=utcnow)
    written_by: str = ""
    room: str = Field(default="", sa_column=Column(Text, nullable=False))


# --- issue 24: strategy closure, outcomes and carry-forward ---

class FrameworkState(StrEnum):
    active = "active"
    closing = "closing"  # its closure round runs: every deliverable needs an outcome
    closed = "closed"  # its closure report is approved


class FrameworkClosure(SQLModel, table=True):
    """A framework being closed (``ragtime framework close``): its final financial year and
    where the closure stands. A framework without a row is active."""

    __tablename__ = "framework_closure"
    id: int | None = Field(default=None, primary_key=True)
    framework_id: int = Field(foreign_key="framework.id", unique=True)
    fy: int  # the final financial year (2024 for 2024/25)
    state: FrameworkState = FrameworkState.closing
    started_at: datetime = Field(default_factory=utcnow)
    started_by: str = ""
    closed_at: datetime | None = None
    closed_by: str | None = None


class OutcomeKind(StrEnum):
    achieved = "achieved"
    carried = "carried"  # carried forward to a deliverable of another framework
    merged = "merged"  # merged into another deliverable
    stopped = "stopped"


class DeliverableOutcome(SQLModel, table=True):
    """What became of a deliverable when its framework closed. Never updated in place: each
    setting is a new ``version``; the newest counts (``bot.collection.outcomes``)."""

    __tablename__ = "deliverable_outcome"
    __table_args__ = (UniqueConstraint("deliverable_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    deliverable_id: int = Field(foreign_key="deliverable.id", index=True)
    version: int = 1
    outcome: OutcomeKind
    target_id: int | None = Field(default=None, foreign_key="deliverable.id")
    reason: str | None = Field(default=None, sa_column=Column(Text))
    set_by_id: int | None = Field(default=None, foreign_key="person.id")
    set_by: str = ""  # the actor as given (a Slack id, ``cli:NAME``, ``web:PERSON``)
    set_at: datetime = Field(default_factory=utcnow)
    source: str = "cli"  # cli | modal | web
    idempotency_key: str | None = Field(default=None, unique=True)


class DeliverableCarry(SQLModel, table=True):
    """A deliverable of a new framework carrying on one of an earlier framework."""

    __tablename__ = "deliverable_carry"
    id: int | None = Field(default=None, primary_key=True)
    deliverable_id: int = Field(foreign_key="deliverable.id", unique=True)
    carried_from_id: int = Field(foreign_key="deliverable.id", index=True)
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str = ""


class ReportFile(SQLModel, table=True):
    """A compiled report's file kept for download through a signed, expiring link (the paper's
    files in Teams, where a bot cannot attach files to a channel message without Graph); in the
    database, so every replica serving HTTP can hand it out."""

    __tablename__ = "report_file"
    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="compiled_report.id", index=True)
    name: str
    media_type: str
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: datetime = Field(default_factory=utcnow)


# --- issue 24: BAF risks carried forward ---

class RiskCarry(SQLModel, table=True):
    """A BAF risk of a new framework carrying on one of an earlier framework."""

    __tablename__ = "risk_carry"
    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risk.id", unique=True)
    carried_from_id: int = Field(foreign_key="risk.id", index=True)
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by: str = ""
