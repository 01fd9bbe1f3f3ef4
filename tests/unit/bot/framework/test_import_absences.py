"""Absences from the framework file: ``away_from``/``away_to``/``cover``/``away_note`` on a YAML
person, ``sro_away_from``/``sro_away_to``/``sro_cover`` CSV columns; re-importing records
nothing twice; problems named by line or row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.framework.absences import absences_between
from bot.framework.importer import FrameworkImportError, import_framework
from storage.db import session_scope
from tests.paths import DATA

YAML_TEXT = (DATA / "framework.yaml").read_text(encoding="utf-8")


def run_import(engine, path: Path):
    with session_scope(engine, write=True) as session:
        return import_framework(session, path)


def with_absence(fields: str) -> str:
    """The test framework with ``fields`` added to Alice Jones."""
    return YAML_TEXT.replace("    slack_id: U0AJONES1\n", "    slack_id: U0AJONES1\n" + fields)


def absences(engine):
    with session_scope(engine) as session:
        return [(a.person_key, a.starts, a.ends, a.cover_key, a.note, a.source)
                for a in absences_between(session)]


def test_a_yaml_person_away_with_a_cover(any_engine, tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(with_absence("    away_from: 2025-08-04\n    away_to: 2025-08-15\n"
                                 "    cover: bsmith\n    away_note: Annual leave\n"))
    summary = run_import(any_engine, path)
    assert "absences 1 recorded" in str(summary)
    assert absences(any_engine) == [("ajones", date(2025, 8, 4), date(2025, 8, 15), "bsmith",
                                     "Annual leave", "import")]
    again = run_import(any_engine, path)
    assert again.absences == 0 and "unchanged" in str(again)
    assert len(absences(any_engine)) == 1
    path.write_text(with_absence("    away_from: 2025-08-04\n    away_to: 2025-08-15\n"
                                 "    cover: cdavies\n"))
    assert run_import(any_engine, path).absences == 1  # the cover changed
    assert absences(any_engine)[0][3] == "cdavies"


@pytest.mark.parametrize(("fields", "message"), [
    ("    away_from: 2025-08-04\n", "people[0].away_to: an absence needs both"),
    ("    away_from: 4 Aug\n    away_to: 2025-08-15\n", "'4 Aug' is not a date"),
    ("    away_from: 2025-08-15\n    away_to: 2025-08-04\n", "away_to is before away_from"),
    ("    away_from: 2025-08-04\n    away_to: 2025-08-15\n    cover: zz\n",
     "people[0].cover: cover 'zz' is not a person id in this file"),
    ("    away_from: 2025-08-04\n    away_to: 2025-08-15\n    cover: ajones\n",
     "Alice Jones cannot cover their own absence"),
])
def test_yaml_absence_problems_are_named(engine, tmp_path, fields, message):
    path = tmp_path / "f.yaml"
    path.write_text(with_absence(fields))
    with pytest.raises(FrameworkImportError) as refused:
        run_import(engine, path)
    assert message in str(refused.value)
    assert absences(engine) == []


def test_csv_columns_give_each_sro_an_absence(any_engine, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "theme,area,deliverable,sro_name,sro_title,sro_email,sro_away_from,sro_away_to,sro_cover\n"
        "Great Outcomes,Access,Review the policy,Ann Lee;Bo Ray,CFO;COO,"
        "ann@example.nhs.uk;bo@example.nhs.uk,2025-08-04;,2025-08-15;,bo@example.nhs.uk;\n"
        "Great Care,Safety,Embed the framework,Bo Ray,COO,bo@example.nhs.uk,,,\n")
    run_import(any_engine, path)
    assert absences(any_engine) == [("ann", date(2025, 8, 4), date(2025, 8, 15), "bo", "",
                                     "import")]
    path.write_text(
        "theme,area,deliverable,sro_name,sro_title,sro_email,sro_away_from\n"
        "Great Outcomes,Access,Review the policy,Ann Lee,CFO,ann@example.nhs.uk,2025-08-04\n")
    with pytest.raises(FrameworkImportError, match="row 2, sro_away_to: an absence needs both"):
        run_import(any_engine, path)
