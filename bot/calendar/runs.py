"""Run each calendar job once per period, however many schedulers fire it.

Before a job does any work it inserts its ``JobRun`` row (unique on job + period) in a
transaction of its own. The insert that commits first wins; any other process or retry that fires
the same job for the same period finds the row and does nothing. A job that fails keeps its row
(with no ``finished_at``): it is not retried behind anyone's back — the failure is logged and
audited, and a person re-runs the step with the CLI.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import JobRun
from storage.repo import audit

ACTOR = "scheduler"


@dataclass(frozen=True)
class RunState:
    """What is recorded of one job's run for one period."""

    job: str
    period_label: str
    started_at: datetime
    finished_at: datetime | None  # None: running now, or it failed (see the audit trail)
    runner: str


def runner_name() -> str:
    """Which process ran a job: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_run(engine: Engine, job: str, period_label: str, *, at: datetime | None = None) -> bool:
    """True when this caller is the first to run ``job`` for the period."""
    try:
        with session_scope(engine, write=True) as session:
            session.add(JobRun(job=job, period_label=period_label, runner=runner_name(),
                               started_at=at or datetime.now(UTC)))
    except IntegrityError:
        return False
    return True


def finish_run(
    engine: Engine, job: str, period_label: str, *, at: datetime | None = None
) -> None:
    with session_scope(engine, write=True) as session:
        _finish(session, job, period_label, at)


def record_job_outcome(
    engine: Engine,
    job: str,
    period_label: str,
    *,
    outcome: str | None = None,
    error: str | None = None,
    at: datetime | None = None,
) -> None:
    """The end of a claimed run, in the audit trail. Done (``outcome``): the run is finished and
    ``job.done`` recorded. Failed (``error``): ``job.failed`` is recorded and the run stays
    unfinished, so nobody re-runs it but a person (``ragtime round ...``)."""
    subject = f"{job} {period_label}"
    with session_scope(engine, write=True) as session:
        if error is not None:
            audit(session=session, actor=ACTOR, action="job.failed", subject=subject, error=error)
            return
        _finish(session, job, period_label, at)
        audit(session=session, actor=ACTOR, action="job.done", subject=subject, outcome=outcome)


def runs_of(engine: Engine, period_labels: list[str]) -> dict[tuple[str, str], RunState]:
    """The runs recorded for these periods, keyed by (job, period label)."""
    with session_scope(engine) as session:
        rows = session.exec(select(JobRun).where(JobRun.period_label.in_(period_labels))).all()
        return {(row.job, row.period_label): RunState(
            job=row.job, period_label=row.period_label, started_at=row.started_at,
            finished_at=row.finished_at, runner=row.runner) for row in rows}


def _finish(session: Session, job: str, period_label: str, at: datetime | None) -> None:
    run = session.exec(select(JobRun).where(
        JobRun.job == job, JobRun.period_label == period_label)).one()
    run.finished_at = at or datetime.now(UTC)
    session.add(run)
