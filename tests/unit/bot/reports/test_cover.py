"""The cover (the seed's governance table): every field, sensible defaults instead of "—",
dates checked wherever they come from, and the closure paper's own wording."""

from __future__ import annotations

import pytest

from bot.calendar.periods import Period
from bot.reports import build_closure, build_report
from bot.reports.errors import PublishError
from bot.reports.targets import normalise_cover, parse_compile_text
from storage.db import session_scope
from storage.models import Framework
from tests.unit.bot.reports.conftest import Q2

DEFAULT = Period(2024, 2)


@pytest.mark.parametrize("text", ['2024/25 Q2 date="next tuesday"', "2024/25 Q2 date=2026-13-01",
                                  "2024/25 Q2 meeting_date=31/02/2025"])
def test_a_date_that_is_not_a_date_is_refused_naming_the_field(text):
    with pytest.raises(PublishError) as refused:
        parse_compile_text(text, default=DEFAULT)
    message = str(refused.value)
    assert "must be a date such as 2024-10-29" in message
    assert ('"Date submitted"' in message) or ('"Meeting date"' in message)


def test_dates_in_every_usual_shape_are_stored_as_iso():
    request = parse_compile_text('2024/25 Q2 meeting="Public Trust Board" date=20.05.2025 '
                                 '"meeting date=27th May 2025"', default=DEFAULT)
    assert request.cover_overrides == {"meeting": "Public Trust Board",
                                       "date_submitted": "2025-05-20",
                                       "meeting date": "2025-05-27"}
    assert normalise_cover({"date": "7/11/2024"}) == {"date_submitted": "2024-11-07"}
    assert normalise_cover({"date": "May 27, 2025"}) == {"date_submitted": "2025-05-27"}


def test_framework_names_the_framework_and_is_no_cover_value():
    request = parse_compile_text('2024/25 Q2 framework=“Step Up To Great” meeting="Trust Board"',
                                 default=DEFAULT)
    assert request.framework == "Step Up To Great"
    assert request.cover_overrides == {"meeting": "Trust Board"}
    assert request.target.period == DEFAULT
    assert parse_compile_text("closure Framework='Our Plan'", default=DEFAULT).framework == (
        "Our Plan")
    assert parse_compile_text("2024/25 Q2 date=7/11/2024", default=DEFAULT).framework is None


def test_every_governance_field_from_the_framework_and_the_caller(report_engine):
    with session_scope(report_engine, write=True) as session:
        framework = session.get(Framework, 1)
        framework.cover = {
            "meeting": "Public Trust Board", "sponsor": "David Williams",
            "author": "Amanda Angelescu", "previously considered by": "SEB 13 May 2025",
            "assurance": "Assured", "strategic_alignment": {"T - Technology": "Y"},
            "baf_considered": "Multiple", "consistent_with_risk_appetite": True,
            "false_or_misleading_information": "None identified",
            "patient_safety_confirmed": "Confirmed",
            "equality_considerations": "A focus on Including Everyone",
        }
    with session_scope(report_engine) as session:
        view = build_report(session, Q2, cover_overrides={"date_submitted": "2025-05-20"})
    cover = {row.label: row.value for row in view.cover}
    assert cover == {
        "Title": "Step Up To Great – Quarter 2 progress 2024/25",
        "Meeting": "Public Trust Board",
        "Paper sponsored by": "David Williams",
        "Paper authored by": "Amanda Angelescu",
        "Date submitted": "20 May 2025",
        "Purpose of the report": cover["Purpose of the report"],
        "Decision required": "Briefing – no decision required: the Board is asked to note "
                             "progress.",
        "Previously considered by": "SEB 13 May 2025",
        "Level of assurance gained": "Assured",
        "One-off or series": "One of a series of quarterly reports; the next covers 2024/25 Q3.",
        "Strategic alignment": "T - Technology: Y",
        "CRR/BAF considerations": "Multiple",
        "Consistent with the risk appetite": "Yes",
        "False and misleading information (FOMI) considerations": "None identified",
        "Confirmation that the content does not risk the safety of patients or the public":
            "Confirmed",
        "Equality considerations": "A focus on Including Everyone",
    }
    assert "Step Up To Great deliverables in 2024/25 Q2" in cover["Purpose of the report"]


def test_without_a_cover_block_defaults_or_nothing_never_a_dash(report_engine):
    with session_scope(report_engine, write=True) as session:
        session.get(Framework, 1).cover = None
    with session_scope(report_engine) as session:
        view = build_report(session, Q2)
    assert all(row.lines for row in view.cover)
    assert not any("—" in row.value for row in view.cover)
    assert [row.key for row in view.cover] == [
        "title", "purpose", "decision_required", "report_frequency", "strategic_alignment",
        "baf_risks"]
    values = {row.key: row.lines for row in view.cover}
    assert values["strategic_alignment"] == ("Great Outcomes", "Great Place to Work")
    assert values["baf_risks"] == ("01, 02, 06",)


def test_a_bad_date_in_the_framework_is_a_clear_error(report_engine):
    from bot.ports.report_view import ReportError

    with session_scope(report_engine, write=True) as session:
        session.get(Framework, 1).cover = {"date submitted": "next tuesday"}
    with session_scope(report_engine) as session, pytest.raises(ReportError) as refused:
        build_report(session, Q2)
    assert '"Date submitted" must be a date' in str(refused.value)


def test_the_closure_paper_has_its_own_cover_and_wording(report_engine):
    with session_scope(report_engine, write=True) as session:
        session.get(Framework, 1).cover = {
            "meeting": "Public Trust Board",
            "purpose": "Progress against the deliverables this quarter.",
            "decision_required": "Assurance – to note progress",
            "report_frequency": "One of a series of quarterly reports",
            "closure": {"meeting": "Public Trust Board 27 May 2025",
                        "previously_considered": "SEB 13 May 2025, approved"},
        }
    with session_scope(report_engine) as session:
        closure = build_closure(session, 2024)
        quarter = build_report(session, Q2)
    cover = {row.key: row.value for row in closure.cover}
    assert cover["title"] == "Step Up To Great Closure Report 2024/25"
    assert cover["meeting"] == "Public Trust Board 27 May 2025"
    assert cover["previously_considered"] == "SEB 13 May 2025, approved"
    assert cover["report_frequency"].startswith("Final of a series of quarterly reports")
    assert cover["decision_required"].startswith(
        "Decision required: the Board is asked to approve the formal closure of Step Up To "
        "Great")
    said = " ".join(row.value for row in closure.cover)
    assert "this quarter" not in said and "One of a series" not in said
    assert "closure" not in {row.key for row in quarter.cover}
    assert {row.key: row.value for row in quarter.cover}["report_frequency"] == (
        "One of a series of quarterly reports")


def test_closure_files_say_final_of_a_series_and_ask_for_a_decision(report_engine, tmp_path):
    from docx import Document

    from bot.reports import compile_closure

    with session_scope(report_engine) as session:
        files = compile_closure(session, 2024, tmp_path, formats=("md", "html", "docx"))
    word = "\n".join(cell.text for table in Document(str(files.paths["docx"])).tables
                     for row in table.rows for cell in row.cells)
    for text in (files.paths["md"].read_text(), files.paths["html"].read_text(), word):
        assert "Final of a series of quarterly reports" in text
        assert "the Board is asked to approve the formal closure" in text
        assert "One of a series" not in text and "—" not in text.split("Closure Report")[0]
