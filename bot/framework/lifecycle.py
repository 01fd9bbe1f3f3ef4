"""A framework's life: active, closing (its closure round runs), closed (its closure report
approved); and the references that name a deliverable across frameworks.

A framework with no ``FrameworkClosure`` row is active. ``ragtime framework close`` marks it
closing for its final financial year (``mark_closing``); approving that year's closure report
marks it closed (``mark_closed``). A deliverable of any framework is named
``Framework name/CODE`` (``Step Up To Great/GO-3``); inside one framework its code alone will do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from storage.models import (
    Deliverable,
    Framework,
    FrameworkClosure,
    FrameworkState,
    PeriodRecord,
    Round,
    Update,
)
from storage.repo import audit


class LifecycleError(ValueError):
    """A framework step that cannot be taken, or a reference naming no deliverable; the
    message says why."""


@dataclass(frozen=True)
class FrameworkLife:
    """One framework as ``ragtime framework list`` shows it."""

    id: int
    name: str
    state: FrameworkState
    final_year: str | None  # "2024/25" once closing
    periods: tuple[Period, ...]  # every period with a round or an update, oldest first
    deliverables: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "state": self.state.value, "final_year": self.final_year,
                "periods": [p.label for p in self.periods], "deliverables": self.deliverables}


def state_of(session: Session, framework_id: int) -> FrameworkState:
    closure = closure_of(session, framework_id)
    return closure.state if closure is not None else FrameworkState.active


def closure_of(session: Session, framework_id: int) -> FrameworkClosure | None:
    return session.exec(select(FrameworkClosure)
                        .where(FrameworkClosure.framework_id == framework_id)).first()


def closing_in(session: Session, fy: int) -> list[Framework]:
    """The frameworks whose final year is ``fy`` (closing or closed)."""
    return list(session.exec(
        select(Framework).join(FrameworkClosure,
                               col(FrameworkClosure.framework_id) == Framework.id)
        .where(FrameworkClosure.fy == fy).order_by(Framework.id)))


def frameworks(session: Session) -> list[FrameworkLife]:
    """Every framework with its state and periods, in the order they were loaded."""
    found = []
    for framework in session.exec(select(Framework).order_by(Framework.id)):
        fid = framework.id or 0
        closure = closure_of(session, fid)
        found.append(FrameworkLife(
            id=fid, name=framework.name,
            state=closure.state if closure else FrameworkState.active,
            final_year=Period(closure.fy, 1).fy_label if closure else None,
            periods=periods_of(session, fid),
            deliverables=len(session.exec(select(Deliverable.id).where(
                Deliverable.framework_id == fid, col(Deliverable.active).is_(True))).all()),
        ))
    return found


def periods_of(session: Session, framework_id: int) -> tuple[Period, ...]:
    """The periods the framework has a round or an update in, oldest first."""
    rounds = select(Round.period_id).where(Round.framework_id == framework_id)
    updated = (select(Update.period_id)
               .join(Deliverable, col(Deliverable.id) == Update.deliverable_id)
               .where(Deliverable.framework_id == framework_id))
    rows = session.exec(select(PeriodRecord.fy, PeriodRecord.quarter).where(
        col(PeriodRecord.id).in_(rounds.union(updated))).order_by(
        PeriodRecord.fy, PeriodRecord.quarter)).all()
    return tuple(Period(fy, quarter) for fy, quarter in rows)


def mark_closing(session: Session, framework: Framework, fy: int, *, by: str) -> bool:
    """Mark ``framework`` closing with ``fy`` its final year; True when this changed anything.
    Refused once it is closed, or when it is already closing for another year."""
    closure = closure_of(session, framework.id or 0)
    final = Period(fy, 1).fy_label
    if closure is not None:
        if closure.state == FrameworkState.closed:
            raise LifecycleError(f"'{framework.name}' is already closed.")
        if closure.fy != fy:
            raise LifecycleError(
                f"'{framework.name}' is already closing with {Period(closure.fy, 1).fy_label} "
                f"as its final year, not {final}.")
        return False
    session.add(FrameworkClosure(framework_id=framework.id or 0, fy=fy, started_by=by))
    audit(session=session, actor=by, action="framework.closing",
          subject=f"framework:{framework.id}", final_year=final)
    session.flush()
    return True


def mark_closed(session: Session, framework_id: int, *, by: str, at: datetime) -> None:
    """The closure report is approved: the framework is closed (no-op unless closing)."""
    closure = closure_of(session, framework_id)
    if closure is None or closure.state == FrameworkState.closed:
        return
    closure.state, closure.closed_at, closure.closed_by = FrameworkState.closed, at, by
    session.add(closure)
    audit(session=session, actor=by, action="framework.closed",
          subject=f"framework:{framework_id}", final_year=Period(closure.fy, 1).fy_label)


def reference(framework_name: str, deliverable: Deliverable) -> str:
    """``Step Up To Great/GO-3``: how a deliverable is named across frameworks."""
    return f"{framework_name}/{deliverable.code or deliverable.ref}"


def find_deliverable(session: Session, text: str, *, within: int | None = None) -> Deliverable:
    """The deliverable ``text`` names: ``Framework/CODE``, or ``CODE`` in framework
    ``within`` (the code or the file's ``ref``, case-insensitive)."""
    name, slash, code = (text or "").strip().rpartition("/")
    code = code.strip()
    if not code:
        raise LifecycleError("name a deliverable as 'Framework name/CODE', e.g. "
                             "'Step Up To Great/GO-3'")
    if slash:
        framework = framework_named(session, name)
        fid, label = framework.id, framework.name
    elif within is not None:
        fid, label = within, (session.get(Framework, within) or Framework(name="?")).name
    else:
        raise LifecycleError(f"'{text}': name the framework too, as 'Framework name/{code}'")
    wanted = code.casefold()
    for deliverable in session.exec(select(Deliverable).where(Deliverable.framework_id == fid)):
        if wanted in {(deliverable.code or "").casefold(), deliverable.ref.casefold()}:
            return deliverable
    raise LifecycleError(f"'{label}' has no deliverable '{code}'")


def framework_named(session: Session, name: str) -> Framework:
    """The framework called ``name`` (case and spacing aside); ``LifecycleError`` naming those
    there are when there is none."""
    wanted = " ".join(name.split()).casefold()
    every = list(session.exec(select(Framework).order_by(Framework.id)))
    for framework in every:
        if framework.name.casefold() == wanted:
            return framework
    names = ", ".join(f"'{f.name}'" for f in every) or "none"
    raise LifecycleError(f"there is no framework '{name.strip()}' (there is {names})")
