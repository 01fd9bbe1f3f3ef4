"""The real Ragtime app served over real HTTP (waitress, port 0) against the fake Slack.

Import the fixtures into a conftest::

    from tests.fakeslack import fake_slack  # noqa: F401
    from tests.support.served_app import served_app, slack_settings  # noqa: F401

``served_app.slack`` is a ``SlackClientSimulator`` whose response_urls point at the fake, so
``fake_slack.wait_for("response_url")`` sees ``respond(...)`` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from slack_bolt import App
from sqlalchemy.engine import Engine

from bot.context import AppContext, utc_now
from bot.settings import Settings, load_settings
from ragtime.app import create_app
from ragtime.http_server import HttpServer, make_server
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.support.slack_requests import SIGNING_SECRET, SlackClientSimulator


def settings_for(fake: FakeSlack, database_url: str, **overrides: object) -> Settings:
    """Settings wired to the fake Slack and a test database."""
    values: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "governance_channel": "C0GOVERN",
        "listener_threads": 8,
        **overrides,
    }
    return load_settings(**values)


@dataclass
class ServedApp:
    app: App
    ctx: AppContext
    server: HttpServer
    slack: SlackClientSimulator
    fake: FakeSlack

    @property
    def url(self) -> str:
        return self.server.url


def serve(
    settings: Settings,
    fake: FakeSlack,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> ServedApp:
    """Build and start the app; call ``stop(served)`` when done."""
    app, ctx = create_app(settings, engine=engine, clock=clock)
    server = make_server(app, ctx, "127.0.0.1", 0, threads=8).start()
    simulator = SlackClientSimulator(server.url, response_url=fake.response_url)
    return ServedApp(app, ctx, server, simulator, fake)


def stop(served: ServedApp) -> None:
    served.server.stop()
    served.app.listener_runner.listener_executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def slack_settings(fake_slack: FakeSlack, sqlite_url: str) -> Settings:
    return settings_for(fake_slack, sqlite_url)


@pytest.fixture
def served_app(slack_settings: Settings, fake_slack: FakeSlack, engine: Engine
               ) -> Iterator[ServedApp]:
    """Ragtime served on 127.0.0.1:<free port> with the migrated SQLite ``engine``."""
    served = serve(slack_settings, fake_slack, engine=engine)
    try:
        yield served
    finally:
        stop(served)
