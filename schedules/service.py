"""The scheduler as the bot runs it: leader election, the job store and the recurring jobs.

``start_scheduler(ctx)`` is what ``ragtime serve`` calls (``ctx``: an ``AppContext`` whose ports
reach Slack). Every replica
runs it; only the elected leader (see ``schedules.leader``) actually schedules. When this process
becomes leader it starts a ``BackgroundScheduler`` on the bot's database, plans the rounds at once
and then every morning (``plan_ahead``), and resumes unsent outbox rows every minute
(``deliver_outbox``: this is how a fan-out killed half-way finishes).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.context import AppContext
from schedules import registry
from schedules.leader import DEFAULT_POLL_SECONDS, LeaderElection, LeaderLock, lock_for
from schedules.registry import JobEnvironment
from schedules.scheduler import build_scheduler

log = logging.getLogger(__name__)

PLAN_AHEAD_AT = {"hour": 6, "minute": 0}  # every morning, before the 09:00 prompts
DELIVER_OUTBOX_SECONDS = 60


def add_recurring_jobs(scheduler: BaseScheduler, *, now: datetime | None = None) -> None:
    """``plan_ahead`` (now, then daily) and ``deliver_outbox`` (every minute)."""
    scheduler.add_job(
        "schedules.jobs:plan_ahead",
        trigger=CronTrigger(**PLAN_AHEAD_AT, timezone=scheduler.timezone),
        id="plan_ahead", name="plan the current and next rounds", replace_existing=True,
        next_run_time=now or datetime.now(scheduler.timezone),
    )
    scheduler.add_job(
        "schedules.jobs:deliver_outbox", trigger=IntervalTrigger(
            seconds=DELIVER_OUTBOX_SECONDS, timezone=scheduler.timezone),
        id="deliver_outbox", name="send pending Slack messages", replace_existing=True,
    )


class SchedulerService:
    """Runs the scheduler in whichever replica is leader; ``start()`` / ``stop()``."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        lock: LeaderLock | None = None,
        executors: dict[str, Any] | None = None,
    ) -> None:
        self.environment = JobEnvironment(ctx=ctx)
        self._executors = executors
        self._scheduler: BaseScheduler | None = None
        self._guard = threading.Lock()
        self.election = LeaderElection(
            lock or lock_for(ctx.engine), on_elected=self._start_scheduling,
            on_deposed=self._stop_scheduling, poll_seconds=poll_seconds,
        )

    @property
    def is_leader(self) -> bool:
        return self.election.is_leader

    @property
    def scheduler(self) -> BaseScheduler | None:
        return self._scheduler

    def start(self) -> SchedulerService:
        registry.install(self.environment)
        self.election.start()
        return self

    def stop(self) -> None:
        self.election.stop()
        registry.uninstall()

    def shutdown(self, wait: bool = False) -> None:
        """``stop()``, for ``ragtime.app.run_server`` (which calls ``shutdown(wait=False)``)."""
        self.stop()

    def _start_scheduling(self) -> None:
        ctx = self.environment.ctx
        with self._guard:
            scheduler = build_scheduler(ctx.engine, timezone=ctx.settings.timezone,
                                        executors=self._executors)
            scheduler.start()
            self._scheduler = self.environment.scheduler = scheduler
            add_recurring_jobs(scheduler)
        log.info("scheduler started (jobs in the database; timezone %s)", ctx.settings.timezone)

    def _stop_scheduling(self) -> None:
        with self._guard:
            scheduler, self._scheduler = self._scheduler, None
            self.environment.scheduler = None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
            log.info("scheduler stopped")


def start_scheduler(
    ctx: AppContext, *, poll_seconds: float = DEFAULT_POLL_SECONDS
) -> SchedulerService:
    """Start leader election; the leader schedules the rounds. Call ``.stop()`` on shutdown."""
    return SchedulerService(ctx, poll_seconds=poll_seconds).start()
