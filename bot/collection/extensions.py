"""Deadline extensions: a governance lead gives a person (all their deliverables) or one
deliverable a later deadline in one round (``ragtime round extend PERIOD PERSON --to DATE``).

Reminders, the escalation and the paper's "No update received" follow it: see
``bot.collection.availability`` for the rules and ``bot.collection.away_chase`` for the steps.
Giving the same person or deliverable another date replaces the first.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, or_, select

from bot.calendar.periods import Period
from bot.collection.availability import ExtensionView, extensions_of
from bot.collection.rounds import RoundError, existing_round
from bot.framework.absences import AbsenceError, find_person
from bot.words import day
from storage.models import DeadlineExtension, Deliverable, Person
from storage.repo import audit


class ExtensionError(Exception):
    """An extension that cannot be given; ``str(error)`` says why and what to do."""


def extend_deadline(
    session: Session, *, period: Period, target: str, until: date, by: str,
    framework_id: int | None = None,
) -> ExtensionView:
    """Give ``target`` (a person's id or email, or a deliverable's reference such as
    ``GO-3``) until ``until`` in ``period``'s round, which must already be open."""
    try:
        round_ = existing_round(session, period, framework_id)
    except RoundError as error:
        raise ExtensionError(str(error)) from None
    if round_.frozen:
        raise ExtensionError(f"The {period.label} round is frozen; reopen it before extending "
                             "a deadline.")
    if round_.deadline is not None and until <= round_.deadline:
        raise ExtensionError(f"The {period.label} deadline is already {day(round_.deadline)}; "
                             "an extension must be later than that.")
    person, deliverable = _target(session, target, round_.framework_id)
    same = (DeadlineExtension.person_id == person.id if person is not None
            else DeadlineExtension.deliverable_id == (deliverable.id if deliverable else 0))
    row = session.exec(select(DeadlineExtension).where(
        DeadlineExtension.round_id == round_.id, same)).first()
    if row is None:
        row = DeadlineExtension(round_id=round_.id or 0, until=until, granted_by=by,
                                person_id=person.id if person else None,
                                deliverable_id=deliverable.id if deliverable else None)
    row.until, row.granted_by = until, by
    session.add(row)
    session.flush()
    subject = (f"person:{person.key}" if person is not None
               else f"deliverable:{deliverable.id if deliverable else 0}")
    audit(session=session, actor=by, action="round.deadline_extended", subject=subject,
          period=period.label, until=until.isoformat())
    return next(v for v in extensions_of(session, round_.id or 0)
                if (person and v.person_id == person.id)
                or (deliverable and v.deliverable_id == deliverable.id))


def _target(session: Session, text: str, framework_id: int
            ) -> tuple[Person | None, Deliverable | None]:
    try:
        return find_person(session, text, by_name=True), None
    except AbsenceError:
        pass
    wanted = " ".join(text.split()).lower()
    deliverable = session.exec(select(Deliverable).where(
        Deliverable.framework_id == framework_id,
        or_(func.lower(Deliverable.code) == wanted, func.lower(Deliverable.ref) == wanted),
    )).first()
    if deliverable is None:
        raise ExtensionError(f"No person or deliverable '{text.strip()}' in the framework: give "
                             "a person's id (as in the framework file) or email, or a "
                             "deliverable's reference such as GO-3.")
    return None, deliverable
