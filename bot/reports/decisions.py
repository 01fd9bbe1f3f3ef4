"""A governance lead's decision on a posted draft: approve, send back for changes, reopen.

A posted draft is

- *approved* — the period's round is frozen (``bot.collection.rounds.freeze_round(approved=True)``),
  so later submissions are refused until a lead reopens it; only the latest draft, and only while
  the updates still say what it says, can be approved;
- *sent back* — ``request_changes`` records the comment and one ``changes_requested`` outbox
  message per SRO of each chosen deliverable (crash-safe), then the re-prompts are sent through
  the messenger port; what is not sent stays pending for the next outbox run;
- *reopened* — the round accepts updates again and the approval is withdrawn.

``approve``, ``ask_for_changes``, ``reopen`` and ``changes_form`` are what every entry point
calls (today the buttons under the summary); they decide, then show the decision on the posted
summary and in its thread through ``ctx.channels.reports``. The ``*_report`` functions below
them are the decisions alone, one unit of work each. Errors for the user are ``PublishError``s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.calendar.periods import Period, stored_period
from bot.collection.followups import CHANGES_REQUESTED
from bot.collection.rounds import find_round, freeze_round, reopen_round
from bot.collection.storable import unstorable
from bot.collection.updates import counting_ids
from bot.framework.lifecycle import mark_closed
from bot.framework.people import Channels
from bot.framework.teams import teams_ids
from bot.messaging.outbox import deliver_pending, record_message
from bot.messaging.routing import EMAIL, TEAMS
from bot.ports.messages import SendError
from bot.ports.reports import DeliverableChoice, ReportRecord, StatusNote
from bot.reports.errors import InvalidRequest, ReportDecided, ReportOutOfDate
from bot.reports.outcome_check import check_outcomes, closing_with, reopen_closure
from bot.reports.publish import post_approved_paper
from bot.reports.records import (
    as_record,
    check_latest,
    current_hash,
    load_row,
    posted_message,
    target_of,
)
from storage.db import session_scope
from storage.models import (
    CompiledReport,
    Deliverable,
    DeliverableOwner,
    Person,
    ReportStatus,
    Role,
    Round,
    RoundStatus,
    Theme,
    Update,
)
from storage.repo import audit

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)

COMMENT_LIMIT = 3000


@dataclass(frozen=True)
class Decided:
    """A decision taken and shown; ``redraw_error`` says why the summary could not be redrawn
    (the decision stands)."""

    report: ReportRecord
    note: StatusNote
    redraw_error: str | None = None


@dataclass(frozen=True)
class ChangesForm:
    """What a lead chooses from when sending a draft back."""

    report: ReportRecord
    choices: tuple[DeliverableChoice, ...]


# ------------------------------------------------------------------------------ the flows

def approve(ctx: AppContext, report_id: int, *, by: str) -> Decided:
    """Approve the draft (``approve_report``), show it on the summary and in its thread, and
    upload the approved paper there (``post_approved_paper``)."""
    report = approve_report(ctx.engine, report_id, by=by, at=ctx.now())
    decided = _announce(ctx, report, StatusNote("approved", report.decided_by, report.decided_at))
    post_approved_paper(ctx, report)
    return decided


def reopen(ctx: AppContext, report_id: int, *, by: str, reason: str | None = None) -> Decided:
    """Withdraw the approval (``reopen_report``) and show it."""
    now = ctx.now()
    report = reopen_report(ctx.engine, report_id, by=by, at=now, reason=reason)
    return _announce(ctx, report, StatusNote("reopened", by, now))


def changes_form(engine: Engine, report_id: int) -> ChangesForm:
    """The report and its deliverables, for the lead to choose what to send back; refused
    once the report is approved."""
    with session_scope(engine) as session:
        row = load_row(session, report_id)
        report = as_record(row, target_of(session, row))
        if report.status == ReportStatus.approved:
            raise ReportDecided(f"The {report.target.label} report is already approved; reopen "
                                "it before asking for changes.")
        choices = (_choices(session, row.framework_id, row.period_id)
                   if row.period_id is not None else [])
    return ChangesForm(report=report, choices=tuple(choices))


def ask_for_changes(ctx: AppContext, report_id: int, *, by: str, comment: str,
                    deliverable_ids: Iterable[int],
                    on_recorded: Callable[[], object] | None = None) -> Decided:
    """Send the draft back (``request_changes``), send the re-prompts now through the
    messenger port, and show the request on the summary and in its thread. ``on_recorded``
    runs once the request is stored, before anything is sent (a modal is acknowledged then)."""
    now = ctx.now()
    done = request_changes(ctx.engine, report_id, by=by, at=now, comment=comment,
                           deliverable_ids=deliverable_ids,
                           channels=Channels.of(ctx.settings))
    if on_recorded is not None:
        on_recorded()
    delivery = deliver_pending(ctx.engine, ctx.channels.messenger.send,
                               kinds={CHANGES_REQUESTED}, period_id=done.period_id,
                               clock=ctx.now)
    note = StatusNote("changes_requested", by, now, done.comment, done.deliverables,
                      queued=done.prompts_recorded, unreachable=done.unreachable,
                      undelivered=delivery.failed + delivery.skipped,
                      delivery_errors=tuple(f.error for f in delivery.failures[:3]))
    return _announce(ctx, done.report, note)


def _announce(ctx: AppContext, report: ReportRecord, note: StatusNote) -> Decided:
    """Redraw the summary with ``note`` and record it in the summary's thread (best effort:
    the decision is already stored)."""
    channel = ctx.channels.reports
    redraw_error = None
    posted = posted_message(ctx.engine, report.id)
    if posted is not None:
        try:
            channel.show_status(report, posted, note)
        except SendError as error:
            log.warning("could not update the summary of report %s: %s", report.id, error)
            redraw_error = error.error
    if report.posted:
        try:
            channel.note_in_thread(report, note)
        except SendError as error:
            log.warning("could not note a decision on report %s: %s", report.id, error)
    return Decided(report=report, note=note, redraw_error=redraw_error)


# ------------------------------------------------------------------------------ the decisions

def approve_report(engine: Engine, report_id: int, *, by: str, at: datetime) -> ReportRecord:
    """Approve the posted draft: record who and when and, for a quarter, freeze the period.

    Refused when already approved (``ReportDecided``, so a double click approves once), for a
    superseded draft, and for a draft the updates no longer match (a late submission arrived):
    compile again first."""
    with session_scope(engine, write=True) as session:
        row = load_row(session, report_id)
        target = target_of(session, row)
        if row.status == ReportStatus.approved:
            raise ReportDecided(f"The {target.label} report is already approved.")
        check_latest(session, row, target)
        now = current_hash(session, row, target)
        if now != row.content_hash:
            raise ReportOutOfDate(
                f"The {target.label} updates have changed since this draft was compiled, so it "
                "cannot be approved as it stands. Compile it again with `/compile-report "
                f"{target.label}` and approve the new draft."
            )
        if target.period is not None:
            _ensure_round(session, row, target.period, by=by, at=at)
            freeze_round(session, target.period, by=by, approved=True,
                         framework_id=row.framework_id)
        closing = target.fy is not None and closing_with(session, row.framework_id, target.fy)
        if closing:
            check_outcomes(session, row.framework_id, target.label)
            mark_closed(session, row.framework_id, by=by, at=at)
        row.status, row.decided_by, row.decided_at = ReportStatus.approved, by, at
        session.add(row)
        audit(session=session, actor=by, action="report.approved", subject=f"report:{row.id}",
              target=target.label, content_hash=row.content_hash)
        return as_record(row, target)


@dataclass(frozen=True)
class ChangesRequested:
    report: ReportRecord
    comment: str
    deliverables: tuple[DeliverableChoice, ...]
    prompts_recorded: int
    unreachable: tuple[str, ...]  # SRO names no channel reaches: not re-prompted
    period_id: int | None


def report_choices(engine: Engine, report_id: int) -> list[DeliverableChoice]:
    """The active deliverables of a quarter report's framework, in report order."""
    with session_scope(engine) as session:
        row = load_row(session, report_id)
        if row.period_id is None:
            return []
        return _choices(session, row.framework_id, row.period_id)


def request_changes(
    engine: Engine,
    report_id: int,
    *,
    by: str,
    at: datetime,
    comment: str,
    deliverable_ids: Iterable[int],
    email_enabled: bool = False,
    channels: Channels | None = None,
) -> ChangesRequested:
    """Mark the draft ``changes_requested`` and record a re-prompt carrying ``comment`` for each
    SRO of each chosen deliverable, on their channel (``channels``: this deployment's, Slack,
    Teams or email, as the round's prompts are; without it, Slack and, with ``email_enabled``,
    email). Every request records its own messages, so asking again about the same
    deliverable asks again."""
    channels = channels or Channels(email=email_enabled)
    text = (comment or "").strip()
    if not text:
        raise InvalidRequest("Please write a comment saying what needs to change.",
                             field="comment")
    if len(text) > COMMENT_LIMIT:
        raise InvalidRequest(f"The comment is {len(text)} characters; please keep it under "
                             f"{COMMENT_LIMIT}.", field="comment")
    if problem := unstorable(text):
        raise InvalidRequest(f"The comment {problem}.", field="comment")
    wanted = list(dict.fromkeys(int(i) for i in deliverable_ids))
    if not wanted:
        raise InvalidRequest("Please choose at least one deliverable to send back.",
                             field="deliverables")
    with session_scope(engine, write=True) as session:
        row = load_row(session, report_id)
        target = target_of(session, row)
        if target.period is None or row.period_id is None:
            raise ReportDecided("Changes can only be requested on a quarter's report.")
        if row.status == ReportStatus.approved:
            raise ReportDecided(f"The {target.label} report is already approved; reopen it "
                                "before asking for changes.")
        check_latest(session, row, target)
        round_ = find_round(session, target.period, framework_id=row.framework_id)
        if round_ is not None and round_.frozen:
            raise ReportDecided(f"{target.label} is frozen, so SROs could not resubmit; "
                                "reopen it first.")
        if round_ is None:  # the updates were imported: open a round the SROs can answer in
            _ensure_round(session, row, target.period, by=by, at=at, closed=False)
        choices = {c.id: c for c in _choices(session, row.framework_id, row.period_id)}
        unknown = [i for i in wanted if i not in choices]
        if unknown:
            raise InvalidRequest("Some of the chosen deliverables are no longer part of the "
                                 "report; please choose again.", field="deliverables")
        row.status, row.decided_by, row.decided_at = ReportStatus.changes_requested, by, at
        session.add(row)
        event = audit(session=session, actor=by, action="report.changes_requested",
                      subject=f"report:{row.id}", target=target.label, comment=text,
                      deliverables=wanted)
        session.flush()
        recorded, unreachable = 0, []
        sros = _sros(session, wanted)
        in_teams = (teams_ids(session, {p.id for people in sros.values() for p in people
                                        if p.id is not None}) if channels.teams else {})
        for deliverable_id in wanted:
            choice = choices[deliverable_id]
            for person in sros.get(deliverable_id, []):
                reach = channels.reach(channel=person.channel, slack_id=person.slack_id,
                                       email=person.email, teams_id=in_teams.get(person.id or 0))
                if reach.via is None:
                    unreachable.append(person.name)
                    continue
                _, created = record_message(
                    session,
                    key=f"{CHANGES_REQUESTED}:{row.id}:{event.id}:{deliverable_id}:{person.id}",
                    kind=CHANGES_REQUESTED, period_id=row.period_id,
                    deliverable_id=deliverable_id, person_id=person.id,
                    via=reach.via if reach.via in (EMAIL, TEAMS) else None,
                    payload={
                        "to": reach.to,
                        "round_id": round_.id if round_ is not None else None,
                        "person_name": person.name,
                        "period": target.period.label,
                        "deliverable_id": deliverable_id,
                        "number": choice.number,
                        "theme": choice.theme,
                        "title": choice.title,
                        "rag": choice.rag,
                        "comment": text,
                        "requested_by": by,
                        "report_id": row.id,
                    },
                )
                recorded += created
        return ChangesRequested(
            report=as_record(row, target), comment=text,
            deliverables=tuple(choices[i] for i in wanted), prompts_recorded=recorded,
            unreachable=tuple(dict.fromkeys(unreachable)), period_id=row.period_id,
        )


def reopen_report(
    engine: Engine, report_id: int, *, by: str, at: datetime, reason: str | None = None
) -> ReportRecord:
    """Withdraw the approval: a quarter's round accepts updates again (``reopen_round``) and
    the report goes back to draft, to be compiled and approved again."""
    with session_scope(engine, write=True) as session:
        row = load_row(session, report_id)
        target = target_of(session, row)
        if row.status != ReportStatus.approved:
            raise ReportDecided(f"The {target.label} report is not approved, so there is "
                                "nothing to reopen.")
        if target.period is not None:
            reopen_round(session, target.period, by=by, reason=reason,
                         framework_id=row.framework_id)
        if target.fy is not None:
            reopen_closure(session, row.framework_id, target.fy, by=by)
        row.status, row.decided_by, row.decided_at = ReportStatus.draft, None, None
        session.add(row)
        audit(session=session, actor=by, action="report.reopened", subject=f"report:{row.id}",
              target=target.label, reason=reason, at=at.isoformat())
        return as_record(row, target)


def _ensure_round(
    session: Session, row: CompiledReport, period: Period, *, by: str, at: datetime,
    closed: bool = True,
) -> None:
    """A period whose updates arrived without a round (imported) still needs one: approving
    records one already closed, to freeze; asking for changes records an open one, since
    updates are only accepted into a round (``bot.collection.updates.accepting_round``)."""
    if find_round(session, period, framework_id=row.framework_id) is not None:
        return
    record = stored_period(session, period)
    round_ = Round(framework_id=row.framework_id, period_id=record.id or 0, opened_at=at,
                   opened_by=by)
    if closed:
        round_.status, round_.closed_at, round_.closed_by = RoundStatus.closed, at, by
    session.add(round_)
    session.flush()
    audit(session=session, actor=by,
          action="round.recorded_for_approval" if closed else "round.recorded_for_changes",
          subject=f"round:{round_.id}", period=period.label)


def _choices(session: Session, framework_id: int, period_id: int) -> list[DeliverableChoice]:
    rows = session.exec(
        select(Deliverable, Theme.name)
        .join(Theme, col(Theme.id) == Deliverable.theme_id)
        .where(Deliverable.framework_id == framework_id, col(Deliverable.active).is_(True))
        .order_by(Theme.position, Theme.id, Deliverable.position, Deliverable.id)
    ).all()
    ids = [d.id for d, _ in rows if d.id is not None]
    rags = {
        update.deliverable_id: str(getattr(update.rag, "value", update.rag))
        for update in session.exec(select(Update).where(col(Update.id).in_(counting_ids(
            Update.period_id == period_id, col(Update.deliverable_id).in_(ids))))).all()
    } if ids else {}
    sros = _sros(session, ids)
    numbers: dict[str, int] = {}
    choices = []
    for deliverable, theme in rows:
        numbers[theme] = numbers.get(theme, 0) + 1
        choices.append(DeliverableChoice(
            id=deliverable.id or 0, theme=theme,
            number=deliverable.code or deliverable.number or str(numbers[theme]),
            title=deliverable.title,
            sros=tuple(p.name for p in sros.get(deliverable.id or 0, [])),
            rag=rags.get(deliverable.id or 0),
        ))
    return choices


def _sros(session: Session, deliverable_ids: list[int]) -> dict[int, list[Person]]:
    found: dict[int, list[Person]] = {}
    if not deliverable_ids:
        return found
    for owner, person in session.exec(
        select(DeliverableOwner, Person)
        .join(Person, col(Person.id) == DeliverableOwner.person_id)
        .where(col(DeliverableOwner.deliverable_id).in_(deliverable_ids),
               DeliverableOwner.role == Role.sro)
        .order_by(DeliverableOwner.position, DeliverableOwner.id)
    ).all():
        found.setdefault(owner.deliverable_id, []).append(person)
    return found
