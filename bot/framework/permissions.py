"""Who may do what: the one place for it.

The acting user is always the user id from the *signed* Slack payload, passed in by the caller.
Button values and ``private_metadata`` only name a deliverable; they are re-checked here, so a
forged or stale value cannot let anyone update a deliverable they do not own.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.calendar.periods import Period
from bot.framework.people import is_governance_lead
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


def may_govern(
    settings_leads: Collection[str], *, slack_id: str | None, email: str | None = None
) -> bool:
    """Governance leads (``RAGTIME_GOVERNANCE_LEADS``) may open, freeze, reopen and close
    rounds, compile reports and approve them."""
    return is_governance_lead(settings_leads, slack_id=slack_id, email=email)


def may_submit(session: Session, *, slack_id: str, deliverable_id: int) -> bool:
    """The deliverable's SROs and delegates may submit its update; nobody else."""
    if not slack_id:
        return False
    owner = session.exec(
        select(DeliverableOwner.id)
        .join(Person, Person.id == DeliverableOwner.person_id)
        .where(DeliverableOwner.deliverable_id == deliverable_id, Person.slack_id == slack_id)
        .limit(1)
    ).first()
    return owner is not None


def deliverables_for(
    session: Session, slack_id: str, period: Period | None = None
) -> list[OwnedDeliverable]:
    """The active deliverables ``slack_id`` may update, in report order; with ``period``,
    each carries its latest rating in that period (``None`` while outstanding)."""
    if not slack_id:
        return []
    rows = session.exec(
        select(Deliverable, Theme, DeliverableOwner.role)
        .join(DeliverableOwner, DeliverableOwner.deliverable_id == Deliverable.id)
        .join(Person, Person.id == DeliverableOwner.person_id)
        .join(Theme, Theme.id == Deliverable.theme_id)
        .where(Person.slack_id == slack_id, Deliverable.active == True)  # noqa: E712
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
        from bot.collection.updates import latest_updates  # updates imports this module

        latest = latest_updates(session, period, deliverable_ids=list(seen))
    result = []
    for deliverable_id, (deliverable, theme) in seen.items():
        update = latest.get(deliverable_id)
        result.append(OwnedDeliverable(
            id=deliverable_id, ref=deliverable.ref, number=deliverable.number,
            title=deliverable.title, area=deliverable.area, theme_id=theme.id or 0,
            theme=theme.name, role=roles[deliverable_id],
            rag=Rag(update.rag) if update else None,
            version=update.version if update else None,
            submitted_at=update.submitted_at if update else None,
        ))
    return result
