"""The daily absence step: every morning at the calendar's prompt time, each open round's
held prompts, covers' prompts and extended deadlines' reminders and escalation
(``bot.collection.away_chase``). ``plan_ahead`` (re)adds the job with the calendar's time.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.calendar.round_calendar import RoundCalendar
from bot.calendar.runs import record_job_outcome
from bot.collection.away_chase import chase_absences, periods_to_chase
from schedules import registry
from schedules.plan import periods_around

log = logging.getLogger(__name__)

JOB_ID = "chase_absences"


def plan_absence_chase(scheduler: BaseScheduler, calendar: RoundCalendar) -> None:
    """The daily job, at the calendar's prompt time in its time zone (replaced in place)."""
    scheduler.add_job(
        "schedules.absences:chase_absences_today",
        trigger=CronTrigger(hour=calendar.prompt_time.hour, minute=calendar.prompt_time.minute,
                            timezone=calendar.tz),
        id=JOB_ID, name="absences: held prompts, covers, extended deadlines",
        replace_existing=True,
    )


def chase_absences_today() -> None:
    """Each open round's absence step. Running it twice records nothing twice (outbox keys are
    unique), so it claims no run; a failure is logged and audited like the calendar's jobs."""
    ctx = registry.current().ctx
    for period in periods_to_chase(ctx, periods_around(ctx.today())):
        try:
            outcome = str(chase_absences(ctx, period))
        except Exception as error:
            log.exception("the absence step for %s failed", period.label)
            record_job_outcome(ctx.engine, JOB_ID, period.label,
                               error=f"{type(error).__name__}: {error}")
            continue
        log.info("absences for %s: %s", period.label, outcome)
