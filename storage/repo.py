"""Small lookups every layer needs. Keyword-only arguments, plain values back."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from storage.models import AuditEvent, Framework, PeriodRecord


def ensure_period(
    *, session: Session, fy: int, quarter: int, label: str, start: date, end: date
) -> PeriodRecord:
    """The stored period for (fy, quarter), created on first use."""
    record = session.exec(
        select(PeriodRecord).where(PeriodRecord.fy == fy, PeriodRecord.quarter == quarter)
    ).first()
    if record is None:
        record = PeriodRecord(fy=fy, quarter=quarter, label=label, start=start, end=end)
        session.add(record)
        session.flush()
    return record


def find_period(*, session: Session, fy: int, quarter: int) -> PeriodRecord | None:
    return session.exec(
        select(PeriodRecord).where(PeriodRecord.fy == fy, PeriodRecord.quarter == quarter)
    ).first()


def the_framework(*, session: Session, name: str | None = None) -> Framework | None:
    """The framework by name, or the only/first one when no name is given."""
    query = select(Framework).order_by(Framework.id)
    if name is not None:
        query = query.where(Framework.name == name)
    return session.exec(query).first()


def audit(
    *, session: Session, actor: str, action: str, subject: str = "", **detail: object
) -> AuditEvent:
    event = AuditEvent(actor=actor, action=action, subject=subject, detail=dict(detail))
    session.add(event)
    return event
