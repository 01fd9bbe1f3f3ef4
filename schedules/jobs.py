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
from schedules.plan import periods_around, plan_periods

log = logging.getLogger(__name__)

ACTOR = "scheduler"

Work = Callable[[AppContext, Period], object]


# ------------------------------------------------------------------------------ calendar jobs

def open_round(period_label: str) -> None:
    """Open the period's round and prompt every SRO.

    With no framework imported yet nothing is claimed, so the daily planning can bring the
    job back (within the misfire grace) once a framework is there."""
    if not has_framework(registry.current().ctx.engine):
        log.warning("not opening %s: no framework has been imported yet", period_label)
        return
    _once("open_round", period_label,
          lambda ctx, period: open_round_and_prompt(ctx, period, opened_by=ACTOR))


def remind(period_label: str, stage: str) -> None:
    """Remind the SROs still outstanding; skipped when a later step is already due."""
    _once(f"remind:{stage}", period_label,
          lambda ctx, period: remind_outstanding(ctx, period, stage=stage))


def compile_report(period_label: str) -> None:
    """Compile the draft report and post it to the governance channel."""
    _once("compile", period_label, _post_report)


def escalate(period_label: str) -> None:
    """Tell the governance channel who is still outstanding (a failure to post fails the job)."""
    _once("escalate", period_label, escalate_outstanding)


# ------------------------------------------------------------------------------ recurring jobs

def plan_ahead() -> None:
    """Make sure the previous, current and next periods' rounds are in the job store."""
    env = registry.current()
    if env.scheduler is None:
        log.warning("plan_ahead ran without a scheduler; nothing planned")
        return
    now = env.ctx.now()
    calendar = calendar_for(env.ctx.engine, timezone=env.ctx.settings.timezone)
    periods = periods_around(now.astimezone(calendar.tz).date())
    steps = plan_periods(env.scheduler, env.ctx.engine, calendar, periods, now=now)
    plan_absence_chase(env.scheduler, calendar)
    log.info("planned %d step(s) for %s", len(steps), ", ".join(p.label for p in periods))


def deliver_outbox() -> None:
    """Send whatever the outbox still holds (a fan-out killed half-way resumes here)."""
    report = deliver_pending_messages(registry.current().ctx)
    if report.sent or report.failed or report.skipped:
        log.info("outbox: %s sent, %s failed, %s left pending",
                 report.sent, report.failed, report.skipped)


# ------------------------------------------------------------------------------ once per period

def _post_report(ctx: AppContext, period: Period) -> str:
    outcome = post_report(ctx, period)
    return f"draft report posted: {outcome}" if outcome is not None else "draft report posted"


def _once(job: str, period_label: str, work: Work) -> None:
    ctx = registry.current().ctx
    period = Period.parse(period_label)
    if not claim_run(ctx.engine, job, period.label, at=_utc(ctx.now())):
        log.info("%s for %s has already run; not running it again", job, period.label)
        return
    log.info("running %s for %s", job, period.label)
    try:
        outcome = skip_reason(ctx.engine, job, period, now=ctx.now(),
                              timezone=ctx.settings.timezone) or str(work(ctx, period))
    except Exception as error:
        log.exception("scheduled job %s for %s failed", job, period.label)
        record_job_outcome(ctx.engine, job, period.label,
                           error=f"{type(error).__name__}: {error}")
        return
    record_job_outcome(ctx.engine, job, period.label, outcome=outcome, at=_utc(ctx.now()))
    log.info("%s for %s done: %s", job, period.label, outcome)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
