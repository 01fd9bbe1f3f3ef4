"""BAF risks carried forward into a new framework, on SQLite and PostgreSQL: ``carried_from`` on a
YAML risk entry, a ``carried_from`` column on the CSV/XLSX risk rows, and ``ragtime framework
carry-forward --map`` with ``kind: risk`` rows (or rows written ``BAF 01``); a reference naming no
risk of an earlier framework stops the import at its row, and a map naming one links nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.framework.carry import read_map
from bot.framework.example import load_example
from bot.framework.importer import FrameworkImportError, import_framework
from bot.framework.lifecycle import LifecycleError
from bot.framework.risk_carry import find_risk, risk_carried_from, same_number
from storage.db import session_scope
from storage.models import Framework, Risk
from tests.support.cli import ragtime

YAML = """\
name: THRIVE
period: 2025/26 Q1
people:
  - id: smurphy
    name: Sharon Murphy
    title: Director of Finance
    email: sharon.murphy@example.nhs.uk
themes:
  - name: Responsive
    risks:
      - number: "1"
        title: Without timely access to services, people wait too long
        score: 16
        owner: smurphy
        carried_from: "Step Up To Great/BAF 01"
      - number: "2"
        title: A new risk of the new strategy
        score: 9
    deliverables:
      - area: Access
        title: Single point of access
        sro: smurphy
"""
DELIVERABLES = [
    ["theme", "area", "deliverable", "sro_name", "sro_title", "sro_email"],
    ["Responsive", "Access", "Single point of access", "Sharon Murphy", "Director of Finance",
     "sharon.murphy@example.nhs.uk"],
]
RISK_HEADER = ["theme", "risk_number", "risk_title", "score", "owner_name", "owner_email",
               "carried_from"]
RISKS = [
    ["Responsive", "1", "Without timely access to services people wait too long", "16",
     "Sharon Murphy", "sharon.murphy@example.nhs.uk", "Step Up To Great/01"],
    ["Responsive", "2", "A new risk of the new strategy", "9", "", "", ""],
]


@pytest.fixture
def sutg(any_engine: Engine) -> Engine:
    with session_scope(any_engine, write=True) as session:
        load_example(session)
    return any_engine


def risk_links(engine: Engine) -> dict[str, str]:
    """New risk's number → the risk it carries on."""
    with session_scope(engine) as session:
        thrive = session.exec(select(Framework).where(Framework.name == "THRIVE")).one()
        rows = session.exec(select(Risk).where(Risk.framework_id == thrive.id)).all()
        found = risk_carried_from(session, [r.id for r in rows if r.id is not None])
        return {r.number: found[r.id].reference for r in rows if r.id in found}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    return path


def write_xlsx(folder: Path, risks: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Deliverables"
    for row in DELIVERABLES:
        sheet.append(row)
    baf = book.create_sheet("Risks")
    for row in [RISK_HEADER, *risks]:
        baf.append(row)
    path = folder / "thrive.xlsx"
    book.save(path)
    return path


def load(engine: Engine, *paths: Path) -> None:
    for path in paths:
        with session_scope(engine, write=True) as session:
            import_framework(session, path, framework_name="THRIVE")


def files(form: str, folder: Path, risks: list[list[str]] = RISKS) -> list[Path]:
    if form == "yaml":
        path = folder / "thrive.yaml"
        path.write_text(YAML, encoding="utf-8")
        return [path]
    if form == "csv":
        return [write_csv(folder / "thrive.csv", DELIVERABLES),
                write_csv(folder / "thrive-risks.csv", [RISK_HEADER, *risks])]
    return [write_xlsx(folder, risks)]


@pytest.mark.parametrize("form", ["yaml", "csv", "xlsx"])
def test_each_file_form_links_the_carried_risk(sutg: Engine, tmp_path: Path, form: str):
    load(sutg, *files(form, tmp_path))
    assert risk_links(sutg) == {"1": "Step Up To Great/BAF 01"}
    load(sutg, *files(form, tmp_path))  # importing again links nothing twice
    assert risk_links(sutg) == {"1": "Step Up To Great/BAF 01"}


@pytest.mark.parametrize(("reference", "says"), [
    ("Step Up To Great/BAF 99", "'Step Up To Great' has no BAF risk '99'"),
    ("Nowhere/BAF 01", "there is no framework 'Nowhere'"),
    ("BAF 01", "name the earlier framework too"),
])
def test_a_risk_reference_naming_nothing_stops_the_import_at_its_row(
        sutg: Engine, tmp_path: Path, reference: str, says: str):
    risks = [[*RISKS[0][:-1], reference], RISKS[1]]
    with pytest.raises(FrameworkImportError) as error:
        load(sutg, write_xlsx(tmp_path, risks))
    assert "Risks row 2, carried_from" in str(error.value), str(error.value)
    assert says in str(error.value)
    with session_scope(sutg) as session:  # nothing was written
        assert session.exec(select(Framework).where(Framework.name == "THRIVE")).first() is None


def test_a_yaml_risk_naming_nothing_is_refused_at_its_line(sutg: Engine, tmp_path: Path):
    path = tmp_path / "thrive.yaml"
    path.write_text(YAML.replace("Step Up To Great/BAF 01", "Step Up To Great/BAF 42"),
                    encoding="utf-8")
    with pytest.raises(FrameworkImportError) as error:
        load(sutg, path)
    assert "line 15, themes[0].risks[0].carried_from" in str(error.value), str(error.value)
    assert "'Step Up To Great' has no BAF risk '42'" in str(error.value)


def test_risk_references(sutg: Engine):
    assert same_number("BAF 1", "01") and same_number("baf 07", "7") and not same_number("1", "10")
    with session_scope(sutg) as session:
        assert find_risk(session, "step up to great/BAF 3").number == "03"
        assert find_risk(session, "Step Up To Great/05").number == "05"
        with pytest.raises(LifecycleError, match="name the framework too"):
            find_risk(session, "BAF 3")


def test_the_carry_forward_command_links_risks_by_a_map(sutg: Engine, tmp_path: Path):
    env = {"DATABASE_URL": sutg.url.render_as_string(hide_password=False)}
    plain = files("csv", tmp_path, [[*row[:-1], ""] for row in RISKS])
    for path in plain:
        assert ragtime("import", str(path), "--name", "THRIVE", env=env).returncode == 0
    mapping = tmp_path / "map.csv"
    mapping.write_text("kind,from,to\ndeliverable,GO-1,R-1\nrisk,01,1\n,BAF 02,BAF 2\n",
                       encoding="utf-8")

    done = ragtime("framework", "carry-forward", "--from", "Step Up To Great", "--to", "THRIVE",
                   "--map", str(mapping), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "Carried forward from 'Step Up To Great' to 'THRIVE': 1 linked now, 0 already linked. "
        "BAF risks: 2 linked now, 0 already linked.")
    assert risk_links(sutg) == {"1": "Step Up To Great/BAF 01", "2": "Step Up To Great/BAF 02"}

    again = ragtime("framework", "carry-forward", "--from", "Step Up To Great", "--to",
                    "THRIVE", "--map", str(mapping), env=env)
    assert again.stdout.strip().endswith("BAF risks: 0 linked now, 2 already linked.")

    mapping.write_text("from,to,kind\nBAF 03,BAF 1,\n09,7,risk\n", encoding="utf-8")
    refused = ragtime("framework", "carry-forward", "--from", "Step Up To Great", "--to",
                      "THRIVE", "--map", str(mapping), env=env)
    assert refused.returncode == 2
    assert "'THRIVE' has no BAF risk '7'; nothing was linked" in refused.stderr
    assert risk_links(sutg)["1"] == "Step Up To Great/BAF 01"  # the first row was not written

    mapping.write_text("kind,from,to\nissue,01,1\n", encoding="utf-8")
    odd = ragtime("framework", "carry-forward", "--from", "Step Up To Great", "--to",
                  "THRIVE", "--map", str(mapping), env=env)
    assert odd.returncode == 2 and "kind 'issue' is neither 'deliverable' nor 'risk'" in \
        odd.stderr


def test_a_map_row_is_a_risk_when_its_kind_or_both_sides_say_so(tmp_path: Path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("from,to,kind\nGO-1,R-1,\nBAF-1,R-2,\nBAF 01,BAF 1,\n01,1,risk\n"
                       "BAF 02,R-3,deliverable\n,,\n", encoding="utf-8")
    rows = read_map(mapping)
    assert rows.deliverables == [("GO-1", "R-1"), ("BAF-1", "R-2"), ("BAF 02", "R-3")]
    assert rows.risks == [("BAF 01", "BAF 1"), ("01", "1")]
