"""The framework's ``cover: title:`` titles each quarter's paper, filled in for the quarter; a
title that names no quarter is refused at import with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.framework.importer import FrameworkImportError, import_file
from bot.reports import ReportError, build_report
from storage.db import session_scope
from storage.models import Framework
from tests.paths import EXAMPLE

FRAMEWORK = """\
name: Our Plan
cover:
  title: {title}
  meeting: Trust Board
people:
  - {{id: jb, name: Jo Bloggs, email: jo@example.nhs.uk}}
themes:
  - name: Great Care
    deliverables:
      - {{area: Quality, title: Fewer falls on wards, sro: jb}}
"""


def _import(engine: Engine, tmp_path: Path, title: str):
    path = tmp_path / "plan.yaml"
    path.write_text(FRAMEWORK.format(title=title))
    return import_file(engine, path)


def test_the_framework_title_titles_the_paper_for_its_quarter(engine: Engine, tmp_path: Path):
    _import(engine, tmp_path, '"Our Plan: board report for {period} (Q{quarter} of {year})"')

    with session_scope(engine) as session:
        view = build_report(session, Period(2024, 3))

    assert view.title == "Our Plan: board report for 2024/25 Q3 (Q3 of 2024/25)"
    assert view.cover[0].value == view.title


def test_the_bundled_example_titles_its_paper_as_the_seed_does(engine: Engine):
    import_file(engine, EXAMPLE)

    with session_scope(engine) as session:
        title = build_report(session, Period(2024, 2)).title

    assert title == "Step Up To Great – Quarter 2 progress 2024/25"


@pytest.mark.parametrize(("title", "why"), [
    ("Our Plan – quarterly progress report", "would title every quarter's paper alike"),
    ('"Our Plan – Quarter {quarter} progress"', "would title every quarter's paper alike"),
    ('"Our Plan – {month} progress {year}"', "{month}, which is not one of"),
    ('"Our Plan – {period"', "cannot be read"),
])
def test_a_title_that_names_no_quarter_is_refused_at_import(engine: Engine, tmp_path: Path,
                                                            title: str, why: str):
    with pytest.raises(FrameworkImportError) as refused:
        _import(engine, tmp_path, title)

    assert "cover.title" in str(refused.value) and why in str(refused.value)


def test_a_title_stored_before_the_check_stops_the_compile_saying_why(engine: Engine,
                                                                      tmp_path: Path):
    _import(engine, tmp_path, '"Our Plan – {period}"')
    with session_scope(engine, write=True) as session:
        framework = session.exec(select(Framework)).one()
        framework.cover = {**(framework.cover or {}), "title": "Our Plan – quarterly report"}

    with session_scope(engine) as session, pytest.raises(ReportError, match="import its file"):
        build_report(session, Period(2024, 3))
