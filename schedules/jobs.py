"""The scheduled jobs. Each is a module-level function the job store names by reference
(``"schedules.jobs:open_round"``) and calls with the period label; it finds the running app in
``schedules.registry`` and makes one call into a ``bot`` flow. No business rules live here.

Calendar jobs (``open_round``, ``remind``, ``compile_report``, ``escalate``) run once per period:
``bot.calendar.runs.claim_run`` records the run before any work is done, and
``bot.calendar.scheduling.skip_reason`` says when the calendar has made the work pointless (a
round never opened, a reminder already overtaken). Failures are logged and audited
(``job.failed``) and are not retried automatically.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.calendar.framework_calendars import (
    FrameworkCalendar,
    framework_calendar,
    framework_calendars,
)
from bot.calendar.periods import Period
from bot.calendar.runs import claim_run, record_job_outcome
from bot.calendar.scheduling import calendar_for, has_framework, skip_reason
from bot.collection.flows import escalate as escalate_outstanding
from bot.collection.flows import open_round_and_prompt, remind_outstanding
from bot.context import AppContext
from bot.messaging.flows import deliver_outbox as deliver_pending_messages
from bot.reports.publish import post_report
from schedules import registry
from schedules.absences import plan_absence_chase
from schedules.plan import periods_around, plan_frameworks

log = logging.getLogger(__name__)

ACTOR = "scheduler"

Work = Callable[[AppContext, Period, str | None], object]  # the framework's name, if several


# ------------------------------------------------------------------------------ calendar jobs

def open_round(period_label: str, framework_id: str | None = None) -> None:
    """Open the period's round and prompt every SRO (of the framework with ``framework_id``,
    when several run rounds: ``bot.calendar.framework_calendars``).

    With no framework imported yet nothing is claimed, so the daily planning can bring the
    job back (within the misfire grace) once a framework is there."""
    if not has_framework(registry.current().ctx.engine):
        log.warning("not opening %s: no framework has been imported yet", period_label)
        return
    _once("open_round", period_label, framework_id,
          lambda ctx, period, name: open_round_and_prompt(ctx, period, opened_by=ACTOR,
                                                          framework=name))


def remind(period_label: str, stage: str, framework_id: str | None = None) -> None:
    """Remind the SROs still outstanding; skipped when a later step is already due."""
    _once(f"remind:{stage}", period_label, framework_id,
          lambda ctx, period, name: remind_outstanding(ctx, period, stage=stage,
                                                       framework=name))


def compile_report(period_label: str, framework_id: str | None = None) -> None:
    """Compile the draft report and post it to the governance channel."""
    _once("compile", period_label, framework_id, _post_report)


def escalate(period_label: str, framework_id: str | None = None) -> None:
    """Tell the governance channel who is still outstanding (a failure to post fails the job)."""
    _once("escalate", period_label, framework_id,
          lambda ctx, period, name: escalate_outstanding(ctx, period, framework=name))


# ------------------------------------------------------------------------------ recurring jobs

def plan_ahead() -> None:
    """Make sure the previous, current and next periods' rounds are in the job store."""
    env = registry.current()
    if env.scheduler is None:
        log.warning("plan_ahead ran without a scheduler; nothing planned")
        return
    now = env.ctx.now()
    timezone = env.ctx.settings.timezone
    calendars = framework_calendars(env.ctx.engine, timezone=timezone)
    if not calendars:  # nothing imported yet: the defaults, so the first round is planned
        calendars = [FrameworkCalendar(0, "", calendar_for(env.ctx.engine, timezone=timezone),
                                       scope="")]
    periods = periods_around(now.astimezone(calendars[0].calendar.tz).date())
    steps = plan_frameworks(env.scheduler, env.ctx.engine, calendars, periods, now=now)
    plan_absence_chase(env.scheduler, calendars[0].calendar)
    log.info("planned %d step(s) for %s (%s)", len(steps), ", ".join(p.label for p in periods),
             ", ".join(c.name for c in calendars) or "no framework yet")


def deliver_outbox() -> None:
    """Send whatever the outbox still holds (a fan-out killed half-way resumes here)."""
    report = deliver_pending_messages(registry.current().ctx)
    if report.sent or report.failed or report.skipped:
        log.info("outbox: %s sent, %s failed, %s left pending",
                 report.sent, report.failed, report.skipped)


# ------------------------------------------------------------------------------ once per period

def _post_report(ctx: AppContext, period: Period, framework: str | None) -> str:
    outcome = post_report(ctx, period, framework=framework)
    return f"draft report posted: {outcome}" if outcome is not None else "draft report posted"


def _once(job: str, period_label: str, framework_id: str | None, work: Work) -> None:
    """Run ``work`` once for the period (and framework): claimed first, then done, audited."""
    ctx = registry.current().ctx
    period = Period.parse(period_label)
    scoped, name = job, None
    if framework_id:
        found = framework_calendar(ctx.engine, int(framework_id),
                                   timezone=ctx.settings.timezone)
        if found is None:
            log.warning("%s for %s: framework %s no longer exists; not run", job, period.label,
                        framework_id)
            return
        scoped, name = found.job(job), found.name
    if not claim_run(ctx.engine, scoped, period.label, at=_utc(ctx.now())):
        log.info("%s for %s has already run; not running it again", scoped, period.label)
        return
    log.info("running %s for %s", scoped, period.label)
    try:
        outcome = skip_reason(ctx.engine, job, period, now=ctx.now(),
                              timezone=ctx.settings.timezone,
                              framework_id=int(framework_id) if framework_id else None
                              ) or str(work(ctx, period, name))
    except Exception as error:
        log.exception("scheduled job %s for %s failed", scoped, period.label)
        record_job_outcome(ctx.engine, scoped, period.label,
                           error=f"{type(error).__name__}: {error}")
        return
    record_job_outcome(ctx.engine, scoped, period.label, outcome=outcome, at=_utc(ctx.now()))
    log.info("%s for %s done: %s", scoped, period.label, outcome)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
