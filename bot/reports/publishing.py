"""Publishing the board report: what a compile would say, its record, and the lead's decision.

Every compile posted to the governance channel is a ``CompiledReport`` row holding the
``content_hash`` of what it says (``bot.reports.report_content_hash``), so compiling an unchanged
period is recognised and not posted twice. A posted draft is then

- *approved* — the period's round is frozen (``bot.collection.rounds.freeze_round(approved=True)``), so
  later submissions are refused until a lead reopens it; only the latest draft, and only while
  the updates still say what it says, can be approved;
- *sent back* — ``request_changes`` records the comment and one ``changes_requested`` outbox
  message per SRO of each chosen deliverable (crash-safe: the Slack layer sends them);
- *reopened* — the round accepts updates again and the approval is withdrawn.

Nothing here talks to Slack or builds Block Kit; the Slack layer posts and calls
``mark_posted`` / ``mark_files_uploaded`` with what Slack returned. Each public function is one
unit of work on the engine it is given. Errors meant for the user are ``PublishError``s.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.calendar.periods import (
    Period,
    PeriodError,
    parse_financial_year,
    quarters_of_year,
    stored_period,
)
from bot.collection.rounds import find_round, freeze_round, reopen_round
from bot.messaging.outbox import record_message
from bot.reports import (
    ClosureView,
    ReportError,
    ReportView,
    build_closure,
    build_report,
    report_content_hash,
)
from bot.reports.load import load_periods
from storage.db import session_scope
from storage.models import (
    AuditEvent,
    CompiledReport,
    Deliverable,
    DeliverableOwner,
    PeriodRecord,
    Person,
    ReportStatus,
    Role,
    Round,
    RoundStatus,
    Theme,
    Update,
)
from storage.repo import audit

CHANGES_REQUESTED = "changes_requested"  # the outbox kind of a re-prompt
COMMENT_LIMIT = 3000
# ``/compile-report … date=…``: the cover's "Date submitted".
_COVER_SHORTHANDS = {"date": "date_submitted"}
_CLOSURE_WORDS = frozenset({"closure", "close", "year-end", "yearend", "year", "end"})


class PublishError(Exception):
    """A report cannot be compiled, posted or decided; ``str(error)`` tells the user why."""


class NothingToReport(PublishError):
    """The period (or year) has no updates and no round: there is nothing to put in a report."""


class ReportNotFound(PublishError):
    pass


class InvalidRequest(PublishError):
    """A request for changes that is missing something; ``field`` names what."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field  # "comment" | "deliverables"


class ReportSuperseded(PublishError):
    """A newer draft of the same report was posted; decisions are taken on that one."""


class ReportOutOfDate(PublishError):
    """The updates changed after the draft was compiled; it must be compiled again."""


class ReportDecided(PublishError):
    """The draft was already approved (reopen it first) or cannot take this decision."""


# ------------------------------------------------------------------------------ targets

@dataclass(frozen=True)
class Target:
    """What to compile: one quarter, or (``fy`` set) the year-end closure report."""

    period: Period | None = None
    fy: int | None = None

    def __post_init__(self) -> None:
        if (self.period is None) == (self.fy is None):
            raise ValueError("a report target is either a period or a financial year")

    @classmethod
    def quarter(cls, period: Period) -> Target:
        return cls(period=period)

    @classmethod
    def year_end(cls, fy: int) -> Target:
        return cls(fy=fy)

    @property
    def closure(self) -> bool:
        return self.fy is not None

    @property
    def kind(self) -> str:
        return "closure" if self.closure else "quarter"

    @property
    def label(self) -> str:
        if self.period is not None:
            return self.period.label
        assert self.fy is not None
        return f"{Period(self.fy, 1).fy_label} closure"

    @property
    def key(self) -> str:
        """One id-safe word per target (``2024-25-Q2``, ``2024-25-closure``)."""
        if self.period is not None:
            return self.period.slug
        return f"{self.fy}-{((self.fy or 0) + 1) % 100:02d}-closure"

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class CompileRequest:
    """The parsed text of ``/compile-report``."""

    target: Target
    cover_overrides: dict[str, str]


def parse_compile_text(text: str, *, default: Period) -> CompileRequest:
    """``""`` (the default period), ``2024/25 Q2``, ``2024/25 closure`` or ``closure``, each
    optionally followed by cover values such as ``meeting="Public Trust Board" date=7/11/2024``.
    """
    cleaned = (text or "").replace("“", '"').replace("”", '"').replace("‘", "'").replace("’", "'")
    try:
        words = shlex.split(cleaned)
    except ValueError as error:
        raise PublishError(f"I could not read `{text}`: {error} (check the quotes).") from None
    overrides: dict[str, str] = {}
    rest: list[str] = []
    for word in words:
        name, equals, value = word.partition("=")
        if equals and name.strip():
            overrides[name.strip()] = value.strip()
        else:
            rest.append(word)
    return CompileRequest(parse_target(" ".join(rest), default=default),
                          normalise_cover(overrides))


def parse_target(text: str, *, default: Period) -> Target:
    """A quarter (``2024/25 Q2``) or a year end (``2024/25 closure``); empty → ``default``."""
    words = (text or "").split()
    closure = False
    while words and words[-1].lower() in _CLOSURE_WORDS:  # "closure", "year end", …
        closure = True
        words.pop()
    rest = " ".join(words)
    if closure:
        if not rest:
            return Target.year_end(default.fy)
        try:
            return Target.year_end(parse_financial_year(rest))
        except PeriodError:
            try:
                return Target.year_end(Period.parse(rest).fy)
            except PeriodError:
                raise PublishError(
                    f"`{rest}` is not a financial year; write `/compile-report 2024/25 closure`."
                ) from None
    if not rest:
        return Target.quarter(default)
    try:
        return Target.quarter(Period.parse(rest))
    except PeriodError as error:
        try:
            fy = parse_financial_year(rest)
        except PeriodError:
            raise PublishError(f"{error}.") from None
        label = Period(fy, 1).fy_label
        raise PublishError(
            f"`{rest}` is a whole financial year: write `{label} closure` for the year-end "
            f"report, or a quarter such as `{label} Q2`."
        ) from None


def normalise_cover(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Cover values given on the command line, with ``date`` meaning "Date submitted"."""
    result: dict[str, Any] = {}
    for name, value in (values or {}).items():
        key = re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")
        result[_COVER_SHORTHANDS.get(key, str(name))] = value
    return result


def default_period(engine: Engine, today: date) -> Period:
    """The open round's period (the latest, if several), else the quarter before ``today``'s."""
    with session_scope(engine) as session:
        found = session.exec(
            select(PeriodRecord.fy, PeriodRecord.quarter)
            .join(Round, col(Round.period_id) == PeriodRecord.id)
            .where(Round.status == RoundStatus.open, col(Round.frozen).is_(False))
            .order_by(col(PeriodRecord.fy).desc(), col(PeriodRecord.quarter).desc())
            .limit(1)
        ).first()
    if found is not None:
        return Period(*found)
    return Period.containing(today).previous()


# ------------------------------------------------------------------------------ records

@dataclass(frozen=True)
class ReportRecord:
    """A compiled report as plain values."""

    id: int
    framework_id: int
    target: Target
    content_hash: str
    compiled_at: datetime
    compiled_by: str
    status: ReportStatus
    decided_by: str | None
    decided_at: datetime | None
    channel: str | None
    ts: str | None

    @property
    def posted(self) -> bool:
        return bool(self.channel and self.ts)


@dataclass(frozen=True)
class Draft:
    """What compiling ``target`` now would say, before any file is written."""

    target: Target
    view: ReportView | ClosureView
    content_hash: str
    last_posted: ReportRecord | None  # the latest draft posted for the same target
    files_uploaded: bool  # … and whether its files reached Slack

    @property
    def unchanged(self) -> bool:
        return self.last_posted is not None and self.last_posted.content_hash == self.content_hash


def prepare_draft(
    engine: Engine,
    target: Target,
    *,
    today: date,
    cover: Mapping[str, Any] | None = None,
) -> Draft:
    """Build the report's view (cheap: a constant number of queries, no files) and compare it
    with the last posted draft. Refuses periods not yet started and periods with nothing in
    them (no updates and no round)."""
    first = target.period or Period(target.fy or 0, 1)
    if first.start > today:
        raise PublishError(f"{first.label} has not started yet (it begins on "
                           f"{first.start.day} {first.start:%B %Y}), so there is nothing to "
                           "report.")
    with session_scope(engine) as session:
        try:
            view: ReportView | ClosureView
            if target.period is not None:
                view = build_report(session, target.period, cover_overrides=cover)
            else:
                view = build_closure(session, target.fy or 0, cover_overrides=cover)
        except ReportError as error:
            raise PublishError(f"I cannot compile the {target.label} report: {error}.") from None
        _check_has_data(session, target, view.framework_id)
        last = _last_posted(session, view.framework_id, target)
        uploaded = last is not None and _files_uploaded(session, last.id)
    return Draft(target=target, view=view, content_hash=report_content_hash(view),
                 last_posted=last, files_uploaded=uploaded)


def record_compile(
    engine: Engine,
    draft: Draft,
    *,
    content_hash: str,
    by: str,
    at: datetime,
    cover: Mapping[str, Any] | None = None,
) -> ReportRecord:
    """Store a new compile (status draft, not yet posted), with the cover values given on the
    command, so approval later compares like with like."""
    target = draft.target
    with session_scope(engine, write=True) as session:
        period_id = None
        if target.period is not None:
            period_id = stored_period(session, target.period).id
        row = CompiledReport(
            framework_id=draft.view.framework_id, period_id=period_id, kind=target.kind,
            fy=target.fy if target.closure else target.period.fy if target.period else None,
            content_hash=content_hash, compiled_at=at, compiled_by=by,
        )
        session.add(row)
        session.flush()
        audit(session=session, actor=by, action="report.compiled", subject=f"report:{row.id}",
              target=target.label, content_hash=content_hash,
              cover={str(k): v if isinstance(v, str | int | float | bool | list) else str(v)
                     for k, v in (cover or {}).items()})
        return _record(row, target)


def note_unchanged(engine: Engine, draft: Draft, *, by: str) -> None:
    """Audit a compile that found nothing new (the draft already posted says it all)."""
    assert draft.last_posted is not None
    with session_scope(engine, write=True) as session:
        audit(session=session, actor=by, action="report.unchanged",
              subject=f"report:{draft.last_posted.id}", target=draft.target.label,
              content_hash=draft.content_hash)


def mark_posted(
    engine: Engine, report_id: int, *, channel: str, ts: str, message: Mapping[str, Any]
) -> ReportRecord:
    """Where the summary went; ``message`` (its text and blocks) is kept so later decisions
    can redraw the same summary with a new status."""
    with session_scope(engine, write=True) as session:
        row = _row(session, report_id)
        row.channel, row.ts = channel, ts
        session.add(row)
        audit(session=session, actor="ragtime", action="report.posted",
              subject=f"report:{report_id}", channel=channel, ts=ts, message=dict(message))
        return _record(row, _target(session, row))


def mark_files_uploaded(engine: Engine, report_id: int, names: Iterable[str]) -> None:
    with session_scope(engine, write=True) as session:
        audit(session=session, actor="ragtime", action="report.files_uploaded",
              subject=f"report:{report_id}", files=list(names))


def posted_message(engine: Engine, report_id: int) -> dict[str, Any] | None:
    """The summary message as first posted (text and blocks), if it was posted."""
    with session_scope(engine) as session:
        detail = session.exec(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "report.posted",
                   AuditEvent.subject == f"report:{report_id}")
            .order_by(col(AuditEvent.id).desc())
        ).first()
    return dict(detail["message"]) if detail and "message" in detail else None


def get_report(engine: Engine, report_id: int) -> ReportRecord:
    with session_scope(engine) as session:
        row = _row(session, report_id)
        return _record(row, _target(session, row))


def earlier_drafts(engine: Engine, report: ReportRecord) -> list[ReportRecord]:
    """Posted, undecided drafts of the same target older than ``report`` (now superseded)."""
    with session_scope(engine) as session:
        rows = session.exec(
            _same_target(select(CompiledReport), report.framework_id, report.target)
            .where(col(CompiledReport.id) < report.id, col(CompiledReport.ts).is_not(None),
                   CompiledReport.status != ReportStatus.approved)
            .order_by(CompiledReport.id)
        ).all()
        return [_record(row, report.target) for row in rows]


# ------------------------------------------------------------------------------ decisions

def approve_report(engine: Engine, report_id: int, *, by: str, at: datetime) -> ReportRecord:
    """Approve the posted draft: record who and when and, for a quarter, freeze the period.

    Refused when already approved (``ReportDecided``, so a double click approves once), for a
    superseded draft, and for a draft the updates no longer match (a late submission arrived):
    compile again first."""
    with session_scope(engine, write=True) as session:
        row = _row(session, report_id)
        target = _target(session, row)
        if row.status == ReportStatus.approved:
            raise ReportDecided(f"The {target.label} report is already approved.")
        _check_latest(session, row, target)
        now = _current_hash(session, row, target)
        if now != row.content_hash:
            raise ReportOutOfDate(
                f"The {target.label} updates have changed since this draft was compiled, so it "
                "cannot be approved as it stands. Compile it again with `/compile-report "
                f"{target.label}` and approve the new draft."
            )
        if target.period is not None:
            _ensure_round(session, row, target.period, by=by, at=at)
            freeze_round(session, target.period, by=by, approved=True,
                         framework_id=row.framework_id)
        row.status, row.decided_by, row.decided_at = ReportStatus.approved, by, at
        session.add(row)
        audit(session=session, actor=by, action="report.approved", subject=f"report:{row.id}",
              target=target.label, content_hash=row.content_hash)
        return _record(row, target)


@dataclass(frozen=True)
class DeliverableChoice:
    """A deliverable a lead can send back to its SROs."""

    id: int
    theme: str
    number: str
    title: str
    sros: tuple[str, ...]  # names
    rag: str | None  # the latest rating in the period, None while outstanding


@dataclass(frozen=True)
class ChangesRequested:
    report: ReportRecord
    comment: str
    deliverables: tuple[DeliverableChoice, ...]
    prompts_recorded: int
    unreachable: tuple[str, ...]  # SRO names without a Slack user id: not re-prompted
    period_id: int | None


def report_choices(engine: Engine, report_id: int) -> list[DeliverableChoice]:
    """The active deliverables of a quarter report's framework, in report order."""
    with session_scope(engine) as session:
        row = _row(session, report_id)
        if row.period_id is None:
            return []
        return _choices(session, row.framework_id, row.period_id)


def request_changes(
    engine: Engine,
    report_id: int,
    *,
    by: str,
    at: datetime,
    comment: str,
    deliverable_ids: Iterable[int],
) -> ChangesRequested:
    """Mark the draft ``changes_requested`` and record a re-prompt carrying ``comment`` for each
    SRO (with a Slack user id) of each chosen deliverable. Every request records its own
    messages, so asking again about the same deliverable asks again."""
    text = (comment or "").strip()
    if not text:
        raise InvalidRequest("Please write a comment saying what needs to change.",
                             field="comment")
    if len(text) > COMMENT_LIMIT:
        raise InvalidRequest(f"The comment is {len(text)} characters; please keep it under "
                             f"{COMMENT_LIMIT}.", field="comment")
    wanted = list(dict.fromkeys(int(i) for i in deliverable_ids))
    if not wanted:
        raise InvalidRequest("Please choose at least one deliverable to send back.",
                             field="deliverables")
    with session_scope(engine, write=True) as session:
        row = _row(session, report_id)
        target = _target(session, row)
        if target.period is None or row.period_id is None:
            raise ReportDecided("Changes can only be requested on a quarter's report.")
        if row.status == ReportStatus.approved:
            raise ReportDecided(f"The {target.label} report is already approved; reopen it "
                                "before asking for changes.")
        _check_latest(session, row, target)
        round_ = find_round(session, target.period, framework_id=row.framework_id)
        if round_ is not None and round_.frozen:
            raise ReportDecided(f"{target.label} is frozen, so SROs could not resubmit; "
                                "reopen it first.")
        choices = {c.id: c for c in _choices(session, row.framework_id, row.period_id)}
        unknown = [i for i in wanted if i not in choices]
        if unknown:
            raise InvalidRequest("Some of the chosen deliverables are no longer part of the "
                                 "report; please choose again.", field="deliverables")
        row.status, row.decided_by, row.decided_at = ReportStatus.changes_requested, by, at
        session.add(row)
        event = audit(session=session, actor=by, action="report.changes_requested",
                      subject=f"report:{row.id}", target=target.label, comment=text,
                      deliverables=wanted)
        session.flush()
        recorded, unreachable = 0, []
        sros = _sros(session, wanted)
        for deliverable_id in wanted:
            choice = choices[deliverable_id]
            for person in sros.get(deliverable_id, []):
                if not person.slack_id:
                    unreachable.append(person.name)
                    continue
                _, created = record_message(
                    session,
                    key=f"{CHANGES_REQUESTED}:{row.id}:{event.id}:{deliverable_id}:{person.id}",
                    kind=CHANGES_REQUESTED, period_id=row.period_id,
                    deliverable_id=deliverable_id, person_id=person.id,
                    payload={
                        "to": person.slack_id,
                        "person_name": person.name,
                        "period": target.period.label,
                        "deliverable_id": deliverable_id,
                        "number": choice.number,
                        "theme": choice.theme,
                        "title": choice.title,
                        "rag": choice.rag,
                        "comment": text,
                        "requested_by": by,
                        "report_id": row.id,
                    },
                )
                recorded += created
        return ChangesRequested(
            report=_record(row, target), comment=text,
            deliverables=tuple(choices[i] for i in wanted), prompts_recorded=recorded,
            unreachable=tuple(dict.fromkeys(unreachable)), period_id=row.period_id,
        )


def reopen_report(
    engine: Engine, report_id: int, *, by: str, at: datetime, reason: str | None = None
) -> ReportRecord:
    """Withdraw the approval: a quarter's round accepts updates again (``reopen_round``) and
    the report goes back to draft, to be compiled and approved again."""
    with session_scope(engine, write=True) as session:
        row = _row(session, report_id)
        target = _target(session, row)
        if row.status != ReportStatus.approved:
            raise ReportDecided(f"The {target.label} report is not approved, so there is "
                                "nothing to reopen.")
        if target.period is not None:
            reopen_round(session, target.period, by=by, reason=reason,
                         framework_id=row.framework_id)
        row.status, row.decided_by, row.decided_at = ReportStatus.draft, None, None
        session.add(row)
        audit(session=session, actor=by, action="report.reopened", subject=f"report:{row.id}",
              target=target.label, reason=reason, at=at.isoformat())
        return _record(row, target)


# ------------------------------------------------------------------------------ helpers

def _row(session: Session, report_id: int) -> CompiledReport:
    row = session.get(CompiledReport, report_id)
    if row is None:
        raise ReportNotFound(f"There is no compiled report {report_id}.")
    return row


def _target(session: Session, row: CompiledReport) -> Target:
    if row.kind == "closure":
        return Target.year_end(row.fy or 0)
    record = session.get(PeriodRecord, row.period_id) if row.period_id else None
    if record is None:
        raise ReportNotFound(f"Compiled report {row.id} has no period.")
    return Target.quarter(Period(record.fy, record.quarter))


def _record(row: CompiledReport, target: Target) -> ReportRecord:
    assert row.id is not None
    return ReportRecord(
        id=row.id, framework_id=row.framework_id, target=target, content_hash=row.content_hash,
        compiled_at=row.compiled_at, compiled_by=row.compiled_by,
        status=ReportStatus(row.status), decided_by=row.decided_by,
        decided_at=row.decided_at, channel=row.channel, ts=row.ts,
    )


def _same_target(query: Any, framework_id: int, target: Target) -> Any:
    query = query.where(CompiledReport.framework_id == framework_id,
                        CompiledReport.kind == target.kind)
    if target.period is not None:
        return query.join(PeriodRecord, col(PeriodRecord.id) == CompiledReport.period_id).where(
            PeriodRecord.fy == target.period.fy, PeriodRecord.quarter == target.period.quarter)
    return query.where(CompiledReport.fy == target.fy)


def _last_posted(session: Session, framework_id: int, target: Target) -> ReportRecord | None:
    row = session.exec(
        _same_target(select(CompiledReport), framework_id, target)
        .where(col(CompiledReport.ts).is_not(None))
        .order_by(col(CompiledReport.id).desc())
        .limit(1)
    ).first()
    return _record(row, target) if row is not None else None


def _files_uploaded(session: Session, report_id: int) -> bool:
    return session.exec(
        select(AuditEvent.id).where(AuditEvent.action == "report.files_uploaded",
                                    AuditEvent.subject == f"report:{report_id}").limit(1)
    ).first() is not None


def _check_latest(session: Session, row: CompiledReport, target: Target) -> None:
    latest = _last_posted(session, row.framework_id, target)
    if latest is not None and latest.id != row.id:
        raise ReportSuperseded(
            f"A newer draft of the {target.label} report has been posted since this one; "
            "please use that one."
        )


def _current_hash(session: Session, row: CompiledReport, target: Target) -> str:
    """What the report says now, with the cover values the draft was compiled with."""
    cover = _compiled_cover(session, row)
    if target.period is not None:
        view: ReportView | ClosureView = build_report(
            session, target.period, framework_id=row.framework_id, cover_overrides=cover)
    else:
        view = build_closure(session, target.fy or 0, framework_id=row.framework_id,
                             cover_overrides=cover)
    return report_content_hash(view)


def _compiled_cover(session: Session, row: CompiledReport) -> dict[str, Any] | None:
    detail = session.exec(
        select(AuditEvent.detail).where(AuditEvent.action == "report.compiled",
                                        AuditEvent.subject == f"report:{row.id}")
    ).first()
    return dict(detail["cover"]) if detail and detail.get("cover") else None


def _check_has_data(session: Session, target: Target, framework_id: int) -> None:
    periods = [target.period] if target.period else quarters_of_year(target.fy or 0)
    ids = list(load_periods(session, periods).values())
    if ids:
        updates = session.exec(
            select(func.count(col(Update.id)))
            .join(Deliverable, col(Deliverable.id) == Update.deliverable_id)
            .where(Deliverable.framework_id == framework_id, col(Update.period_id).in_(ids))
        ).one()
        rounds = session.exec(
            select(func.count(col(Round.id)))
            .where(Round.framework_id == framework_id, col(Round.period_id).in_(ids))
        ).one()
        if updates or rounds:
            return
    what = "the year" if target.closure else target.label
    raise NothingToReport(
        f"There is nothing to report for {target.label}: no updates have been submitted for "
        f"{what} and no round has been opened. Check the period, or open the round first."
    )


def _ensure_round(
    session: Session, row: CompiledReport, period: Period, *, by: str, at: datetime
) -> None:
    """Approving a period whose updates arrived without a round (imported, or entered from the
    command line) still needs a round to freeze: record one, already closed."""
    if find_round(session, period, framework_id=row.framework_id) is not None:
        return
    record = stored_period(session, period)
    round_ = Round(framework_id=row.framework_id, period_id=record.id or 0, opened_at=at,
                   opened_by=by, status=RoundStatus.closed, closed_at=at, closed_by=by)
    session.add(round_)
    session.flush()
    audit(session=session, actor=by, action="round.recorded_for_approval",
          subject=f"round:{round_.id}", period=period.label)


def _choices(session: Session, framework_id: int, period_id: int) -> list[DeliverableChoice]:
    rows = session.exec(
        select(Deliverable, Theme.name)
        .join(Theme, col(Theme.id) == Deliverable.theme_id)
        .where(Deliverable.framework_id == framework_id, col(Deliverable.active).is_(True))
        .order_by(Theme.position, Theme.id, Deliverable.position, Deliverable.id)
    ).all()
    ids = [d.id for d, _ in rows if d.id is not None]
    latest = (
        select(Update.deliverable_id, func.max(Update.version).label("version"))
        .where(Update.period_id == period_id, col(Update.deliverable_id).in_(ids))
        .group_by(Update.deliverable_id)
        .subquery()
    )
    rags = {
        deliverable_id: str(getattr(rag, "value", rag))
        for deliverable_id, rag in session.exec(
            select(Update.deliverable_id, Update.rag)
            .join(latest, (latest.c.deliverable_id == Update.deliverable_id)
                  & (latest.c.version == Update.version))
            .where(Update.period_id == period_id)
        ).all()
    } if ids else {}
    sros = _sros(session, ids)
    numbers: dict[str, int] = {}
    choices = []
    for deliverable, theme in rows:
        numbers[theme] = numbers.get(theme, 0) + 1
        choices.append(DeliverableChoice(
            id=deliverable.id or 0, theme=theme,
            number=deliverable.number or str(numbers[theme]), title=deliverable.title,
            sros=tuple(p.name for p in sros.get(deliverable.id or 0, [])),
            rag=rags.get(deliverable.id or 0),
        ))
    return choices


def _sros(session: Session, deliverable_ids: list[int]) -> dict[int, list[Person]]:
    found: dict[int, list[Person]] = {}
    if not deliverable_ids:
        return found
    for owner, person in session.exec(
        select(DeliverableOwner, Person)
        .join(Person, col(Person.id) == DeliverableOwner.person_id)
        .where(col(DeliverableOwner.deliverable_id).in_(deliverable_ids),
               DeliverableOwner.role == Role.sro)
        .order_by(DeliverableOwner.position, DeliverableOwner.id)
    ).all():
        found.setdefault(owner.deliverable_id, []).append(person)
    return found
