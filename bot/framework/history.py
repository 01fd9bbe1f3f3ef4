"""Past quarters' answers loaded from a file (``ragtime import-updates FILE``), for a trust that
starts mid-strategy: its first paper then shows its earlier quarters' trend, and its prompts
last quarter's answer.

Each answer is stored as a new version of that deliverable's update for its period, marked
imported (``Source.imported``), never overwriting anything: versions are ordered by when they
were written (``submitted_at`` here), so an old answer never hides a newer one. Importing the
same file again stores nothing twice (an answer already stored with the same content is
skipped). The whole file is checked first; any problem names the row and field, and nothing is
stored.

YAML (the bundled example's ``sutg-2024-25-Q2-updates.yaml`` is one)::

    framework: Step Up To Great        # optional: else --framework, else the only framework
    period: 2024/25 Q2                 # the default for every answer below
    submitted_at: "2024-10-10 09:00"   # optional default (Europe/London); else the period's end
    submitted_by: smurphy              # optional default; else each deliverable's first SRO
    updates:
      - ref: GO-1                      # the deliverable: its reference (GO-1), its ref in the
        rag: green                     #   framework file, or its title
        narrative: …
        recovery_action: …             # optional, also recovery_date, change_reason,
                                       #   period, submitted_by and submitted_at per answer

CSV or XLSX: one answer per row, with the columns ``period, deliverable, rag, narrative`` and
optionally ``recovery_action, recovery_date, change_reason, submitted_by, submitted_at``
(``ref`` or ``title`` for ``deliverable``; headers match whatever their case or spacing).
``submitted_by`` is a person's id in the framework file, email or name.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.calendar.periods import Period, PeriodError, stored_period
from bot.framework.choice import choose_framework
from bot.framework.importer.errors import Problems
from bot.framework.importer.spec import file_text, one_line
from bot.framework.importer.table_form import csv_rows, xlsx_rows
from storage.db import session_scope
from storage.models import Deliverable, DeliverableOwner, Person, Rag, Role, Source, Update
from storage.repo import audit

LONDON = ZoneInfo("Europe/London")
COLUMNS = ("period", "deliverable", "rag", "narrative", "recovery_action", "recovery_date",
           "change_reason", "submitted_by", "submitted_at")
REQUIRED = ("period", "deliverable", "rag")
_ALIASES = {"ref": "deliverable", "code": "deliverable", "title": "deliverable",
            "deliverable_title": "deliverable", "quarter": "period", "rating": "rag",
            "update": "narrative", "recovery": "recovery_action", "recovery_by": "recovery_date",
            "expected_date": "recovery_date", "reason": "change_reason", "by": "submitted_by",
            "sro": "submitted_by", "submitted": "submitted_at", "date": "submitted_at"}
_RAGS = {"g": Rag.green, "green": Rag.green, "a": Rag.amber, "amber": Rag.amber,
         "r": Rag.red, "red": Rag.red}


@dataclass(frozen=True)
class PastAnswer:
    where: str  # "row 3", "updates[2]": named in problems
    period: Period
    deliverable: str  # reference, ref or title, as written
    rag: Rag
    narrative: str
    recovery_action: str | None = None
    recovery_date: date | None = None
    change_reason: str | None = None
    submitted_by: str | None = None
    submitted_at: datetime | None = None  # aware


@dataclass(frozen=True)
class AnswersFile:
    name: str
    framework: str | None
    answers: list[PastAnswer]


@dataclass
class HistorySummary:
    """What an import of past answers did, per period; ``str()`` is the CLI's line."""

    file: str
    framework: str
    stored: dict[str, int] = field(default_factory=dict)  # period label -> answers stored
    present: dict[str, int] = field(default_factory=dict)  # … already stored before

    @property
    def created(self) -> int:
        return sum(self.stored.values())

    @property
    def already_present(self) -> int:
        return sum(self.present.values())

    def __str__(self) -> str:
        periods = sorted(set(self.stored) | set(self.present))
        parts = [f"{label}: {self.stored.get(label, 0)} stored, "
                 f"{self.present.get(label, 0)} already present" for label in periods]
        return f"past answers for '{self.framework}' ({'; '.join(parts) or 'none'})"


# ------------------------------------------------------------------------------ reading


def read_answers(path: Path) -> AnswersFile:
    """Read and check an answers file without touching storage (``FrameworkImportError``
    listing every problem)."""
    path = Path(path)
    problems = Problems(path.name)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        result = _read_yaml(path, problems)
    elif suffix in (".csv", ".xlsx"):
        rows = csv_rows(path, problems) if suffix == ".csv" else xlsx_rows(path, problems)
        result = _read_table(path.name, rows, problems)
    else:
        raise problems.fail("", "", f"unknown file type '{suffix or '(none)'}'; use .yaml, "
                                    ".yml, .csv or .xlsx")
    problems.raise_if_any()
    if not result.answers:
        raise problems.fail("", "", "no answers in the file")
    return result


def _read_yaml(path: Path, problems: Problems) -> AnswersFile:
    try:
        data = yaml.safe_load(file_text(path, problems))
    except yaml.YAMLError as error:
        raise problems.fail("", "", f"not valid YAML: {' '.join(str(error).split())}") from None
    if not isinstance(data, dict) or not isinstance(data.get("updates"), list):
        raise problems.fail("", "updates", "expected a mapping with a list of 'updates'")
    defaults = {key: data.get(key) for key in ("period", "submitted_at", "submitted_by")}
    answers = []
    for index, item in enumerate(data["updates"]):
        where = f"updates[{index}]"
        if not isinstance(item, dict):
            problems.add(where, "", "expected a mapping of keys to values")
            continue
        values = {_column(str(key)): value for key, value in item.items()}
        answer = _answer(where, {**{k: v for k, v in defaults.items() if v is not None},
                                 **values}, problems)
        if answer is not None:
            answers.append(answer)
    framework = data.get("framework")
    return AnswersFile(path.name, str(framework) if framework else None, answers)


def _read_table(name: str, rows: list[tuple[int, list[str]]], problems: Problems
                ) -> AnswersFile:
    filled = [(number, cells) for number, cells in rows if any(c.strip() for c in cells)]
    if not filled:
        raise problems.fail("", "", "the file is empty")
    header_number, header = filled[0]
    columns = {_column(cell): index for index, cell in reversed(list(enumerate(header)))}
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise problems.fail(f"row {header_number}", ", ".join(missing),
                            f"missing column(s) {', '.join(missing)}; the columns are "
                            f"{', '.join(COLUMNS)}")
    answers = []
    for number, cells in filled[1:]:
        values = {column: cells[index] if index < len(cells) else ""
                  for column, index in columns.items()}
        answer = _answer(f"row {number}", values, problems)
        if answer is not None:
            answers.append(answer)
    return AnswersFile(name, None, answers)


def _column(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")
    return _ALIASES.get(key, key)


def _answer(where: str, values: dict[str, Any], problems: Problems) -> PastAnswer | None:
    before = len(problems.items)

    def text(key: str) -> str:
        value = values.get(key)
        return "" if value is None else str(value).strip()

    period: Period | None = None
    try:
        period = Period.parse(text("period")) if text("period") else None
    except PeriodError as error:
        problems.add(where, "period", str(error))
    if period is None and not text("period"):
        problems.add(where, "period", "missing: the quarter answered, e.g. 2024/25 Q1")
    rag = _RAGS.get(text("rag").lower())
    if rag is None:
        problems.add(where, "rag", f"'{text('rag')}' is not a RAG rating; write green, amber "
                                   "or red")
    deliverable = one_line(text("deliverable"))
    if not deliverable:
        problems.add(where, "deliverable", "missing: the deliverable's reference or title")
    narrative = text("narrative")
    for key in ("narrative", "recovery_action", "change_reason"):
        if not _storable(text(key)):  # as bot.collection.storable, which sits above us
            problems.add(where, key, "contains a NUL character or a broken (half) emoji: "
                                     "retype it as plain text")
    recovery_date = _date(where, "recovery_date", text("recovery_date"), problems)
    submitted_at = _moment(where, values.get("submitted_at"), problems)
    if len(problems.items) > before or period is None or rag is None:
        return None
    return PastAnswer(
        where=where, period=period, deliverable=deliverable, rag=rag,
        narrative=" ".join(narrative.split()) if "\n" not in narrative.strip() else narrative,
        recovery_action=text("recovery_action") or None, recovery_date=recovery_date,
        change_reason=text("change_reason") or None,
        submitted_by=text("submitted_by") or None, submitted_at=submitted_at)


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL refuses it) and no lone surrogate (no database encoding holds it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


_DATE_FORMS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")


def _date(where: str, key: str, value: str, problems: Problems) -> date | None:
    if not value:
        return None
    found = None
    for form in _DATE_FORMS:
        try:
            found = datetime.strptime(value[:10] if form == "%Y-%m-%d" else value, form).date()
            break
        except ValueError:
            continue
    if found is None:
        problems.add(where, key, f"'{value}' is not a date; write it as 2024-10-29 or "
                                 "29/10/2024")
    return found


def _moment(where: str, value: object, problems: Problems) -> datetime | None:
    """A date and time (Europe/London unless it says), or a date (at 09:00)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time(9))
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text)
            if len(text) <= 10:
                moment = moment.replace(hour=9)
        except ValueError:
            day = _date(where, "submitted_at", text, problems)
            if day is None:
                return None
            moment = datetime.combine(day, time(9))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.astimezone(UTC)


# ------------------------------------------------------------------------------ storing


def import_answers_file(engine: Engine, path: Path, *, framework: str | None = None,
                        actor: str = "import", dry_run: bool = False) -> HistorySummary:
    """``ragtime import-updates``: read and check ``path``, then store it in one transaction
    (all or nothing); ``dry_run`` rolls it back."""
    answers = read_answers(path)
    with session_scope(engine, write=True) as session:
        summary = import_answers(session, answers, framework=framework, actor=actor)
        if dry_run:
            session.rollback()
        return summary


def import_answers(session: Session, answers: AnswersFile, *, framework: str | None = None,
                   actor: str = "import") -> HistorySummary:
    """Store ``answers`` in the caller's transaction (``FrameworkImportError`` naming every
    answer whose deliverable or person is not found, before anything is stored)."""
    chosen = choose_framework(session, framework or answers.framework,
                              how="--framework NAME (or framework: in the file)")
    problems = Problems(answers.name)
    deliverables = _Deliverables(session, chosen.id or 0)
    people = _People(session)
    found = []
    for answer in answers.answers:
        deliverable = deliverables.find(answer, problems)
        person_id = (people.find(answer, problems) if answer.submitted_by
                     else deliverables.first_sro(deliverable))
        if deliverable is not None:
            found.append((answer, deliverable, person_id))
    problems.raise_if_any()
    summary = HistorySummary(file=answers.name, framework=chosen.name)
    for answer, deliverable, person_id in found:
        label = answer.period.label
        stored = _store(session, answer, deliverable, person_id, chosen.id or 0)
        counts = summary.stored if stored else summary.present
        counts[label] = counts.get(label, 0) + 1
    if summary.created:
        audit(session=session, actor=actor, action="updates.import", subject=chosen.name,
              file=answers.name, stored=summary.stored, present=summary.present)
    session.flush()
    return summary


class _Deliverables:
    """The framework's deliverables (active or not: a past quarter may name a retired one),
    found by reference, ref or title."""

    def __init__(self, session: Session, framework_id: int) -> None:
        self.session = session
        self.rows = list(session.exec(select(Deliverable).where(
            Deliverable.framework_id == framework_id).order_by(Deliverable.position)))
        self.by_key: dict[str, list[Deliverable]] = {}
        for row in self.rows:
            for key in {row.ref, row.code or "", one_line(row.title)}:
                if key:
                    self.by_key.setdefault(key.casefold(), []).append(row)

    def find(self, answer: PastAnswer, problems: Problems) -> Deliverable | None:
        matches = self.by_key.get(answer.deliverable.casefold(), [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            problems.add(answer.where, "deliverable", f"'{answer.deliverable}' names "
                         f"{len(matches)} deliverables; use its reference "
                         f"({', '.join(row.code or row.ref for row in matches)})")
        else:
            problems.add(answer.where, "deliverable", f"no deliverable '{answer.deliverable}' "
                         "in the framework (give its reference, e.g. GO-1, or its title)")
        return None

    def first_sro(self, deliverable: Deliverable | None) -> int | None:
        if deliverable is None:
            return None
        return self.session.exec(select(DeliverableOwner.person_id).where(
            DeliverableOwner.deliverable_id == deliverable.id,
            DeliverableOwner.role == Role.sro).order_by(DeliverableOwner.position)).first()


class _People:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, answer: PastAnswer, problems: Problems) -> int | None:
        wanted = (answer.submitted_by or "").strip()
        found = self.session.exec(select(Person.id).where(
            (Person.key == wanted) | (func.lower(Person.email) == wanted.lower())
            | (func.lower(Person.name) == wanted.lower()))).all()
        if len(found) == 1:
            return found[0]
        problems.add(answer.where, "submitted_by",
                     f"no person '{wanted}' (give their id in the framework file or email)"
                     if not found else f"'{wanted}' names {len(found)} people; give an email")
        return None


def default_moment(period: Period) -> datetime:
    """When an answer with no ``submitted_at`` is taken to be written: its quarter's last day,
    17:00 in Europe/London."""
    return datetime.combine(period.end, time(17), tzinfo=LONDON).astimezone(UTC)


def _store(session: Session, answer: PastAnswer, deliverable: Deliverable,
           person_id: int | None, framework_id: int) -> bool:
    """Store ``answer`` as the next version; False when the same answer is already stored."""
    period = stored_period(session, answer.period)
    moment = answer.submitted_at or default_moment(answer.period)
    content = (answer.rag.value, answer.narrative, answer.recovery_action or "",
               answer.recovery_date.isoformat() if answer.recovery_date else "",
               answer.change_reason or "", moment.isoformat())
    key = "history:" + hashlib.sha256(json.dumps(
        [framework_id, deliverable.ref, answer.period.slug, *content]).encode()).hexdigest()[:32]
    same = session.exec(select(Update.id).where(
        Update.deliverable_id == deliverable.id, Update.period_id == period.id,
        Update.rag == answer.rag, Update.narrative == answer.narrative,
        Update.recovery_action == answer.recovery_action,
        Update.recovery_date == answer.recovery_date,
        Update.submitted_at == moment)).first()
    if same is not None or session.exec(select(Update.id).where(
            Update.idempotency_key == key)).first() is not None:
        return False
    latest = session.exec(select(func.max(col(Update.version))).where(
        Update.deliverable_id == deliverable.id, Update.period_id == period.id)).one()
    session.add(Update(
        deliverable_id=deliverable.id or 0, period_id=period.id or 0, version=(latest or 0) + 1,
        rag=answer.rag, narrative=answer.narrative, recovery_action=answer.recovery_action,
        recovery_date=answer.recovery_date, change_reason=answer.change_reason,
        submitted_by_id=person_id, submitted_at=moment, written_at=moment,
        source=Source.imported, idempotency_key=key))
    session.flush()
    return True

