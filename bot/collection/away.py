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

from bot.calendar.periods import Period, PeriodError
from bot.calendar.round_calendar import RoundCalendar
from bot.collection.availability import ExtensionView
from bot.collection.away_chase import chase_in_session
from bot.collection.away_text import (
    EXAMPLE,
    AwayText,
    AwayTextError,
    is_away_message,
    is_extend_message,
    parse_away,
    parse_extend,
)
from bot.collection.dates import parse_date
from bot.collection.extensions import ExtensionError, extend_deadline
from bot.collection.rounds import RoundError, find_round
from bot.collection.status import state_in_focus
from bot.framework.absences import (
    AbsenceError,
    AbsenceView,
    absences_between,
    cancel_absence,
    find_person,
    record_absence,
)
from bot.framework.choice import choose_framework
from bot.framework.people import Channels, person_for_slack_id
from bot.framework.permissions import is_governance_lead
from bot.framework.teams import teams_ids
from bot.messaging.flows import deliver_outbox
from bot.messaging.inbound import claim, release
from bot.messaging.outbox import record_message
from bot.messaging.routing import SLACK, TEAMS
from bot.words import day
from storage.db import session_scope
from storage.models import Person, RoundStatus

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
        told = _tell_cover(session, absence, covering, Channels.of(ctx.settings))
        prompts = _chase_now(session, ctx) if absence.includes(ctx.today()) else 0
    _deliver(ctx, prompts + told)
    return AwayRecorded(absence=absence, prompts=prompts)


def _tell_cover(session: Session, absence: AbsenceView, cover: Person | None,
                channels: Channels) -> int:
    """A message to the cover in their chat (Slack, or Teams once they added Ragtime) saying
    whom they cover and when; once per absence and cover."""
    if not absence.cover_id or cover is None:
        return 0
    teams_id = teams_ids(session, [cover.id]).get(cover.id or 0) if channels.teams else None
    reach = channels.reach(channel=cover.channel, slack_id=cover.slack_id, email=None,
                           teams_id=teams_id)
    if reach.via not in (SLACK, TEAMS):
        return 0
    _, created = record_message(
        session, key=f"cover-notice:{absence.id}:{absence.cover_id}", kind="notice",
        person_id=absence.cover_id, via=TEAMS if reach.via == TEAMS else None,
        payload={"to": reach.to, "title": f"You are covering for {absence.person_name}",
                 "intro": (f"{absence.person_name} is away from {day(absence.starts)} to "
                           f"{day(absence.ends)} and named you as cover. While they are away, "
                           "Ragtime asks you for their updates and you may submit them on "
                           "their behalf."),
                 "lines": [absence.note] if absence.note else [],
                 "footer": "If you cannot cover, tell them or a governance lead."})
    return created


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
                                  channels=Channels.of(ctx.settings))
        recorded += result.prompts
    return recorded


def _deliver(ctx: AppContext, recorded: int) -> None:
    """Send what was recorded when this context reaches a channel; otherwise the running
    bot's outbox job sends it within a minute."""
    if recorded and ctx.ports is not None:
        deliver_outbox(ctx, kinds={"prompt", "notice"})


# ------------------------------------------------------------------------------ by message

@dataclass(frozen=True)
class AwayReply:
    """What to answer an ``away …`` message: ``ok`` and a line to say back."""

    ok: bool
    text: str


def away_by_message(
    ctx: AppContext, *, user: str, text: str, key: str, source: str = "slack",
    lead: bool | None = None, person_id: int | None = None,
) -> AwayReply | None:
    """Record (or cancel) the absence ``user`` wrote (``bot.collection.away_text``), for
    themselves, or for someone else when they are a governance lead; ``None`` when this
    delivery was handled before. ``lead``: already known (else asked of the channel).
    ``person_id``: who ``user`` is, when the channel already knows (Teams: the person its
    verified account was matched to; else ``user`` is a Slack user id)."""
    try:
        asked = parse_away(text, ctx.today())
    except AwayTextError as error:
        return _once(ctx, key, AwayReply(False, str(error)))
    return _record_asked(ctx, user=user, asked=asked, key=key, source=source, lead=lead,
                         by_name=True, person_id=person_id)


def extend_by_message(
    ctx: AppContext, *, user: str, text: str, key: str, lead: bool | None = None,
) -> AwayReply | None:
    """``extend [PERIOD] WHO to DATE`` from a governance lead (``bot.collection.away_text``):
    a later deadline for a person or a deliverable; None for a delivery handled before."""
    if not (lead if lead is not None else is_governance_lead(ctx, user)):
        return _once(ctx, key, AwayReply(False, "Only a governance lead may extend a deadline."))
    try:
        asked = parse_extend(text, ctx.today())
        period = Period.parse(asked.period) if asked.period else _collecting(ctx)
    except (AwayTextError, PeriodError) as error:
        return _once(ctx, key, AwayReply(False, str(error)))
    with session_scope(ctx.engine, write=True) as session:
        if not claim(session, key):
            return None
    try:
        given = extend(ctx, period=period, target=asked.who, until=asked.until, by=user)
    except ExtensionError as error:
        release(ctx.engine, key)
        return AwayReply(False, str(error))
    except Exception:
        release(ctx.engine, key)
        raise
    return AwayReply(True, f"{period.label}: {given.who} now has until {day(given.until)}. "
                           "Their reminders and escalation follow the new date.")


def _collecting(ctx: AppContext) -> Period:
    """The period whose round people are asked about now (``state_in_focus``)."""
    with session_scope(ctx.engine) as session:
        state = state_in_focus(session, ctx.today())
    if state is None:
        raise AwayTextError("No framework has been imported yet.")
    return state.period


def away_by_form(
    ctx: AppContext, *, user: str, person_slack_id: str | None, cover_slack_id: str | None,
    starts: date | str, ends: date | str, note: str, key: str,
) -> AwayReply | None:
    """The Slack absence form: who is away and who covers are Slack users (``person`` None:
    ``user`` themselves); otherwise as ``away_by_message``."""
    with session_scope(ctx.engine) as session:
        keys = {slack_id: (found.key if (found := person_for_slack_id(session, slack_id))
                           else None)
                for slack_id in (person_slack_id, cover_slack_id) if slack_id}
    if None in keys.values():
        return _once(ctx, key, AwayReply(
            False, "The person you chose is not in the framework (or not yet known to "
                   "Ragtime by their Slack account); ask a governance lead to add them."))
    if person_slack_id == user:
        person_slack_id = None
    asked = AwayText(starts=_day(starts), ends=_day(ends),
                     cover=keys.get(cover_slack_id or ""), note=note,
                     person=keys.get(person_slack_id or ""))
    return _record_asked(ctx, user=user, asked=asked, key=key, source="slack", lead=None)


def _record_asked(
    ctx: AppContext, *, user: str, asked: AwayText, key: str, source: str, lead: bool | None,
    by_name: bool = False, person_id: int | None = None,
) -> AwayReply | None:
    if asked.person and not (lead if lead is not None else is_governance_lead(ctx, user)):
        return _once(ctx, key, AwayReply(
            False, "Only a governance lead may record someone else's absence; ask one, or "
                   f"write `{EXAMPLE}` for your own."))
    with session_scope(ctx.engine) as session:
        me = (session.get(Person, person_id) if person_id is not None
              else person_for_slack_id(session, user))
        whom = me.key if me is not None else None
    if asked.person is None and whom is None:
        return _once(ctx, key, AwayReply(False, "You are not a person of the framework, so "
                                                "Ragtime does not chase you."))
    with session_scope(ctx.engine, write=True) as session:
        if not claim(session, key):
            return None
    try:
        if asked.cancel:
            done = cancel_away(ctx, person=whom or "", by=user)
            return AwayReply(True, f"Cancelled: you were recorded {done.describe()}. Ragtime "
                                   "will chase you as usual.")
        recorded = record_away(ctx, person=asked.person or whom or "", starts=asked.starts
                               or ctx.today(), ends=asked.ends or ctx.today(),
                               cover=asked.cover, note=asked.note, by=user, source=source,
                               by_name=by_name)
    except AbsenceError as error:
        release(ctx.engine, key)  # so the same message corrected and sent again is read
        return AwayReply(False, str(error))
    except Exception:
        release(ctx.engine, key)  # the worker tries the delivery again
        raise
    absence = recorded.absence
    who = "You are" if asked.person is None else f"{absence.person_name} is"
    cover = (f" {absence.cover_name} is asked for the updates meanwhile." if absence.cover_name
             else " With no cover, prompts wait until the first working day back, "
                  f"{day(absence.back_on)}.")
    return AwayReply(True, f"Recorded: {who} {absence.describe()}. Ragtime will not chase "
                           f"{'you' if asked.person is None else 'them'} meanwhile.{cover} "
                           "To undo it: `away cancel`.")


def away_by_link(
    ctx: AppContext, *, person_id: int, starts: str, ends: str, cover: str = "",
    note: str = "",
) -> AwayReply:
    """The web form's absence section: ``person_id`` comes from the signed link (the only
    identity there); dates as people type them (``4/8/2025``, ``4 Aug 2025``, ``2025-08-04``);
    the cover by name, email or framework id."""
    first, last = parse_date(starts or ""), parse_date(ends or "")
    if first is None or last is None:
        which = "first" if first is None else "last"
        return AwayReply(False, f"Enter the {which} day away as a date, e.g. 4/8/2025.")
    with session_scope(ctx.engine) as session:
        person = session.get(Person, person_id)
        key = person.key if person is not None else ""
    try:
        recorded = record_away(ctx, person=key, starts=first, ends=last,
                               cover=cover.strip() or None, note=note, by=f"person:{person_id}",
                               source="web", by_name=True)
    except AbsenceError as error:
        return AwayReply(False, str(error))
    absence = recorded.absence
    cover_line = (f" {absence.cover_name} is asked for your updates meanwhile."
                  if absence.cover_name else
                  f" Your prompt waits until your first working day back, {day(absence.back_on)}.")
    return AwayReply(True, f"Recorded: you are {absence.describe()}. Ragtime will not chase you "
                           f"meanwhile.{cover_line}")


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _once(ctx: AppContext, key: str, reply: AwayReply) -> AwayReply | None:
    """``reply`` the first time this delivery is seen; None for a retry."""
    with session_scope(ctx.engine, write=True) as session:
        return reply if claim(session, key) else None


__all__ = ["AbsenceError", "AwayRecorded", "AwayReply", "away_by_form", "away_by_link",
           "away_by_message",
           "cancel_away",
           "extend", "extend_by_message", "is_away_message", "is_extend_message", "list_away",
           "record_away"]
