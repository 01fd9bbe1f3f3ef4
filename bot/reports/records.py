"""The record of each compiled report: what it said, where it was posted, what became of it.

Every compile posted to the governance channel is a ``CompiledReport`` row holding the
``content_hash`` of what it says (``bot.reports.report_content_hash``), so compiling an unchanged
period is recognised and not posted twice (``prepare_draft``). The row also keeps the cover
values given on the command (so approval later compares like with like), the summary message
as posted (so a decision redraws it with a new status) and when its files were uploaded (so a
failed upload is retried by compiling again). Audit events are written alongside as the trail;
nothing is read back from them.

Each public function is one unit of work on the engine it is given and returns plain values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.calendar.periods import Period, quarters_of_year, stored_period
from bot.ports.reports import PostedMessage, ReportRecord, Target
from bot.reports import (
    ClosureView,
    ReportError,
    ReportView,
    build_closure,
    build_report,
    report_content_hash,
)
from bot.reports.approval import same_target
from bot.reports.errors import NothingToReport, PublishError, ReportNotFound, ReportSuperseded
from bot.reports.load import load_periods
from storage.db import session_scope
from storage.models import (
    CompiledReport,
    Deliverable,
    PeriodRecord,
    ReportStatus,
    Round,
    Update,
)
from storage.repo import audit


@dataclass(frozen=True)
class Draft:
    """What compiling ``target`` now would say, before any file is written."""

    target: Target
    view: ReportView | ClosureView
    content_hash: str
    last_posted: ReportRecord | None  # the latest draft posted for the same target
    files_uploaded: bool  # … and whether its files reached the channel

    @property
    def unchanged(self) -> bool:
        return self.last_posted is not None and self.last_posted.content_hash == self.content_hash


# ------------------------------------------------------------------------------ compiles

def prepare_draft(
    engine: Engine,
    target: Target,
    *,
    today: date,
    cover: Mapping[str, Any] | None = None,
    framework_id: int | None = None,
) -> Draft:
    """Build the report's view of the framework ``framework_id`` (default: the only one;
    cheap: a constant number of queries, no files) and compare it with the last posted draft
    of that framework. Refuses periods not yet started and periods with nothing in them (no
    updates and no round)."""
    first = target.period or Period(target.fy or 0, 1)
    if first.start > today:
        raise PublishError(f"{first.label} has not started yet (it begins on "
                           f"{first.start.day} {first.start:%B %Y}), so there is nothing to "
                           "report.")
    with session_scope(engine) as session:
        try:
            view: ReportView | ClosureView
            if target.period is not None:
                view = build_report(session, target.period, framework_id=framework_id,
                                    cover_overrides=cover)
            else:
                view = build_closure(session, target.fy or 0, framework_id=framework_id,
                                     cover_overrides=cover)
        except ReportError as error:
            raise PublishError(f"I cannot compile the {target.label} report: {error}.") from None
        _check_has_data(session, target, view.framework_id)
        last = last_posted_row(session, view.framework_id, target)
        uploaded = last is not None and last.files_uploaded_at is not None
        record = as_record(last, target) if last is not None else None
    return Draft(target=target, view=view, content_hash=report_content_hash(view),
                 last_posted=record, files_uploaded=uploaded)


def record_compile(
    engine: Engine,
    draft: Draft,
    *,
    content_hash: str,
    by: str,
    at: datetime,
    cover: Mapping[str, Any] | None = None,
    via: str | None = None,
) -> ReportRecord:
    """Store a new compile (status draft, not yet posted), with the cover values given on the
    command, so approval later compares like with like, and ``via``, the chat channel it is to
    be posted on."""
    target = draft.target
    values = {str(k): v if isinstance(v, str | int | float | bool | list) else str(v)
              for k, v in (cover or {}).items()}
    with session_scope(engine, write=True) as session:
        period_id = None
        if target.period is not None:
            period_id = stored_period(session, target.period).id
        row = CompiledReport(
            framework_id=draft.view.framework_id, period_id=period_id, kind=target.kind,
            fy=target.fy if target.closure else target.period.fy if target.period else None,
            content_hash=content_hash, compiled_at=at, compiled_by=by, cover=values or None,
            message={"via": via} if via else None,
        )
        session.add(row)
        session.flush()
        audit(session=session, actor=by, action="report.compiled", subject=f"report:{row.id}",
              target=target.label, content_hash=content_hash, cover=values)
        return as_record(row, target)


def note_unchanged(engine: Engine, draft: Draft, *, by: str) -> None:
    """Audit a compile that found nothing new (the draft already posted says it all)."""
    assert draft.last_posted is not None
    with session_scope(engine, write=True) as session:
        audit(session=session, actor=by, action="report.unchanged",
              subject=f"report:{draft.last_posted.id}", target=draft.target.label,
              content_hash=draft.content_hash)


def mark_posted(engine: Engine, report_id: int, posted: PostedMessage) -> ReportRecord:
    """Where the summary went, and what it said, so later decisions can redraw the same
    summary with a new status."""
    with session_scope(engine, write=True) as session:
        row = load_row(session, report_id)
        message = {"text": posted.text, "blocks": list(posted.blocks),
                   "via": posted.via or _via(row)}
        row.channel, row.ts, row.message = posted.channel, posted.ts, message
        session.add(row)
        audit(session=session, actor="ragtime", action="report.posted",
              subject=f"report:{report_id}", channel=posted.channel, ts=posted.ts,
              message=message)
        return as_record(row, target_of(session, row))


def mark_files_uploaded(engine: Engine, report_id: int, names: Iterable[str], *,
                        at: datetime) -> None:
    files = list(names)
    with session_scope(engine, write=True) as session:
        row = load_row(session, report_id)
        row.files, row.files_uploaded_at = files, at
        session.add(row)
        audit(session=session, actor="ragtime", action="report.files_uploaded",
              subject=f"report:{report_id}", files=files)


def posted_message(engine: Engine, report_id: int) -> PostedMessage | None:
    """The summary message as first posted (where, text and blocks), if it was posted."""
    with session_scope(engine) as session:
        row = load_row(session, report_id)
        return _posted(row)


def get_report(engine: Engine, report_id: int) -> ReportRecord:
    with session_scope(engine) as session:
        row = load_row(session, report_id)
        return as_record(row, target_of(session, row))


def earlier_drafts(engine: Engine, report: ReportRecord) -> list[ReportRecord]:
    """Posted, undecided drafts of the same target older than ``report`` (now superseded)."""
    with session_scope(engine) as session:
        rows = session.exec(
            same_target(select(CompiledReport), report.framework_id, report.target)
            .where(col(CompiledReport.id) < report.id, col(CompiledReport.ts).is_not(None),
                   CompiledReport.status != ReportStatus.approved)
            .order_by(CompiledReport.id)
        ).all()
        return [as_record(row, report.target) for row in rows]


# ------------------------------------------------------------------------ shared with decisions

def load_row(session: Session, report_id: int) -> CompiledReport:
    row = session.get(CompiledReport, report_id)
    if row is None:
        raise ReportNotFound(f"There is no compiled report {report_id}.")
    return row


def target_of(session: Session, row: CompiledReport) -> Target:
    if row.kind == "closure":
        return Target.year_end(row.fy or 0)
    record = session.get(PeriodRecord, row.period_id) if row.period_id else None
    if record is None:
        raise ReportNotFound(f"Compiled report {row.id} has no period.")
    return Target.quarter(Period(record.fy, record.quarter))


def as_record(row: CompiledReport, target: Target) -> ReportRecord:
    assert row.id is not None
    return ReportRecord(
        id=row.id, framework_id=row.framework_id, target=target, content_hash=row.content_hash,
        compiled_at=row.compiled_at, compiled_by=row.compiled_by,
        status=ReportStatus(row.status), decided_by=row.decided_by,
        decided_at=row.decided_at, channel=row.channel, ts=row.ts,
        cover=dict(row.cover) if row.cover else None, via=_via(row),
    )


def last_posted_row(session: Session, framework_id: int, target: Target
                    ) -> CompiledReport | None:
    return session.exec(
        same_target(select(CompiledReport), framework_id, target)
        .where(col(CompiledReport.ts).is_not(None))
        .order_by(col(CompiledReport.id).desc())
        .limit(1)
    ).first()


def check_latest(session: Session, row: CompiledReport, target: Target) -> None:
    """Decisions are taken on the newest posted draft only."""
    latest = last_posted_row(session, row.framework_id, target)
    if latest is not None and latest.id != row.id:
        raise ReportSuperseded(
            f"A newer draft of the {target.label} report has been posted since this one; "
            "please use that one."
        )


def current_hash(session: Session, row: CompiledReport, target: Target) -> str:
    """What the report says now, with the cover values the draft was compiled with."""
    cover = dict(row.cover) if row.cover else None
    if target.period is not None:
        view: ReportView | ClosureView = build_report(
            session, target.period, framework_id=row.framework_id, cover_overrides=cover)
    else:
        view = build_closure(session, target.fy or 0, framework_id=row.framework_id,
                             cover_overrides=cover)
    return report_content_hash(view)


# ------------------------------------------------------------------------------ helpers

def _posted(row: CompiledReport) -> PostedMessage | None:
    if not row.channel or not row.ts or not row.message:
        return None
    return PostedMessage(channel=row.channel, ts=row.ts, text=str(row.message.get("text") or ""),
                         blocks=list(row.message.get("blocks") or []), via=_via(row) or "")


def _via(row: CompiledReport) -> str | None:
    """The chat channel a report is posted on, kept beside the summary it posted."""
    via = (row.message or {}).get("via")
    return str(via) if via else None


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
