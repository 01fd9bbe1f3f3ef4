"""The APScheduler ``BackgroundScheduler``: jobs persisted in the bot's own database.

Jobs live in the table ``apscheduler_jobs`` of the same database (``SQLAlchemyJobStore``), so a
restarted bot still knows what it planned. They are stored by textual reference
(``"schedules.jobs:open_round"``) with the period label as their only argument: nothing
unpicklable ever reaches the job store, and the jobs find the running app through
``schedules.registry``.

Calendar jobs run one at a time, in time order, on a single worker: when a bot comes back from
downtime and several steps are due at once (say a reminder and the escalation), they run in the
order planned rather than racing each other.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.engine import Engine

JOBS_TABLE = "apscheduler_jobs"

# A bot that was down when a job was due runs it once when it comes back, if it is back within
# this time. Five days covers the longest ordinary outage a trust would see — a server that
# stops on the Thursday evening before Easter and is restarted on the Tuesday after (4 days
# 16 hours) — without ever sending a prompt or reminder weeks late after a long outage (then a
# person runs ``ragtime round open/remind`` on purpose). ``coalesce`` turns several missed runs
# of a repeating job into one, and the ``JobRun`` row stops a second run of a calendar job.
MISFIRE_GRACE = timedelta(days=5)

JOB_DEFAULTS: dict[str, Any] = {
    "coalesce": True,
    "max_instances": 1,
    "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
}


class SharedEngineJobStore(SQLAlchemyJobStore):
    """The job store on the bot's own engine (its pool and SQLite settings). APScheduler's store
    disposes its engine on shutdown; this engine is the app's, so it is left alone."""

    def shutdown(self) -> None:
        pass


def build_scheduler(
    engine: Engine,
    *,
    timezone: str = "Europe/London",
    executors: dict[str, Any] | None = None,
    scheduler_class: type[BaseScheduler] = BackgroundScheduler,
) -> BaseScheduler:
    """A scheduler (not started) whose jobs persist in ``engine``'s database.

    Tests replace the single-worker thread pool (``executors``, e.g. APScheduler's
    ``DebugExecutor``, which runs due jobs in the calling thread) and the scheduler class (one
    that processes due jobs when the test says so).
    """
    return scheduler_class(
        jobstores={"default": SharedEngineJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors=executors or {"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=ZoneInfo(timezone),
    )
