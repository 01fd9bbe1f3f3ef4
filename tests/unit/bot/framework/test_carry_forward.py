"""Carrying deliverables forward into a new framework: ``carried_from`` in YAML, a column in CSV
and XLSX, and ``ragtime framework carry-forward --map``; a reference naming no deliverable of an
earlier framework stops the import, naming the row."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.framework.carry import carried_from
from bot.framework.example import load_example
from bot.framework.importer import FrameworkImportError, import_framework
from storage.db import session_scope
from storage.models import Deliverable, Framework
from tests.support.cli import ragtime

HEADER = ["theme", "area", "deliverable", "sro_name", "sro_title", "sro_email", "carried_from"]
ROWS = [
    ["Responsive", "Access", "Single point of access", "Sharon Murphy", "Director of Finance",
     "sharon.murphy@example.nhs.uk", "Step Up To Great/GO-1"],
    ["Responsive", "Access", "Digital front door", "Sharon Murphy", "Director of Finance",
     "sharon.murphy@example.nhs.uk", ""],
]
YAML = """\
name: THRIVE
people:
  - id: smurphy
    name: Sharon Murphy
    title: Director of Finance
    email: sharon.murphy@example.nhs.uk
themes:
  - name: Responsive
    deliverables:
      - area: Access
        title: Single point of access
        sro: smurphy
        carried_from: "Step Up To Great/GO-1"
      - area: Access
        title: Digital front door
        sro: smurphy
"""


@pytest.fixture
def sutg(engine: Engine) -> Engine:
    with session_scope(engine, write=True) as session:
        load_example(session)
    return engine


def links(engine: Engine) -> dict[str, str]:
    """New deliverable's title → what it carries on."""
    with session_scope(engine) as session:
        thrive = session.exec(select(Framework).where(Framework.name == "THRIVE")).one()
        rows = session.exec(select(Deliverable).where(Deliverable.framework_id == thrive.id)).all()
        found = carried_from(session, [d.id for d in rows])
        return {d.title: found[d.id].reference for d in rows if d.id in found}


def write_csv(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "thrive.csv"
    path.write_text("\n".join(",".join(row) for row in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def write_xlsx(folder: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    path = folder / "thrive.xlsx"
    book.save(path)
    return path


def load(engine: Engine, path: Path) -> None:
    with session_scope(engine, write=True) as session:
        import_framework(session, path, framework_name="THRIVE")


@pytest.mark.parametrize("form", ["yaml", "csv", "xlsx"])
def test_each_file_form_links_the_carried_deliverable(sutg: Engine, tmp_path: Path, form: str):
    if form == "yaml":
        path = tmp_path / "thrive.yaml"
        path.write_text(YAML, encoding="utf-8")
    else:
        path = (write_csv if form == "csv" else write_xlsx)(tmp_path, ROWS)

    load(sutg, path)
    assert links(sutg) == {"Single point of access": "Step Up To Great/GO-1"}
    load(sutg, path)  # importing again links nothing twice
    assert links(sutg) == {"Single point of access": "Step Up To Great/GO-1"}


@pytest.mark.parametrize(("reference", "says"), [
    ("Step Up To Great/GO-99", "'Step Up To Great' has no deliverable 'GO-99'"),
    ("Nowhere/GO-1", "there is no framework 'Nowhere'"),
    ("GO-1", "name the earlier framework too"),
])
def test_a_reference_naming_nothing_stops_the_import_at_its_row(
        sutg: Engine, tmp_path: Path, reference: str, says: str):
    rows = [[*ROWS[0][:-1], reference], ROWS[1]]
    with pytest.raises(FrameworkImportError) as error:
        load(sutg, write_csv(tmp_path, rows))
    assert "row 2, carried_from" in str(error.value) and says in str(error.value)
    with session_scope(sutg) as session:  # nothing was written
        assert session.exec(select(Framework).where(Framework.name == "THRIVE")).first() is None


def test_the_carry_forward_command_links_by_a_map(sutg: Engine, tmp_path: Path, sqlite_url: str):
    env = {"DATABASE_URL": sqlite_url}
    plain = write_csv(tmp_path, [[*row[:-1], ""] for row in ROWS])
    assert ragtime("import", str(plain), "--name", "THRIVE", env=env).returncode == 0
    mapping = tmp_path / "map.csv"
    mapping.write_text("from,to\nGO-1,R-1\nGO-2,R-2\n", encoding="utf-8")

    done = ragtime("framework", "carry-forward", "--from", "Step Up To Great", "--to", "THRIVE",
                   "--map", str(mapping), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("Carried forward from 'Step Up To Great' to 'THRIVE': "
                                   "2 linked now, 0 already linked.")
    assert links(sutg) == {"Single point of access": "Step Up To Great/GO-1",
                           "Digital front door": "Step Up To Great/GO-2"}

    mapping.write_text("from,to\nGO-1,R-1\nGO-77,R-9\n", encoding="utf-8")
    refused = ragtime("framework", "carry-forward", "--from", "Step Up To Great", "--to",
                      "THRIVE", "--map", str(mapping), env=env)
    assert refused.returncode == 2
    assert "'Step Up To Great' has no deliverable 'GO-77'; nothing was linked" in refused.stderr
    same = ragtime("framework", "carry-forward", "--from", "THRIVE", "--to", "THRIVE",
                   "--map", str(mapping), env=env)
    assert same.returncode == 2
