"""Which framework a command means, when a database holds several.

Commands that read a framework take its name (``--framework NAME``). Without one, the only
framework is meant; with several, guessing would compile or chase the wrong board's paper, so
``FrameworkChoiceError`` says which there are instead.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from storage.db import session_scope
from storage.models import Deliverable, Framework, PeriodRecord, Round, Update


class FrameworkChoiceError(LookupError):
    """No framework, an unknown name, or several and none named; the message says which."""


def choose_framework(session: Session, name: str | None = None, *,
                     how: str = "--framework NAME", period: Period | None = None) -> Framework:
    """The framework called ``name`` (case-insensitive), else the only one. ``how`` is how the
    caller's user names one (``--framework NAME`` on the command line), said when several are
    loaded and none is named. With ``period``, several frameworks are not ambiguous when only
    one of them has a round (or updates) for that period (two strategies side by side: the old
    one's closure round and the new one's first quarter)."""
    frameworks = list(session.exec(select(Framework).order_by(Framework.id)))
    if name is None and period is not None and len(frameworks) > 1:
        running = [f for f in frameworks if f.id in _with_round(session, period)]
        if len(running) == 1:
            return running[0]
        if running and len(running) < len(frameworks):  # all of them: as below
            listed = ", ".join(f"'{f.name}'" for f in running)
            raise FrameworkChoiceError(
                f"{len(running)} frameworks report on {period.label} ({listed}); "
                f"name one with {how}")
    names = ", ".join(f"'{framework.name}'" for framework in frameworks)
    if not frameworks:
        raise FrameworkChoiceError(
            "no framework is loaded yet; import one with `ragtime import FILE`")
    if name is not None:
        wanted = name.strip().casefold()
        for framework in frameworks:
            if framework.name.casefold() == wanted:
                return framework
        raise FrameworkChoiceError(f"there is no framework '{name}'; there is {names}"
                                   if len(frameworks) == 1 else
                                   f"there is no framework '{name}'; choose one of {names}")
    if len(frameworks) > 1:
        raise FrameworkChoiceError(
            f"{len(frameworks)} frameworks are loaded ({names}); "
            f"name one with {how}")
    return frameworks[0]


def framework_id(engine: Engine, name: str | None = None, *, required: bool = False,
                 period: Period | None = None) -> int | None:
    """``choose_framework`` in its own read-only unit of work: the chosen framework's id, or
    None when no framework is loaded and none was named (the caller's defaults apply), unless
    ``required`` (then that too is a ``FrameworkChoiceError``). ``period``: as for
    ``choose_framework``, the only framework with a round for it is meant."""
    with session_scope(engine) as session:
        if (name is None and not required
                and session.exec(select(Framework.id)).first() is None):
            return None
        return choose_framework(session, name, period=period).id


def _with_round(session: Session, period: Period) -> set[int]:
    """Ids of the frameworks with a round, or any update (imported ones have no round), for
    ``period``."""
    record = session.exec(select(PeriodRecord.id).where(
        PeriodRecord.fy == period.fy, PeriodRecord.quarter == period.quarter)).first()
    if record is None:
        return set()
    rounds = select(Round.framework_id).where(Round.period_id == record)
    updated = (select(Deliverable.framework_id)
               .join(Update, col(Update.deliverable_id) == Deliverable.id)
               .where(Update.period_id == record))
    return {row[0] for row in session.exec(rounds.union(updated)).all()}


def several_frameworks(session: Session) -> bool:
    """Whether a name is needed to say which framework is meant."""
    return len(list(session.exec(select(Framework.id).limit(2)))) > 1
