"""The absence and extension use cases every surface calls (the CLI, Slack, the web form):
record, list and cancel an absence; extend a deadline.

Recording or cancelling an absence that touches today also does at once what the daily absence
step would do the next morning (``bot.collection.away_chase``): a cover named for someone away
today is prompted now, and a prompt held for someone whose absence was cancelled goes now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.calendar.round_calendar import RoundCalendar
from bot.collection.availability import ExtensionView
from bot.collection.away_chase import chase_in_session
from bot.collection.extensions import extend_deadline
from bot.collection.rounds import RoundError, find_round
from bot.framework.absences import (
    AbsenceError,
    AbsenceView,
    absences_between,
    cancel_absence,
    find_person,
    record_absence,
)
from bot.framework.choice import choose_framework
from bot.messaging.flows import deliver_outbox
from storage.db import session_scope
from storage.models import RoundStatus

if TYPE_CHECKING:
    from bot.context import AppContext


@dataclass(frozen=True)
class AwayRecorded:
    absence: AbsenceView
    prompts: int = 0  # prompts recorded at once (the cover's, or a released held prompt)

    def line(self) -> str:
        text = f"Recorded: {self.absence.person_name} {self.absence.describe()}."
        if self.prompts:
            text += f" {self.prompts} prompt(s) to send now."
        return text


def record_away(
    ctx: AppContext, *, person: str, starts: date, ends: date, cover: str | None = None,
    note: str = "", by: str, source: str = "cli", by_name: bool = False,
) -> AwayRecorded:
    """Record that ``person`` (their id in the framework file or email; with ``by_name`` also
    their full name) is away from ``starts`` to ``ends`` inclusive, covered by ``cover``.
    ``AbsenceError`` says what is wrong."""
    with session_scope(ctx.engine, write=True) as session:
        who = find_person(session, person, by_name=by_name)
        covering = find_person(session, cover, by_name=by_name) if cover else None
        absence = record_absence(session, person=who, starts=starts, ends=ends,
                                 cover=covering, note=note, by=by, source=source)
        prompts = _chase_now(session, ctx) if absence.includes(ctx.today()) else 0
    _deliver(ctx, prompts)
    return AwayRecorded(absence=absence, prompts=prompts)


def cancel_away(
    ctx: AppContext, *, person: str, starts: date | None = None, by: str,
) -> AbsenceView:
    """Cancel ``person``'s absence starting on ``starts``, else their current or next one."""
    with session_scope(ctx.engine, write=True) as session:
        who = find_person(session, person)
        absence = cancel_absence(session, person=who, today=ctx.today(), starts=starts, by=by,
                                 now=ctx.now())
        prompts = _chase_now(session, ctx) if absence.includes(ctx.today()) else 0
    _deliver(ctx, prompts)
    return absence


def list_away(
    ctx: AppContext, period: Period | None = None, *, framework: str | None = None,
) -> list[AbsenceView]:
    """Absences during ``period``'s round (from the calendar's opening to the deadline, or
    the round's own deadline once opened), else every absence not yet over."""
    with session_scope(ctx.engine) as session:
        if period is None:
            return absences_between(session, ctx.today())
        chosen = choose_framework(session, framework)
        calendar = RoundCalendar.from_rules((chosen.rules or {}).get("calendar"),
                                            timezone=ctx.settings.timezone)
        round_ = find_round(session, period, framework_id=chosen.id)
        last = round_.deadline if round_ is not None and round_.deadline else \
            calendar.deadline(period)
        return absences_between(session, calendar.opens(period), last)


def extend(
    ctx: AppContext, *, period: Period, target: str, until: date, by: str,
    framework: str | None = None,
) -> ExtensionView:
    """Give ``target`` (a person's id or email, or a deliverable's reference) a later deadline
    in ``period``'s round; ``ExtensionError`` says what is wrong."""
    with session_scope(ctx.engine, write=True) as session:
        return extend_deadline(session, period=period, target=target, until=until, by=by,
                               framework_id=choose_framework(session, framework).id)


def _chase_now(session: Session, ctx: AppContext) -> int:
    """What the daily absence step records for today's open rounds, now."""
    today = ctx.today()
    recorded = 0
    for period in (Period.containing(today).previous(), Period.containing(today)):
        try:
            round_ = find_round(session, period)
        except RoundError:  # no framework yet, or several: the daily step handles them
            return recorded
        if round_ is None or round_.frozen or round_.status != RoundStatus.open:
            continue
        result = chase_in_session(session, round_, period, today=today,
                                  timezone=ctx.settings.timezone,
                                  email_enabled=ctx.settings.email_enabled)
        recorded += result.prompts
    return recorded


def _deliver(ctx: AppContext, recorded: int) -> None:
    """Send what was recorded when this context reaches a channel; otherwise the running
    bot's outbox job sends it within a minute."""
    if recorded and ctx.ports is not None:
        deliver_outbox(ctx, kinds={"prompt"})


__all__ = ["AbsenceError", "AwayRecorded", "cancel_away", "extend", "list_away",
           "record_away"]
