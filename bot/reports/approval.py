"""Whether a paper is approved: a governance lead approved a draft that says exactly this.

A compiled paper is marked DRAFT unless a lead approved a draft of the same report whose content
hash (``bot.reports.build.report_content_hash``) equals what the paper says now; then every
format says "Approved by <name> on <date>". Compiling again after an approval (``ragtime
compile``, ``/compile-report``) so gives the approved paper, and any change since makes it a
draft again.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from bot.framework.people import person_for_slack_id
from bot.ports.reports import Target
from bot.reports.render import Approval
from storage.models import CompiledReport, PeriodRecord, ReportStatus

SOMEONE = "a governance lead"  # an approver Ragtime knows only by a Slack or CLI id


def same_target(query: Any, framework_id: int, target: Target) -> Any:
    """``query`` on ``CompiledReport`` narrowed to ``target`` of ``framework_id``."""
    query = query.where(CompiledReport.framework_id == framework_id,
                        CompiledReport.kind == target.kind)
    if target.period is not None:
        return query.join(PeriodRecord, col(PeriodRecord.id) == CompiledReport.period_id).where(
            PeriodRecord.fy == target.period.fy, PeriodRecord.quarter == target.period.quarter)
    return query.where(CompiledReport.fy == target.fy)


def approval_of(session: Session, framework_id: int, target: Target, content_hash: str
                ) -> Approval | None:
    """Who approved a draft of ``target`` saying ``content_hash``, and when (the latest)."""
    row = session.exec(
        same_target(select(CompiledReport), framework_id, target)
        .where(CompiledReport.status == ReportStatus.approved,
               CompiledReport.content_hash == content_hash)
        .order_by(col(CompiledReport.id).desc())
        .limit(1)
    ).first()
    if row is None or row.decided_at is None:
        return None
    person = person_for_slack_id(session, row.decided_by or "")
    return (person.name if person else SOMEONE), row.decided_at
