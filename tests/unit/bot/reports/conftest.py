"""A small framework built straight from the storage models: two themes, BAF risks, joint
SROs, two periods of updates (with a resubmission), one deliverable with no update, and
inactive deliverables with and without an update."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from bot.calendar.periods import Period, stored_period
from storage.db import session_scope
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    Person,
    Rag,
    Risk,
    RiskScore,
    Role,
    Theme,
    Update,
)
from tests.support.queries import watching

Q1, Q2 = Period(2024, 1), Period(2024, 2)


def add_framework(session, *, name: str = "Step Up To Great") -> Framework:
    framework = Framework(
        name=name, organisation="Leicestershire Partnership NHS Trust",
        cover={"Meeting": "Public Trust Board", "paper sponsored by": "David Williams",
               "strategic_alignment": ["T - Technology: Y", "H - Healthy Communities: Y"]},
    )
    session.add(framework)
    session.flush()
    people = {
        key: Person(key=key, name=person_name, title=title, email=f"{key}@example.nhs.uk")
        for key, person_name, title in (
            ("smurphy", "Sharon Murphy", "Director of Finance"),
            ("bchad", "Bhanu Chadalavada", "Medical Director"),
            ("jmullins", "James Mullins", "Director of Nursing"),
            ("swillis", "Sarah Willis", "Director of HR"),
            ("deputy", "Dana Deputy", "HR Business Partner"),
        )
    }
    session.add_all(people.values())
    outcomes = Theme(framework_id=framework.id, name="Great Outcomes", position=0,
                     ambition="For everyone in every community across LLR.",
                     objectives=["We will improve access to our services.",
                                 "We will ensure that our services are safe."])
    place = Theme(framework_id=framework.id, name="Great Place to Work", position=1,
                  ambition="A great place to work.", objectives=["Support our staff."])
    session.add_all([outcomes, place])
    session.flush()
    q1, q2 = stored_period(session, Q1), stored_period(session, Q2)
    risks = [
        Risk(framework_id=framework.id, theme_id=outcomes.id, number="01", position=0,
             title="Without timely access to services, we cannot provide safe care."),
        Risk(framework_id=framework.id, theme_id=outcomes.id, number="02", position=1,
             title="If we do not engage in research or innovation, outcomes suffer."),
        Risk(framework_id=framework.id, theme_id=place.id, number="06", position=2,
             title="If we do not use workforce resourcing strategies, agency use stays high."),
    ]
    session.add_all(risks)
    session.flush()
    session.add_all([
        RiskScore(risk_id=risks[0].id, period_id=q1.id, score=20, direction="static"),
        RiskScore(risk_id=risks[0].id, period_id=q2.id, score=20, direction="static"),
        RiskScore(risk_id=risks[1].id, period_id=q1.id, score=9),
        RiskScore(risk_id=risks[2].id, period_id=q1.id, score=16),
        RiskScore(risk_id=risks[2].id, period_id=q2.id, score=20),
    ])
    rows = [
        # ref, theme, area, title, sros, active
        ("GO-1", outcomes, "Access", "Review, update, revise and implement Trust Access Policy",
         ["smurphy"], True),
        ("GO-2", outcomes, "Access", "Review Directorate Single Operating Procedures (SOPs)",
         ["smurphy"], True),
        ("GO-3", outcomes, "Research or Innovation",
         "Support the attainment of Group University Hospital Trust Status",
         ["bchad", "jmullins"], True),
        ("GO-4", outcomes, "Access", "Retired deliverable that still reported", ["smurphy"],
         False),
        ("GO-5", outcomes, "Access", "Retired deliverable without an update", ["smurphy"], False),
        ("GP-1", place, "Workforce", "Deliver Equality, Diversity and Inclusion (EDI) Plan",
         ["swillis"], True),
        ("GP-2", place, "Workforce", "Agency reduction plan", ["swillis"], True),
    ]
    made: dict[str, Deliverable] = {}
    for position, (ref, theme, area, title, sros, active) in enumerate(rows):
        deliverable = Deliverable(framework_id=framework.id, theme_id=theme.id, ref=ref,
                                  area=area, title=title, position=position, active=active)
        session.add(deliverable)
        session.flush()
        made[ref] = deliverable
        for index, key in enumerate(sros):
            session.add(DeliverableOwner(deliverable_id=deliverable.id,
                                         person_id=_id(session, people[key]), position=index))
    session.add(DeliverableOwner(deliverable_id=made["GP-2"].id,
                                 person_id=_id(session, people["deputy"]), role=Role.delegate))
    at = datetime(2024, 10, 3, 9, 30, tzinfo=UTC)

    def update(ref, period, rag, narrative, version=1, by="smurphy", **extra):  # type: ignore[no-untyped-def]
        session.add(Update(deliverable_id=made[ref].id, period_id=period.id, version=version,
                           rag=rag, narrative=narrative, submitted_by_id=people[by].id,
                           submitted_at=at, **extra))

    update("GO-1", q1, Rag.amber, "Policy review under way.")
    update("GO-1", q2, Rag.amber, "First draft, superseded.")
    update("GO-1", q2, Rag.green, "The Access to Treatment Policy has been fully updated.",
           version=2)
    update("GO-2", q1, Rag.green, "Directorates reviewing SOPs.")
    update("GO-2", q2, Rag.green, "SOPs reviewed via the Access Delivery Group.")
    update("GO-3", q1, Rag.green, "Partnership agreed.", by="bchad")
    update("GO-3", q2, Rag.amber, "Amber due to complexity in challenging finances.",
           by="jmullins")
    update("GO-4", q2, Rag.green, "Closed down this quarter.")
    update("GP-1", q1, Rag.green, "WRES and WDES action plans refreshed.", by="swillis")
    update("GP-2", q2, Rag.red, "Agency spend remains above plan.", by="deputy",
           recovery_action="Weekly agency panel", recovery_date=date(2024, 12, 31))
    session.flush()
    return framework


def _id(session, person: Person) -> int:  # type: ignore[no-untyped-def]
    if person.id is None:
        session.flush()
    assert person.id is not None
    return person.id


@pytest.fixture
def report_engine(engine: Engine) -> Engine:
    """The migrated SQLite database holding the small framework."""
    with session_scope(engine, write=True) as session:
        add_framework(session)
    return engine


@pytest.fixture
def session(report_engine: Engine) -> Iterator:
    with session_scope(report_engine) as session:
        yield session


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block (transaction control left out)."""
    with watching(engine) as seen:
        yield seen.statements
