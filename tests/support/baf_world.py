"""The bundled example with a working BAF: owners, targets and appetite for three of its risks
(a risks CSV, as a governance lead would import it) and four quarters of returns, 2024/25 Q2
(the seed's imported scores) to 2025/26 Q1, with a Red deliverable that is an action on a risk
above its target."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period
from bot.collection.risk_returns import submit_return
from bot.collection.risk_rules import ReturnFields
from bot.collection.updates import submit_update
from bot.framework.importer import import_framework
from storage.db import session_scope
from storage.models import Deliverable, Framework, Person, Risk, Source
from tests.support.example_db import load_example_into
from tests.support.rounds import open_rounds

Q2, Q3, Q4, NEXT_Q1 = Period(2024, 2), Period(2024, 3), Period(2024, 4), Period(2025, 1)
ROWS = [
    ["theme", "risk_number", "risk_title", "score", "owner_name", "owner_title", "owner_email",
     "lead_committee", "appetite", "target", "target_date"],
    ["Great Outcomes", "01", "Without timely access to services, we cannot provide high "
     "quality safe care for our patients which will impact on clinical outcomes.", "20",
     "Sharon Murphy", "Director of Finance", "sharon.murphy@example.nhs.uk",
     "Quality and Safety Committee", "cautious", "12", "2025-03-31"],
    ["Great Outcomes", "02", "If we do not engage in research or innovation, we will not "
     "produce the strength of evidence to provide real transformation of patient outcomes in "
     "high quality and safe services.", "9", "Bhanu Chadalavada", "Medical Director",
     "bhanu.chadalavada@example.nhs.uk", "Quality and Safety Committee", "open", "9",
     "2026-03-31"],
]


@dataclass(frozen=True)
class BafWorld:
    framework_id: int
    risks: dict[str, int]


def action(text: str, due: str, deliverable: str | None = None) -> dict:
    return {"text": text, "owner": "Sharon Murphy", "due": due, "deliverable": deliverable}


def build_baf_world(engine: Engine, folder: Path) -> BafWorld:
    load_example_into(engine)
    path = folder / "risks.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(ROWS)
    with session_scope(engine, write=True) as session:
        import_framework(session, path, today=date(2024, 12, 20))
    open_rounds(engine, Q3, Q4, NEXT_Q1)
    with session_scope(engine, write=True) as session:
        risks = {risk.number: risk.id or 0 for risk in session.exec(select(Risk))}
        sharon = session.exec(select(Person).where(Person.key == "smurphy")).one().id
        bhanu = session.exec(select(Person).where(Person.key == "bchadalavada")).one().id
        go1 = session.exec(select(Deliverable).where(Deliverable.code == "GO-1")).one()

        def returned(risk: str, person: int | None, period: Period, day: date,
                     **fields: object) -> None:
            submit_return(session, risk_id=risks[risk], period=period,
                          entered=ReturnFields(**fields), source="cli",  # type: ignore[arg-type]
                          actor_person_id=person, today=day,
                          now=datetime(day.year, day.month, day.day, 9, tzinfo=UTC))

        returned("01", sharon, Q3, date(2025, 1, 6), likelihood=4, consequence=4,
                 rationale="The new clinic cut the longest waits.",
                 actions=[action("Open the second clinic", "2025-03-31", "GO-1")])
        returned("01", sharon, Q4, date(2025, 4, 7), likelihood=4, consequence=4,
                 actions=[action("Open the second clinic", "2025-06-30", "GO-1")])
        returned("02", bhanu, Q3, date(2025, 1, 6), likelihood=3, consequence=3)
        returned("02", bhanu, NEXT_Q1, date(2025, 7, 7), likelihood=3, consequence=3)
        submit_update(session, actor_person_id=sharon, deliverable_id=go1.id or 0,
                      period=NEXT_Q1, rag="red", narrative="The access policy is stuck at "
                      "legal review.", recovery_action="Escalated to the executive team",
                      recovery_date="2025-09-30", change_reason="Legal review delayed it",
                      source=Source.cli, today=date(2025, 7, 7),
                      now=datetime(2025, 7, 7, 9, tzinfo=UTC))
        returned("01", sharon, NEXT_Q1, date(2025, 7, 7), likelihood=4, consequence=5,
                 rationale="Demand rose over the summer & two clinicians left.",
                 controls="Waiting list validation", control_gaps="No weekend cover",
                 assurances=[{"line": "second", "kind": "negative",
                              "text": "Audit of waits: limited assurance"}],
                 assurance_gaps="No third-line review this year",
                 actions=[action("Recruit two clinicians", "2025-10-31"),
                          action("", "2025-12-31", "GO-1")])
        framework_id = session.exec(select(Framework.id)).one()
    return BafWorld(framework_id=framework_id or 0, risks=risks)
