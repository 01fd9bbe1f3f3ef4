"""Write a checked ``FrameworkSpec`` into storage, updating in place and never deleting history."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.calendar.periods import Period, stored_period
from bot.framework.absences import (
    AbsenceError,
    absences_between,
    find_person,
    record_absence,
)
from bot.framework.carry import link_by_reference
from bot.framework.choice import FrameworkChoiceError, several_frameworks
from bot.framework.codes import CodeBook, looks_like_code, theme_prefixes
from bot.framework.importer.errors import FrameworkImportError, Problem, Problems
from bot.framework.importer.risk_details import apply_risk_details
from bot.framework.importer.spec import DeliverableSpec, FrameworkSpec, PersonSpec
from bot.framework.lifecycle import LifecycleError
from bot.framework.risk_carry import link_risk_by_reference
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    PeriodRecord,
    Person,
    Risk,
    RiskScore,
    Role,
    Round,
    RoundStatus,
    Theme,
)
from storage.repo import audit, the_framework

# An import taking more deliverables than this out of a framework's rounds (or any, while one
# of its rounds is open) is refused unless ``replace``: a spreadsheet of a few rows imported
# into the wrong framework would otherwise retire the live strategy.
FEW = 3


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    unchanged: int = 0

    def count(self, *, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def __str__(self) -> str:
        parts = [f"{value} {name}" for name, value in asdict(self).items()
                 if value and name != "unchanged"]
        return ", ".join(parts) or "no change"


@dataclass
class ImportSummary:
    """What an import did; ``str()`` is the line the CLI prints."""

    file: str
    framework: str
    framework_id: int
    framework_created: bool
    framework_updated: bool
    risk_period: Period | None  # the period the file's risk scores went to; None: no risks
    themes: Counts = field(default_factory=Counts)
    people: Counts = field(default_factory=Counts)
    deliverables: Counts = field(default_factory=Counts)
    risks: Counts = field(default_factory=Counts)
    absences: int = 0  # recorded (or changed) from the people's away_from/away_to/cover
    # One line per deliverable created, updated or taken out of the rounds ("+ GO-5 …").
    changes: list[str] = field(default_factory=list)
    # Why this import needs ``--replace`` (None: it does not).
    replace_needed: str | None = None

    @property
    def changed(self) -> bool:
        return self.framework_created or self.framework_updated or bool(self.absences) or any(
            counts.created or counts.updated or counts.deactivated
            for counts in (self.themes, self.people, self.deliverables, self.risks))

    def __str__(self) -> str:
        if not self.changed:
            return (f"framework '{self.framework}' unchanged: {self.themes.unchanged} themes, "
                    f"{self.people.unchanged} people, {self.deliverables.unchanged} "
                    f"deliverables, {self.risks.unchanged} BAF risks")
        verb = "created" if self.framework_created else "updated"
        text = (f"framework '{self.framework}' {verb}: themes {self.themes}; "
                f"people {self.people}; deliverables {self.deliverables}")
        if self.absences:
            text += f"; absences {self.absences} recorded"

        if self.risk_period is None:
            return text
        return f"{text}; BAF risks {self.risks} (scores for {self.risk_period.label})"

    def detail(self) -> dict[str, Any]:
        """JSON-ready, for the audit trail."""
        return {
            "file": self.file, "framework_created": self.framework_created,
            "framework_updated": self.framework_updated,
            "risk_period": self.risk_period.label if self.risk_period else None,
            **{name: asdict(getattr(self, name))
               for name in ("themes", "people", "deliverables", "risks")},
        }


def _assign(row: Any, **values: Any) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def apply_spec(
    session: Session, spec: FrameworkSpec, *, file: str, stem: str, framework_name: str | None,
    today: date, actor: str, audit_unchanged: bool = True, replace: bool = False,
) -> ImportSummary:
    """Write ``spec``. Unless ``replace``, refuse (``FrameworkImportError``, in the caller's
    transaction, so nothing is kept) an import that would take deliverables out of a round
    that is open, or more than ``FEW`` of them; ``summary.replace_needed`` says why."""
    framework, created, updated = _framework(session, spec, framework_name or spec.name, stem)
    summary = ImportSummary(
        file=file, framework=framework.name, framework_id=framework.id or 0,
        framework_created=created, framework_updated=updated,
        risk_period=(spec.period or _reported_period(session, framework, today)
                     if any(theme.risks for theme in spec.themes) else None),
    )
    people = _people(session, spec.people, summary)
    summary.absences = _absences(session, spec, people, file=file, actor=actor)
    themes = _themes(session, framework, spec, summary)
    _risks(session, framework, spec, themes, summary)
    _carried_risks(session, framework, spec, file=file, actor=actor)
    details = apply_risk_details(session, framework, spec, people)
    if details.settings_changed:
        summary.framework_updated = not summary.framework_created
    moved = min(details.risks_changed, summary.risks.unchanged)
    summary.risks.unchanged -= moved
    summary.risks.updated += moved
    if spec.deliverables_given:  # a sheet of BAF risks alone leaves the deliverables be
        retired = _deliverables(session, framework, spec.deliverables, themes, people, summary)
        summary.replace_needed = _replace_needed(session, framework, retired,
                                                 summary.deliverables.created)
        _carried(session, framework, spec.deliverables, file=file, actor=actor)
    if summary.replace_needed and not replace:
        raise FrameworkImportError([Problem(file, "", "", summary.replace_needed + (
            "; nothing was imported. See what would change with --dry-run; if this is meant, "
            "import again with --replace (or name another framework with --name)"))])
    if summary.changed or audit_unchanged:
        audit(session=session, actor=actor, action="framework.import", subject=framework.name,
              **summary.detail())
    session.flush()
    return summary


def _replace_needed(session: Session, framework: Framework, retired: list[Deliverable],
                    created: int) -> str | None:
    if not retired:
        return None
    open_round = session.exec(
        select(PeriodRecord.fy, PeriodRecord.quarter)
        .join(Round, col(Round.period_id) == PeriodRecord.id)
        .where(Round.framework_id == framework.id, Round.status == RoundStatus.open)).first()
    if open_round is None and len(retired) <= FEW:
        return None
    active_now = len(session.exec(select(Deliverable.id).where(
        Deliverable.framework_id == framework.id, col(Deliverable.active))).all())
    total = active_now + len(retired) - created  # active before this import
    shown = ", ".join(row.code or row.ref for row in retired[:5])
    more = f" and {len(retired) - 5} more" if len(retired) > 5 else ""
    when = (f"while its {Period(*open_round).label} round is open" if open_round
            else f"more than {FEW} at once")
    return (f"this file would take {len(retired)} of the {total} deliverables of "
            f"'{framework.name}' out of its rounds ({shown}{more}), {when}")


def _carried(session: Session, framework: Framework, specs: list[DeliverableSpec], *,
             file: str, actor: str) -> None:
    """Link each deliverable with ``carried_from`` to the earlier framework's deliverable it
    names; any that names none stops the whole import (nothing is written)."""
    wanted = [spec for spec in specs if spec.carried_from]
    if not wanted:
        return
    stored = {row.ref: row for row in session.exec(
        select(Deliverable).where(Deliverable.framework_id == framework.id)).all()}
    problems = Problems(file)
    for spec in wanted:
        try:
            link_by_reference(session, stored[spec.ref or ""], spec.carried_from or "",
                              by=actor)
        except LifecycleError as error:
            problems.add(spec.where, spec.field("carried_from"), str(error))
    problems.raise_if_any()


def _carried_risks(session: Session, framework: Framework, spec: FrameworkSpec, *, file: str,
                   actor: str) -> None:
    """Link each BAF risk with ``carried_from`` to the earlier framework's risk it names; any
    that names none stops the whole import (nothing is written)."""
    wanted = [risk for theme in spec.themes for risk in theme.risks if risk.carried_from]
    if not wanted:
        return
    stored = {risk.number: risk for risk in session.exec(
        select(Risk).where(Risk.framework_id == framework.id)).all()}
    problems = Problems(file)
    for risk_spec in wanted:
        try:
            link_risk_by_reference(session, stored[risk_spec.number],
                                   risk_spec.carried_from or "", by=actor)
        except LifecycleError as error:
            problems.add(risk_spec.where, risk_spec.carried_field, str(error))
    problems.raise_if_any()


def _reported_period(session: Session, framework: Framework, today: date) -> Period:
    """The quarter whose paper is being prepared, which a file's scores are for when it names
    no ``period:``: the framework's open round, else the quarter before ``today``'s (a paper is
    written after its quarter ends; scores stamped with a later quarter would not show in it)."""
    found = session.exec(
        select(PeriodRecord.fy, PeriodRecord.quarter)
        .join(Round, col(Round.period_id) == PeriodRecord.id)
        .where(Round.framework_id == framework.id, Round.status == RoundStatus.open)
        .order_by(col(PeriodRecord.fy).desc(), col(PeriodRecord.quarter).desc())).first()
    return Period(*found) if found else Period.containing(today).previous()


def _framework(
    session: Session, spec: FrameworkSpec, name: str | None, stem: str
) -> tuple[Framework, bool, bool]:
    if name is None and several_frameworks(session):
        raise FrameworkChoiceError(
            "several frameworks are loaded; say which this file updates with --name NAME")
    framework = the_framework(session=session, name=name)
    created = framework is None
    if framework is None:
        framework = Framework(name=name or stem)
        session.add(framework)
    changes: dict[str, Any] = {}
    if spec.organisation is not None:
        changes["organisation"] = spec.organisation
    if spec.rules is not None:
        changes["rules"] = spec.rules
    if spec.cover is not None:
        changes["cover"] = spec.cover
    updated = _assign(framework, **changes) and not created
    session.flush()
    return framework, created, updated


def _people(
    session: Session, specs: list[PersonSpec], summary: ImportSummary
) -> dict[str, Person]:
    """Person rows by handle: YAML people by id (then email), spreadsheet people by email."""
    found: dict[str, Person] = {}
    taken = set(session.exec(select(Person.key)).all())
    for spec in specs:
        person = None
        if spec.key is not None:
            person = session.exec(select(Person).where(Person.key == spec.key)).first()
        if person is None and spec.email:
            person = session.exec(
                select(Person).where(func.lower(Person.email) == spec.email)
                .order_by(Person.id)).first()
            if person is not None and any(person is other for other in found.values()):
                person = None
        created = person is None
        if person is None:
            key = spec.key or _key_from_email(spec.email or spec.handle, taken)
            person = Person(key=key, name=spec.name)
            session.add(person)
            taken.add(key)
        values: dict[str, Any] = {"name": spec.name, "email": spec.email}
        if spec.key is not None:
            values["key"] = spec.key
        if spec.title or spec.key is not None:
            values["title"] = spec.title
        if spec.slack_id:
            values["slack_id"] = spec.slack_id
        if spec.channel:
            values["channel"] = spec.channel
        changed = _assign(person, **values)
        summary.people.count(created=created, changed=changed)
        found[spec.handle] = person
    session.flush()
    return found


def _absences(
    session: Session, spec: FrameworkSpec, people: dict[str, Person], *, file: str, actor: str,
) -> int:
    """Record the absences the file gives (``bot.framework.absences``: the same dates again
    change only the cover and note). One that cannot be recorded stops the import."""
    recorded = 0
    for person_spec in spec.people:
        absence = person_spec.absence
        if absence is None:
            continue
        try:
            before = absences_between(session, absence.starts, absence.ends,
                                      person_ids=[people[person_spec.handle].id or 0])
            cover = (people.get(absence.cover) or find_person(session, absence.cover)
                     if absence.cover else None)
            view = record_absence(
                session, person=people[person_spec.handle], starts=absence.starts,
                ends=absence.ends, cover=cover, note=absence.note, by=actor, source="import")
        except AbsenceError as error:
            raise FrameworkImportError([Problem(file, "", absence.where, str(error))]) from None
        recorded += not any(b.id == view.id and b.cover_id == view.cover_id
                            and b.note == view.note for b in before)
    return recorded


def _key_from_email(email: str, taken: set[str]) -> str:
    local = re.sub(r"[^a-z0-9._-]+", "-", email.split("@", 1)[0].lower()).strip("-")
    return local if local and local not in taken else email


def _themes(
    session: Session, framework: Framework, spec: FrameworkSpec, summary: ImportSummary
) -> dict[str, Theme]:
    stored = {theme.name.casefold(): theme for theme in session.exec(
        select(Theme).where(Theme.framework_id == framework.id)).all()}
    themes: dict[str, Theme] = {}
    for position, theme_spec in enumerate(spec.themes):
        theme = stored.get(theme_spec.name.casefold())
        created = theme is None
        if theme is None:
            theme = Theme(framework_id=framework.id or 0, name=theme_spec.name)
            session.add(theme)
        values: dict[str, Any] = {"name": theme_spec.name}
        if spec.deliverables_given or created:  # a sheet of risks alone keeps the order
            values["position"] = position if spec.deliverables_given else len(stored) + position
        if theme_spec.ambition is not None:
            values["ambition"] = theme_spec.ambition
        if theme_spec.objectives is not None:
            values["objectives"] = list(theme_spec.objectives)
        changed = _assign(theme, **values)
        summary.themes.count(created=created, changed=changed)
        themes[theme_spec.name.casefold()] = theme
    session.flush()
    return themes


def _risks(
    session: Session, framework: Framework, spec: FrameworkSpec, themes: dict[str, Theme],
    summary: ImportSummary,
) -> None:
    if summary.risk_period is None:
        return
    period = stored_period(session, summary.risk_period)
    stored = {risk.number: risk for risk in session.exec(
        select(Risk).where(Risk.framework_id == framework.id)).all()}
    position = 0
    for theme_spec in spec.themes:
        theme = themes[theme_spec.name.casefold()]
        for risk_spec in theme_spec.risks:
            risk = stored.get(risk_spec.number)
            created = risk is None
            if risk is None:
                risk = Risk(framework_id=framework.id or 0, theme_id=theme.id or 0,
                            number=risk_spec.number, title=risk_spec.title)
                session.add(risk)
                session.flush()
            changed = _assign(risk, theme_id=theme.id, title=risk_spec.title, position=position)
            position += 1
            score = session.exec(select(RiskScore).where(
                RiskScore.risk_id == risk.id, RiskScore.period_id == period.id)).first()
            if score is None:
                session.add(RiskScore(risk_id=risk.id or 0, period_id=period.id or 0,
                                      score=risk_spec.score, direction=risk_spec.direction))
                changed = True
            else:
                changed = _assign(score, score=risk_spec.score,
                                  direction=risk_spec.direction) or changed
            summary.risks.count(created=created, changed=changed)
    session.flush()


def _deliverables(
    session: Session, framework: Framework, specs: list[DeliverableSpec],
    themes: dict[str, Theme], people: dict[str, Person], summary: ImportSummary,
) -> list[Deliverable]:
    """Write the file's deliverables; the stored ones it leaves out are made inactive and
    returned."""
    stored = {row.ref: row for row in session.exec(
        select(Deliverable).where(Deliverable.framework_id == framework.id)).all()}
    owners: dict[int, list[DeliverableOwner]] = {}
    for owner in session.exec(select(DeliverableOwner).join(Deliverable).where(
            Deliverable.framework_id == framework.id).order_by(DeliverableOwner.position)):
        owners.setdefault(owner.deliverable_id, []).append(owner)
    codes = _codes(specs, stored, themes)
    in_file: set[str] = set()
    for position, spec in enumerate(specs):
        assert spec.ref is not None and spec.number is not None  # set by spec.finish
        in_file.add(spec.ref)
        theme = themes[spec.theme.casefold()]
        row = stored.get(spec.ref)
        created = row is None
        if row is None:
            row = Deliverable(framework_id=framework.id or 0, theme_id=theme.id or 0,
                              ref=spec.ref, title=spec.title)
            session.add(row)
            session.flush()
        changed = _assign(row, theme_id=theme.id, area=spec.area, title=spec.title,
                          number=spec.number, position=position, active=True,
                          code=codes[spec.ref])
        mine = owners.get(row.id or 0, [])
        changed = _sync_owners(session, row, mine, Role.sro,
                               [people[handle] for handle in spec.sros]) or changed
        if spec.delegates is not None:
            changed = _sync_owners(session, row, mine, Role.delegate,
                                   [people[handle] for handle in spec.delegates]) or changed
        summary.deliverables.count(created=created, changed=changed)
        if created or changed:
            summary.changes.append(f"{'+' if created else '~'} {row.code} {row.title} "
                                   f"({'new' if created else 'updated'})")
    retired = []
    for ref, row in stored.items():
        if ref not in in_file and row.active:
            row.active = False
            summary.deliverables.deactivated += 1
            retired.append(row)
            summary.changes.append(f"- {row.code or row.ref} {row.title} "
                                   "(taken out of future rounds)")
    session.flush()
    return retired


def _codes(specs: list[DeliverableSpec], stored: dict[str, Deliverable],
           themes: dict[str, Theme]) -> dict[str, str]:
    """Each deliverable's display reference, by ``ref``: the file's ``ref`` when it is written
    as one (``GO-3``), else the one already stored, else theme initials + place in the theme
    (bot.framework.codes).

    A file that starts giving ``ref: GO-3`` for the deliverable already shown as GO-3 keeps
    that deliverable (its identity moves to the new ref) rather than starting a new one."""
    in_file = {spec.ref for spec in specs}
    explicit = {(spec.ref or "").casefold(): spec.ref or "" for spec in specs
                if spec.explicit_ref and looks_like_code(spec.ref or "")}
    for row in list(stored.values()):
        new_ref = explicit.get((row.code or "").casefold())
        if new_ref and new_ref not in stored and row.ref not in in_file:
            del stored[row.ref]
            row.ref = new_ref
            stored[new_ref] = row
    book = CodeBook(explicit.values())
    for row in stored.values():
        if row.code and row.code.casefold() in explicit and row.ref != explicit[
                row.code.casefold()]:
            row.code = None  # another deliverable's ref took it; this one gets a new one
        elif row.code and row.ref not in explicit.values():
            book.take(row.code)
    prefixes = theme_prefixes([theme.name for theme in themes.values()])
    codes: dict[str, str] = {}
    places: dict[str, int] = {}
    for spec in specs:
        assert spec.ref is not None
        key = spec.theme.casefold()
        places[key] = places.get(key, 0) + 1
        row = stored.get(spec.ref)
        if spec.ref.casefold() in explicit:
            codes[spec.ref] = spec.ref
        elif row is not None and row.code:
            codes[spec.ref] = row.code
        else:
            codes[spec.ref] = book.new(prefixes[key], places[key])
    return codes


def _sync_owners(
    session: Session, deliverable: Deliverable, current: list[DeliverableOwner], role: Role,
    wanted: list[Person],
) -> bool:
    """Make the deliverable's owners in ``role`` exactly ``wanted``, in order."""
    rows = {owner.person_id: owner for owner in current if owner.role == role}
    wanted_ids = [person.id for person in wanted]
    if [owner.person_id for owner in sorted(rows.values(), key=lambda o: o.position)] \
            == wanted_ids:
        return False
    for person_id, owner in rows.items():
        if person_id not in wanted_ids:
            session.delete(owner)
    for position, person_id in enumerate(wanted_ids):
        owner = rows.get(person_id)
        if owner is None:
            session.add(DeliverableOwner(deliverable_id=deliverable.id or 0,
                                         person_id=person_id or 0, role=role, position=position))
        else:
            owner.position = position
    return True
