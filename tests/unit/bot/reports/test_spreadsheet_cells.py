"""Every cell of every CSV the project writes follows OWASP's CSV-injection guidance: a cell a
spreadsheet would read as a formula starts with ``'``, and every cell is quoted so an embedded
separator never starts a new cell (``bot.reports.spreadsheet``; ``ragtime export --format
csv`` is the project's only CSV/XLSX writer)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from bot.reports.export import FIELDS, export_rows, write_csv
from bot.reports.spreadsheet import safe_cell
from storage.db import session_scope
from storage.models import Deliverable, Person, Update
from tests.unit.bot.reports.conftest import Q2, add_framework

# Each OWASP start, its fullwidth form, and the same after spaces an importer may trim.
FORMULAS = [
    "=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1+1", "\x00=1+1",
    "-cmd|' /C calc'!A0", "- a bullet", "-2", "＝1+1", "＋1", "－1+1", "＠SUM(A1)",
    " =1+1", "  @SUM(A1)", "\u00a0+1", "\u3000＝1",
]
PLAIN = ["Green", "on track", "1-2 weeks", "a=b", "e-mail", "'quoted", "", "2024-10-03",
         "café ☕", "50% done"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_start_is_prefixed_with_a_quote(text: str):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_unchanged(text: str):
    assert safe_cell(text) == text


def test_lists_and_none_are_cells_too():
    assert safe_cell(None) == ""
    assert safe_cell(["@admin", "Sharon"]) == "'@admin; Sharon"
    assert safe_cell(["Sharon", "=evil"]) == "Sharon; =evil"  # one cell, starting with S


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("text", FORMULAS)
def test_every_column_of_the_export_is_neutralised(field: str, text: str):
    stream = io.StringIO()
    write_csv([{field: text}], stream)

    [row] = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert row[field] == "'" + text


@pytest.mark.parametrize("text", [
    'a,=1+1', 'a;=1+1', 'say "=1+1"', 'line one\n=1+1', 'tab\t=1+1', "a|=1+1",
])
def test_embedded_separators_and_quotes_stay_inside_one_quoted_cell(text: str):
    stream = io.StringIO()
    write_csv([{"narrative": text, "area": "Access"}], stream)

    lines = stream.getvalue()
    [row] = list(csv.DictReader(io.StringIO(lines)))
    assert row["narrative"] == text and row["area"] == "Access"
    # Every cell is quoted (so a ';'-separated locale cannot split one) and quotes doubled.
    data = lines.split("\n", 1)[1]
    assert data.startswith('"') and data.count('"') % 2 == 0
    assert '"Access"' in data and ('""=1+1""' in data) == ('"' in text)
    assert f'"{text.replace(chr(34), chr(34) * 2)}"' in data  # the separator is inside quotes


def test_the_header_row_is_quoted_and_plain():
    stream = io.StringIO()
    write_csv([], stream)
    assert stream.getvalue() == ",".join(f'"{name}"' for name in FIELDS) + "\n"


def test_stored_text_is_neutralised_in_the_exported_file(any_engine):
    """From storage to the file, on SQLite and PostgreSQL: names, titles and narratives."""
    with session_scope(any_engine, write=True) as session:
        add_framework(session)
        deliverable = session.get(Deliverable, 1)
        deliverable.title, deliverable.area = "-2+3 beds", "＠Access"
        session.add(deliverable)
        for person in session.exec(select(Person)).all():
            person.name = "=HYPERLINK(\"http://evil\",\"" + person.name + "\")"
            session.add(person)
        for update in session.exec(select(Update)).all():
            update.narrative = "+cmd|' /C calc'!A0"
            session.add(update)
    with session_scope(any_engine) as session:
        rows = export_rows(session, Q2)
    stream = io.StringIO()
    write_csv(rows, stream)

    read = list(csv.DictReader(io.StringIO(stream.getvalue())))
    first = read[0]
    assert first["deliverable"] == "'-2+3 beds" and first["area"] == "'＠Access"
    assert first["narrative"] == "'+cmd|' /C calc'!A0"
    assert first["sros"].startswith("'=HYPERLINK") and first["submitted_by"].startswith("'=")
    for row in read:
        for name, cell in row.items():
            assert not cell.lstrip(" ").startswith(tuple("=+-@＝＋－＠")), (name, cell)
