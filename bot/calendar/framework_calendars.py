"""Each framework's own round calendar, so two strategies can run side by side: the old one's
closure round and the new one's first quarter, each with its own dates and decisions.

Every framework not yet closed is scheduled with the calendar of its own rules. A framework
closing with final year 2024/25 runs rounds up to 2024/25 Q4 only; a framework loaded after it
(a higher id: the next strategy) starts at 2025/26 Q1. The first framework loaded keeps the plain
job names (``open_round``); any other's carry its id (``open_round@2``), so each runs once per
period for itself and a deployment that had one framework sees no change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_TIMEZONE, RoundCalendar
from storage.db import session_scope
from storage.models import Framework, FrameworkClosure, FrameworkState

SCOPE_MARK = "@"


@dataclass(frozen=True)
class FrameworkCalendar:
    framework_id: int
    name: str
    calendar: RoundCalendar
    scope: str  # "" for the first framework loaded, else "@<id>"
    first: Period | None = None  # no rounds before this one (the strategy before it closes)
    last: Period | None = None  # no rounds after this one (it is closing)

    def runs(self, period: Period) -> bool:
        return ((self.first is None or period >= self.first)
                and (self.last is None or period <= self.last))

    def job(self, job: str) -> str:
        """The job's name for this framework (``open_round@2``)."""
        return f"{job}{self.scope}"


def framework_calendars(engine: Engine, *, timezone: str = DEFAULT_TIMEZONE,
                        every: bool = False) -> list[FrameworkCalendar]:
    """The calendars of the frameworks that run rounds (``every``: closed ones too), in the
    order they were loaded."""
    with session_scope(engine) as session:
        frameworks = list(session.exec(select(Framework).order_by(Framework.id)))
        closures = {c.framework_id: c for c in session.exec(select(FrameworkClosure))}
    if not frameworks:
        return []
    first_id = frameworks[0].id
    found = []
    for framework in frameworks:
        closure = closures.get(framework.id or 0)
        if closure is not None and closure.state == FrameworkState.closed and not every:
            continue
        before = [c.fy for fid, c in closures.items() if fid < (framework.id or 0)]
        rules = (framework.rules or {}).get("calendar")
        found.append(FrameworkCalendar(
            framework_id=framework.id or 0, name=framework.name,
            calendar=RoundCalendar.from_rules(rules, timezone=timezone),
            scope="" if framework.id == first_id else f"{SCOPE_MARK}{framework.id}",
            first=Period(max(before) + 1, 1) if before else None,
            last=Period(closure.fy, 4) if closure is not None else None,
        ))
    return found


def framework_calendar(engine: Engine, framework_id: int, *,
                       timezone: str = DEFAULT_TIMEZONE) -> FrameworkCalendar | None:
    return next((c for c in framework_calendars(engine, timezone=timezone, every=True)
                 if c.framework_id == framework_id), None)


def unscoped(job: str) -> tuple[str, int | None]:
    """``open_round@2`` → (``open_round``, 2); ``open_round`` → (``open_round``, None)."""
    name, mark, scope = job.rpartition(SCOPE_MARK)
    if mark and scope.isdigit():
        return name, int(scope)
    return job, None


def calendar_to_show(engine: Engine, framework_id: int | None, *,
                     timezone: str = DEFAULT_TIMEZONE) -> RoundCalendar | FrameworkCalendar:
    """What ``ragtime schedule show`` shows: with several frameworks loaded, the chosen one's
    ``FrameworkCalendar`` (its periods, its job names, its name on every row); else the only
    framework's calendar, as it always was."""
    every = framework_calendars(engine, timezone=timezone, every=True)
    if len(every) > 1 and framework_id is not None:
        found = next((c for c in every if c.framework_id == framework_id), None)
        if found is not None:
            return found
    chosen = next((c for c in every if c.framework_id == framework_id), None)
    return chosen.calendar if chosen else RoundCalendar.from_rules(None, timezone=timezone)
