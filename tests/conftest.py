"""Shared fixtures: real SQLite files and, where marked, a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import make_engine
from storage.migrate import upgrade
from tests.fakeslack import fake_slack  # noqa: F401
from tests.support.served_app import served_app, slack_settings  # noqa: F401

POSTGRES_URL = os.environ.get("RAGTIME_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("RAGTIME_REQUIRE_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Tests never read a developer's .env or real Slack settings."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "RAGTIME_")) and name not in (
            "RAGTIME_TEST_POSTGRES_URL", "RAGTIME_REQUIRE_POSTGRES"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ragtime.db'}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite database in a real file."""
    eng = make_engine(sqlite_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RAGTIME_TEST_POSTGRES_URL is not set but PostgreSQL tests are required")
        pytest.skip("no PostgreSQL server (set RAGTIME_TEST_POSTGRES_URL; .ci/run does)")
    name = f"ragtime_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server."""
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request, sqlite_url: str) -> Iterator[Engine]:
    """A migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        url = sqlite_url
        gen = None
    else:
        gen = _postgres_database()
        url = next(gen)
    eng = make_engine(url)
    upgrade(eng)
    yield eng
    eng.dispose()
    if gen is not None:
        with __import__("contextlib").suppress(StopIteration):
            next(gen)
