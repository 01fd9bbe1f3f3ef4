"""The paper as a reader turns its pages: the trend heading stays with its table, the chart has
a heading, the running header names the period once, a rating with no narrative is flagged."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlmodel import select

from bot.calendar.periods import Period
from bot.framework.example import EXAMPLE_PERIOD, load_example
from bot.ports.report_view import names_period
from bot.reports import compile_report
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Deliverable, Update

TITLE = "Step Up To Great – Quarter 2 progress 2024/25"


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example's Q2 paper, with GO-1's Green update saved without a narrative."""
    folder = tmp_path_factory.mktemp("paper")
    engine = make_engine(f"sqlite:///{folder / 'ragtime.db'}")
    upgrade(engine)
    try:
        with session_scope(engine, write=True) as session:
            load_example(session)
            update = session.exec(select(Update).join(Deliverable).where(
                Deliverable.code == "GO-1")).one()
            update.narrative = ""
        with session_scope(engine) as session:
            files = compile_report(session, EXAMPLE_PERIOD, folder / "out")
    finally:
        engine.dispose()
    return {**files.paths, "chart": files.chart}


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def test_the_trend_heading_shares_a_page_with_its_whole_table(paper: dict[str, Path]):
    pages = _pages(paper["pdf"])
    [page] = [text for text in pages if "Trend over the last four quarters" in text]

    assert "Theme 2023/24 Q3 2023/24 Q4 2024/25 Q1 2024/25 Q2" in page
    assert "All themes not collected not collected not collected" in page  # its last row


def test_the_chart_has_a_heading_on_its_page(paper: dict[str, Path]):
    html = paper["html"].read_text()
    md = paper["md"].read_text()

    assert re.search(r"<h3>RAG ratings by theme</h3>\s*<img class=\"chart\"", html)
    assert "### RAG ratings by theme\n\n![Bar chart: RAG ratings by theme" in md
    assert any("RAG ratings by theme" in page for page in _pages(paper["pdf"]))


def test_the_running_header_names_the_period_once(paper: dict[str, Path]):
    pages = _pages(paper["pdf"])

    assert all(TITLE in page for page in pages)
    assert not any("2024/25 · 2024/25 Q2" in page for page in pages)


@pytest.mark.parametrize(("title", "named"), [
    (TITLE, True), ("Our Plan – 2024/25 Q2", True), ("Our Plan Q2 2024/25", True),
    ("Our Plan – quarterly report", False), ("Our Plan – Quarter 3 progress 2024/25", False),
    ("Our Plan – Quarter 2 progress 2023/24", False)])
def test_a_title_that_does_not_name_the_period_gets_it_in_the_header(title: str, named: bool):
    assert names_period(title, Period(2024, 2).label) is named


def test_a_green_rating_without_a_narrative_is_flagged(paper: dict[str, Path]):
    html = paper["html"].read_text()
    go1 = html.split('<td class="ref">GO-1</td>', 1)[1].split("</tr>", 1)[0]
    pdf = next(page for page in _pages(paper["pdf"]) if "Review, update, revise and implement "
               "Trust Access Policy No narrative" in page)

    assert '<div class="flag">No narrative given.</div>' in go1 and "Green" in go1
    assert "No narrative given." in pdf
    assert "*No narrative given.*" in paper["md"].read_text()


def test_the_word_file_flags_it_too(paper: dict[str, Path]):
    with zipfile.ZipFile(paper["docx"]) as docx:
        assert "No narrative given." in docx.read("word/document.xml").decode()


def test_the_word_file_heads_its_chart_and_names_the_period_once(paper: dict[str, Path]):
    with zipfile.ZipFile(paper["docx"]) as docx:
        body = docx.read("word/document.xml").decode()
        header = docx.read("word/header1.xml").decode()

    assert ">RAG ratings by theme<" in body
    assert f">{TITLE}<" in header and "2024/25 Q2" not in header
