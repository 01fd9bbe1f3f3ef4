"""The BAF risk in the framework file: owners, lead committee, cause / event / impact,
appetite, target, the framework's bands, in YAML, CSV and XLSX; today's files unchanged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import select

from bot.framework.baf import BafScale
from bot.framework.example import EXAMPLE_PERIOD, load_example
from bot.framework.importer import FrameworkImportError, import_framework
from bot.framework.risks import baf_scale, load_risks
from bot.reports.build import build_report
from storage.db import session_scope
from storage.models import Deliverable, Framework, RiskDetail, RiskOwner
from tests.paths import DATA

RISK_HEADER = ["Theme", "Risk number", "Risk title", "Score", "Owner name", "Owner title",
               "Owner email", "Lead committee", "Cause", "Event", "Impact", "Appetite",
               "Target", "Target date"]
RISK_ROWS = [
    ["Great Outcomes", "01", "Without timely access we cannot provide safe care.", "16",
     "Alice Jones", "Director of Finance", "alice.jones@example.nhs.uk",
     "Quality and Safety Committee", "Demand", "Long waits", "Harm", "Cautious", "12",
     "2025-03-31"],
    ["Great Care", "04", "Without staff we cannot staff wards.", "20",
     "Bob Smith; Carol Davies", "Medical Director; Director of Nursing",
     "bob.smith@example.nhs.uk; carol.davies@example.nhs.uk", "People Committee", "", "", "",
     "minimal", "8", "31/03/2026"],
]


def run_import(engine, path: Path, **options):
    with session_scope(engine, write=True) as session:
        return import_framework(session, path, **options)


def register(engine, name: str | None = None) -> dict[str, dict]:
    """Each risk as a user would read it back."""
    with session_scope(engine) as s:
        framework = s.exec(select(Framework).where(
            Framework.name == name) if name else select(Framework)).first()
        return {risk.number: {
            "theme": risk.theme, "title": risk.title, "owners": list(risk.owner_names),
            "committee": risk.lead_committee, "cause": risk.cause, "event": risk.event,
            "impact": risk.impact, "appetite": risk.appetite, "target": risk.target,
            "target_date": risk.target_date,
        } for risk in load_risks(s, framework.id)}


def test_yaml_carries_the_whole_risk_and_the_trusts_own_bands(any_engine):
    summary = run_import(any_engine, DATA / "baf.yaml")

    found = register(any_engine)
    assert found["01"] == {
        "theme": "Great Outcomes",
        "title": "Without timely access to services we cannot provide safe care.",
        "owners": ["Alice Jones"], "committee": "Quality and Safety Committee",
        "cause": "Demand above commissioned capacity",
        "event": "Patients wait longer than the standard",
        "impact": "Harm while waiting; regulatory action", "appetite": "cautious",
        "target": 12, "target_date": date(2025, 3, 31)}
    assert found["02"]["owners"] == ["Bob Smith", "Alice Jones"]
    assert found["02"]["appetite"] == "open"
    assert found["03"]["owners"] == [] and found["03"]["target"] is None
    assert summary.risks.created == 3
    with session_scope(any_engine) as s:
        scale = baf_scale(s, summary.framework_id)
    assert [(b.name, b.low, b.high) for b in scale.bands] == [
        ("low", 1, 3), ("moderate", 4, 9), ("high", 10, 14), ("extreme", 15, 25)]
    assert scale.band_name(9) == "moderate" and scale.band_name(10) == "high"
    assert scale.appetite == {"averse": 3, "minimal": 6, "cautious": 12, "open": 15}

    again = run_import(any_engine, DATA / "baf.yaml")
    assert not again.changed  # idempotent, details and owners included


def test_a_framework_without_bands_has_the_npsa_matrix(engine):
    summary = run_import(engine, DATA / "framework.yaml")
    with session_scope(engine) as s:
        scale = baf_scale(s, summary.framework_id)
    assert scale == BafScale()
    assert [scale.band_name(n) for n in (1, 3, 4, 6, 8, 12, 15, 25)] == [
        "low", "low", "moderate", "moderate", "high", "high", "extreme", "extreme"]


def test_todays_files_import_as_before_and_leave_details_alone(engine, tmp_path):
    run_import(engine, DATA / "baf.yaml")
    # Today's form: number, title and score only. Owners and details stay as stored.
    text = (DATA / "baf.yaml").read_text(encoding="utf-8")
    plain = "\n".join(line for line in text.splitlines() if not (
        line.startswith(" " * 8) and line.strip().startswith((
            "owner", "lead_committee", "cause", "event", "impact", "appetite", "target"))))
    path = tmp_path / "baf.yaml"
    path.write_text(plain.replace("score: 20", "score: 16"), encoding="utf-8")
    summary = run_import(engine, path)
    assert summary.risks.updated == 1
    found = register(engine)
    assert found["01"]["owners"] == ["Alice Jones"] and found["01"]["target"] == 12


def test_todays_test_files_import_unchanged(engine):
    summary = run_import(engine, DATA / "framework.yaml")
    assert (summary.risks.created, summary.deliverables.created) == (3, 4)
    with session_scope(engine) as s:
        assert s.exec(select(RiskDetail)).all() == []
        assert s.exec(select(RiskOwner)).all() == []
    summary = run_import(engine, DATA / "framework.csv", framework_name="Test Strategy")
    assert summary.risk_period is None


def test_csv_of_risks_updates_the_baf_and_leaves_the_deliverables(any_engine, tmp_path):
    run_import(any_engine, DATA / "framework.yaml")
    path = tmp_path / "risks.csv"
    lines = [",".join(f'"{cell}"' for cell in row) for row in [RISK_HEADER, *RISK_ROWS]]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(any_engine) as s:
        before = {d.ref: d.active for d in s.exec(select(Deliverable))}

    summary = run_import(any_engine, path)

    found = register(any_engine)
    assert found["01"]["owners"] == ["Alice Jones"]
    assert found["01"]["appetite"] == "cautious" and found["01"]["target"] == 12
    assert found["04"] == {
        "theme": "Great Care", "title": "Without staff we cannot staff wards.",
        "owners": ["Bob Smith", "Carol Davies"], "committee": "People Committee",
        "cause": "", "event": "", "impact": "", "appetite": "minimal", "target": 8,
        "target_date": date(2026, 3, 31)}
    assert summary.risks.created == 1 and summary.risks.updated == 1
    assert found["02"]["owners"] == []  # not in the sheet: left as it was
    with session_scope(any_engine) as s:
        assert {d.ref: d.active for d in s.exec(select(Deliverable))} == before


def test_xlsx_reads_a_risks_sheet_beside_the_deliverables(engine, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Deliverables"
    sheet.append(["theme", "area", "deliverable", "sro_name", "sro_title", "sro_email"])
    sheet.append(["Great Outcomes", "Access", "Review the access policy", "Alice Jones",
                  "Director of Finance", "alice.jones@example.nhs.uk"])
    risks = book.create_sheet("Risks")
    risks.append(RISK_HEADER)
    for row in RISK_ROWS:
        risks.append([int(cell) if cell.isdigit() and len(cell) > 1 and cell[0] != "0"
                      else cell for cell in row])
    risks["N3"].value = date(2026, 3, 31)  # a real date cell
    path = tmp_path / "framework.xlsx"
    book.save(path)

    summary = run_import(engine, path)

    assert summary.deliverables.created == 1 and summary.risks.created == 2
    found = register(engine)
    assert found["01"]["owners"] == ["Alice Jones"]
    assert found["04"]["owners"] == ["Bob Smith", "Carol Davies"]
    assert found["04"]["target_date"] == date(2026, 3, 31)
    assert found["01"]["target"] == 12


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("appetite: cautious", "appetite: reckless", "themes[0].risks[0].appetite",
     "unknown appetite 'reckless'"),
    ("target: 12", "target: 7", "themes[0].risks[0].target",
     "target 7 is not likelihood × consequence"),
    ("target_date: 2025-03-31", "target_date: soon", "themes[0].risks[0].target_date",
     "is not a date"),
    ("owner: ajones", "owner: zz", "themes[0].risks[0].owner", "unknown risk owner id 'zz'"),
    ("high: 10-14", "high: 10-16", "baf", "bands 'high' and 'extreme'"),
    ("moderate: 4-9", "moderate: 4-8", "baf", "no band holds the score 9"),
])
def test_bad_baf_values_are_named(engine, tmp_path, old, new, field, message):
    text = (DATA / "baf.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "baf.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(FrameworkImportError) as error:
        run_import(engine, path)
    problems = [(p.field, p.message) for p in error.value.problems]
    assert any(f == field and message in m for f, m in problems), problems


def test_the_seeds_nine_risks_keep_their_q2_scores(engine):
    with session_scope(engine, write=True) as s:
        load_example(s)
    with session_scope(engine) as s:
        view = build_report(s, EXAMPLE_PERIOD)
        framework = s.exec(select(Framework)).one()
        risks = load_risks(s, framework.id)
    scores = {r.number: r.score for t in view.themes for r in t.risks}
    assert scores == {"01": 20, "02": 9, "03": 12, "04": 20, "05": 12, "06": 20, "07": 12,
                      "08": 9, "09": 12}
    assert all(not r.owners and r.target is None for r in risks)  # the seed names none
