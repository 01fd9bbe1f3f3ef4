"""What the paper says on pages 1–2: the executive summary, exceptions, overdue recovery dates,
who did not reply, the four-quarter trend, and no sentence about a period without data."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from sqlmodel import select

from bot.reports import build_report, compile_report
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Deliverable, PeriodRecord, Person, Rag, Update
from tests.unit.bot.reports.conftest import Q1, Q2, add_framework, count_queries

LONDON = ZoneInfo("Europe/London")


def add_q2_exceptions(session) -> None:  # type: ignore[no-untyped-def]
    """GO-3 resubmits its Amber with a reason and a recovery date already passed at the end
    of Q2 (overdue); GP-2 stays Red with a date still ahead."""
    go3 = session.exec(select(Deliverable).where(Deliverable.ref == "GO-3")).one()
    q2 = session.exec(select(PeriodRecord).where(PeriodRecord.fy == 2024,
                                                 PeriodRecord.quarter == 2)).one()
    jm = session.exec(select(Person).where(Person.key == "jmullins")).one()
    session.add(Update(deliverable_id=go3.id, period_id=q2.id, version=2, rag=Rag.amber,
                       narrative="Amber due to complexity in challenging finances.",
                       change_reason="Funding for academic posts was withdrawn",
                       recovery_action="Joint posts with the university",
                       recovery_date=date(2024, 9, 1), submitted_by_id=jm.id))


@pytest.fixture(scope="module")
def paper(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("summary")
    engine = make_engine(f"sqlite:///{folder / 'ragtime.db'}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        add_framework(session)
        session.flush()
        add_q2_exceptions(session)
    with session_scope(engine) as session:
        files = compile_report(session, Q2, folder / "out",
                               generated_at=datetime(2024, 10, 20, 14, 5, tzinfo=LONDON))
    yield engine, files
    engine.dispose()


def test_view_summary_changes_exceptions_overdue_and_chasers(paper):
    _, files = paper
    view = files.view
    assert view.headline == ("6 deliverables in 2024/25 Q2: 3 Green, 1 Amber, 1 Red, "
                             "1 with no update.")
    changed = {row.ref: row for row in view.changes}
    assert changed["GO-3"].change_reason == "Funding for academic posts was withdrawn"
    assert view.changes_note == ""  # Q1 has data and something changed: the list says it
    assert [row.ref for row in view.exceptions] == ["GP-2", "GO-3"]  # Red first, then Amber
    assert [row.ref for row in view.overdue] == ["GO-3"]  # 1 Sep 2024 ≤ 30 Sep 2024
    assert [(str(c.person), [r.ref for r in c.rows]) for c in view.chasers] == [
        ("Sarah Willis, Director of HR", ["GP-1"])]


def test_trend_marks_and_theme_trend(paper):
    _, files = paper
    view = files.view
    assert [(p.label, p.collected) for p in view.trend_periods] == [
        ("2023/24 Q3", False), ("2023/24 Q4", False), ("2024/25 Q1", True),
        ("2024/25 Q2", True)]
    rows = {row.ref: row for row in view.rows}
    assert rows["GO-1"].trend_letters == "– – A G"
    assert rows["GO-3"].trend_letters == "– – G A"
    assert rows["GP-1"].trend_letters == "– – G –"
    table = dict(view.trend_table)
    assert table["Great Outcomes"][:2] == (None, None)  # not collected: never "0 Green"
    q1, q2 = table["All themes"][2:]
    assert (q1.green, q1.amber, q1.red, q1.missing) == (3, 1, 0, 2)
    assert (q2.green, q2.amber, q2.red, q2.missing) == (3, 1, 1, 1)


def test_no_statement_about_a_period_without_data(report_engine, tmp_path):
    with session_scope(report_engine) as session:
        view = build_report(session, Q1)
        files = compile_report(session, Q1, tmp_path, formats=("md", "html", "docx"))
    assert view.previous_period_label == "2023/24 Q4" and not view.previous_collected
    assert view.changes_note == "No updates were collected for 2023/24 Q4."
    docx_text = "\n".join(p.text for p in Document(str(files.paths["docx"])).paragraphs)
    for text in (files.paths["md"].read_text(), files.paths["html"].read_text(), docx_text):
        assert "No RAG rating changed" not in text
        assert "No updates were collected for 2023/24 Q4." in text


def test_no_change_sentence_when_the_previous_period_has_data(report_engine):
    with session_scope(report_engine, write=True) as session:  # nothing rated in Q2 yet
        q2 = session.exec(select(PeriodRecord.id).where(PeriodRecord.quarter == 2)).one()
        for update in session.exec(select(Update).where(Update.period_id == q2)):
            session.delete(update)
    with session_scope(report_engine) as session:
        view = build_report(session, Q2)
    assert view.changes == () and view.previous_collected
    assert view.changes_note == "No RAG rating changed since 2024/25 Q1."


def test_markdown_and_html_summary(paper):
    _, files = paper
    md = files.paths["md"].read_text(encoding="utf-8")
    summary = md.split("## Executive summary", 1)[1].split("\n## ", 1)[0]
    assert "GO-3 Support the attainment of Group University Hospital Trust Status: Green → " \
           "**Amber**. Reason: Funding for academic posts was withdrawn" in summary
    exceptions = summary.split("### Exceptions", 1)[1].split("###", 1)[0]
    assert ("| GP-2 | Agency reduction plan | Sarah Willis, Director of HR | **Red** | Weekly "
            "agency panel | 31 December 2024 |") in exceptions
    assert "| Joint posts with the university | 1 September 2024 **(overdue)** |" in exceptions
    assert "- Sarah Willis, Director of HR: GP-1 Deliver Equality" in summary
    assert "Trend 2023/24 Q3 to 2024/25 Q2: – → – → A → G" in md
    html = files.paths["html"].read_text(encoding="utf-8")
    go1 = html.split("Review, update, revise and implement Trust Access Policy")[-1]
    marks = re.findall(r'<span class="mark mark-(\w+)" title="([^"]+)">(.)</span>',
                       go1.split("</tr>", 1)[0])
    assert marks == [("none", "2023/24 Q3: No update", "–"), ("none", "2023/24 Q4: No update",
                     "–"), ("amber", "2024/25 Q1: Amber", "A"), ("green", "2024/25 Q2: Green",
                                                                   "G")]


def test_word_summary_exceptions_and_trend_marks(paper):
    _, files = paper
    document = Document(str(files.paths["docx"]))
    exceptions = next(t for t in document.tables
                      if t.rows[0].cells[0].text == "Ref" and len(t.columns) == 6)
    rows = [[c.text for c in row.cells] for row in exceptions.rows[1:]]
    assert [r[0] for r in rows] == ["GP-2", "GO-3"]
    assert rows[0][3:] == ["Red", "Weekly agency panel", "31 December 2024"]
    assert rows[1][4:] == ["Joint posts with the university", "1 September 2024\nOverdue"]
    progress = [t for t in document.tables if len(t.columns) == 5
                and t.rows[0].cells[4].text == "RAG"]
    rag_cells = [row.cells[4].text for t in progress for row in t.rows[1:]]
    flat = [re.sub(r"\s+", " ", cell.replace("\xa0", " ")).strip() for cell in rag_cells]
    assert "Green was Amber – – A G" in flat and "Red – – – R" in flat, flat
    # Each mark is outlined: white on a RAG cell (a G stands out on a Green cell), grey on the
    # white summary table.
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    green_cell = next(cell for t in progress for row in t.rows[1:]
                      if (cell := row.cells[4]).text.startswith("Green"))
    outlines = [(run.text, run._r.find(f"{w}rPr/{w}bdr").get(f"{w}color"))
                for run in green_cell.paragraphs[0].runs if run._r.find(f"{w}rPr/{w}bdr")
                is not None]
    assert [text for text, _ in outlines] == ["–", "–", "A", "G"]
    assert {colour for _, colour in outlines} == {"FFFFFF"}
    trend_table = next(t for t in document.tables if t.rows[0].cells[0].text == "Theme"
                       and len(t.columns) == 5 and "Q2" in t.rows[0].cells[4].text)
    counted = trend_table.rows[1].cells[4].paragraphs[0].runs
    assert {r._r.find(f"{w}rPr/{w}bdr").get(f"{w}color") for r in counted
            if r._r.find(f"{w}rPr/{w}bdr") is not None} == {"AEB7BD"}
    text = "\n".join(p.text for p in document.paragraphs)
    assert "6 deliverables in 2024/25 Q2: 3 Green, 1 Amber, 1 Red, 1 with no update." in text
    assert "GO-3 Support the attainment of Group University Hospital Trust Status (Amber): " \
           "expected by 1 September 2024." in text


def test_pdf_summary_and_exceptions_on_pages_one_and_two(paper):
    _, files = paper
    found = subprocess.run(["pdftotext", "-f", "1", "-l", "2", str(files.paths["pdf"]), "-"],
                           capture_output=True, text=True, check=True)
    first_two = re.sub(r"\s+", "", found.stdout)
    for words in ("Executive summary", "Exceptions: Red and Amber deliverables",
                  "Weekly agency panel", "Joint posts with the university", "Overdue",
                  "Sarah Willis, Director of HR: GP-1"):
        assert re.sub(r"\s+", "", words) in first_two, words


def test_trend_costs_no_extra_queries(report_engine):
    with session_scope(report_engine) as session, count_queries(report_engine) as statements:
        view = build_report(session, Q2)
    assert len(view.trend_periods) == 4
    with session_scope(report_engine) as session, count_queries(report_engine) as again:
        build_report(session, Q1)
    assert len(statements) == len(again) <= 16  # BAF section, extensions, carried history, risks
