"""Absences and their cover: a person away between two dates (both inclusive, in the round's
time zone) and, optionally, another person of the framework who answers for them meanwhile.

Every surface (the CLI, Slack, the web form, the framework import) records, lists and cancels
absences through these functions; the round's use cases ask ``away_on`` who is away on a day,
and ``bot.framework.permissions.may_submit`` asks ``covered_by`` whom a person covers. An
absence is never deleted: cancelling stamps it (``cancelled_at``), so the audit trail reads whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.calendar.workdays import add_working_days
from bot.words import day
from storage.models import Absence, Person, utcnow
from storage.repo import audit

NOTE_LIMIT = 500  # characters: a note is a line for the governance lead, not a letter


class AbsenceError(Exception):
    """An absence that cannot be recorded or cancelled; ``str(error)`` says why and what to do."""


@dataclass(frozen=True)
class AbsenceView:
    """One absence as plain values."""

    id: int
    person_id: int
    person_key: str
    person_name: str
    starts: date
    ends: date
    cover_id: int | None = None
    cover_key: str | None = None
    cover_name: str | None = None
    note: str = ""
    source: str = "cli"

    def includes(self, when: date) -> bool:
        return self.starts <= when <= self.ends

    @property
    def back_on(self) -> date:
        """The first working day after the absence: when a held prompt is sent."""
        return add_working_days(self.ends + timedelta(days=1), 0)

    def describe(self) -> str:
        """``away Mon 4 Aug 2025 – Fri 15 Aug 2025, covered by Sarah Willis``."""
        cover = f"covered by {self.cover_name}" if self.cover_name else "no cover"
        return f"away {day(self.starts)} – {day(self.ends)}, {cover}"

    def as_dict(self) -> dict[str, Any]:
        """The ``ragtime away list --json`` shape (documented in the README)."""
        return {"person": self.person_key, "name": self.person_name,
                "from": self.starts.isoformat(), "to": self.ends.isoformat(),
                "back_on": self.back_on.isoformat(),
                "cover": self.cover_key, "cover_name": self.cover_name, "note": self.note,
                "source": self.source}


# ------------------------------------------------------------------------------ people

def find_person(session: Session, text: str, *, by_name: bool = False) -> Person:
    """The person named by ``text``: their id in the framework file or their email (as for
    ``round links revoke``), and with ``by_name`` their full name (a Slack message says "cover
    Sarah Willis"). ``AbsenceError`` when nobody, or several people, match."""
    wanted = " ".join(str(text).split())
    if not wanted:
        raise AbsenceError("Say who: give their id (as in the framework file) or their email.")
    person = session.exec(select(Person).where(Person.key == wanted)).first()
    if person is None and "@" in wanted:
        person = session.exec(select(Person).where(
            func.lower(Person.email) == wanted.lower()).order_by(Person.id)).first()
    if person is None and by_name:
        named = session.exec(select(Person).where(
            func.lower(Person.name) == wanted.lower()).order_by(Person.id)).all()
        if len(named) > 1:
            keys = ", ".join(p.key for p in named)
            raise AbsenceError(f"Several people are called {wanted} ({keys}); give their email.")
        person = named[0] if named else None
    if person is None:
        how = "their name, " if by_name else ""
        raise AbsenceError(f"No person '{wanted}' in the framework: give {how}their id (as in "
                           "the framework file) or their email.")
    return person


# ------------------------------------------------------------------------------ record / cancel

def record_absence(
    session: Session, *, person: Person, starts: date, ends: date, cover: Person | None = None,
    note: str = "", by: str, source: str = "cli",
) -> AbsenceView:
    """Record that ``person`` is away from ``starts`` to ``ends`` (inclusive), covered by
    ``cover`` if given. Recording the same dates again changes the cover and note (a framework
    import run twice records nothing twice); dates overlapping another absence of theirs are
    refused, and so is a cover who is away themselves on any of those days."""
    if ends < starts:
        raise AbsenceError(f"The absence ends ({day(ends)}) before it starts ({day(starts)}).")
    note = " ".join(str(note or "").split())
    if len(note) > NOTE_LIMIT:
        raise AbsenceError(f"The note is {len(note)} characters; keep it under {NOTE_LIMIT}.")
    if cover is not None and cover.id == person.id:
        raise AbsenceError(f"{person.name} cannot cover their own absence; name someone else.")
    same = None
    for other in _absences(session, person_ids=[person.id or 0], first=starts, last=ends):
        if other.starts == starts and other.ends == ends:
            same = other
            continue
        raise AbsenceError(f"{person.name} is already recorded {_view(session, other).describe()}"
                           "; cancel that absence first or choose other dates.")
    if cover is not None:
        busy = _absences(session, person_ids=[cover.id or 0], first=starts, last=ends)
        if busy:
            raise AbsenceError(f"{cover.name} is away too ({day(busy[0].starts)} – "
                               f"{day(busy[0].ends)}), so cannot cover; name someone else.")
    covering = session.exec(select(Absence).where(
        Absence.cover_id == person.id, col(Absence.cancelled_at).is_(None),
        Absence.starts <= ends, Absence.ends >= starts)).first()
    if covering is not None:
        them = _view(session, covering)
        raise AbsenceError(f"{person.name} covers {them.person_name} from {day(them.starts)} to "
                           f"{day(them.ends)}; name another cover for {them.person_name} first.")
    if same is not None:
        changed = same.cover_id != (cover.id if cover else None) or same.note != note
        if changed:
            same.cover_id, same.note = (cover.id if cover else None), note
            session.add(same)
            audit(session=session, actor=by, action="absence.changed", subject=f"absence:{same.id}",
                  person=person.key, cover=cover.key if cover else None, source=source)
        session.flush()
        return _view(session, same)
    absence = Absence(person_id=person.id or 0, starts=starts, ends=ends,
                      cover_id=cover.id if cover else None, note=note, source=source,
                      recorded_by=by)
    session.add(absence)
    session.flush()
    audit(session=session, actor=by, action="absence.recorded", subject=f"absence:{absence.id}",
          person=person.key, starts=starts.isoformat(), ends=ends.isoformat(),
          cover=cover.key if cover else None, source=source)
    return _view(session, absence)


def cancel_absence(
    session: Session, *, person: Person, today: date, starts: date | None = None, by: str,
    now: datetime | None = None,
) -> AbsenceView:
    """Cancel ``person``'s absence starting on ``starts``, else their current or next one.
    With several ahead and no ``starts``, ``AbsenceError`` lists them to choose from."""
    ahead = [a for a in _absences(session, person_ids=[person.id or 0], first=today)
             if starts is None or a.starts == starts]
    if starts is not None and not ahead:
        ahead = [a for a in _absences(session, person_ids=[person.id or 0])
                 if a.starts == starts]
    if not ahead:
        when = f" starting {day(starts)}" if starts else " now or ahead"
        raise AbsenceError(f"{person.name} has no absence{when} to cancel.")
    if len(ahead) > 1:
        dates = "; ".join(f"{day(a.starts)} – {day(a.ends)}" for a in ahead)
        raise AbsenceError(f"{person.name} has several absences ahead ({dates}); say which "
                           "by its first day.")
    absence = ahead[0]
    absence.cancelled_at, absence.cancelled_by = now or utcnow(), by
    session.add(absence)
    audit(session=session, actor=by, action="absence.cancelled", subject=f"absence:{absence.id}",
          person=person.key, starts=absence.starts.isoformat(), ends=absence.ends.isoformat())
    session.flush()
    return _view(session, absence)


# ------------------------------------------------------------------------------ queries

def absences_between(
    session: Session, first: date | None = None, last: date | None = None, *,
    person_ids: Iterable[int] | None = None,
) -> list[AbsenceView]:
    """Absences (not cancelled) with a day between ``first`` and ``last`` (either open), by
    start date."""
    return _views(session, _absences(session, person_ids=person_ids, first=first, last=last))


def away_on(session: Session, when: date) -> dict[int, AbsenceView]:
    """Who is away on ``when``: person id → their absence."""
    return {a.person_id: a for a in absences_between(session, when, when)}


def covered_by(session: Session, cover_id: int, when: date) -> list[AbsenceView]:
    """The absences ``cover_id`` covers on ``when`` (whom they answer for that day)."""
    rows = session.exec(select(Absence).where(
        Absence.cover_id == cover_id, col(Absence.cancelled_at).is_(None),
        Absence.starts <= when, Absence.ends >= when)).all()
    return _views(session, list(rows))


def _absences(
    session: Session, *, person_ids: Iterable[int] | None = None, first: date | None = None,
    last: date | None = None,
) -> list[Absence]:
    query = select(Absence).where(col(Absence.cancelled_at).is_(None))
    if person_ids is not None:
        query = query.where(col(Absence.person_id).in_(list(person_ids)))
    if first is not None:
        query = query.where(Absence.ends >= first)
    if last is not None:
        query = query.where(Absence.starts <= last)
    return list(session.exec(query.order_by(Absence.starts, Absence.id)).all())


def _view(session: Session, absence: Absence) -> AbsenceView:
    return _views(session, [absence])[0]


def _views(session: Session, rows: list[Absence]) -> list[AbsenceView]:
    if not rows:
        return []
    ids = {a.person_id for a in rows} | {a.cover_id for a in rows if a.cover_id}
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids))).all()}
    views = []
    for a in rows:
        who, covering = people[a.person_id], people.get(a.cover_id) if a.cover_id else None
        views.append(AbsenceView(
            id=a.id or 0, person_id=a.person_id, person_key=who.key, person_name=who.name,
            starts=a.starts, ends=a.ends, cover_id=a.cover_id,
            cover_key=covering.key if covering else None,
            cover_name=covering.name if covering else None, note=a.note, source=a.source))
    return views
