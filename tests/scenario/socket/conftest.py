"""Socket Mode scenarios: the scenario world of ``tests/scenario/conftest.py`` (the bundled
example, 2024/25 Q3, a fixed clock) with Ragtime connected over Socket Mode to the fake Slack
instead of served over HTTP. ``served`` is overridden, so the ``slack`` and ``opened`` fixtures
and the ``Harness`` play the people's side through envelopes on the socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.fakeslack import FakeSlack
from tests.fakeslack.socket_mode import FakeSocketMode
from tests.scenario.conftest import IN_SLACK, LEAD, NOW
from tests.support.example_db import load_example_into
from tests.support.socket_app import (
    SocketServedApp,
    serve_over_socket,
    socket_settings,
    stop_socket,
)


@pytest.fixture
def socket_mode(fake_slack: FakeSlack) -> Iterator[FakeSocketMode]:
    """Slack's Socket Mode side, reached through the fake Web API's apps.connections.open."""
    with FakeSocketMode(fake_slack) as fake_socket_mode:
        yield fake_socket_mode


@pytest.fixture
def served(fake_slack: FakeSlack, socket_mode: FakeSocketMode, engine: Engine, sqlite_url: str
           ) -> Iterator[SocketServedApp]:
    load_example_into(engine)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)
    settings = socket_settings(fake_slack, sqlite_url, governance_leads_raw=LEAD)
    app = serve_over_socket(settings, fake_slack, socket_mode, engine=engine, clock=lambda: NOW)
    try:
        yield app
    finally:
        stop_socket(app)
