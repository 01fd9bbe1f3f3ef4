"""The real Ragtime app served over real HTTP (waitress, port 0) against the fake Slack.

Import the fixtures into a conftest::

    from tests.fakeslack import fake_slack  # noqa: F401
    from tests.support.served_app import served_app, slack_settings  # noqa: F401

The serving app only acknowledges; a worker (``ragtime.worker.Worker``, its threads in the test
process, on the same database) does the rest, as ``ragtime worker`` does beside ``ragtime
serve``. ``served_app.slack`` is a ``SlackClientSimulator`` whose response_urls point at the
fake, so ``fake_slack.wait_for("response_url")`` sees ``respond(...)`` calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from slack_bolt import App
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.context import AppContext, utc_now
from bot.settings import Settings, load_settings
from ragtime.app import create_app
from ragtime.http_server import HttpServer, make_server
from ragtime.worker import WORKER_KINDS, Worker
from storage.db import session_scope
from storage.inbox_file import inbox_engine
from storage.models import InboxItem, InboxStatus, OutboxMessage, OutboxStatus
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
    worker: Worker | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the worker has done what waits for it in the inbox and the outbox."""
        deadline = time.monotonic() + timeout
        while (waiting := waiting_for_worker(self.ctx.engine)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not waiting, f"the worker did not settle within {timeout} s: {waiting}"


def waiting_for_worker(engine: Engine) -> dict[str, int]:
    with session_scope(inbox_engine(engine)) as session:
        inbox = len(session.exec(select(InboxItem.id).where(col(InboxItem.status).in_(
            (InboxStatus.pending, InboxStatus.working)))).all())
    with session_scope(engine) as session:
        outbox = len(session.exec(select(OutboxMessage.id).where(
            col(OutboxMessage.kind).in_(WORKER_KINDS),
            col(OutboxMessage.status).in_((OutboxStatus.pending, OutboxStatus.sending)))).all())
    return {name: n for name, n in (("inbox", inbox), ("outbox", outbox)) if n}


def serve(
    settings: Settings,
    fake: FakeSlack,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] = utc_now,
    with_worker: bool = True,
) -> ServedApp:
    """Build and start the app; call ``stop(served)`` when done."""
    app, ctx = create_app(settings, engine=engine, clock=clock)
    worker = start_worker(settings, engine=ctx.engine, clock=clock) if with_worker else None
    server = make_server(app, ctx, "127.0.0.1", 0, threads=8).start()
    simulator = SlackClientSimulator(server.url, response_url=fake.response_url)
    return ServedApp(app, ctx, server, simulator, fake, worker)


# The worker's idle poll here: what the tests store wakes it at once (``storage.wakes``), so the
# poll only finds what waits for a time to pass (a send to retry, an item retried later).
POLL_SECONDS = 0.25


def start_worker(settings: Settings, *, engine: Engine,
                 clock: Callable[[], datetime] = utc_now, poll: float = POLL_SECONDS) -> Worker:
    """A worker on ``engine``, its threads in this process."""
    app, ctx = create_app(settings, engine=engine, clock=clock, role="worker")
    return Worker(app, ctx, poll=poll).start()


def stop(served: ServedApp) -> None:
    served.server.stop()
    served.app.listener_runner.listener_executor.shutdown(wait=True, cancel_futures=True)
    if served.worker is not None:
        served.worker.stop()


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
