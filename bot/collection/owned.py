"""The deliverables a person may update, each with its state in a period.

What ``/report-status``, the App Home and the update form list for someone: the active
deliverables they are an SRO or delegate of, in report order. It lives beside the updates it
reads (not in ``bot.framework.permissions``, which ``bot.collection.updates`` asks whether an
actor may submit), so neither module needs the other at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.calendar.periods import Period
from bot.collection.updates import latest_updates
from storage.models import Deliverable, DeliverableOwner, Person, Rag, Role, Theme


@dataclass(frozen=True)
class OwnedDeliverable:
    """A deliverable someone may update, with its state in the period asked about."""

    id: int
    ref: str
    number: str
    title: str
    area: str
    theme_id: int
    theme: str
    role: Role  # sro if they are an SRO of it, else delegate
    rag: Rag | None = None  # latest rating in the period, None while outstanding
    version: int | None = None
    submitted_at: datetime | None = None

    @property
    def answered(self) -> bool:
        return self.rag is not None


def deliverables_for(
    session: Session, slack_id: str | None, period: Period | None = None, *,
    person_id: int | None = None,
) -> list[OwnedDeliverable]:
    """The active deliverables ``slack_id`` (or the person ``person_id``) may update, in report
    order; with ``period``, each carries its latest rating in that period (``None`` while
    outstanding)."""
    if person_id is not None:
        who = DeliverableOwner.person_id == person_id
    elif slack_id:
        who = Person.slack_id == slack_id
    else:
        return []
    rows = session.exec(
        select(Deliverable, Theme, DeliverableOwner.role)
        .join(DeliverableOwner, DeliverableOwner.deliverable_id == Deliverable.id)
        .join(Person, Person.id == DeliverableOwner.person_id)
        .join(Theme, Theme.id == Deliverable.theme_id)
        .where(who, Deliverable.active == True)  # noqa: E712
        .order_by(Theme.position, Theme.id, Deliverable.position, Deliverable.id)
    ).all()
    roles: dict[int, Role] = {}
    seen: dict[int, tuple[Deliverable, Theme]] = {}
    for deliverable, theme, role in rows:
        seen.setdefault(deliverable.id, (deliverable, theme))
        if roles.get(deliverable.id) != Role.sro:
            roles[deliverable.id] = Role(role)
    latest = {}
    if period is not None and seen:
        latest = latest_updates(session, period, deliverable_ids=list(seen))
    result = []
    for deliverable_id, (deliverable, theme) in seen.items():
        update = latest.get(deliverable_id)
        result.append(OwnedDeliverable(
            id=deliverable_id, ref=deliverable.ref, number=deliverable.code or deliverable.number,
            title=deliverable.title, area=deliverable.area, theme_id=theme.id or 0,
            theme=theme.name, role=roles[deliverable_id],
            rag=Rag(update.rag) if update else None,
            version=update.version if update else None,
            submitted_at=update.submitted_at if update else None,
        ))
    return result
