"""BAF risks carried forward from one framework (strategy) into the next, as deliverables are
(``bot.framework.carry``).

A risk of the new framework names the risk it carries on: ``carried_from: "Step Up To
Great/BAF 01"`` in a YAML risk entry, a ``carried_from`` column on the CSV/XLSX risk rows, or a
``kind: risk`` row of the map given to ``ragtime framework carry-forward``. A risk is named
across frameworks as ``Framework name/BAF NUMBER`` (the ``BAF`` is optional, and ``BAF 1``
names risk ``01``). The link (``RiskCarry``) lets the risk's first prompt show its last score
in the old framework as last quarter's, and the paper's BAF section say "Carried from Step Up
To Great BAF 01" with the risk's score history running on across the two strategies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.framework.lifecycle import LifecycleError, framework_named
from storage.models import DeliverableCarry, Framework, Risk, RiskCarry
from storage.repo import audit

# "BAF 01", "BAF01", "BAF No. 1": the word before a risk's number (not "BAF-1", a code).
_BAF = re.compile(r"^\s*baf(?:\s*(?:no\.?|number))?(?:\s+|(?=\d))", re.IGNORECASE)


@dataclass(frozen=True)
class RiskCarriedFrom:
    risk_id: int
    source_id: int
    source_framework_id: int
    framework: str  # the old framework's name
    number: str  # the old risk's number

    @property
    def label(self) -> str:
        """``Step Up To Great BAF 01``."""
        return f"{self.framework} BAF {self.number}"

    @property
    def reference(self) -> str:
        """``Step Up To Great/BAF 01``."""
        return f"{self.framework}/BAF {self.number}"


def risk_number(text: str) -> str:
    """The number a risk reference gives: ``BAF 01`` and ``01`` are ``01``."""
    return _BAF.sub("", text or "").strip()


def same_number(one: str, other: str) -> bool:
    """``1`` and ``01`` are one risk number (case and leading zeros aside)."""
    def key(text: str) -> str:
        text = risk_number(text).casefold()
        return text.lstrip("0") or text if text.isdigit() else text
    return key(one) == key(other)


def find_risk(session: Session, text: str, *, within: int | None = None) -> Risk:
    """The risk ``text`` names: ``Framework name/BAF NUMBER`` (or ``NUMBER`` in framework
    ``within``); ``LifecycleError`` when it names none."""
    name, slash, number = (text or "").strip().rpartition("/")
    number = risk_number(number)
    if not number:
        raise LifecycleError("name a BAF risk as 'Framework name/BAF NUMBER', e.g. "
                             "'Step Up To Great/BAF 01'")
    if slash:
        framework = framework_named(session, name)
    elif within is not None:
        framework = session.get(Framework, within) or Framework(name="?")
    else:
        raise LifecycleError(f"'{text.strip()}': name the framework too, as "
                             f"'Framework name/BAF {number}'")
    for risk in session.exec(select(Risk).where(Risk.framework_id == framework.id)):
        if same_number(risk.number, number):
            return risk
    raise LifecycleError(f"'{framework.name}' has no BAF risk '{number}'")


def risk_carried_from(session: Session, risk_ids: list[int] | None = None, *,
                      framework_id: int | None = None) -> dict[int, RiskCarriedFrom]:
    """What each of ``risk_ids`` (or each risk of ``framework_id``) carries on, for those that
    carry one on: one query."""
    if not risk_ids and framework_id is None:
        return {}
    wanted = (risk_ids if risk_ids else
              select(Risk.id).where(Risk.framework_id == framework_id).scalar_subquery())
    rows = session.exec(
        select(RiskCarry.risk_id, Risk, Framework.name)
        .join(Risk, col(Risk.id) == RiskCarry.carried_from_id)
        .join(Framework, col(Framework.id) == Risk.framework_id)
        .where(col(RiskCarry.risk_id).in_(wanted))).all()
    return {new_id: RiskCarriedFrom(new_id, source.id or 0, source.framework_id, name,
                                    source.number)
            for new_id, source, name in rows}


def link_risk(session: Session, risk: Risk, source: Risk, *, by: str) -> bool:
    """Record that ``risk`` carries on ``source`` (of another framework); True when this
    changed anything. ``LifecycleError`` for a source in the same framework."""
    if source.framework_id == risk.framework_id:
        raise LifecycleError(
            f"BAF {source.number} is in the same framework; a risk is carried forward from an "
            "earlier framework, named as 'Framework name/BAF NUMBER'")
    found = session.exec(select(RiskCarry).where(RiskCarry.risk_id == risk.id)).first()
    return record_link(session, found or RiskCarry(risk_id=risk.id or 0), source.id or 0, by=by,
                       subject=f"risk:{risk.id}")


def record_link(session: Session, row: DeliverableCarry | RiskCarry, source_id: int, *, by: str,
                subject: str) -> bool:
    """Point the carry ``row`` (stored, or new) at ``source_id``, audited; True when this
    changed anything (a deliverable's or a risk's link alike)."""
    if row.id is not None and row.carried_from_id == source_id:
        return False
    row.carried_from_id, row.recorded_by = source_id, by
    session.add(row)
    kind = "risk" if isinstance(row, RiskCarry) else "deliverable"
    audit(session=session, actor=by, action=f"{kind}.carried_from", subject=subject,
          carried_from=source_id)
    session.flush()
    return True


def link_risk_by_reference(session: Session, risk: Risk, reference: str, *, by: str) -> bool:
    """``link_risk`` to the risk ``reference`` names (``Framework name/BAF NUMBER``)."""
    if "/" not in reference:
        raise LifecycleError(f"'{reference.strip()}': name the earlier framework too, as "
                             f"'Framework name/BAF {risk_number(reference)}'")
    return link_risk(session, risk, find_risk(session, reference), by=by)
