"""The bundled "Step Up To Great" example: the seed's framework and its 2024/25 Q2 updates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.calendar.periods import Period
from bot.framework.example import (
    EXAMPLE_FRAMEWORK,
    EXAMPLE_PERIOD,
    EXAMPLE_UPDATES,
    example_updates,
    load_example,
)
from bot.framework.importer import read_framework
from storage.db import session_scope
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    PeriodRecord,
    Person,
    Risk,
    RiskScore,
    Role,
    Source,
    Theme,
    Update,
)

SEED_SCORES = {"01": 20, "02": 9, "03": 12, "04": 20, "05": 12, "06": 20, "07": 12, "08": 9,
               "09": 12}
# (theme, area, number, SROs, RAG) per deliverable, in report order, as in the seed.
ACCESS = ["Sharon Murphy"]
RESEARCH = ["Bhanu Chadalavada", "James Mullins"]
EXPECTED = [
    ("Great Outcomes", "Access", "1", ACCESS, "green"),
    ("Great Outcomes", "Access", "2", ACCESS, "green"),
    ("Great Outcomes", "Access", "3", ACCESS, "green"),
    ("Great Outcomes", "Access", "4", ACCESS, "green"),
    ("Great Outcomes", "Research or Innovation", "1", RESEARCH, "green"),
    ("Great Outcomes", "Research or Innovation", "2", RESEARCH, "green"),
    ("Great Outcomes", "Research or Innovation", "3", RESEARCH, "amber"),
    ("Great Care", "Environment & Sustainability", "1", ["Paul Sheldon"], "green"),
    ("Great Care", "Environment & Sustainability", "2", ["Paul Sheldon"], "green"),
    ("Great Care", "Environment & Sustainability", "3", ["Paul Sheldon"], "amber"),
    ("Great Care", "Organisational Resilience - Emergency preparedness", "1", ["Jean Knight"],
     "green"),
    ("Great Place to Work", "Workforce", "1", ["Sarah Willis"], "green"),
    ("Great Place to Work", "Workforce", "2", ["Sarah Willis"], "amber"),
    ("Great Place to Work", "Inclusive Culture", "1", ["Sarah Willis"], "green"),
    ("Great Place to Work", "Inclusive Culture", "2", ["Sarah Willis"], "green"),
    ("Part of the Community", "Partnerships", "1", ["David Williams"], "amber"),
    ("Part of the Community", "Health Inequalities", "2", ["David Williams"], "green"),
]
TITLES = {
    "Sharon Murphy": "Director of Finance", "Bhanu Chadalavada": "Medical Director",
    "James Mullins": "Director of Nursing", "Paul Sheldon": "Group Chief Finance Officer",
    "Jean Knight": "Deputy CEO", "Sarah Willis": "Director of HR",
    "David Williams": "Executive Director of Strategy and Partnerships",
}
# PDF-extraction noise: stray glyphs, Greek/Cyrillic capital A, underscores, bullets, the
# side labels of the PDF, run-together words and spaces before punctuation.
NOISE = re.compile(r"[ŬΑА_\uf0b7•▪●]|accesstargets|ValueUpdate|PartnershipsReview|Access to "
                   r"Services|Trustwide Quality|\s[,.;:]|\.\.|\s{2,}")


@pytest.fixture
def loaded(any_engine):
    with session_scope(any_engine, write=True) as session:
        summary = load_example(session)
    return any_engine, summary


def report_rows(engine) -> list[tuple]:
    with session_scope(engine) as s:
        period = s.exec(select(PeriodRecord).where(PeriodRecord.fy == 2024,
                                                   PeriodRecord.quarter == 2)).one()
        rows = []
        for theme, d in s.exec(select(Theme, Deliverable).join(Deliverable).order_by(
                Theme.position, Deliverable.position)):
            sros = s.exec(select(Person).join(DeliverableOwner).where(
                DeliverableOwner.deliverable_id == d.id, DeliverableOwner.role == Role.sro)
                .order_by(DeliverableOwner.position)).all()
            update = s.exec(select(Update).where(Update.deliverable_id == d.id,
                                                 Update.period_id == period.id)).one()
            rows.append((theme, d, sros, update))
        return rows


def test_seventeen_deliverables_with_areas_numbers_sros_and_rags(loaded):
    engine, summary = loaded
    assert summary.framework.deliverables.created == 17
    assert summary.updates_created == 17
    rows = report_rows(engine)
    assert [(theme.name, d.area, d.number, [p.name for p in sros], update.rag.value)
            for theme, d, sros, update in rows] == EXPECTED
    for _, _, sros, _ in rows:
        for person in sros:
            assert person.title == TITLES[person.name]
            first, last = person.name.lower().split()
            assert person.email == f"{first}.{last}@example.nhs.uk"


def test_updates_are_imported_version_one_by_the_first_sro(loaded):
    engine, _ = loaded
    for _, _, sros, update in report_rows(engine):
        assert (update.version, update.source) == (1, Source.imported)
        assert update.submitted_by_id == sros[0].id
        submitted = update.submitted_at
        if submitted.tzinfo is None:  # SQLite keeps no zone; the stored value is UTC
            submitted = submitted.replace(tzinfo=UTC)
        assert submitted == datetime(2024, 10, 10, 8, 0, tzinfo=UTC)  # 09:00 BST


def test_titles_and_narratives_are_clean(loaded):
    engine, _ = loaded
    rows = report_rows(engine)
    for _, d, _, update in rows:
        for text in (d.title, update.narrative):
            assert not NOISE.search(text), text
    # Where the PDF ran area, title and narrative together they are apart again.
    titles = {d.ref: d.title for _, d, _, _ in rows}
    assert titles["go-research-1"] == (
        "To support the attainment of Group University Hospital Trust Status")
    assert titles["poc-partnerships-1"].startswith("Review the current work with other NHS")
    assert titles["poc-partnerships-1"].endswith("Anchor Organisations and Social Value")
    by_title = {d.title: update.narrative for _, d, _, update in rows}
    assert by_title["Ensure effective performance management of waiting times/access targets, "
                    "consistent with Accountability Framework"].startswith(
        "The Accountability Framework Appendix has been updated")
    partnerships = next(u for _, d, _, u in rows if d.area == "Partnerships")
    assert partnerships.narrative == (
        "Amber rated as we work through quantifying the impact of our social value.")
    research = [u.narrative for _, d, _, u in rows if d.area == "Research or Innovation"]
    assert "Amber rating due to the complexity of achievement" in research[2]
    amber_or_red = [u for _, _, _, u in rows if u.rag.value != "green"]
    assert all(u.narrative for u in amber_or_red)


def test_themes_and_bafs_as_in_the_seed(loaded):
    engine, summary = loaded
    assert summary.framework.risk_period == EXAMPLE_PERIOD == Period(2024, 2)
    with session_scope(engine) as s:
        framework = s.exec(select(Framework)).one()
        assert (framework.name, framework.organisation) == (
            "Step Up To Great", "Leicestershire Partnership NHS Trust")
        themes = s.exec(select(Theme).order_by(Theme.position)).all()
        assert [t.name for t in themes] == ["Great Outcomes", "Great Care",
                                            "Great Place to Work", "Part of the Community"]
        assert all(t.ambition and t.objectives for t in themes)
        assert themes[0].ambition.startswith("For everyone in every community across Leicester")
        scores = s.exec(select(Risk.number, RiskScore.score, PeriodRecord.label, Theme.name)
                        .join(RiskScore, RiskScore.risk_id == Risk.id).join(PeriodRecord)
                        .join(Theme, Theme.id == Risk.theme_id)).all()
    assert {number: score for number, score, _, _ in scores} == SEED_SCORES
    assert {label for _, _, label, _ in scores} == {"2024/25 Q2"}
    assert {number: theme for number, _, _, theme in scores} == {
        "01": "Great Outcomes", "02": "Great Outcomes", "03": "Great Care", "04": "Great Care",
        "05": "Great Care", "06": "Great Place to Work", "07": "Great Place to Work",
        "08": "Part of the Community", "09": "Part of the Community"}


def test_cover_is_a_quarterly_board_paper(loaded):
    engine, _ = loaded
    with session_scope(engine) as s:
        cover = s.exec(select(Framework)).one().cover
    assert cover["meeting"] == "Public Trust Board"
    assert cover["sponsor"].startswith("David Williams")
    assert cover["decision_required"] == "Assurance – to note progress"
    assert cover["strategic_alignment"] == ["Great Outcomes", "Great Care",
                                            "Great Place to Work", "Part of the Community"]
    assert cover["baf_considered"] == list(SEED_SCORES)


def test_loading_twice_changes_nothing(loaded):
    engine, _ = loaded

    def everything():
        with engine.connect() as conn:
            return {t.name: sorted(map(tuple, conn.execute(sa_select(t))), key=repr)
                    for t in SQLModel.metadata.sorted_tables}

    before = everything()
    with session_scope(engine, write=True) as session:
        again = load_example(session)
    assert (again.updates_created, again.updates_already_present) == (0, 17)
    assert not again.framework.changed
    assert everything() == before


def test_data_files_ship_inside_the_package():
    assert EXAMPLE_FRAMEWORK.parent.name == EXAMPLE_UPDATES.parent.name == "example"
    assert EXAMPLE_FRAMEWORK.suffix == EXAMPLE_UPDATES.suffix == ".yaml"  # package-data *.yaml
    spec = read_framework(EXAMPLE_FRAMEWORK)
    bundle = example_updates()
    assert [d.ref for d in spec.deliverables] == [u.ref for u in bundle.updates]
    assert bundle.period == EXAMPLE_PERIOD
