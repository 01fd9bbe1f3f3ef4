"""Read deliverable rows from CSV or XLSX: one row per deliverable, joint SROs split on ';'."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

from bot.framework.importer.errors import FrameworkImportError, Problems
from bot.framework.importer.limits import (
    MAX_COLUMNS,
    MAX_VALUE_CHARS,
    MAX_XLSX_FILE_BYTES,
    bounded_rows,
    check_file_size,
    check_xlsx_size,
)
from bot.framework.importer.risk_rows import RISK_SHEETS, is_risk_header, read_risk_rows
from bot.framework.importer.spec import (
    AbsenceSpec,
    DeliverableSpec,
    FrameworkSpec,
    PersonSpec,
    RiskSpec,
    ThemeSpec,
    check_email,
    check_slack_id,
    file_text,
    finish,
    one_line,
)
from bot.framework.people import check_channel

REQUIRED = ("theme", "area", "deliverable", "sro_name", "sro_title", "sro_email")
OPTIONAL = ("ref", "number", "sro_slack_id", "sro_channel", "sro_away_from", "sro_away_to",
            "sro_cover", "carried_from")
ALIASES = {
    "title": "deliverable", "deliverable_title": "deliverable", "sro": "sro_name",
    "sro_names": "sro_name", "sro_titles": "sro_title", "sro_emails": "sro_email",
    "sro_slack_ids": "sro_slack_id", "sro_channels": "sro_channel",
}
JOINT = ";"
HEADER_SEARCH = 10  # non-blank rows searched for the header

Row = tuple[int, list[str]]  # spreadsheet row number (header = 1) and its cells


def read_csv(path: Path, problems: Problems) -> FrameworkSpec:
    rows = csv_rows(path, problems)
    if _is_risk_sheet(rows):
        return _risks_only(rows, problems)
    return _read_rows(rows, problems)


def read_xlsx(path: Path, problems: Problems) -> FrameworkSpec:
    """The first sheet's deliverables (or BAF risks), and a sheet of BAF risks beside them."""
    rows, risk_rows, risk_sheet = _xlsx_sheets(path, problems)
    if _is_risk_sheet(rows):
        return _risks_only(rows, problems)
    spec = _read_rows(rows, problems)
    if risk_rows is not None:
        people = {person.email or person.handle: (0, person) for person in spec.people}
        _add_risks(spec, read_risk_rows(risk_rows, problems, people, sheet=risk_sheet), people)
    return spec


def csv_rows(path: Path, problems: Problems) -> list[Row]:
    """A CSV file's rows (row number, cells), within the limits (``limits``)."""
    text = file_text(path, problems)
    try:
        rows = list(bounded_rows(enumerate(csv.reader(io.StringIO(text)), 1), problems))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise problems.fail("", "", f"a cell has more than {MAX_VALUE_CHARS:,} characters; "
                                        f"a value may have at most {MAX_VALUE_CHARS:,}") from None
        raise problems.fail("", "", f"malformed CSV: {error}") from None
    return rows


def xlsx_rows(path: Path, problems: Problems) -> list[Row]:
    """The first sheet's rows (row number, cells as text), within the limits (``limits``)."""
    return _xlsx_sheets(path, problems)[0]


def _xlsx_sheets(path: Path, problems: Problems) -> tuple[list[Row], list[Row] | None, str]:
    """The first sheet's rows, and those of a BAF risk sheet beside it (None: none) and its
    name."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_file_size(path, problems, limit=MAX_XLSX_FILE_BYTES)
    check_xlsx_size(path, problems)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except OSError as error:
        raise problems.fail("", "", f"cannot read the file: {error.strerror or error}") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise problems.fail("", "", f"not a readable Excel workbook (.xlsx): {error}") from None
    except Exception as error:  # a damaged file: see _damaged
        raise _damaged(problems, error) from None
    try:
        sheet = workbook.active or workbook.worksheets[0]
        rows = _sheet_rows(sheet, problems)
        risk_sheet = next((other for other in workbook.worksheets if other is not sheet
                           and other.title.strip().lower() in RISK_SHEETS), None)
        risk_rows = _sheet_rows(risk_sheet, problems) if risk_sheet is not None else None
    except FrameworkImportError:
        raise
    except Exception as error:  # a damaged sheet: see _damaged
        raise _damaged(problems, error) from None
    finally:
        workbook.close()
    if not any(any(cells) for _, cells in rows):
        raise problems.fail("", "", "the workbook is empty")
    return rows, risk_rows, risk_sheet.title if risk_sheet is not None else ""


def _sheet_rows(sheet: object, problems: Problems) -> list[Row]:
    cells = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)  # type: ignore[attr-defined]
    return list(bounded_rows(((number, [_cell_text(value) for value in values])
                              for number, values in enumerate(cells, 1)), problems))


def _is_risk_sheet(rows: list[Row]) -> bool:
    first = next((cells for _, cells in rows if any(c.strip() for c in cells)), None)
    return first is not None and is_risk_header(first)


def _risks_only(rows: list[Row], problems: Problems) -> FrameworkSpec:
    """A sheet of BAF risks alone: the stored deliverables are left as they are."""
    spec = FrameworkSpec(kind="table", deliverables_given=False)
    people: dict[str, tuple[int, PersonSpec]] = {}
    found = read_risk_rows(rows, problems, people)
    if not found and not problems:
        raise problems.fail("", "", "no BAF risk rows below the header")
    _add_risks(spec, found, people)
    return spec


def _add_risks(spec: FrameworkSpec, found: list[tuple[str, RiskSpec]],
               people: dict[str, tuple[int, PersonSpec]]) -> None:
    themes = {theme.name.casefold(): theme for theme in spec.themes}
    for theme_name, risk in found:
        theme = themes.get(theme_name.casefold())
        if theme is None:
            theme = themes[theme_name.casefold()] = ThemeSpec(name=theme_name)
            spec.themes.append(theme)
        theme.risks.append(risk)
    known = {person.handle for person in spec.people}
    spec.people += [person for _, person in people.values() if person.handle not in known]


def _damaged(problems: Problems, error: Exception) -> Exception:
    """A damaged workbook fails deep in zip, zlib or XML parsing with whatever those raise
    (zlib.error, IndexError, NotImplementedError…); to the person importing it is one thing."""
    return problems.fail("", "", "not a readable Excel workbook (.xlsx): the file is damaged "
                         f"({type(error).__name__})")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def header_name(cell: str) -> str:
    """Forgiving header matching: case, spaces, punctuation and a byte-order mark ignored."""
    name = re.sub(r"[^a-z0-9]+", "_", cell.replace("\ufeff", "").strip().lower()).strip("_")
    return ALIASES.get(name, name)


def _header_row(rows: list[Row]) -> int:
    """Index of the header: the first row naming the theme and deliverable columns (a title
    row above it is allowed), else the first non-blank row."""
    filled = [index for index, (_, cells) in enumerate(rows) if any(c.strip() for c in cells)]
    for index in filled[:HEADER_SEARCH]:
        names = {header_name(cell) for cell in rows[index][1]}
        if {"theme", "deliverable"} <= names:
            return index
    return filled[0] if filled else 0


def _read_rows(rows: list[Row], problems: Problems) -> FrameworkSpec:
    if not rows:
        raise problems.fail("", "", "the file is empty")
    start = _header_row(rows)
    header_number, header = rows[start]
    where = f"row {header_number}"
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = header_name(cell)
        if name in columns and name in (*REQUIRED, *OPTIONAL):
            problems.add(where, name, f"column '{name}' appears twice")
        columns.setdefault(name, index)
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        found = ", ".join(cell.strip() for cell in header if cell.strip()) or "nothing"
        hint = ("; it looks separated by ';' — save it as comma-separated CSV"
                if len(header) == 1 and ";" in header[0] else "")
        raise problems.fail(where, ", ".join(missing),
                            f"missing column(s) {', '.join(missing)} (found: {found}); "
                            f"the columns are {', '.join(REQUIRED)}{hint}")
    spec = FrameworkSpec(kind="table")
    people: dict[str, tuple[int, PersonSpec]] = {}
    themes: dict[str, ThemeSpec] = {}
    for number, cells in _data_rows(rows[start + 1:]):
        values = {name: one_line(cells[index]) if index < len(cells) else ""
                  for name, index in columns.items()}
        deliverable = _row(number, values, people, problems)
        if deliverable is None:
            continue
        theme = themes.setdefault(deliverable.theme.casefold(), ThemeSpec(name=deliverable.theme))
        deliverable.theme = theme.name
        spec.deliverables.append(deliverable)
    if not spec.deliverables and not problems:
        raise problems.fail("", "", "no deliverable rows below the header")
    spec.themes = list(themes.values())
    spec.people = [person for _, person in people.values()]
    finish(spec, problems)
    return spec


def _data_rows(rows: Iterable[Row]) -> Iterator[Row]:
    for number, cells in rows:
        if any(cell.strip() for cell in cells):
            yield number, cells


def _row(
    number: int, values: dict[str, str], people: dict[str, tuple[int, PersonSpec]],
    problems: Problems,
) -> DeliverableSpec | None:
    where = f"row {number}"
    problems_before = len(problems.items)
    for name in ("theme", "deliverable", "sro_name", "sro_email"):
        if not values[name]:
            problems.add(where, name, f"missing {name.replace('_', ' ')}")
    names, titles, emails = (_split(values[name]) for name in ("sro_name", "sro_title",
                                                                 "sro_email"))
    slack_ids = _split(values.get("sro_slack_id", ""))
    channels = _split(values.get("sro_channel", ""))
    away = {column: _split(values.get(column, ""))
            for column in ("sro_away_from", "sro_away_to", "sro_cover")}
    for column, items in (("sro_email", emails), ("sro_title", titles),
                          ("sro_slack_id", slack_ids), ("sro_channel", channels),
                          *away.items()):
        if items and names and len(items) != len(names):
            problems.add(where, column, f"{len(names)} SRO name(s) but {len(items)} in {column}; "
                                        f"separate joint SROs with '{JOINT}' in each sro_ column")
            return None
    handles: list[str] = []
    for index, (name, email) in enumerate(zip(names, emails, strict=False)):
        email = email.lower()
        if problem := check_email(email):
            problems.add(where, "sro_email", problem)
            continue
        slack_id = slack_ids[index] if slack_ids else None
        if slack_id and (problem := check_slack_id(slack_id)):
            problems.add(where, "sro_slack_id", problem)
            continue
        channel = channels[index].lower() if channels and channels[index] else None
        if channel and (problem := check_channel(channel)):
            problems.add(where, "sro_channel", problem)
            continue
        absence = _absence(where, index, away, problems)
        person = PersonSpec(handle=email, key=None, name=name,
                            title=titles[index] if titles else "", email=email,
                            slack_id=slack_id or None, channel=channel, absence=absence)
        _remember(person, number, people, problems)
        if email in handles:
            problems.add(where, "sro_email", f"{email} is listed twice")
        else:
            handles.append(email)
    if len(problems.items) > problems_before:
        return None
    return DeliverableSpec(
        theme=values["theme"], area=values["area"], title=values["deliverable"],
        sros=tuple(handles), where=where, path="",
        ref=values.get("ref") or None, number=values.get("number") or None,
        carried_from=values.get("carried_from") or None,
    )


def _remember(
    person: PersonSpec, number: int, people: dict[str, tuple[int, PersonSpec]],
    problems: Problems,
) -> None:
    """The same email must name the same person on every row."""
    assert person.email is not None
    if person.email not in people:
        people[person.email] = (number, person)
        return
    first_row, first = people[person.email]
    if first.name != person.name:
        problems.add(f"row {number}", "sro_name",
                     f"{person.email} is '{person.name}' here but '{first.name}' on row "
                     f"{first_row}")
    for column, mine, theirs in (("sro_title", person.title, first.title),
                                 ("sro_slack_id", person.slack_id, first.slack_id),
                                 ("sro_channel", person.channel, first.channel)):
        if mine and theirs and mine != theirs:
            problems.add(f"row {number}", column,
                         f"{person.email} has '{mine}' here but '{theirs}' on row {first_row}")
    if (person.absence and first.absence and person.absence != first.absence
            and (person.absence.starts, person.absence.ends, person.absence.cover)
            != (first.absence.starts, first.absence.ends, first.absence.cover)):
        problems.add(f"row {number}", "sro_away_from",
                     f"{person.email} has another absence here than on row {first_row}")
    if ((person.title and not first.title) or (person.slack_id and not first.slack_id)
            or (person.channel and not first.channel) or (person.absence and not first.absence)):
        people[person.email] = (first_row, PersonSpec(
            handle=first.handle, key=None, name=first.name, title=first.title or person.title,
            email=first.email, slack_id=first.slack_id or person.slack_id,
            channel=first.channel or person.channel, absence=first.absence or person.absence))


def _absence(where: str, index: int, away: dict[str, list[str]], problems: Problems
             ) -> AbsenceSpec | None:
    """The SRO's absence from ``sro_away_from`` / ``sro_away_to`` (ISO dates) and
    ``sro_cover`` (an email or person id), each ``;``-separated like the other sro_ columns."""
    def cell(column: str) -> str:
        items = away[column]
        return items[index] if items and index < len(items) else ""

    starts, ends, cover = cell("sro_away_from"), cell("sro_away_to"), cell("sro_cover")
    if not (starts or ends or cover):
        return None
    if not (starts and ends):
        problems.add(where, "sro_away_to" if starts else "sro_away_from",
                     "an absence needs both sro_away_from and sro_away_to")
        return None
    try:
        first, last = _iso_day(starts), _iso_day(ends)
    except ValueError:
        problems.add(where, "sro_away_from", f"'{starts}' to '{ends}' are not dates: write them "
                                             "as YYYY-MM-DD, e.g. 2025-08-04")
        return None
    if last < first:
        problems.add(where, "sro_away_to", "sro_away_to is before sro_away_from")
        return None
    return AbsenceSpec(starts=first, ends=last, cover=cover.lower() if "@" in cover else
                       cover or None, where=f"{where}, sro_away_from")


def _iso_day(text: str) -> date:
    """``2025-08-04``, or a spreadsheet's date cell read as ``2025-08-04 00:00:00``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.fromisoformat(text).date()


def _split(value: str) -> list[str]:
    items = [one_line(item) for item in value.split(JOINT)]
    return items if any(items) else []
