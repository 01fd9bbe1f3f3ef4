"""``ragtime import-updates``: earlier quarters' answers from YAML, CSV or XLSX, stored as
imported versions, idempotent, all or nothing; the bundled example is loaded the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.framework.example import EXAMPLE_UPDATES, load_example
from bot.framework.history import import_answers_file
from bot.framework.importer import FrameworkImportError, import_file
from bot.reports import build_report
from storage.db import session_scope
from storage.models import AuditEvent, Deliverable, PeriodRecord, Person, Source, Update
from tests.paths import EXAMPLE

Q1, Q2 = Period(2024, 1), Period(2024, 2)
HEADER = "period,deliverable,rag,narrative,recovery_action,recovery_date,submitted_by," \
         "submitted_at\n"
ROWS = (
    "2024/25 Q1,GO-1,amber,Policy drafted; consultation under way,Consult by August,"
    "31/08/2024,sharon.murphy@example.nhs.uk,2024-07-12 10:30\n"
    "2024/25 Q1,Review and where necessary update Directorate Single Operating Procedures "
    "(SOPs) to ensure alignment to updated Access Policy,green,SOPs listed,,,,\n"
    "Q1 2024/25,go-access-3,red,No data yet,Data group to start,2024-09-30,smurphy,"
    "2024-07-15\n")


@pytest.fixture
def example(engine: Engine) -> Engine:
    import_file(engine, EXAMPLE)
    return engine


def _updates(engine: Engine, code: str, period: Period) -> list[Update]:
    with session_scope(engine) as session:
        rows = session.exec(select(Update).join(Deliverable).where(
            Deliverable.code == code).order_by(Update.version)).all()
        return [row for row in rows if row.period_id and _label(session, row) == period.label]


def _label(session, update: Update) -> str:  # type: ignore[no-untyped-def]
    record = session.get(PeriodRecord, update.period_id)
    return Period(record.fy, record.quarter).label


def test_the_bundled_answers_file_imports_once(example: Engine):
    first = import_answers_file(example, EXAMPLE_UPDATES)
    again = import_answers_file(example, EXAMPLE_UPDATES)

    assert (first.created, first.already_present) == (17, 0)
    assert (again.created, again.already_present) == (0, 17)
    [update] = _updates(example, "GO-1", Q2)
    assert update.source == Source.imported and update.rag == "green"
    assert update.narrative.startswith("The Access to Treatment Policy has been fully updated")
    assert str(again) == "past answers for 'Step Up To Great' (2024/25 Q2: 0 stored, " \
                         "17 already present)"


def test_a_csv_of_last_quarter_by_reference_title_or_ref_fills_the_trend(example: Engine,
                                                                         tmp_path: Path):
    path = tmp_path / "q1.csv"
    path.write_text(HEADER + ROWS)
    import_answers_file(example, EXAMPLE_UPDATES)

    summary = import_answers_file(example, path)

    assert summary.stored == {"2024/25 Q1": 3}
    [go1] = _updates(example, "GO-1", Q1)
    assert (go1.rag, go1.recovery_action, str(go1.recovery_date)) == (
        "amber", "Consult by August", "2024-08-31")
    assert go1.submitted_at.isoformat().startswith("2024-07-12T09:30")  # 10:30 BST
    with session_scope(example) as session:
        sharon = session.exec(select(Person).where(Person.key == "smurphy")).one()
        assert go1.submitted_by_id == sharon.id
        view = build_report(session, Q2)
    [q1] = [period for period in view.trend_periods if period.label == "2024/25 Q1"]
    assert q1.collected
    by_code = {row.code: row for row in view.rows}
    assert by_code["GO-1"].previous_rag == "amber" and by_code["GO-1"].changed


def test_an_xlsx_works_the_same(example: Engine, tmp_path: Path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["2024/25 Q1", "GO-1", "Amber", "Drafted", "", "", "", ""])
    path = tmp_path / "q1.xlsx"
    book.save(path)

    assert import_answers_file(example, path).stored == {"2024/25 Q1": 1}


def test_a_corrected_answer_is_a_new_version_never_an_overwrite(example: Engine,
                                                                tmp_path: Path):
    path = tmp_path / "q1.csv"
    path.write_text(HEADER + ROWS)
    import_answers_file(example, path)
    path.write_text(HEADER + ROWS.replace("Policy drafted;", "Policy drafted (corrected);"))

    summary = import_answers_file(example, path)

    assert summary.stored == {"2024/25 Q1": 1} and summary.present == {"2024/25 Q1": 2}
    versions = _updates(example, "GO-1", Q1)
    assert [v.version for v in versions] == [1, 2]
    assert "corrected" in versions[1].narrative and "corrected" not in versions[0].narrative


def test_every_problem_is_named_and_nothing_is_stored(example: Engine, tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + ROWS + "2024/25 Q1,GO-99,green,x,,,,\n"
                    "2024/25 Q1,GO-4,green,x,,,nobody@example.nhs.uk,\n")

    with pytest.raises(FrameworkImportError) as refused:
        import_answers_file(example, path)

    message = str(refused.value)
    assert "bad.csv: 2 problems, nothing was imported" in message
    assert "row 5, deliverable: no deliverable 'GO-99'" in message
    assert "row 6, submitted_by: no person 'nobody@example.nhs.uk'" in message
    assert _updates(example, "GO-1", Q1) == []


@pytest.mark.parametrize(("row", "said"), [
    ("2024/25 Q1,GO-1,purple,x,,,,", "row 2, rag: 'purple' is not a RAG rating"),
    ("2024/25 Q9,GO-1,green,x,,,,", "row 2, period:"),
    (",GO-1,green,x,,,,", "row 2, period: missing"),
    ("2024/25 Q1,GO-1,red,x,soon,next tuesday,,", "row 2, recovery_date: 'next tuesday'"),
])
def test_a_bad_value_is_refused_before_the_database(example: Engine, tmp_path: Path,
                                                    row: str, said: str):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + row + "\n")

    with pytest.raises(FrameworkImportError, match="bad.csv " + said.split(":")[0]) as refused:
        import_answers_file(example, path)
    assert said in str(refused.value)


def test_the_example_is_loaded_through_the_same_path(engine: Engine):
    with session_scope(engine, write=True) as session:
        load_example(session)
    with session_scope(engine) as session:
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "updates.import")).one()
        keys = session.exec(select(Update.idempotency_key)).all()

    assert event.actor == "example" and event.detail["stored"] == {"2024/25 Q2": 17}
    assert all(key and key.startswith("history:") for key in keys)
