"""An import that would take a live strategy's deliverables out of its rounds asks for
``replace``; a dry run shows what any import would change and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.framework.importer import FrameworkImportError, import_file
from bot.framework.importer.apply import FEW
from storage.db import session_scope
from storage.models import Deliverable
from tests.paths import EXAMPLE
from tests.support.rounds import open_rounds

HEADER = "theme,area,deliverable,sro_name,sro_title,sro_email\n"
ONE_ROW = HEADER + "Great Care,Quality,Fewer falls on wards,Jo Bloggs,Director,jo@example.nhs.uk\n"


def _active(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(session.exec(select(Deliverable.id).where(Deliverable.active)).all())


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "one.csv"
    path.write_text(text)
    return path


def _xlsx(tmp_path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(ONE_ROW.splitlines()[1].split(","))
    path = tmp_path / "one.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_one_row_spreadsheet_does_not_retire_the_only_framework(engine: Engine,
                                                                  tmp_path: Path, form: str):
    import_file(engine, EXAMPLE)
    path = _csv(tmp_path, ONE_ROW) if form == "csv" else _xlsx(tmp_path)

    with pytest.raises(FrameworkImportError) as refused:
        import_file(engine, path)

    message = str(refused.value)
    assert "would take 17 of the 17 deliverables of 'Step Up To Great' out of its rounds" in (
        message)
    assert f"more than {FEW} at once" in message and "--replace" in message
    assert "--dry-run" in message and "\n" not in message
    assert _active(engine) == 17


def test_replace_says_it_is_meant(engine: Engine, tmp_path: Path):
    import_file(engine, EXAMPLE)

    summary = import_file(engine, _csv(tmp_path, ONE_ROW), replace=True)

    assert summary.deliverables.deactivated == 17
    assert _active(engine) == 1


def test_a_few_left_out_without_an_open_round_need_no_replace(engine: Engine, tmp_path: Path):
    rows = [f"Great Care,Quality,Deliverable {n},Jo Bloggs,Director,jo@example.nhs.uk"
            for n in range(1, 6)]
    import_file(engine, _csv(tmp_path, HEADER + "\n".join(rows) + "\n"))

    summary = import_file(engine, _csv(tmp_path, HEADER + "\n".join(rows[:2]) + "\n"))

    assert summary.deliverables.deactivated == FEW and summary.replace_needed is None


def test_any_left_out_while_a_round_is_open_needs_replace(engine: Engine, tmp_path: Path):
    rows = [f"Great Care,Quality,Deliverable {n},Jo Bloggs,Director,jo@example.nhs.uk"
            for n in range(1, 4)]
    import_file(engine, _csv(tmp_path, HEADER + "\n".join(rows) + "\n"))
    open_rounds(engine, Period(2024, 3))

    with pytest.raises(FrameworkImportError, match="while its 2024/25 Q3 round is open"):
        import_file(engine, _csv(tmp_path, HEADER + "\n".join(rows[:2]) + "\n"))
    assert _active(engine) == 3


def test_a_dry_run_shows_the_changes_and_keeps_nothing(engine: Engine, tmp_path: Path):
    import_file(engine, EXAMPLE)

    summary = import_file(engine, _csv(tmp_path, ONE_ROW), dry_run=True)

    assert summary.deliverables.created == 1 and summary.deliverables.deactivated == 17
    assert summary.changes[0] == "+ GC-5 Fewer falls on wards (new)"
    assert "- GO-1 Review, update, revise and implement Trust Access Policy (taken out of " \
           "future rounds)" in summary.changes
    assert summary.replace_needed and "17 of the 17" in summary.replace_needed
    assert _active(engine) == 17
    with session_scope(engine) as session:
        assert not session.exec(select(Deliverable).where(
            Deliverable.title == "Fewer falls on wards")).first()
