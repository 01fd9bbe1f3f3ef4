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
from bot.framework.importer.spec import (
    DeliverableSpec,
    FrameworkSpec,
    PersonSpec,
    ThemeSpec,
    check_email,
    check_slack_id,
    file_text,
    finish,
    one_line,
)
from bot.framework.people import check_channel

REQUIRED = ("theme", "area", "deliverable", "sro_name", "sro_title", "sro_email")
OPTIONAL = ("ref", "number", "sro_slack_id", "sro_channel", "carried_from")
ALIASES = {
    "title": "deliverable", "deliverable_title": "deliverable", "sro": "sro_name",
    "sro_names": "sro_name", "sro_titles": "sro_title", "sro_emails": "sro_email",
    "sro_slack_ids": "sro_slack_id", "sro_channels": "sro_channel",
}
JOINT = ";"
HEADER_SEARCH = 10  # non-blank rows searched for the header

Row = tuple[int, list[str]]  # spreadsheet row number (header = 1) and its cells


def read_csv(path: Path, problems: Problems) -> FrameworkSpec:
    text = file_text(path, problems)
    try:
        rows = list(bounded_rows(enumerate(csv.reader(io.StringIO(text)), 1), problems))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise problems.fail("", "", f"a cell has more than {MAX_VALUE_CHARS:,} characters; "
                                        f"a value may have at most {MAX_VALUE_CHARS:,}") from None
        raise problems.fail("", "", f"malformed CSV: {error}") from None
    return _read_rows(rows, problems)


def read_xlsx(path: Path, problems: Problems) -> FrameworkSpec:
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
        cells = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
        rows = list(bounded_rows(((number, [_cell_text(value) for value in values])
                                  for number, values in enumerate(cells, 1)), problems))
    except FrameworkImportError:
        raise
    except Exception as error:  # a damaged sheet: see _damaged
        raise _damaged(problems, error) from None
    finally:
        workbook.close()
    if not any(any(cells) for _, cells in rows):
        raise problems.fail("", "", "the workbook is empty")
    return _read_rows(rows, problems)


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
    for column, items in (("sro_email", emails), ("sro_title", titles),
                          ("sro_slack_id", slack_ids), ("sro_channel", channels)):
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
        person = PersonSpec(handle=email, key=None, name=name,
                            title=titles[index] if titles else "", email=email,
                            slack_id=slack_id or None, channel=channel)
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
    if ((person.title and not first.title) or (person.slack_id and not first.slack_id)
            or (person.channel and not first.channel)):
        people[person.email] = (first_row, PersonSpec(
            handle=first.handle, key=None, name=first.name, title=first.title or person.title,
            email=first.email, slack_id=first.slack_id or person.slack_id,
            channel=first.channel or person.channel))


def _split(value: str) -> list[str]:
    items = [one_line(item) for item in value.split(JOINT)]
    return items if any(items) else []
