"""The daily absence step of an open round (the scheduler runs it every working morning at the
prompt time): what the fixed calendar cannot know in advance.

- prompts held while an SRO was away with nobody covering go on their first working day back
  (``open_round`` with today's absences records exactly the prompts not yet recorded);
- an absence that began after the round opened hands the SRO's deliverables to their cover,
  who is prompted on their behalf the day it begins;
- someone with an extended deadline is reminded counting back from it, as the calendar's stages
  count back from the round's deadline, and the escalation follows it, the calendar's number of
  working days later.

Rules: ``bot.collection.availability``. Nothing is recorded twice (outbox keys are unique), so
the step may run again the same day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.calendar.round_calendar import RoundCalendar, reminder_stage
from bot.calendar.workdays import add_working_days, is_working_day
from bot.collection.availability import Availability, availability
from bot.collection.progress import DeliverableStatus, OwnerView, round_status
from bot.collection.reminders import escalation_payload, remind_items, split_outstanding
from bot.collection.rounds import find_round, open_round
from bot.framework.people import Channels
from bot.messaging.flows import deliver_outbox
from bot.messaging.outbox import record_message
from storage.db import session_scope
from storage.models import Framework, Round, RoundStatus
from storage.repo import audit

if TYPE_CHECKING:
    from bot.context import AppContext

ACTOR = "ragtime"


@dataclass(frozen=True)
class ChaseResult:
    prompts: int = 0
    reminders: int = 0
    escalations: int = 0
    skipped: str | None = None

    def __str__(self) -> str:
        if self.skipped:
            return f"skipped: {self.skipped}"
        return (f"{self.prompts} prompt(s), {self.reminders} reminder(s), "
                f"{self.escalations} escalation(s) recorded")


def chase_absences(ctx: AppContext, period: Period) -> ChaseResult:
    """Record and send what today's absences and extensions call for in ``period``'s round."""
    today = ctx.today()
    with session_scope(ctx.engine, write=True) as session:
        round_ = find_round(session, period)
        if round_ is None or round_.frozen or round_.status != RoundStatus.open:
            return ChaseResult(skipped=f"no open round for {period.label}")
        result = chase_in_session(session, round_, period, today=today,
                                  timezone=ctx.settings.timezone,
                                  channels=Channels.of(ctx.settings))
        period_id = round_.period_id
    if result.prompts or result.reminders or result.escalations:
        deliver_outbox(ctx, kinds={"prompt", "reminder", "escalation"}, period_id=period_id)
    return result


def chase_in_session(
    session: Session, round_: Round, period: Period, *, today: date, timezone: str,
    channels: Channels,
) -> ChaseResult:
    """``chase_absences`` inside the caller's unit of work (recording only)."""
    if not is_working_day(today):
        return ChaseResult(skipped=f"{today.isoformat()} is not a working day")
    framework = session.get(Framework, round_.framework_id)
    calendar = RoundCalendar.from_rules((framework.rules or {}).get("calendar")
                                        if framework else None, timezone=timezone)
    opened = open_round(session, period=period, opened_by=ACTOR,
                        framework_id=round_.framework_id, channels=channels,
                        today=today)
    present = availability(session, round_, today)
    view = round_status(session, period, framework_id=round_.framework_id)
    reminders = 0
    for until in sorted(set(present.person_deadlines.values())
                        | set(present.deliverable_deadlines.values())):
        reminders += _extended_reminders(session, round_, period, view.outstanding, present,
                                         calendar, until, channels)
    escalations = _extended_escalations(session, round_, period, present, calendar)
    if opened.prompts_recorded or reminders or escalations:
        audit(session=session, actor=ACTOR, action="round.absences_chased",
              subject=f"round:{round_.id}", period=period.label,
              prompts=opened.prompts_recorded, reminders=reminders, escalations=escalations)
    return ChaseResult(prompts=opened.prompts_recorded, reminders=reminders,
                       escalations=escalations)


def _extended_reminders(
    session: Session, round_: Round, period: Period, outstanding: list[DeliverableStatus],
    present: Availability, calendar: RoundCalendar, until: date, channels: Channels,
) -> int:
    """Today's stage reminder, counted back from ``until``, for whoever has that deadline."""
    if until <= present.deadline:
        return 0
    stages = [days for days in calendar.reminders_before_deadline
              if add_working_days(until, -days) == present.today]
    if not stages:
        return 0

    def due_then(item: DeliverableStatus, sro: OwnerView) -> bool:
        return present.deadline_for(item.id, sro.person_id) == until

    return remind_items(session, round_, period, outstanding,
                        stage=f"{reminder_stage(stages[0])}@{until.isoformat()}",
                        deadline=until, present=present, include=due_then,
                        channels=channels)


def _extended_escalations(
    session: Session, round_: Round, period: Period, present: Availability,
    calendar: RoundCalendar,
) -> int:
    """The escalation of deliverables whose extended deadline passed ``escalate_after_deadline``
    working days ago and that are still outstanding."""
    view = round_status(session, period, framework_id=round_.framework_id)
    due: dict[date, list[DeliverableStatus]] = {}
    for item in view.outstanding:
        until = present.item_deadline(item.id, [sro.person_id for sro in item.sros])
        if until > present.deadline and add_working_days(
                until, calendar.escalate_after_deadline) == present.today:
            due.setdefault(until, []).append(item)
    recorded = 0
    for until, items in due.items():
        late, away, _ = split_outstanding(items, present)
        if not late and not away:
            continue
        _, created = record_message(
            session, key=f"escalation:{period.slug}:extended-{until.isoformat()}",
            kind="escalation", period_id=round_.period_id,
            payload=escalation_payload(period, until, view, late, away, [], present))
        recorded += created
    return recorded


def periods_to_chase(ctx: AppContext, periods: list[Period]) -> list[Period]:
    """Those of ``periods`` whose round is open (not frozen or closed)."""
    with session_scope(ctx.engine) as session:
        found = [(period, find_round(session, period)) for period in periods]
        return [period for period, round_ in found if round_ is not None
                and not round_.frozen and round_.status == RoundStatus.open]
