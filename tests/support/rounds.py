"""Rounds opened directly in storage, for tests that submit updates without the round's prompts
(``bot.collection.updates.accepting_round``: an update is only filed into an opened round)."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from storage.db import session_scope
from storage.models import Framework, Round


def open_rounds(engine: Engine, *periods: Period, framework_id: int | None = None) -> None:
    """Open ``periods``' rounds of the framework (else of every framework); no prompts."""
    with session_scope(engine, write=True) as session:
        frameworks = ([framework_id] if framework_id is not None
                      else list(session.exec(select(Framework.id))))
        for period in periods:
            period_id = stored_period(session, period).id
            for framework in frameworks:
                if session.exec(select(Round.id).where(
                        Round.framework_id == framework, Round.period_id == period_id)).first():
                    continue
                session.add(Round(framework_id=framework, period_id=period_id,
                                  opened_by="U0LEAD"))
