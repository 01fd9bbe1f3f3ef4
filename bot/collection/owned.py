"""The deliverables a person may update, each with its state in a period.

What ``/report-status``, the App Home and the update form list for someone: the active
deliverables they are an SRO or delegate of, in report order. It lives beside the updates it
reads (not in ``bot.framework.permissions``, which ``bot.collection.updates`` asks whether an
actor may submit), so neither module needs the other at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.collection.updates import latest_updates
from storage.models import Absence, Deliverable, DeliverableOwner, Person, Rag, Role, Theme


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
    on_behalf_of: str | None = None  # covering for this absent SRO (not theirs)

    @property
    def answered(self) -> bool:
        return self.rag is not None


def deliverables_for(
    session: Session, slack_id: str | None, period: Period | None = None, *,
    person_id: int | None = None, on: date | None = None,
) -> list[OwnedDeliverable]:
    """The active deliverables ``slack_id`` (or the person ``person_id``) may update, in report
    order; with ``period``, each carries its latest rating in that period (``None`` while
    outstanding). With ``on``, also those of SROs they cover that day (``on_behalf_of``)."""
    if person_id is not None:
        who = DeliverableOwner.person_id == person_id
        covering = Absence.cover_id == person_id
    elif slack_id:
        who = Person.slack_id == slack_id
        covering = col(Absence.cover_id).in_(select(Person.id).where(Person.slack_id == slack_id))
    else:
        return []
    rows = list(session.exec(_owned(who)).all())
    own = {row[0].id for row in rows}
    covered: dict[int, str] = {}  # absent SRO's person id -> name
    if on is not None:  # one query: whom they cover that day
        covered = dict(session.exec(
            select(Absence.person_id, Person.name).join(Person, Person.id == Absence.person_id)
            .where(covering, col(Absence.cancelled_at).is_(None), Absence.starts <= on,
                   Absence.ends >= on)).all())
    theirs: dict[int, str] = {}
    if covered:
        for deliverable, theme, _role, sro_id in session.exec(_owned(
                col(DeliverableOwner.person_id).in_(list(covered)), Role.sro)).all():
            theirs.setdefault(deliverable.id, covered[sro_id])
            rows.append((deliverable, theme, Role.sro, sro_id))
    rows.sort(key=lambda row: (row[1].position, row[1].id, row[0].position, row[0].id))
    roles: dict[int, Role] = {}
    seen: dict[int, tuple[Deliverable, Theme]] = {}
    for deliverable, theme, role, _person in rows:
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
            on_behalf_of=None if deliverable_id in own else theirs.get(deliverable_id),
        ))
    return result


def _owned(who: Any, role: Role | None = None) -> Any:
    """Active deliverables with their theme, the owner's role and person id, for ``who``."""
    query = (
        select(Deliverable, Theme, DeliverableOwner.role, DeliverableOwner.person_id)
        .join(DeliverableOwner, DeliverableOwner.deliverable_id == Deliverable.id)
        .join(Person, Person.id == DeliverableOwner.person_id)
        .join(Theme, Theme.id == Deliverable.theme_id)
        .where(who, Deliverable.active == True)  # noqa: E712
        .order_by(Theme.position, Theme.id, Deliverable.position, Deliverable.id)
    )
    return query.where(DeliverableOwner.role == role) if role is not None else query
