"""``ragtime export``: the period's deliverables as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.reports.export import export_rows, write_csv, write_json
from storage.db import session_scope
from tests.unit.bot.reports.conftest import Q2, add_framework

FIELDS = {"period", "theme", "area", "deliverable", "sros", "rag", "narrative", "submitted_by",
          "submitted_at", "number", "ref"}


@pytest.fixture
def rows(engine):  # type: ignore[no-untyped-def]
    with session_scope(engine, write=True) as session:
        add_framework(session)
    with session_scope(engine) as session:
        return export_rows(session, Q2)


def test_rows_have_the_design_fields_in_report_order(rows):
    assert all(set(row) == FIELDS for row in rows)
    assert [row["ref"] for row in rows] == ["GO-1", "GO-2", "GO-3", "GO-4", "GP-1", "GP-2"]
    first = rows[0]
    assert first["period"] == "2024/25 Q2" and first["theme"] == "Great Outcomes"
    assert first["area"] == "Access" and first["number"] == "1"
    assert first["rag"] == "green"  # the latest version
    assert first["sros"] == ["Sharon Murphy"]
    assert first["submitted_by"] == "Sharon Murphy"
    assert first["submitted_at"] == "2024-10-03T09:30:00+00:00"
    joint = rows[2]
    assert joint["sros"] == ["Bhanu Chadalavada", "James Mullins"]


def test_a_missing_update_is_exported_with_null_rag(rows):
    missing = next(row for row in rows if row["ref"] == "GP-1")
    assert missing["rag"] is None and missing["narrative"] is None
    assert missing["submitted_by"] is None and missing["submitted_at"] is None


def test_json_round_trips(rows):
    stream = io.StringIO()
    write_json(rows, stream)
    assert json.loads(stream.getvalue()) == rows


def test_csv_has_a_header_and_joins_sros(rows):
    stream = io.StringIO()
    write_csv(rows, stream)
    read = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert set(read[0]) == FIELDS and len(read) == len(rows)
    assert read[2]["sros"] == "Bhanu Chadalavada; James Mullins"
    assert read[4]["rag"] == "" and read[0]["rag"] == "green"


def test_csv_neutralises_spreadsheet_formulas():
    stream = io.StringIO()
    write_csv([{"narrative": "=HYPERLINK(\"http://evil\")", "deliverable": "- a bullet",
                "area": "+1 234", "theme": "-cmd|calc", "sros": ["@admin"]}], stream)
    row = next(csv.DictReader(io.StringIO(stream.getvalue())))
    assert row["narrative"].startswith("'=") and row["sros"] == "'@admin"
    assert row["area"] == "'+1 234" and row["theme"] == "'-cmd|calc"
    assert row["deliverable"] == "'- a bullet"  # OWASP: every leading minus
