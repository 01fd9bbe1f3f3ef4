"""Who answers for what in a round, and by when: absences, cover and deadline extensions.

The round's steps ask one ``Availability`` (read once per step) instead of reasoning about
absences themselves, so every rule below is written here once:

- an SRO away today is neither prompted nor reminded; with a cover, the cover is prompted and
  reminded on their behalf (``cover_of``);
- with no cover, their prompt waits for ``back_on``, the first working day after the absence;
  no stage reminder goes to them that day (the prompt does) and the stage reminders after it
  follow as usual;
- a deadline extension (for a person: all their deliverables; or for one deliverable) gives a
  later deadline in this round (``deadline_for``); their reminders count back from it and the
  escalation waits for it (``bot.collection.away_chase``);
- a deliverable is not late while any of its SROs has a later deadline, and its lateness is a
  decision for governance, not lateness, when every SRO is away with nobody covering.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.framework.absences import AbsenceView, absences_between
from storage.models import (
    DeadlineExtension,
    Deliverable,
    DeliverableOwner,
    PeriodRecord,
    Person,
    Role,
    Round,
)


@dataclass(frozen=True)
class ExtensionView:
    """A later deadline in a round, for a person or for a deliverable."""

    until: date
    person_id: int | None = None
    person_key: str | None = None
    person_name: str | None = None
    deliverable_id: int | None = None
    deliverable_code: str | None = None
    deliverable_title: str | None = None

    @property
    def who(self) -> str:
        if self.person_name:
            return self.person_name
        return f"{self.deliverable_code} {self.deliverable_title}".strip()

    def as_dict(self) -> dict[str, Any]:
        return {"person": self.person_key, "name": self.person_name,
                "deliverable": self.deliverable_code, "title": self.deliverable_title,
                "until": self.until.isoformat()}


@dataclass(frozen=True)
class Availability:
    """A round's absences and extensions as seen on ``today``."""

    today: date
    deadline: date  # the round's
    absences: dict[int, tuple[AbsenceView, ...]] = field(default_factory=dict)  # by person
    person_deadlines: dict[int, date] = field(default_factory=dict)
    deliverable_deadlines: dict[int, date] = field(default_factory=dict)

    def away(self, person_id: int, when: date | None = None) -> AbsenceView | None:
        """``person_id``'s absence on ``when`` (default today), if any."""
        when = when or self.today
        return next((a for a in self.absences.get(person_id, ()) if a.includes(when)), None)

    def cover_of(self, person_id: int) -> AbsenceView | None:
        """Their absence today when someone covers it (the cover answers for them)."""
        absence = self.away(person_id)
        return absence if absence is not None and absence.cover_id else None

    def back_today(self, person_id: int) -> bool:
        """Their absence (one with no cover) ended and today is their first working day back:
        the held prompt goes today, so no stage reminder does."""
        return any(a.back_on == self.today and not a.cover_id
                   for a in self.absences.get(person_id, ()))

    def deadline_for(self, deliverable_id: int, person_id: int | None = None) -> date:
        """The deadline that applies to ``person_id`` for ``deliverable_id``: the round's, or
        a later one given to the person or the deliverable."""
        found = [self.deadline, self.deliverable_deadlines.get(deliverable_id, self.deadline)]
        if person_id is not None:
            found.append(self.person_deadlines.get(person_id, self.deadline))
        return max(found)

    def item_deadline(self, deliverable_id: int, sro_ids: Iterable[int]) -> date:
        """A deliverable is due by the latest deadline any of its SROs has."""
        return max([self.deadline_for(deliverable_id, None),
                    *(self.deadline_for(deliverable_id, sro) for sro in sro_ids)])

    def uncovered(self, sro_ids: Iterable[int], when: date | None = None
                  ) -> list[AbsenceView]:
        """The absences, on ``when``, of SROs nobody covers — only when *every* SRO is away
        uncovered (a joint SRO who is here can answer)."""
        absences = [self.away(sro, when) for sro in sro_ids]
        if not absences or any(a is None or a.cover_id for a in absences):
            return []
        return [a for a in absences if a is not None]


def availability(session: Session, round_: Round, today: date) -> Availability:
    """What a round's steps need to know about absences and extensions (two small queries).
    Absences from the round's opening on are read (and a fortnight before today, so a return
    after a long weekend is known)."""
    opened = round_.opened_at.date() if round_.opened_at else today
    return _availability(session, today=today, deadline=round_.deadline or today,
                         since=opened, extensions=select(DeadlineExtension).where(
                             DeadlineExtension.round_id == round_.id))


def availability_in(
    session: Session, *, framework_id: int, period: Period, deadline: date | None, today: date,
) -> Availability:
    """``availability`` for the framework's round of ``period`` without loading the round
    first (the status pages count their queries): two small queries."""
    extensions = (select(DeadlineExtension)
                  .join(Round, Round.id == DeadlineExtension.round_id)
                  .join(PeriodRecord, PeriodRecord.id == Round.period_id)
                  .where(Round.framework_id == framework_id, PeriodRecord.fy == period.fy,
                         PeriodRecord.quarter == period.quarter))
    return _availability(session, today=today, deadline=deadline or today,
                         since=min(period.end, today), extensions=extensions)


def _availability(session: Session, *, today: date, deadline: date, since: date,
                  extensions: Any) -> Availability:
    by_person: dict[int, list[AbsenceView]] = {}
    for absence in absences_between(session, min(since, today - timedelta(days=14))):
        by_person.setdefault(absence.person_id, []).append(absence)
    people: dict[int, date] = {}
    deliverables: dict[int, date] = {}
    for extension in session.exec(extensions).all():
        if extension.person_id is not None:
            people[extension.person_id] = extension.until
        if extension.deliverable_id is not None:
            deliverables[extension.deliverable_id] = extension.until
    return Availability(today=today, deadline=deadline,
                        absences={k: tuple(v) for k, v in by_person.items()},
                        person_deadlines=people, deliverable_deadlines=deliverables)


def extensions_of(session: Session, round_id: int) -> list[ExtensionView]:
    """A round's extensions, people first, then deliverables."""
    rows = session.exec(select(DeadlineExtension).where(
        DeadlineExtension.round_id == round_id).order_by(DeadlineExtension.id)).all()
    people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(
        [r.person_id for r in rows if r.person_id is not None]))).all()}
    items = {d.id: d for d in session.exec(select(Deliverable).where(col(Deliverable.id).in_(
        [r.deliverable_id for r in rows if r.deliverable_id is not None]))).all()}
    views = []
    for row in rows:
        person = people.get(row.person_id) if row.person_id is not None else None
        item = items.get(row.deliverable_id) if row.deliverable_id is not None else None
        views.append(ExtensionView(
            until=row.until, person_id=row.person_id,
            person_key=person.key if person else None, person_name=person.name if person else None,
            deliverable_id=row.deliverable_id,
            deliverable_code=(item.code or item.number) if item else None,
            deliverable_title=item.title if item else None))
    return sorted(views, key=lambda v: (v.person_id is None, v.who))


def extended_deadlines(session: Session, framework_id: int, period_id: int) -> dict[int, date]:
    """Deliverable id → the later deadline it has in the period's round (its own extension, or
    the latest of its SROs'), for the deliverables that have one (the board paper's rows). One
    query whatever the number of extensions."""
    rows = session.exec(
        select(func.coalesce(DeadlineExtension.deliverable_id, DeliverableOwner.deliverable_id),
               DeadlineExtension.until, Round.deadline)
        .join(Round, Round.id == DeadlineExtension.round_id)
        .outerjoin(DeliverableOwner, and_(
            DeliverableOwner.person_id == DeadlineExtension.person_id,
            DeliverableOwner.role == Role.sro))
        .where(Round.framework_id == framework_id, Round.period_id == period_id)).all()
    found: dict[int, date] = {}
    for deliverable_id, until, deadline in rows:
        if deliverable_id is not None and (deadline is None or until > deadline):
            found[deliverable_id] = max(until, found.get(deliverable_id, until))
    return found
