"""Deliverables carried forward from one framework (strategy) into the next.

A deliverable of the new framework names the one it carries on: ``carried_from: "Step Up To
Great/GO-3"`` in a YAML file, a ``carried_from`` column in CSV/XLSX, or a map given to ``ragtime
framework carry-forward``. The link (``DeliverableCarry``) lets its first prompt show the last
update it had in the old framework, and the paper say "Carried from Step Up To Great GO-3" with
its trend running on across the two strategies. BAF risks are carried the same way
(``bot.framework.risk_carry``); the map gives them as rows of ``kind`` ``risk``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session, col, select

from bot.framework.lifecycle import LifecycleError, find_deliverable
from bot.framework.risk_carry import find_risk, link_risk, record_link, risk_number
from storage.models import Deliverable, DeliverableCarry, Framework, Risk

Item = TypeVar("Item", Deliverable, Risk)
MAP_COLUMNS = ("from", "to")
MAP_MAX_ROWS = 5000
KINDS = {"": "deliverable", "deliverable": "deliverable", "d": "deliverable", "risk": "risk",
         "baf": "risk", "baf risk": "risk", "r": "risk"}


@dataclass(frozen=True)
class CarriedFrom:
    deliverable_id: int
    source_id: int
    framework: str  # the old framework's name
    code: str  # the old deliverable's code

    @property
    def label(self) -> str:
        """``Step Up To Great GO-3``."""
        return f"{self.framework} {self.code}"

    @property
    def reference(self) -> str:
        """``Step Up To Great/GO-3``."""
        return f"{self.framework}/{self.code}"


@dataclass(frozen=True)
class CarrySummary:
    old: str
    new: str
    linked: int
    unchanged: int
    risks_linked: int = 0
    risks_unchanged: int = 0

    def __str__(self) -> str:
        text = (f"Carried forward from '{self.old}' to '{self.new}': {self.linked} linked now, "
                f"{self.unchanged} already linked.")
        if self.risks_linked or self.risks_unchanged:
            text += (f" BAF risks: {self.risks_linked} linked now, {self.risks_unchanged} "
                     "already linked.")
        return text


@dataclass(frozen=True)
class CarryMap:
    """A carry-forward map's rows: (old code, new code) pairs of deliverables, and (old
    number, new number) pairs of BAF risks."""

    deliverables: list[tuple[str, str]]
    risks: list[tuple[str, str]]


def carried_from(session: Session, deliverable_ids: list[int]) -> dict[int, CarriedFrom]:
    """What each of ``deliverable_ids`` carries on, for those that carry one on."""
    if not deliverable_ids:
        return {}
    rows = session.exec(
        select(DeliverableCarry.deliverable_id, Deliverable, Framework.name)
        .join(Deliverable, col(Deliverable.id) == DeliverableCarry.carried_from_id)
        .join(Framework, col(Framework.id) == Deliverable.framework_id)
        .where(col(DeliverableCarry.deliverable_id).in_(deliverable_ids))).all()
    return {new_id: CarriedFrom(new_id, source.id or 0, name, source.code or source.ref)
            for new_id, source, name in rows}


def link(session: Session, deliverable: Deliverable, source: Deliverable, *, by: str) -> bool:
    """Record that ``deliverable`` carries on ``source`` (of another framework); True when this
    changed anything. ``LifecycleError`` for a source in the same framework."""
    if source.framework_id == deliverable.framework_id:
        raise LifecycleError(
            f"'{source.code or source.ref}' is in the same framework; a deliverable is carried "
            "forward from an earlier framework, named as 'Framework name/CODE'")
    found = session.exec(select(DeliverableCarry).where(
        DeliverableCarry.deliverable_id == deliverable.id)).first()
    return record_link(session, found or DeliverableCarry(deliverable_id=deliverable.id or 0),
                       source.id or 0, by=by, subject=f"deliverable:{deliverable.id}")


def link_by_reference(session: Session, deliverable: Deliverable, reference: str, *, by: str
                      ) -> bool:
    """``link`` to the deliverable ``reference`` names (``Framework name/CODE``)."""
    if "/" not in reference:
        raise LifecycleError(f"'{reference}': name the earlier framework too, as "
                             f"'Framework name/{reference.strip()}'")
    return link(session, deliverable, find_deliverable(session, reference), by=by)


def read_map(path: Path) -> CarryMap:
    """A carry-forward map: a CSV with the columns ``from`` (the old framework's code) and
    ``to`` (the new framework's code), and optionally ``kind``: ``deliverable`` (the default)
    or ``risk``, whose ``from`` and ``to`` are BAF risk numbers (``BAF 01`` or ``01``). A row
    whose ``from`` and ``to`` both start with ``BAF`` is a risk without saying so.
    ``LifecycleError`` when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise LifecycleError(f"{path}: cannot read the map ({error})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    missing = [c for c in MAP_COLUMNS if c not in columns]
    if missing:
        raise LifecycleError(f"{path}: the map needs the columns 'from' and 'to' (missing "
                             f"{', '.join(missing)})")
    found = CarryMap([], [])
    for number, row in enumerate(reader, 2):
        if number > MAP_MAX_ROWS:
            raise LifecycleError(f"{path}: more than {MAP_MAX_ROWS} rows")
        old, new = ((row.get(columns[c]) or "").strip() for c in MAP_COLUMNS)
        if not old and not new:
            continue
        if not (old and new):
            raise LifecycleError(f"{path} row {number}: give both 'from' and 'to'")
        given = " ".join((row.get(columns["kind"]) or "").split()).lower() \
            if "kind" in columns else ""
        kind = KINDS.get(given)
        if kind is None:
            raise LifecycleError(f"{path} row {number}: kind '{given}' is neither "
                                 "'deliverable' nor 'risk'")
        if not given and all(risk_number(side) != side.strip() for side in (old, new)):
            kind = "risk"  # both sides written as BAF numbers
        (found.risks if kind == "risk" else found.deliverables).append((old, new))
    return found


def carry_forward(session: Session, *, old: str, new: str, pairs: list[tuple[str, str]],
                  by: str, risk_pairs: list[tuple[str, str]] | None = None) -> CarrySummary:
    """Link each ``(old code, new code)`` pair of deliverables and each ``(old number, new
    number)`` pair of BAF risks (``risk_pairs``); every pair is checked before any is written,
    and ``LifecycleError`` lists all that name nothing."""
    problems: list[str] = []
    resolved = _resolved(session, find_deliverable, old, new, pairs, problems)
    risks = _resolved(session, find_risk, old, new, risk_pairs or [], problems)
    if problems:
        raise LifecycleError("; ".join(dict.fromkeys(problems)) + "; nothing was linked")
    linked = sum(link(session, target, source, by=by) for target, source in resolved)
    risks_linked = sum(link_risk(session, target, source, by=by) for target, source in risks)
    ends = ((resolved[0][1].framework_id, resolved[0][0].framework_id) if resolved else
            (risks[0][1].framework_id, risks[0][0].framework_id) if risks else (None, None))
    return CarrySummary(
        old=_name(session, ends[0]) or old, new=_name(session, ends[1]) or new,
        linked=linked, unchanged=len(resolved) - linked,
        risks_linked=risks_linked, risks_unchanged=len(risks) - risks_linked)


def _resolved(session: Session, find: Callable[[Session, str], Item], old: str, new: str,
              pairs: list[tuple[str, str]], problems: list[str]) -> list[tuple[Item, Item]]:
    """(new item, old item) for each pair ``find`` names in the frameworks ``new`` and ``old``;
    why not, for each that it does not, added to ``problems``."""
    found = []
    for old_ref, new_ref in pairs:
        try:
            source, target = find(session, f"{old}/{old_ref}"), find(session, f"{new}/{new_ref}")
        except LifecycleError as error:
            problems.append(str(error))
            continue
        if source.framework_id == target.framework_id:
            problems.append(f"'{old}' and '{new}' are the same framework")
            continue
        found.append((target, source))
    return found


def _name(session: Session, framework_id: int | None) -> str | None:
    framework = session.get(Framework, framework_id) if framework_id is not None else None
    return framework.name if framework else None
