"""Teams scenario fixtures: Ragtime on Teams alone (no Slack setting at all) served for real,
against the fake Microsoft identity service and Bot Framework connector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.context import AppContext
from ragtime.http_server import HttpServer, make_server
from ragtime.wiring import offline_context
from tests.faketeams import (  # noqa: F401 (the fixtures)
    FakeConnector,
    FakeIdentity,
    fake_connector,
    fake_graph,
    fake_identity,
)
from tests.scenario.conftest import NOW
from tests.support.teams_world import TeamsWorld, teams_on_example, teams_settings


@pytest.fixture
def teams_served(fake_identity: FakeIdentity, sqlite_url: str,  # noqa: F811 (the fixture)
                 ) -> Iterator[tuple[HttpServer, AppContext]]:
    """Only the HTTP side (no worker): what /api/messages stores."""
    ctx = offline_context(teams_settings(fake_identity, sqlite_url))
    server = make_server(None, ctx, threads=4).start()
    try:
        yield server, ctx
    finally:
        server.stop()
        ctx.engine.dispose()


@pytest.fixture
def teams_world(fake_identity: FakeIdentity, fake_connector: FakeConnector,  # noqa: F811
                any_engine: Engine) -> Iterator[TeamsWorld]:
    """The bundled example on SQLite, then PostgreSQL; Ragtime on Teams alone, served."""
    with teams_on_example(fake_identity, fake_connector, any_engine, clock=lambda: NOW,
                          RAGTIME_GOVERNANCE_LEADS="governance.lead@example.nhs.uk") as world:
        yield world
