"""The round's use cases: what the CLI, Slack and the scheduler all call.

Plain functions on an ``AppContext`` with plain results; people are reached only through the
context's ports (``ctx.channels.directory`` to find SROs by email, the messenger to send what the
outbox recorded):

- ``open_round_and_prompt(ctx, period, opened_by=...)`` (``ragtime round open``, the App Home
  button, ``/report-status open``, the scheduler) finds SROs' accounts by email, opens the round
  (once), sends the prompts recorded in the outbox and tells the governance leads about SROs who
  cannot be found and prompts the channel refused. Opening again sends nothing twice.
- ``remind_outstanding(ctx, period)`` reminds the SROs still outstanding (once per stage; the
  default stage is once per day).
- ``escalate(ctx, period)`` tells the governance channel who is still outstanding after the
  deadline (the scheduler's last step); ``EscalationNotPosted`` when it could not.
- ``round_status_report`` (``bot.collection.status``) is the status (``round_status_text``:
  as plain text).
- ``submit_from_form``, ``submit_reply``, ``update_form_for`` (``bot.collection.submissions``)
  are the SROs' side: an update entered in a form or a thread reply.

Nobody is skipped silently: see ``bot.collection.notices``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.calendar.periods import Period
from bot.collection.notices import Problem, problem_lines, tell_governance, undelivered
from bot.collection.reminders import record_escalation, record_reminders
from bot.collection.risk_round import RISK_PROMPT, RISK_REMINDER, record_risk_reminders
from bot.collection.rounds import RoundError, find_round, open_round
from bot.collection.status import round_status_report, round_status_text
from bot.collection.submissions import (
    after_form,
    submit_from_form,
    submit_reply,
    update_form_for,
)
from bot.collection.teams_installs import (
    add_round_people_in_teams,
    install_lines,
    install_problems,
)
from bot.collection.values import day
from bot.framework.choice import choose_framework
from bot.framework.people import Channels, resolve_slack_ids
from bot.framework.teams import Added
from bot.messaging.flows import deliver_outbox
from bot.messaging.outbox import DeliveryReport, failed_messages, requeue_failed
from storage.db import session_scope
from storage.models import RoundStatus

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

__all__ = [
    "EscalationNotPosted",
    "OpenSummary",
    "Problem",
    "RemindSummary",
    "after_form",
    "escalate",
    "open_round_and_prompt",
    "remind_outstanding",
    "round_status_report",
    "round_status_text",
    "submit_from_form",
    "submit_reply",
    "update_form_for",
]


# ------------------------------------------------------------------------------ opening

@dataclass(frozen=True)
class OpenSummary:
    period: Period
    already_open: bool
    deadline: date | None
    prompts_recorded: int
    delivery: DeliveryReport
    not_found: tuple[Problem, ...] = ()
    undelivered: tuple[Problem, ...] = ()
    governance_told: bool = False  # a notice about the problems was posted
    teams_added: tuple[Added, ...] = ()  # with Microsoft Graph: Ragtime added in Teams for them

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.not_found + self.undelivered + install_problems(self.teams_added)

    def lines(self) -> list[str]:
        verb = "was already open" if self.already_open else "is now open"
        lines = [
            f"The {self.period.label} round {verb} (deadline {day(self.deadline)}).",
            f"Prompts: {self.prompts_recorded} recorded now, {self.delivery.sent} sent, "
            f"{self.delivery.failed} failed, {self.delivery.skipped} left to retry.",
        ]
        lines += install_lines(self.teams_added)
        lines += problem_lines(self.problems, self.governance_told)
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def open_round_and_prompt(ctx: AppContext, period: Period, *, opened_by: str,
                          framework: str | None = None) -> OpenSummary:
    """Find SROs' accounts, open the round, send the prompts and report who was not reached.
    Opening again sends only prompts not yet delivered (new SROs, and those the channel
    refused).

    Raises ``bot.collection.rounds.RoundError`` (no framework) and the channel's ``SendError``
    from the email look-ups (a bad token or a missing ``users:read.email`` scope should stop the
    run, not mark everyone missing), and ``bot.settings.SettingsError`` naming the missing email
    setting when an SRO is to be emailed. ``framework`` names it when there are several."""
    directory = ctx.channels.directory
    slack = ctx.settings.slack_enabled or not ctx.settings.teams_enabled
    found = ({email: directory.user_for_email(email) for email in _emails_to_look_up(ctx)}
             if slack else {})
    with session_scope(ctx.engine, write=True) as session:
        resolved = resolve_slack_ids(session, found.get)
        opened = open_round(session, period=period, opened_by=opened_by,
                            framework_id=choose_framework(session, framework).id,
                            channels=Channels.of(ctx.settings), today=ctx.today())
        if opened.emailed:  # nothing is kept when email cannot be sent: fix the settings first
            ctx.settings.require_email()
        period_id = opened.round.period_id
        deadline = opened.round.deadline
        # Opening again also retries prompts Slack refused before (the user may be fixed now).
        retry = [row.id for row in failed_messages(session, period_id,
                                                   kinds=("prompt", RISK_PROMPT))]
        if retry:
            requeue_failed(session, period_id=period_id, ids=retry)
    reasons = {person.id: person.problem for person in resolved.missing} if slack else {}
    not_found = tuple(
        Problem(person.display, reasons.get(person.id) or person.problem or "not in Slack")
        for person in opened.missing_people)
    report = deliver_outbox(ctx, kinds={"prompt", RISK_PROMPT}, period_id=period_id)
    failed = undelivered(ctx, period_id, report.failures)
    # With Microsoft Graph, Ragtime is added in Teams for those who have not added it (after
    # the commit: it goes over the network; its failures are reported, never raised).
    added = add_round_people_in_teams(ctx, period_id, actor=opened_by,
                                      missing=(person.id for person in opened.missing_people))
    graph_failed = install_problems(added)
    told = tell_governance(
        ctx, period, period_id, "open", not_found + failed + graph_failed,
        title=f"{period.label}: SROs not prompted",
        intro=(f"Opening the {period.label} round, these SROs could not be sent their prompts"
               + (" or have Ragtime added in Teams" if graph_failed else "")
               + ". Fix their Slack account, email or channel in the framework file"
               + (" (or Ragtime's Microsoft Graph permissions)" if graph_failed else "")
               + ", then open the round again: only the missing prompts are sent."),
    )
    summary = OpenSummary(period=period, already_open=opened.already_open, deadline=deadline,
                          prompts_recorded=opened.prompts_recorded, delivery=report,
                          not_found=not_found, undelivered=failed, governance_told=told,
                          teams_added=added)
    log.info("round %s opened by %s: %d recorded, %d sent, %d failed, %d not found",
             period.label, opened_by, opened.prompts_recorded, report.sent, report.failed,
             len(not_found))
    return summary


def _emails_to_look_up(ctx: AppContext) -> set[str]:
    """Emails of people with no account id yet, read without holding a write lock: the
    look-ups happen outside any transaction."""
    with session_scope(ctx.engine) as session:
        dry_run = resolve_slack_ids(session, lambda _email: None)
        session.rollback()
    return {person.email.strip() for person in dry_run.missing if person.email}


# ------------------------------------------------------------------------------ reminding

@dataclass(frozen=True)
class RemindSummary:
    period: Period
    stage: str
    reminders_recorded: int
    delivery: DeliveryReport
    undelivered: tuple[Problem, ...] = ()
    governance_told: bool = False

    def lines(self) -> list[str]:
        lines = [f"{self.period.label} reminders ({self.stage}): {self.reminders_recorded} "
                 f"recorded now, {self.delivery.sent} sent, {self.delivery.failed} failed, "
                 f"{self.delivery.skipped} left to retry."]
        return lines + problem_lines(self.undelivered, self.governance_told)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def remind_outstanding(
    ctx: AppContext, period: Period, *, stage: str | None = None, framework: str | None = None
) -> RemindSummary:
    """Remind every SRO still outstanding (listing their deliverables). Once per ``stage``:
    the default, ``manual-<today>``, lets a lead remind again on another day.

    Raises ``bot.collection.rounds.RoundError`` when the round has not been opened."""
    stage = stage or f"manual-{ctx.today().isoformat()}"
    with session_scope(ctx.engine, write=True) as session:
        round_ = find_round(session, period,
                            framework_id=choose_framework(session, framework, period=period).id)
        if round_ is None:
            raise RoundError(f"No round has been opened for {period.label}; open it first.")
        recorded = record_reminders(session, period, stage, framework_id=round_.framework_id,
                                    channels=Channels.of(ctx.settings), today=ctx.today())
        if not round_.frozen and round_.status == RoundStatus.open:
            recorded += record_risk_reminders(session, round_, period, stage,
                                              email_enabled=ctx.settings.email_enabled,
                                              channels=Channels.of(ctx.settings))
        period_id = round_.period_id
    report = deliver_outbox(ctx, kinds={"reminder", RISK_REMINDER}, period_id=period_id)
    failed = undelivered(ctx, period_id, report.failures)
    told = tell_governance(ctx, period, period_id, f"remind-{stage}", failed,
                           title=f"{period.label}: reminders not delivered",
                           intro="These reminders could not be delivered:")
    return RemindSummary(period=period, stage=stage, reminders_recorded=recorded,
                         delivery=report, undelivered=failed, governance_told=told)


# ------------------------------------------------------------------------------ escalating

class EscalationNotPosted(RuntimeError):
    """The governance channel did not get the list of outstanding SROs."""


def escalate(ctx: AppContext, period: Period, *, framework: str | None = None) -> str:
    """Record the list of SROs still outstanding and post it to the governance channel (or
    leads); returns what happened, for the scheduler's audit. Nothing is recorded when the
    round was never opened or everyone has answered.

    Raises ``EscalationNotPosted`` when the channel refused it."""
    with session_scope(ctx.engine, write=True) as session:
        round_ = find_round(session, period, framework_id=choose_framework(
            session, framework, period=period).id)
        if round_ is None:
            return f"skipped: no round has been opened for {period.label}"
        message = record_escalation(session, period, framework_id=round_.framework_id,
                                    today=ctx.today())
        period_id = round_.period_id
        failed = len(failed_messages(session, period_id, kinds=("prompt", "reminder")))
    if failed:
        log.error("%s: %d prompt(s)/reminder(s) could not be delivered; see `ragtime round "
                  "status` and the outbox", period.label, failed)
    if message is None:
        return f"nobody outstanding; {failed} undelivered prompt(s)/reminder(s)"
    report = deliver_outbox(ctx, kinds={"escalation"}, period_id=period_id)
    if report.failures:
        errors = "; ".join(failure.error for failure in report.failures)
        raise EscalationNotPosted(f"the escalation for {period.label} could not be posted to "
                                  f"the governance channel: {errors}")
    return (f"escalation recorded, {report.sent} sent, {report.failed} failed, "
            f"{report.skipped} left pending; {failed} undelivered prompt(s)/reminder(s)")
