"""Teams scenario fixtures: Ragtime's HTTP side served for real (waitress, port 0) with Teams
settings only (no Slack setting at all), against the fake Microsoft identity service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.context import AppContext
from bot.settings import Settings, load_settings
from ragtime.http_server import HttpServer, make_server
from ragtime.wiring import offline_context
from tests.faketeams import APP_ID, APP_PASSWORD, TENANT_ID, FakeIdentity, fake_identity  # noqa: F401


def teams_settings(identity: FakeIdentity, database_url: str, **overrides: object) -> Settings:
    return load_settings(**{
        "RAGTIME_TEAMS_APP_ID": APP_ID, "RAGTIME_TEAMS_APP_PASSWORD": APP_PASSWORD,
        "RAGTIME_TEAMS_TENANT_ID": TENANT_ID,
        "RAGTIME_TEAMS_LOGIN_URL": identity.login_url,
        "RAGTIME_TEAMS_OPENID_METADATA_URL": identity.metadata_url,
        "DATABASE_URL": database_url, **overrides})


@pytest.fixture
def teams_served(fake_identity: FakeIdentity, sqlite_url: str,  # noqa: F811 (the fixture)
                 ) -> Iterator[tuple[HttpServer, AppContext]]:
    ctx = offline_context(teams_settings(fake_identity, sqlite_url))
    server = make_server(None, ctx, threads=4).start()
    try:
        yield server, ctx
    finally:
        server.stop()
        ctx.engine.dispose()
