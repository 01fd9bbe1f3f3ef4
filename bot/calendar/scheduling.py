"""What the scheduler asks the database about the round calendar.

The job store holds only a job's name and period; whether a step should still do its work is a
calendar rule read from the bot's own data: the framework's ``calendar`` rules, whether a
framework has been imported at all, and whether the period's round has been opened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.calendar.periods import Period
from bot.calendar.round_calendar import DEFAULT_TIMEZONE, RoundCalendar
from storage.db import session_scope
from storage.models import Framework, Round
from storage.repo import find_period, the_framework


def calendar_for(engine: Engine, *, timezone: str = DEFAULT_TIMEZONE,
                 framework_id: int | None = None) -> RoundCalendar:
    """The framework's calendar rules (``rules["calendar"]``), or the defaults; the framework
    with id ``framework_id``, else the first."""
    with session_scope(engine) as session:
        framework = (session.get(Framework, framework_id) if framework_id is not None
                     else the_framework(session=session))
        return _calendar(framework, timezone)


def has_framework(engine: Engine) -> bool:
    """Whether a framework has been imported (without one there is no round to open)."""
    with session_scope(engine) as session:
        return the_framework(session=session) is not None


def skip_reason(
    engine: Engine, job: str, period: Period, *, now: datetime,
    timezone: str = DEFAULT_TIMEZONE, framework_id: int | None = None,
) -> str | None:
    """Why the scheduled ``job`` (``remind:<stage>``, ``compile``, ``escalate``) of ``period``
    should not do its work at ``now`` — ``"skipped: ..."``, the run's recorded outcome — or
    ``None`` to go ahead.

    A reminder that a later reminder or the escalation has already caught up with (after
    downtime) would only repeat it. Nothing but opening makes sense for a round never opened.
    With no framework at all the job goes ahead and its flow says what is missing."""
    with session_scope(engine) as session:
        framework = (session.get(Framework, framework_id) if framework_id is not None
                     else the_framework(session=session))
        if job.startswith("remind:"):
            later = _calendar(framework, timezone).superseded_by(period, job, now)
            if later:
                return f"skipped: {later} is already due"
        if job == "open_round" or framework is None or _round_opened(session, framework, period):
            return None
    return f"skipped: no round has been opened for {period.label}"


def _calendar(framework: Framework | None, timezone: str) -> RoundCalendar:
    rules = (framework.rules or {}).get("calendar") if framework is not None else None
    return RoundCalendar.from_rules(rules, timezone=timezone)


def _round_opened(session: Session, framework: Framework, period: Period) -> bool:
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    if record is None:
        return False
    return session.exec(select(Round.id).where(
        Round.framework_id == framework.id, Round.period_id == record.id)).first() is not None
