"""The view-model: what the board report says, in a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.reports import ReportError, build_report, report_content_hash
from storage.db import session_scope
from storage.models import Deliverable, DeliverableOwner, Person, Rag, Theme, Update
from storage.repo import find_period
from tests.unit.bot.reports.conftest import Q1, Q2, add_framework, count_queries


def rows_by_ref(view):  # type: ignore[no-untyped-def]
    return {row.ref: row for row in view.rows}


def test_every_active_deliverable_appears_in_theme_order_with_rag_and_sros(session):
    view = build_report(session, Q2)
    assert view.framework_name == "Step Up To Great"
    assert view.period_label == "2024/25 Q2"
    assert [theme.name for theme in view.themes] == ["Great Outcomes", "Great Place to Work"]
    assert [row.ref for row in view.themes[0].rows] == ["GO-1", "GO-2", "GO-3", "GO-4"]
    assert [row.number for row in view.themes[1].rows] == ["1", "2"]
    rows = rows_by_ref(view)
    assert rows["GO-3"].rag == "amber"
    assert [(p.name, p.title) for p in rows["GO-3"].sros] == [
        ("Bhanu Chadalavada", "Medical Director"), ("James Mullins", "Director of Nursing")]
    # The delegate is not an SRO, but is named as the one who submitted.
    assert [p.name for p in rows["GP-2"].sros] == ["Sarah Willis"]
    assert rows["GP-2"].submitted_by == "Dana Deputy"
    assert rows["GP-2"].recovery_action == "Weekly agency panel"


def test_latest_version_counts(session):
    row = rows_by_ref(build_report(session, Q2))["GO-1"]
    assert (row.rag, row.version) == ("green", 2)
    assert row.narrative == "The Access to Treatment Policy has been fully updated."


def test_missing_update_is_flagged_not_dropped(session):
    view = build_report(session, Q2)
    missing = rows_by_ref(view)["GP-1"]
    assert missing.missing and missing.rag is None and missing.previous_rag == "green"
    assert [row.ref for row in view.missing] == ["GP-1"]
    assert view.themes[1].rag_counts.missing == 1


def test_changes_against_previous_period(session):
    view = build_report(session, Q2)
    assert [(row.ref, row.previous_rag, row.rag) for row in view.changes] == [
        ("GO-1", "amber", "green"), ("GO-3", "green", "amber")]
    assert view.previous_period_label == "2024/25 Q1"


def test_inactive_deliverables_only_when_they_reported(session):
    refs = set(rows_by_ref(build_report(session, Q2)))
    assert "GO-4" in refs and "GO-5" not in refs
    assert "GO-4" not in rows_by_ref(build_report(session, Q1))


def test_rag_counts_per_theme_and_overall(session):
    view = build_report(session, Q2)
    outcomes, place = (theme.rag_counts for theme in view.themes)
    assert (outcomes.green, outcomes.amber, outcomes.red, outcomes.missing) == (3, 1, 0, 0)
    assert (place.green, place.amber, place.red, place.missing) == (0, 0, 1, 1)
    assert view.rag_counts.total == 6 and view.rag_counts.green == 3


def test_baf_scores_fall_back_to_the_latest_earlier_period_and_derive_direction(session):
    risks = {r.number: r for theme in build_report(session, Q2).themes for r in theme.risks}
    assert (risks["01"].score, risks["01"].direction, risks["01"].as_of) == (20, "static", None)
    assert (risks["02"].score, risks["02"].as_of) == (9, "2024/25 Q1")
    assert (risks["06"].score, risks["06"].direction) == (20, "up")  # 16 → 20


def test_cover_table_from_framework_with_overrides(session):
    view = build_report(session, Q2, cover_overrides={"Date submitted": "20.10.2024",
                                                      "decision required": "To note"})
    cover = {row.key: row for row in view.cover}
    assert view.title == cover["title"].value == "Step Up To Great – Quarter 2 progress 2024/25"
    assert cover["meeting"].value == "Public Trust Board"
    assert cover["sponsor"].label == "Paper sponsored by"
    assert cover["date_submitted"].value == "20 October 2024"
    assert cover["decision_required"].value == "To note"
    assert cover["strategic_alignment"].lines == ("T - Technology: Y",
                                                  "H - Healthy Communities: Y")
    assert cover["baf_risks"].value == "01, 02, 06"


def test_a_period_never_stored_lists_every_deliverable_as_missing(report_engine):
    with session_scope(report_engine) as session:
        view = build_report(session, Period(2030, 1))
    assert view.rows and all(row.missing for row in view.rows)
    with session_scope(report_engine) as session:  # building a report wrote nothing
        assert find_period(session=session, fy=2030, quarter=1) is None


def test_no_framework_is_a_clear_error(engine):
    with session_scope(engine) as session, pytest.raises(ReportError, match="ragtime import"):
        build_report(session, Q2)
    with session_scope(engine) as session, pytest.raises(ReportError, match="id 42"):
        build_report(session, Q2, framework_id=42)


def test_content_hash_is_stable_and_ignores_submission_times(report_engine):
    with session_scope(report_engine) as session:
        before = report_content_hash(build_report(session, Q2))
        assert report_content_hash(build_report(session, Q2)) == before
    with session_scope(report_engine, write=True) as session:
        # A resubmission saying exactly the same, later: the report does not change.
        latest = session.exec(select(Update).where(Update.version == 2)).one()
        session.add(Update(deliverable_id=latest.deliverable_id, period_id=latest.period_id,
                           version=3, rag=latest.rag, narrative=latest.narrative,
                           submitted_by_id=latest.submitted_by_id,
                           submitted_at=datetime(2024, 10, 9, tzinfo=UTC)))
    with session_scope(report_engine) as session:
        assert report_content_hash(build_report(session, Q2)) == before
    with session_scope(report_engine, write=True) as session:
        session.add(Update(deliverable_id=latest.deliverable_id, period_id=latest.period_id,
                           version=4, rag=Rag.red, narrative="Now off track."))
    with session_scope(report_engine) as session:
        assert report_content_hash(build_report(session, Q2)) != before


def _grow(engine, extra: int) -> None:  # type: ignore[no-untyped-def]
    """Add ``extra`` deliverables with SROs and updates in both periods."""
    with session_scope(engine, write=True) as session:
        theme = session.exec(select(Theme)).first()
        person = session.exec(select(Person)).first()
        periods = [stored_period(session, Q1), stored_period(session, Q2)]
        for index in range(extra):
            deliverable = Deliverable(framework_id=theme.framework_id, theme_id=theme.id,
                                      ref=f"X-{index}", title=f"Extra {index}",
                                      position=100 + index)
            session.add(deliverable)
            session.flush()
            session.add(DeliverableOwner(deliverable_id=deliverable.id, person_id=person.id))
            for period in periods:
                session.add(Update(deliverable_id=deliverable.id, period_id=period.id,
                                   rag=Rag.green, narrative="ok", submitted_by_id=person.id))


def test_query_count_does_not_grow_with_deliverables(any_engine):
    with session_scope(any_engine, write=True) as session:
        add_framework(session)
    counts = []
    for extra in (0, 40):
        _grow(any_engine, extra)
        with session_scope(any_engine) as session, count_queries(any_engine) as statements:
            view = build_report(session, Q2)
        counts.append((len(view.rows), len(statements)))
    (small_rows, small), (big_rows, big) = counts
    assert big_rows == small_rows + 40
    assert small == big <= 16, counts  # with the BAF section, extensions, carried history and risks
