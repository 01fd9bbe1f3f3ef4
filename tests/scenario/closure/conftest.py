"""Closing a strategy: the example ("Step Up To Great") beside its successor "THRIVE", served
over real HTTP against the fake Slack, with the scenario harness (``tests.scenario.conftest``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.framework.importer import import_framework
from storage.db import session_scope
from tests.fakeslack import FakeSlack
from tests.scenario.conftest import IN_SLACK, LEAD, Harness
from tests.support.example_db import load_example_into
from tests.support.served_app import ServedApp, serve, settings_for, stop

THRIVE = "THRIVE"
# Sharon also leads THRIVE's access work; Paul its workforce work.
THRIVE_CSV = (
    "theme,area,deliverable,sro_name,sro_title,sro_email\n"
    "Responsive,Access,Single point of access for every service,Sharon Murphy,"
    "Director of Finance,sharon.murphy@example.nhs.uk\n"
    "Responsive,Access,Digital front door,Sharon Murphy,Director of Finance,"
    "sharon.murphy@example.nhs.uk\n"
    "Valuing our people,Workforce,Retention plan,Paul Sheldon,Chief People Officer,"
    "paul.sheldon@example.nhs.uk\n"
)


def load_thrive(served: ServedApp, folder: Path, text: str = THRIVE_CSV) -> None:
    path = folder / "thrive.csv"
    path.write_text(text, encoding="utf-8")
    with session_scope(served.ctx.engine, write=True) as session:
        import_framework(session, path, framework_name=THRIVE)


@pytest.fixture
def both(slack: Harness, tmp_path: Path) -> Harness:
    """The example and THRIVE loaded."""
    load_thrive(slack.served, tmp_path)
    return slack


JULY = datetime(2025, 7, 16, 10, 0, tzinfo=UTC)  # SUTG's closure round beside THRIVE's first


@pytest.fixture
def in_july(fake_slack: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path
            ) -> Iterator[Harness]:
    """The example and THRIVE served with the clock in July 2025, when the old strategy's
    closure round and the new one's first quarter run side by side."""
    load_example_into(engine)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)
    settings = settings_for(fake_slack, sqlite_url, governance_leads_raw=LEAD)
    app = serve(settings, fake_slack, engine=engine, clock=lambda: JULY)
    try:
        load_thrive(app, tmp_path)
        yield Harness(app)
    finally:
        stop(app)
