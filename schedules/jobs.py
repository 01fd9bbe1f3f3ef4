"""The scheduled jobs. Each is a module-level function the job store names by reference
(``"schedules.jobs:open_round"``) and calls with the period label; it finds the running app in
``schedules.registry`` and calls ``bot`` services. No business rules live here.

Calendar jobs (``open_round``, ``remind``, ``compile_report``, ``escalate``) run once per period:
``bot.calendar.runs.claim_run`` records the run before any work is done. Failures are logged and
audited (``job.failed``) and are not retried automatically.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.calendar.periods import Period
from bot.calendar.runs import claim_run, finish_run
from schedules import registry
from schedules.plan import calendar_for, periods_around, plan_periods
from schedules.registry import JobEnvironment
from storage.db import session_scope
from storage.repo import audit, the_framework

if TYPE_CHECKING:
    from bot.messaging.outbox import DeliveryReport

log = logging.getLogger(__name__)

ACTOR = "scheduler"

Work = Callable[[JobEnvironment, Period], str]


# ------------------------------------------------------------------------------ calendar jobs

def open_round(period_label: str) -> None:
    """Open the period's round (prompts recorded in the outbox) and send the prompts.

    With no framework imported yet nothing is claimed, so the daily planning can bring the
    job back (within the misfire grace) once a framework is there."""
    env = registry.current()
    with session_scope(env.ctx.engine) as session:
        if the_framework(session=session) is None:
            log.warning("not opening %s: no framework has been imported yet", period_label)
            return
    _once("open_round", period_label, _open_round)


def remind(period_label: str, stage: str) -> None:
    """Remind the SROs still outstanding; skipped when a later step is already due."""
    _once(f"remind:{stage}", period_label, lambda env, period: _remind(env, period, stage))


def compile_report(period_label: str) -> None:
    """Compile the draft report and post it to the governance channel."""
    _once("compile", period_label, _compile)


def escalate(period_label: str) -> None:
    """Tell the governance channel who is still outstanding."""
    _once("escalate", period_label, _escalate)


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
    log.info("planned %d step(s) for %s", len(steps), ", ".join(p.label for p in periods))


def deliver_outbox() -> None:
    """Send whatever the outbox still holds (a fan-out killed half-way resumes here)."""
    env = registry.current()
    if env.send is None:
        log.debug("deliver_outbox: no sender configured")
        return
    report = _send(env)
    if report.sent or report.failed or report.skipped:
        log.info("outbox: %s", _summary(report))


# ------------------------------------------------------------------------------ the work

def _open_round(env: JobEnvironment, period: Period) -> str:
    if env.open_round is not None:
        return str(env.open_round(period))
    from bot.collection.rounds import open_round as open_the_round

    with session_scope(env.ctx.engine, write=True) as session:
        opened = open_the_round(session, period=period, opened_by=ACTOR)
        period_id = opened.round.period_id
    for person in opened.missing_people:
        log.warning("%s: %s was not prompted: %s", period.label, person.name, person.problem)
    delivered = _deliver(env, kinds={"prompt"}, period_id=period_id)
    return (f"{opened.prompts_recorded} prompt(s) recorded, {delivered}; "
            f"{len(opened.missing_people)} SRO(s) without a Slack user id")


def _remind(env: JobEnvironment, period: Period, stage: str) -> str:
    from bot.collection.rounds import find_round, record_reminders

    later = _superseded_by(env, period, f"remind:{stage}")
    if later:
        return f"skipped: {later} is already due"
    with session_scope(env.ctx.engine) as session:
        round_ = find_round(session, period)
    if round_ is None:
        return f"skipped: no round has been opened for {period.label}"
    if env.remind is not None:
        return str(env.remind(period, stage))
    with session_scope(env.ctx.engine, write=True) as session:
        recorded = record_reminders(session, period, stage, framework_id=round_.framework_id)
    delivered = _deliver(env, kinds={"reminder"}, period_id=round_.period_id)
    return f"{recorded} reminder(s) recorded, {delivered}"


def _escalate(env: JobEnvironment, period: Period) -> str:
    from bot.collection.rounds import find_round, record_escalation
    from bot.messaging.outbox import failed_messages

    with session_scope(env.ctx.engine, write=True) as session:
        round_ = find_round(session, period)
        if round_ is None:
            return f"skipped: no round has been opened for {period.label}"
        message = record_escalation(session, period, framework_id=round_.framework_id)
        period_id = round_.period_id
        undelivered = len(failed_messages(session, period_id, kinds=("prompt", "reminder")))
    if undelivered:
        log.error("%s: %d prompt(s)/reminder(s) could not be delivered; see `ragtime round "
                  "status` and the outbox", period.label, undelivered)
    if message is None:
        return f"nobody outstanding; {undelivered} undelivered prompt(s)/reminder(s)"
    report = _send(env, kinds={"escalation"}, period_id=period_id)
    if report.failures:
        errors = "; ".join(failure.error for failure in report.failures)
        raise EscalationNotPosted(f"the escalation for {period.label} could not be posted to "
                                  f"the governance channel: {errors}")
    return (f"escalation recorded, {_summary(report)}; "
            f"{undelivered} undelivered prompt(s)/reminder(s)")


def _compile(env: JobEnvironment, period: Period) -> str:
    from bot.collection.rounds import find_round

    with session_scope(env.ctx.engine) as session:
        if find_round(session, period) is None:
            return f"skipped: no round has been opened for {period.label}"
    post = env.post_report
    if post is None:
        try:
            from bot.reports.publishing import post_report as post
        except ImportError as error:
            raise RuntimeError("posting the draft report needs bot.reports.publishing.post_report"
                               f"(ctx, period), which this installation lacks: {error}") from None
    outcome = post(env.ctx, period)
    return f"draft report posted: {outcome}" if outcome is not None else "draft report posted"


class EscalationNotPosted(RuntimeError):
    """The governance channel did not get the list of outstanding SROs."""


def _superseded_by(env: JobEnvironment, period: Period, job: str) -> str | None:
    """A later reminder or the escalation that is already due (after downtime): then this
    reminder would only repeat it, so it is skipped."""
    calendar = calendar_for(env.ctx.engine, timezone=env.ctx.settings.timezone)
    steps = calendar.plan(period)
    now = env.ctx.now()
    mine = next((step for step in steps if step.job == job), None)
    if mine is None:
        return None
    for step in steps:
        if step.run_at > mine.run_at and step.kind in ("remind", "escalate") and step.run_at <= now:
            return step.job
    return None


def _deliver(env: JobEnvironment, **filters: object) -> str:
    return _summary(_send(env, **filters))


def _send(env: JobEnvironment, **filters: object) -> DeliveryReport:
    from bot.messaging.outbox import deliver_pending

    if env.send is None:
        raise RuntimeError("no Slack sender configured for the scheduler (start_scheduler send=)")
    report = deliver_pending(env.ctx.engine, env.send, clock=env.ctx.now, **filters)  # type: ignore[arg-type]
    for failure in report.failures:
        log.error("could not send %s %s: %s", failure.kind, failure.key, failure.error)
    return report


def _summary(report: DeliveryReport) -> str:
    return f"{report.sent} sent, {report.failed} failed, {report.skipped} left pending"


# ------------------------------------------------------------------------------ once per period

def _once(job: str, period_label: str, work: Work) -> None:
    env = registry.current()
    engine = env.ctx.engine
    period = Period.parse(period_label)
    if not claim_run(engine, job, period.label, at=_utc(env.ctx.now())):
        log.info("%s for %s has already run; not running it again", job, period.label)
        return
    log.info("running %s for %s", job, period.label)
    try:
        outcome = work(env, period)
    except Exception as error:
        log.exception("scheduled job %s for %s failed", job, period.label)
        with session_scope(engine, write=True) as session:
            audit(session=session, actor=ACTOR, action="job.failed",
                  subject=f"{job} {period.label}", error=f"{type(error).__name__}: {error}")
        return
    finish_run(engine, job, period.label, at=_utc(env.ctx.now()))
    with session_scope(engine, write=True) as session:
        audit(session=session, actor=ACTOR, action="job.done",
              subject=f"{job} {period.label}", outcome=outcome)
    log.info("%s for %s done: %s", job, period.label, outcome)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
