"""Turn the round calendar into scheduled jobs, and show what is planned.

The leader plans the previous, current and next period every day (and when it starts), so the
round that is running, the one about to open and the one after are always in the job store:
a new quarter's jobs appear on their own. Planning is idempotent — the same step of the same
period is always the same job id, replaced in place — and it leaves out steps that already ran
(``JobRun``) or are too far in the past to be useful (``MISFIRE_GRACE``). Jobs of those periods
for steps the calendar no longer has (the rules changed) are removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy.engine import Engine

from bot.calendar.framework_calendars import FrameworkCalendar
from bot.calendar.periods import Period
from bot.calendar.round_calendar import PlannedJob, RoundCalendar
from bot.calendar.runs import RunState, runs_of
from schedules.scheduler import MISFIRE_GRACE

# What each calendar step runs (textual references: the job store keeps only these strings).
JOB_FUNCTIONS = {
    "open_round": "schedules.jobs:open_round",
    "remind": "schedules.jobs:remind",
    "compile": "schedules.jobs:compile_report",
    "escalate": "schedules.jobs:escalate",
}


def periods_around(day: date) -> list[Period]:
    """The rounds that can be running or coming up on ``day``: a round ends weeks after its
    quarter does, so the previous period's round may still be open."""
    current = Period.containing(day)
    return [current.previous(), current, current.next()]


def job_arguments(step: PlannedJob) -> list[str]:
    """Only the period label (and the reminder stage): plain strings pickle anywhere."""
    kind, _, stage = step.job.partition(":")
    return [step.period.label, stage] if kind == "remind" else [step.period.label]


def plan_periods(
    scheduler: BaseScheduler,
    engine: Engine,
    calendar: RoundCalendar,
    periods: list[Period],
    *,
    now: datetime,
) -> list[PlannedJob]:
    """Add (or refresh) the jobs of ``periods``; returns the steps now scheduled."""
    done = runs_of(engine, [period.label for period in periods])
    scheduled: list[PlannedJob] = []
    in_calendar: set[str] = set()
    for period in periods:
        for step in calendar.plan(period):
            in_calendar.add(step.id)
            if (step.job, period.label) in done or step.run_at < now - MISFIRE_GRACE:
                continue
            scheduler.add_job(
                JOB_FUNCTIONS[step.kind],
                trigger=DateTrigger(run_date=step.run_at),
                args=job_arguments(step),
                id=step.id,
                name=f"{step.job} {period.label}",
                replace_existing=True,
            )
            scheduled.append(step)
    slugs = tuple(f":{period.slug}" for period in periods)
    for job in scheduler.get_jobs():
        if job.id.endswith(slugs) and job.id not in in_calendar:
            scheduler.remove_job(job.id)
    return scheduled


def plan_frameworks(
    scheduler: BaseScheduler,
    engine: Engine,
    calendars: list[FrameworkCalendar],
    periods: list[Period],
    *,
    now: datetime,
) -> list[PlannedJob]:
    """``plan_periods`` for every framework that runs rounds, each on its own calendar and
    only for the periods it runs (``FrameworkCalendar.runs``). With several frameworks each
    job also carries its framework's id, and jobs of other frameworks than the first are named
    for it (``open_round@2``), so each runs once per period for its own framework."""
    done = runs_of(engine, [period.label for period in periods])
    several = len(calendars) > 1
    scheduled: list[PlannedJob] = []
    in_calendar: set[str] = set()
    for framework in calendars:
        for period in periods:
            if not framework.runs(period):
                continue
            for step in framework.calendar.plan(period):
                job = framework.job(step.job)
                job_id = f"{job}:{period.slug}"
                in_calendar.add(job_id)
                if (job, period.label) in done or step.run_at < now - MISFIRE_GRACE:
                    continue
                scheduler.add_job(
                    JOB_FUNCTIONS[step.kind],
                    trigger=DateTrigger(run_date=step.run_at),
                    args=job_arguments(step) + ([str(framework.framework_id)] if several else []),
                    id=job_id,
                    name=f"{step.job} {period.label}" + (f" ({framework.name})" if several
                                                         else ""),
                    replace_existing=True,
                )
                scheduled.append(step)
    slugs = tuple(f":{period.slug}" for period in periods)
    for job in scheduler.get_jobs():
        if job.id.endswith(slugs) and job.id not in in_calendar:
            scheduler.remove_job(job.id)
    return scheduled


@dataclass(frozen=True)
class ScheduleRow:
    """One line of ``ragtime schedule show``."""

    period: str
    job: str
    run_at: datetime  # aware, in the calendar's time zone
    what: str
    status: str  # planned | due | started | done | missed ("" when no database was given)
    framework: str = ""  # whose round, when asked for one framework of several

    def as_dict(self) -> dict[str, Any]:
        found = {"period": self.period, "job": self.job, "run_at": self.run_at.isoformat(),
                 "what": self.what, "status": self.status}
        return {**found, "framework": self.framework} if self.framework else found


def schedule_show(
    period: Period | None,
    calendar: RoundCalendar | FrameworkCalendar,
    *,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> list[ScheduleRow]:
    """The steps of ``period``'s round, or — with no period — of every round not yet over
    (previous, current and next period). With ``engine``, each row says whether it ran. A
    ``FrameworkCalendar`` gives that framework's rounds only, and each row names it."""
    framework = calendar if isinstance(calendar, FrameworkCalendar) else None
    calendar = framework.calendar if framework is not None else calendar
    now = now or datetime.now(calendar.tz)
    if period is not None:
        steps = calendar.plan(period)
    else:
        steps = []
        for candidate in periods_around(now.astimezone(calendar.tz).date()):
            if framework is not None and not framework.runs(candidate):
                continue
            plan = calendar.plan(candidate)
            if plan[-1].run_at >= now - MISFIRE_GRACE:
                steps += plan
    runs = runs_of(engine, sorted({step.period.label for step in steps})) if engine else {}
    scope = framework.scope if framework is not None else ""
    return [
        ScheduleRow(
            period=step.period.label, job=step.job, run_at=step.run_at, what=step.description,
            status=_status(step, runs, now, scope) if engine is not None else "",
            framework=framework.name if framework is not None else "",
        )
        for step in steps
    ]


def _status(step: PlannedJob, runs: dict[tuple[str, str], RunState], now: datetime,
            scope: str = "") -> str:
    run = runs.get((f"{step.job}{scope}", step.period.label))
    if run is not None:
        # "started": running now, or it failed (see the log and the audit trail).
        return "done" if run.finished_at is not None else "started"
    if step.run_at > now:
        return "planned"
    return "due" if step.run_at >= now - MISFIRE_GRACE else "missed"
