"""Year-end closure: achievements from the year's narratives, RAG through the four quarters."""

from __future__ import annotations

import re

from docx import Document
from pypdf import PdfReader
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.reports import build_closure, compile_closure
from storage.db import session_scope
from storage.models import Deliverable, Rag, Update
from tests.unit.bot.reports.conftest import add_framework


def add_q4(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine, write=True) as session:
        go1 = session.exec(select(Deliverable).where(Deliverable.ref == "GO-1")).one()
        session.add(Update(deliverable_id=go1.id, period_id=stored_period(
            session, Period(2024, 4)).id, rag=Rag.green, narrative="Policy fully embedded."))


def test_rag_through_the_year_and_latest_narrative(any_engine):
    with session_scope(any_engine, write=True) as session:
        add_framework(session)
    add_q4(any_engine)
    with session_scope(any_engine) as session:
        view = build_closure(session, 2024)
    assert view.title == "Step Up To Great Closure Report 2024/25"
    assert view.quarters == ("2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4")
    rows = {row.ref: row for theme in view.themes for row in theme.rows}
    assert rows["GO-1"].rags == ("amber", "green", None, "green")
    assert rows["GP-1"].rags == ("green", None, None, None)
    assert rows["GP-2"].rags == (None, "red", None, None)
    # Inactive deliverables only when they reported during the year.
    assert "GO-4" in rows and "GO-5" not in rows
    # The achievement is the most recent narrative; earlier quarters follow, newest first.
    assert rows["GO-1"].latest.narrative == "Policy fully embedded."
    assert [n.quarter for n in rows["GO-1"].narratives] == ["Q4", "Q2", "Q1"]
    assert rows["GO-1"].narratives[1].narrative == (
        "The Access to Treatment Policy has been fully updated.")  # Q2's latest version
    assert rows["GO-3"].sros[1].name == "James Mullins"
    q1, q2, q3, q4 = view.counts_by_quarter
    assert (q2.red, q2.missing) == (1, 1)
    assert (q1.green, q1.amber, q1.missing) == (3, 1, 2)
    assert q3.missing == q3.total == 6 and q4.green == 1


def test_closure_files(engine, tmp_path):
    with session_scope(engine, write=True) as session:
        add_framework(session)
    add_q4(engine)
    with session_scope(engine) as session:
        files = compile_closure(session, 2024, tmp_path, cover_overrides={
            "decision_required": "Approve formal closure"})
    assert {k: p.name for k, p in files.paths.items()} == {
        "md": "sutg-2024-25-closure.md", "html": "sutg-2024-25-closure.html",
        "docx": "sutg-2024-25-closure.docx", "pdf": "sutg-2024-25-closure.pdf"}
    md = files.paths["md"].read_text(encoding="utf-8")
    assert "# Step Up To Great Closure Report 2024/25" in md
    assert "| Decision required | Approve formal closure |" in md
    assert ("- **Access — Review, update, revise and implement Trust Access Policy.** "
            "Policy fully embedded. *(2024/25 Q4)*") in md
    assert ("| 1 | Review, update, revise and implement Trust Access Policy | "
            "Sharon Murphy, Director of Finance | Amber | Green | No update | Green |") in md
    html = files.paths["html"].read_text(encoding="utf-8")
    assert html.count('<td class="rag rag-none">No update</td>') >= 10
    document = Document(str(files.paths["docx"]))
    year = [t for t in document.tables if t.rows[0].cells[-1].text == "Q4"]
    cells = [[c.text for c in row.cells] for table in year for row in table.rows[1:]]
    assert ["1", "Review, update, revise and implement Trust Access Policy",
            "Sharon Murphy, Director of Finance", "Amber", "Green", "No update", "Green"] in cells
    assert any("Policy fully embedded." in p.text for p in document.paragraphs)
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(
        files.paths["pdf"]).pages))
    assert "StepUpToGreatClosureReport2024/25" in text and "Policyfullyembedded." in text
