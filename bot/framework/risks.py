"""A framework's BAF risks as the file described them: owners, details and the framework's
scale (bands and appetite). Scores and returns live in ``bot.collection.risk_returns``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from bot.framework.baf import BafScale
from storage.models import BafSettings, Person, Risk, RiskDetail, RiskOwner, Theme


@dataclass(frozen=True)
class RiskInfo:
    id: int
    number: str
    title: str
    theme: str
    framework_id: int
    owners: tuple[Person, ...] = ()
    lead_committee: str = ""
    cause: str = ""
    event: str = ""
    impact: str = ""
    appetite: str | None = None
    target: int | None = None
    target_date: date | None = None
    position: int = 0
    owner_ids: tuple[int, ...] = field(default=())

    @property
    def owner_names(self) -> tuple[str, ...]:
        return tuple(person.name for person in self.owners)


def baf_scale(session: Session, framework_id: int) -> BafScale:
    """The framework's bands and appetite limits (the NPSA defaults when its file set none)."""
    row = session.get(BafSettings, framework_id)
    return BafScale.from_stored(row.bands, row.appetite) if row else BafScale()


def load_risks(session: Session, framework_id: int, *,
               risk_ids: list[int] | None = None) -> list[RiskInfo]:
    """Every BAF risk of the framework in paper order, with its owners and details."""
    query = (select(Risk, Theme.name, RiskDetail)
             .join(Theme, col(Theme.id) == Risk.theme_id)
             .outerjoin(RiskDetail, col(RiskDetail.risk_id) == Risk.id)
             .where(Risk.framework_id == framework_id)
             .order_by(Theme.position, Risk.position, Risk.number))
    if risk_ids is not None:
        query = query.where(col(Risk.id).in_(risk_ids))
    rows = session.exec(query).all()
    ids = [risk.id for risk, _, _ in rows]
    owners: dict[int, list[Person]] = defaultdict(list)
    for owner, person in session.exec(
            select(RiskOwner, Person).join(Person, col(Person.id) == RiskOwner.person_id)
            .where(col(RiskOwner.risk_id).in_(ids))
            .order_by(RiskOwner.position, RiskOwner.id)).all():
        owners[owner.risk_id].append(person)
    found = []
    for risk, theme, found_detail in rows:
        assert risk.id is not None
        detail = found_detail or RiskDetail(risk_id=risk.id)
        people = tuple(owners.get(risk.id, ()))
        found.append(RiskInfo(
            id=risk.id, number=risk.number, title=risk.title, theme=theme,
            framework_id=risk.framework_id, owners=people,
            owner_ids=tuple(person.id or 0 for person in people),
            lead_committee=detail.lead_committee, cause=detail.cause, event=detail.event,
            impact=detail.impact, appetite=detail.appetite, target=detail.target_score,
            target_date=detail.target_date, position=risk.position))
    return found
