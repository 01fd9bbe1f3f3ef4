"""Write what a framework file says about its BAF beyond risk scores: the framework's scoring
bands and appetite (``baf:``), and each risk's owners and details (lead committee, cause,
event, impact, appetite, target score and date). What the file leaves out is left as stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from bot.framework.importer.spec import FrameworkSpec
from storage.models import BafSettings, Framework, Person, Risk, RiskDetail, RiskOwner


@dataclass(frozen=True)
class RiskDetailsApplied:
    """What ``apply_risk_details`` changed: the framework's BAF settings, and how many risks
    (already counted as unchanged by the score import) had their details or owners changed."""

    settings_changed: bool
    risks_changed: int


def apply_risk_details(
    session: Session, framework: Framework, spec: FrameworkSpec, people: dict[str, Person],
) -> RiskDetailsApplied:
    settings_changed = spec.baf is not None and _settings(session, framework, spec.baf)
    risks_changed = 0
    stored = {risk.number: risk for risk in session.exec(
        select(Risk).where(Risk.framework_id == framework.id)).all()}
    for theme in spec.themes:
        for risk_spec in theme.risks:
            risk = stored.get(risk_spec.number)
            if risk is None or risk.id is None:
                continue
            changed = False
            if risk_spec.details is not None:
                changed = _details(session, risk.id, risk_spec.details)
            if risk_spec.owners is not None:
                changed = _owners(session, risk.id,
                                  [people[handle] for handle in risk_spec.owners]) or changed
            risks_changed += changed
    session.flush()
    return RiskDetailsApplied(settings_changed, risks_changed)


def _settings(session: Session, framework: Framework, config: dict[str, Any]) -> bool:
    row = session.get(BafSettings, framework.id)
    if row is None:
        session.add(BafSettings(framework_id=framework.id or 0, bands=config["bands"],
                                appetite=config["appetite"]))
        return True
    if (row.bands, row.appetite) == (config["bands"], config["appetite"]):
        return False
    row.bands, row.appetite = config["bands"], config["appetite"]
    return True


def _details(session: Session, risk_id: int, details: dict[str, Any]) -> bool:
    row = session.get(RiskDetail, risk_id)
    if row is None:
        row = RiskDetail(risk_id=risk_id)
        session.add(row)
    changed = False
    for name, value in details.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _owners(session: Session, risk_id: int, wanted: list[Person]) -> bool:
    """Make the risk's owners exactly ``wanted``, in order."""
    rows = {row.person_id: row for row in session.exec(
        select(RiskOwner).where(RiskOwner.risk_id == risk_id)).all()}
    changed = False
    keep = {person.id for person in wanted}
    for person_id, row in rows.items():
        if person_id not in keep:
            session.delete(row)
            changed = True
    for position, person in enumerate(wanted):
        row = rows.get(person.id or 0)
        if row is None:
            session.add(RiskOwner(risk_id=risk_id, person_id=person.id or 0, position=position))
            changed = True
        elif row.position != position:
            row.position = position
            changed = True
    return changed
