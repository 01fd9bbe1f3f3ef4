"""Fixtures for the scheduler tests: a framework in a real SQLite file, the fake Slack, the job
environment wired as in production (``ragtime.wiring.slack_context``: the Block Kit sender, the
round, report and outbox flows), and APScheduler's own job processing driven step by step under a
moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.executors.debug import DebugExecutor
from sqlalchemy.engine import Engine

from bot.context import AppContext
from bot.framework.importer import import_framework
from bot.settings import load_settings
from handlers.slack.gateway import make_web_client
from ragtime.wiring import slack_context
from schedules import registry
from schedules.registry import JobEnvironment
from schedules.scheduler import build_scheduler
from storage.db import session_scope
from tests.fakeslack import BOT_TOKEN, FakeSlack, fake_slack  # noqa: F401
from tests.unit.schedules.support import FRAMEWORK_YAML, GOVERNANCE, SteppedScheduler


@pytest.fixture
def framework(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text(FRAMEWORK_YAML, encoding="utf-8")
    with session_scope(engine, write=True) as session:
        import_framework(session, path)


@pytest.fixture
def app_ctx(engine: Engine, fake_slack: FakeSlack) -> AppContext:  # noqa: F811
    settings = load_settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.api_url,
                             governance_channel=GOVERNANCE)
    # Few retries: a test that injects failures should not wait on back-off.
    client = make_web_client(settings, timeout=5, server_error_retries=1, connection_retries=1)
    return slack_context(settings, engine=engine, client=client)


@pytest.fixture
def environment(app_ctx: AppContext) -> Iterator[JobEnvironment]:
    """The job environment as ``start_scheduler`` installs it, with a stepped scheduler."""
    scheduler = build_scheduler(app_ctx.engine, executors={"default": DebugExecutor()},
                                scheduler_class=SteppedScheduler)
    env = JobEnvironment(ctx=app_ctx, scheduler=scheduler)
    registry.install(env)
    scheduler.start()
    yield env
    for started in {scheduler, env.scheduler}:
        if started is not None and started.running:
            started.shutdown()
    registry.uninstall()
