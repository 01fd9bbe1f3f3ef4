"""Round operations that need Slack: open a round and prompt, remind, and status.

Plain functions on an ``AppContext`` with plain results, shared by the CLI
(``ragtime round open|remind|status PERIOD``), the App Home button and ``/report-status open``:

- ``open_round_and_prompt(ctx, period, opened_by=...)`` finds SROs' Slack ids by email, opens the
  round (once), sends the prompts recorded in the outbox and tells the governance leads about SROs
  who cannot be found and prompts Slack refused. Opening again sends nothing twice.
- ``remind_outstanding(ctx, period)`` reminds the SROs still outstanding (once per stage; the
  default stage is once per day).
- ``status_text(engine, period)`` is the status as plain text for a terminal.
- ``state_in_focus``, ``my_items`` and ``round_progress`` are what ``/report-status`` and the
  Home tab show: the round's state and a person's own deliverables in a few small queries, and
  the whole round (leads only) in a fixed number of queries.

Nobody is skipped silently: whatever could not be delivered is in the returned summary *and* in a
notice to the governance channel (or, without one, a DM to each governance lead).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.rounds import (
    RoundError,
    RoundStatusView,
    RoundSummary,
    find_round,
    open_round,
    record_reminders,
    round_summary,
)
from bot.collection.rounds import round_status as load_round_status
from bot.context import AppContext
from bot.framework.people import PersonRef, resolve_slack_ids
from bot.framework.permissions import deliverables_for
from bot.messaging.outbox import (
    DeliveryReport,
    FailedSend,
    deliver_pending,
    failed_messages,
    record_message,
    requeue_failed,
    was_sent,
)
from handlers.slack.blocks.ids import Target
from handlers.slack.blocks.prompt import OutstandingItem, OutstandingTheme
from handlers.slack.blocks.status import MyItem, Progress, RoundState
from handlers.slack.blocks.text import day
from handlers.slack.identity import is_governance_lead
from handlers.slack.outbound import make_outbox_sender
from storage.db import session_scope
from storage.models import RoundStatus

log = logging.getLogger(__name__)


def local_today(ctx: AppContext) -> date:
    """Today in ``RAGTIME_TIMEZONE`` (the date governance rules are checked against)."""
    return ctx.now().astimezone(ctx.settings.tz).date()


# ------------------------------------------------------------------------------ who and when

def state_in_focus(
    session: Session, today: date, asked: Period | None = None
) -> RoundState | None:
    """The state of ``asked``'s round, else of the period people are asked about now: the
    newest open round of this quarter or the last, else the current quarter. ``None`` when no
    framework has been imported. A few small queries, whatever the framework's size."""
    try:
        if asked is not None:
            return _state(round_summary(session, asked))
        current = round_summary(session, Period.containing(today))
        if _collecting(current):
            return _state(current)
        before = round_summary(session, current.period.previous())
        return _state(before if _collecting(before) else current)
    except RoundError:  # no framework yet
        return None


def round_progress(session: Session, period: Period) -> Progress:
    """The whole round by theme, for governance leads (a fixed number of queries)."""
    return progress_of(load_round_status(session, period))


def _collecting(summary: RoundSummary) -> bool:
    return summary.opened and summary.status == RoundStatus.open and not summary.frozen


def _state(round_: RoundSummary | RoundStatusView) -> RoundState:
    return RoundState(period=round_.period, opened=round_.opened,
                      closed=round_.status == RoundStatus.closed, frozen=round_.frozen,
                      deadline=round_.deadline)


def progress_of(view: RoundStatusView) -> Progress:
    return Progress(
        total=view.total, answered=view.answered_count,
        themes=[(theme.name, len(theme.answered), theme.total) for theme in view.themes],
        outstanding=[
            OutstandingTheme(theme=theme.name, items=tuple(
                OutstandingItem(number=item.number, title=item.title, area=item.area,
                                sros=tuple(sro.name for sro in item.sros))
                for item in theme.outstanding))
            for theme in view.themes if theme.outstanding
        ],
    )


def my_items(session: Session, user_id: str, period: Period) -> list[MyItem]:
    return [MyItem(target=Target(item.id, period), number=item.number, title=item.title,
                   area=item.area, theme=item.theme, rag=item.rag.value if item.rag else None,
                   version=item.version, submitted_at=item.submitted_at)
            for item in deliverables_for(session, user_id, period)]


# ------------------------------------------------------------------------------ opening

@dataclass(frozen=True)
class Problem:
    """Someone the round could not reach, and why (plain text)."""

    who: str
    what: str


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

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.not_found + self.undelivered

    def lines(self) -> list[str]:
        verb = "was already open" if self.already_open else "is now open"
        lines = [
            f"The {self.period.label} round {verb} (deadline {day(self.deadline)}).",
            f"Prompts: {self.prompts_recorded} recorded now, {self.delivery.sent} sent, "
            f"{self.delivery.failed} failed, {self.delivery.skipped} left to retry.",
        ]
        lines += _problem_lines(self.problems, self.governance_told)
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def open_round_and_prompt(ctx: AppContext, period: Period, *, opened_by: str) -> OpenSummary:
    """Find SROs in Slack, open the round, send the prompts and report who was not reached.
    Opening again sends only prompts not yet delivered (new SROs, and those Slack refused).

    Raises ``bot.collection.rounds.RoundError`` (no framework) and Slack errors from the email look-ups
    (a bad token or a missing ``users:read.email`` scope should stop the run, not mark everyone
    missing)."""
    lookups = _emails_to_look_up(ctx)
    found = {email: ctx.gateway.lookup_user_by_email(email) for email in lookups}
    with session_scope(ctx.engine, write=True) as session:
        resolved = resolve_slack_ids(session, found.get)
        opened = open_round(session, period=period, opened_by=opened_by)
        period_id = opened.round.period_id
        deadline = opened.round.deadline
        # Opening again also retries prompts Slack refused before (the user may be fixed now).
        retry = [row.id for row in failed_messages(session, period_id, kinds=("prompt",))]
        if retry:
            requeue_failed(session, period_id=period_id, ids=retry)
    reasons = {person.id: person.problem for person in resolved.missing}
    not_found = tuple(
        Problem(_person(person), reasons.get(person.id) or person.problem or "not in Slack")
        for person in opened.missing_people)
    report = deliver_pending(ctx.engine, make_outbox_sender(ctx), kinds={"prompt"},
                             period_id=period_id, clock=ctx.now)
    undelivered = _undelivered(ctx, period_id, report.failures)
    told = _tell_governance(
        ctx, period, period_id, "open", not_found + undelivered,
        title=f"{period.label}: SROs not prompted",
        intro=(f"Opening the {period.label} round, these SROs could not be sent their prompts. "
               "Fix their Slack account or email in the framework file, then open the round "
               "again: only the missing prompts are sent."),
    )
    summary = OpenSummary(period=period, already_open=opened.already_open, deadline=deadline,
                          prompts_recorded=opened.prompts_recorded, delivery=report,
                          not_found=not_found, undelivered=undelivered, governance_told=told)
    log.info("round %s opened by %s: %d recorded, %d sent, %d failed, %d not found",
             period.label, opened_by, opened.prompts_recorded, report.sent, report.failed,
             len(not_found))
    return summary


def _emails_to_look_up(ctx: AppContext) -> set[str]:
    """Emails of people with no Slack id yet, read without holding a write lock: the Slack
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
        return lines + _problem_lines(self.undelivered, self.governance_told)

    def __str__(self) -> str:
        return "\n".join(self.lines())


def remind_outstanding(
    ctx: AppContext, period: Period, *, stage: str | None = None
) -> RemindSummary:
    """Remind every SRO still outstanding (listing their deliverables). Once per ``stage``:
    the default, ``manual-<today>``, lets a lead remind again on another day.

    Raises ``bot.collection.rounds.RoundError`` when the round has not been opened."""
    stage = stage or f"manual-{local_today(ctx).isoformat()}"
    with session_scope(ctx.engine, write=True) as session:
        round_ = find_round(session, period)
        if round_ is None:
            raise RoundError(f"No round has been opened for {period.label}; open it first.")
        recorded = record_reminders(session, period, stage, framework_id=round_.framework_id)
        period_id = round_.period_id
    report = deliver_pending(ctx.engine, make_outbox_sender(ctx), kinds={"reminder"},
                             period_id=period_id, clock=ctx.now)
    undelivered = _undelivered(ctx, period_id, report.failures)
    told = _tell_governance(ctx, period, period_id, f"remind-{stage}", undelivered,
                            title=f"{period.label}: reminders not delivered",
                            intro="Slack refused these reminders:")
    return RemindSummary(period=period, stage=stage, reminders_recorded=recorded,
                         delivery=report, undelivered=undelivered, governance_told=told)


# ------------------------------------------------------------------------------ status

def status_text(engine: Engine, period: Period) -> str:
    """Who is outstanding, by theme, as plain text (``ragtime round status PERIOD``)."""
    with session_scope(engine) as session:
        try:
            view = load_round_status(session, period)
        except RoundError:
            return "No framework has been imported yet; load one with `ragtime import FILE`."
        state = _state(view)
        period_id = _period_id(session, period) if state.opened else None
        failed = len(failed_messages(session, period_id, kinds=("prompt", "reminder"))
                     ) if period_id is not None else 0
    lines = [state.describe(),
             f"{view.answered_count} of {view.total} deliverables answered, "
             f"{view.outstanding_count} outstanding."]
    if failed:
        lines.append(f"{failed} prompt(s)/reminder(s) could not be delivered (see the "
                     "governance channel's notices).")
    for theme in view.themes:
        lines.append("")
        lines.append(f"{theme.name}: {len(theme.answered)} of {theme.total} answered")
        for item in theme.outstanding:
            label = f"{item.number} {item.title}" if item.number else item.title
            sros = ", ".join(sro.name for sro in item.sros) or "no SRO"
            lines.append(f"  - outstanding: {label} ({sros})")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ helpers

def _person(person: PersonRef) -> str:
    return person.display


def _period_id(session: Session, period: Period) -> int | None:
    round_ = find_round(session, period)
    return round_.period_id if round_ else None


def _undelivered(
    ctx: AppContext, period_id: int, failures: Sequence[FailedSend]
) -> tuple[Problem, ...]:
    if not failures:
        return ()
    ids = {failure.message_id for failure in failures}
    with session_scope(ctx.engine) as session:
        rows = {row.id: row for row in failed_messages(session, period_id)
                if row.id in ids}
    problems = []
    for failure in failures:
        row = rows.get(failure.message_id)
        payload = row.payload if row else {}
        who = str(payload.get("person_name") or payload.get("to") or failure.key)
        what = f"{failure.kind} not delivered"
        if payload.get("title"):
            what += f" (“{payload['title']}”)"
        problems.append(Problem(who, f"{what}: {failure.error}"))
    return tuple(problems)


def _tell_governance(
    ctx: AppContext, period: Period, period_id: int, occasion: str,
    problems: Sequence[Problem], *, title: str, intro: str,
) -> bool:
    """Record and send a notice about ``problems`` (once per distinct list) to the governance
    channel or leads; returns whether it reached Slack."""
    if not problems:
        return False
    lines = [f"{problem.who}: {problem.what}" for problem in problems]
    digest = hashlib.sha256(json.dumps(lines).encode()).hexdigest()[:16]
    with session_scope(ctx.engine, write=True) as session:
        notice, _created = record_message(
            session, key=f"notice:{period.slug}:{occasion}:{digest}", kind="notice",
            period_id=period_id,
            payload={"title": title, "intro": intro, "lines": lines,
                     "footer": "Ragtime tells you once about each list of problems."})
        notice_id = notice.id
    report = deliver_pending(ctx.engine, make_outbox_sender(ctx), kinds={"notice"},
                             period_id=period_id, clock=ctx.now)
    for failure in report.failures:
        log.error("could not tell the governance leads (%s): %s", failure.key, failure.error)
    with session_scope(ctx.engine) as session:
        return was_sent(session, notice_id)


def _problem_lines(problems: Sequence[Problem], told: bool) -> list[str]:
    if not problems:
        return []
    lines = [f"Not reached ({len(problems)}):"]
    lines += [f"  - {problem.who}: {problem.what}" for problem in problems]
    lines.append("The governance leads have been told." if told else
                 "Tell the governance leads: the notice to them could not be posted.")
    return lines


__all__ = [
    "OpenSummary",
    "Problem",
    "RemindSummary",
    "is_governance_lead",
    "local_today",
    "my_items",
    "open_round_and_prompt",
    "remind_outstanding",
    "round_progress",
    "state_in_focus",
    "status_text",
]
