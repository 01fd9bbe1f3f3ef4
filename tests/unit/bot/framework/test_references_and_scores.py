"""Issue 10's data: BAF scores for the quarter being reported, references unique and stable,
and which framework a command means when there are several."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from bot.calendar.periods import Period
from bot.framework.choice import FrameworkChoiceError
from bot.framework.codes import theme_prefix
from bot.framework.importer import import_framework
from bot.reports import build_report
from bot.reports.compile import compile_report
from bot.reports.export import export_period, write_csv
from storage.db import session_scope
from tests.paths import DATA, EXAMPLE

YAML_TEXT = (DATA / "framework.yaml").read_text(encoding="utf-8")


def run_import(engine, path: Path, **options):
    with session_scope(engine, write=True) as session:
        return import_framework(session, path, **options)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def risks(engine, period: Period):
    with session_scope(engine) as session:
        view = build_report(session, period)
    return {risk.number: risk for theme in view.themes for risk in theme.risks}


def test_scores_imported_in_a_later_quarter_show_in_the_past_quarters_paper(engine, tmp_path):
    path = write(tmp_path, "f.yaml", YAML_TEXT.replace("period: 2024/25 Q3\n", ""))
    run_import(engine, path, today=date(2025, 1, 20))  # in Q4, for the Q3 paper
    found = risks(engine, Period(2024, 3))
    assert [(r.score, r.as_of) for r in found.values()] == [(20, None), (9, None), (12, None)]


def test_older_scores_are_labelled_and_directions_computed(engine, tmp_path):
    first = YAML_TEXT.replace("period: 2024/25 Q3", "period: 2024/25 Q2")
    run_import(engine, write(tmp_path, "q2.yaml", first))
    later = YAML_TEXT.replace("period: 2024/25 Q3", "as_of: 2024/25 Q4")  # as_of: a synonym
    later = later.replace("score: 9", "score: 6").replace("score: 20", "score: 25")
    later = later.replace("direction: static", "")  # the file gives none: computed
    run_import(engine, write(tmp_path, "q4.yaml", later))

    q3 = risks(engine, Period(2024, 3))  # nothing for Q3: Q2's scores, labelled
    assert (q3["01"].score, q3["01"].as_of) == (20, "2024/25 Q2")
    q4 = risks(engine, Period(2024, 4))
    assert (q4["01"].score, q4["01"].direction, q4["01"].as_of) == (25, "up", None)
    assert (q4["02"].score, q4["02"].direction) == (6, "down")
    assert q4["03"].direction == "up"  # given in the file, kept


def test_the_paper_shows_the_score_with_its_quarter(engine, tmp_path):
    run_import(engine, write(tmp_path, "q2.yaml",
                             YAML_TEXT.replace("period: 2024/25 Q3", "period: 2024/25 Q2")))
    with session_scope(engine) as session:
        files = compile_report(session, Period(2024, 3), tmp_path / "out", formats=("md",))
    text = files.paths["md"].read_text(encoding="utf-8")
    assert "| 20 (as at 2024/25 Q2) |" in text


def test_theme_prefixes():
    assert [theme_prefix(n) for n in ("Great Outcomes", "Great Place to Work",
                                      "Part of the Community", "Café & Care")] == [
        "GO", "GPW", "PC", "CC"]


def example_view(engine):
    with session_scope(engine) as session:
        return build_report(session, Period(2024, 2))


def test_example_references_are_unique_and_shown_in_the_paper(engine, tmp_path):
    run_import(engine, EXAMPLE)
    rows = example_view(engine).rows
    codes = [row.code for row in rows]
    assert len(set(codes)) == len(codes) == 17
    assert codes[:7] == [f"GO-{n}" for n in range(1, 8)]  # areas restart; references do not
    assert codes[7] == "GC-1" and codes[-1].startswith("PC-")
    with session_scope(engine) as session:
        files = compile_report(session, Period(2024, 2), tmp_path / "out",
                               formats=("md", "html", "docx"))
    md = files.paths["md"].read_text(encoding="utf-8")
    html = files.paths["html"].read_text(encoding="utf-8")
    from docx import Document

    cells = [row.cells[0].text for table in Document(str(files.paths["docx"])).tables
             if table.rows[0].cells[0].text == "Ref" for row in table.rows[1:]]
    assert cells == codes
    for row in rows:
        assert f"#### {row.code} {row.title}" in md
        assert f'<td class="ref">{row.code}</td>' in html


def test_references_survive_reordering_and_new_deliverables(engine, tmp_path):
    run_import(engine, EXAMPLE)
    before = {row.ref: row.code for row in example_view(engine).rows}
    text = EXAMPLE.read_text(encoding="utf-8")
    # Swap the first two deliverables and add one at the top of Great Outcomes.
    first = text.index("      - ref: go-access-1")
    second = text.index("      - ref: go-access-2")
    third = text.index("      - ref: go-access-3")
    new = ("      - ref: go-new-1\n        area: Access\n        title: A new deliverable\n"
           "        sro: smurphy\n")
    text = text[:first] + new + text[second:third] + text[first:second] + text[third:]
    run_import(engine, write(tmp_path, "sutg.yaml", text))
    after = {row.ref: row.code for row in example_view(engine).rows}
    assert all(after[ref] == code for ref, code in before.items())
    assert after["go-new-1"] == "GO-8"


def test_export_carries_references_and_a_spreadsheet_can_name_them(engine, tmp_path):
    run_import(engine, EXAMPLE)
    rows = export_period(engine, Period(2024, 2))
    assert [row["ref"] for row in rows][:2] == ["GO-1", "GO-2"]
    out = io.StringIO()
    write_csv(rows, out)
    assert next(csv.reader(io.StringIO(out.getvalue())))[:2] == ["period", "ref"]


def test_a_spreadsheet_ref_written_as_a_reference_keeps_the_deliverable(engine, tmp_path):
    header = "theme,area,deliverable,sro_name,sro_title,sro_email,ref\n"
    first = header + ("Great Care,Safety,Safer wards,Ann Lee,Director,ann@example.org,\n"
                      "Great Care,Safety,Fewer falls,Ann Lee,Director,ann@example.org,\n")
    run_import(engine, write(tmp_path, "plan.csv", first), framework_name="Our Plan")
    with session_scope(engine) as session:
        codes = {row.title: row.code for row in build_report(session, Period(2024, 2)).rows}
    assert codes == {"Safer wards": "GC-1", "Fewer falls": "GC-2"}
    # The spreadsheet (an export, say) now names "Fewer falls" by its reference, retitled.
    again = header + ("Great Care,Safety,Safer wards,Ann Lee,Director,ann@example.org,\n"
                      "Great Care,Safety,Fewer falls on wards,Ann Lee,Director,ann@example.org,"
                      "GC-2\n")
    summary = run_import(engine, write(tmp_path, "plan.csv", again), framework_name="Our Plan")
    assert summary.framework == "Our Plan" and summary.deliverables.created == 0
    with session_scope(engine) as session:
        rows = build_report(session, Period(2024, 2)).rows
    assert {row.title: row.code for row in rows} == {"Safer wards": "GC-1",
                                                     "Fewer falls on wards": "GC-2"}
    assert summary.deliverables.deactivated == 0


def test_several_frameworks_need_a_name(engine, tmp_path):
    run_import(engine, EXAMPLE)
    csv_text = ("theme,area,deliverable,sro_name,sro_title,sro_email\n"
                "Great Care,Safety,Safer wards,Ann Lee,Director,ann@example.org\n")
    run_import(engine, write(tmp_path, "plan.csv", csv_text), framework_name="Our Plan")
    with pytest.raises(FrameworkChoiceError, match="2 frameworks are loaded "
                       r"\('Step Up To Great', 'Our Plan'\); name one with --framework NAME"):
        export_period(engine, Period(2024, 2))
    assert len(export_period(engine, Period(2024, 2), framework="our plan")) == 1
    assert len(export_period(engine, Period(2024, 2), framework="Step Up To Great")) == 17
    with pytest.raises(FrameworkChoiceError, match="there is no framework 'Nope'"):
        export_period(engine, Period(2024, 2), framework="Nope")
    with pytest.raises(FrameworkChoiceError, match="--name NAME"):
        run_import(engine, write(tmp_path, "other.csv", csv_text))
