"""Reminders: what is recorded in the outbox to chase the people who have not answered.

``record_reminders`` records one reminder per outstanding SRO at a stage of the round's
calendar; ``record_escalation`` the message telling the governance channel who is still
outstanding. Nothing here sends anything: each message is recorded under a unique key (so a
step run twice records nothing twice) and ``bot.messaging.outbox`` sends it. Who is outstanding
is ``bot.collection.progress``; a frozen or closed round (``bot.collection.rounds``) is not chased.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.progress import DeliverableStatus, OwnerView, RoundStatusView, round_status
from bot.collection.risk_round import risk_progress
from bot.collection.rounds import existing_round, iso_date
from bot.framework.people import Reach, reach_of
from bot.messaging.outbox import record_message
from bot.messaging.routing import EMAIL
from storage.models import OutboxMessage, Round, RoundStatus
from storage.repo import audit


def record_reminders(
    session: Session, period: Period, stage: str, *, framework_id: int | None = None,
    email_enabled: bool = False,
) -> int:
    """Record one reminder per SRO still outstanding (listing their outstanding deliverables)
    for ``stage`` (e.g. ``5-days-before``), on their channel (``reach_of``; ``email_enabled``:
    this deployment sends email); returns how many were newly recorded. A frozen or closed
    round is not chased."""
    round_, view = _open_round_view(session, period, framework_id)
    if round_.frozen or round_.status != RoundStatus.open:
        return 0
    per_person: dict[int, tuple[OwnerView, Reach, list[DeliverableStatus]]] = {}
    for item in view.outstanding:
        for sro in item.sros:
            reach = reach_of(channel=sro.channel, slack_id=sro.slack_id, email=sro.email,
                             email_enabled=email_enabled)
            if reach.via is not None:
                per_person.setdefault(sro.person_id, (sro, reach, []))[2].append(item)
    recorded = 0
    for person_id, (sro, reach, items) in per_person.items():
        _, created = record_message(
            session,
            key=f"reminder:{period.slug}:{stage}:{person_id}",
            kind="reminder", period_id=round_.period_id, person_id=person_id,
            via=reach.via if reach.via == EMAIL else None,
            payload={
                "to": reach.to,
                "round_id": round_.id,
                "person_name": sro.name,
                "stage": stage,
                "period": period.label,
                "deadline": iso_date(round_.deadline),
                "deliverable_ids": [item.id for item in items],
                "deliverables": [_deliverable_payload(item) for item in items],
            },
        )
        recorded += created
    if recorded:
        audit(session=session, actor="ragtime", action="round.reminders_recorded",
              subject=f"round:{round_.id}", period=period.label, stage=stage, count=recorded)
    return recorded


def record_escalation(
    session: Session, period: Period, *, stage: str = "deadline",
    framework_id: int | None = None,
) -> OutboxMessage | None:
    """Record the message telling the governance channel who is still outstanding; ``None``
    when nobody is (or the round is frozen). Recording twice returns the first message."""
    round_, view = _open_round_view(session, period, framework_id)
    risks = risk_progress(session, period, round_.framework_id).outstanding
    if round_.frozen or not (view.outstanding or risks):
        return None
    message, created = record_message(
        session,
        key=f"escalation:{period.slug}:{stage}",
        kind="escalation", period_id=round_.period_id,
        payload={
            "period": period.label,
            "deadline": iso_date(round_.deadline),
            "total": view.total,
            "answered": view.answered_count,
            "outstanding_count": view.outstanding_count,
            "themes": [
                {"theme": theme.name,
                 "outstanding": [_deliverable_payload(item) for item in theme.outstanding]}
                for theme in view.themes if theme.outstanding
            ],
            "risks": [{"number": item.risk.number, "title": item.risk.title,
                       "owners": list(item.risk.owner_names)} for item in risks],
        },
    )
    if created:
        audit(session=session, actor="ragtime", action="round.escalation_recorded",
              subject=f"round:{round_.id}", period=period.label,
              outstanding=view.outstanding_count, risks_outstanding=len(risks))
    return message


# ------------------------------------------------------------------------------ helpers

def _open_round_view(
    session: Session, period: Period, framework_id: int | None
) -> tuple[Round, RoundStatusView]:
    round_ = existing_round(session, period, framework_id)
    return round_, round_status(session, period, framework_id=round_.framework_id)


def _deliverable_payload(item: DeliverableStatus) -> dict[str, Any]:
    return {
        "id": item.id, "number": item.number, "area": item.area, "title": item.title,
        "theme": item.theme,
        "sros": [{"name": s.name, "title": s.title, "slack_id": s.slack_id} for s in item.sros],
    }
