"""The reports scenario world: the bundled example (Step Up To Great, 2024/25 Q2) with SROs on
Slack, a 2024/25 Q1 to compare with, the fake Slack Web API and the real app served over HTTP.

A fixed clock puts "now" on 20 October 2024, so the default period is 2024/25 Q2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.calendar.periods import Period, stored_period
from bot.framework.example import EXAMPLE_PERIOD
from storage.db import session_scope
from storage.models import Deliverable, Person, Rag, Source, Update
from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.support.example_db import load_example_into
from tests.support.served_app import ServedApp, serve, settings_for, stop

LEAD = "U0LEAD"
CHANNEL = "C0GOVERN"
NOW = datetime(2024, 10, 20, 9, 30, tzinfo=UTC)
Q1, Q2 = Period(2024, 1), EXAMPLE_PERIOD
SLACK_IDS = {  # person key → Slack user id (the example has none)
    "smurphy": "U0SMURPHY", "bchadalavada": "U0BHANU", "jmullins": "U0JAMES",
    "psheldon": "U0PAUL", "jknight": "U0JEAN", "swillis": "U0SARAH",
}  # dwilliams stays without a Slack account
NASTY = "Delayed <!channel> see <@U123> & <script>alert(1)</script> <https://evil|click>"


@dataclass(frozen=True)
class World:
    engine: Engine
    ids: dict[str, int]  # deliverable ref → id


def build_world(engine: Engine, fake: FakeSlack | None = None) -> World:
    """The example, Slack ids for most SROs, and a 2024/25 Q1 rating for two deliverables:
    ``go-access-1`` was Amber (now Green) and ``go-access-2`` Green, now Red with a narrative
    full of Slack markup."""
    load_example_into(engine)
    with session_scope(engine, write=True) as session:
        for person in session.exec(select(Person)):
            person.slack_id = SLACK_IDS.get(person.key)
            session.add(person)
        ids = {d.ref: d.id for d in session.exec(select(Deliverable))}
        q1, q2 = stored_period(session, Q1), stored_period(session, Q2)
        at = datetime(2024, 7, 10, 9, tzinfo=UTC)
        session.add(Update(deliverable_id=ids["go-access-1"], period_id=q1.id, rag=Rag.amber,
                           narrative="Policy drafting under way.", submitted_at=at,
                           source=Source.imported))
        session.add(Update(deliverable_id=ids["go-access-2"], period_id=q1.id, rag=Rag.green,
                           narrative="On track.", submitted_at=at, source=Source.imported))
        session.add(Update(deliverable_id=ids["go-access-2"], period_id=q2.id, version=2,
                           rag=Rag.red, narrative=NASTY, recovery_action="Re-plan & escalate",
                           submitted_at=datetime(2024, 10, 11, 9, tzinfo=UTC),
                           source=Source.imported))
    if fake is not None:
        fake.add_user(LEAD, email="lead@example.nhs.uk", name="lead")
        for key, slack_id in SLACK_IDS.items():
            fake.add_user(slack_id, email=f"{key}@example.nhs.uk", name=key)
    return World(engine=engine, ids=ids)


@pytest.fixture
def world(engine: Engine, fake_slack: FakeSlack) -> World:  # noqa: F811
    return build_world(engine, fake_slack)


@pytest.fixture
def served(world: World, fake_slack: FakeSlack, sqlite_url: str  # noqa: F811
           ) -> Iterator[ServedApp]:
    settings = settings_for(fake_slack, sqlite_url, governance_leads_raw=LEAD,
                            governance_channel=CHANNEL)
    app = serve(settings, fake_slack, engine=world.engine, clock=lambda: NOW)
    try:
        yield app
    finally:
        stop(app)
