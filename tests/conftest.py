"""Shared fixtures: real SQLite files and, where marked, a real PostgreSQL server."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

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
    # Papers are compiled in children forked from a helper that imported the compiler once
    # (a second less per compile, about 60 papers in the suite); tests/unit/bot/reports/
    # test_isolated.py drives the default, spawn, itself.
    monkeypatch.setenv("RAGTIME_COMPILE_START", "forkserver")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ragtime.db'}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test process; each test gets a copy of it (migrating
    takes ~0.2 s, copying a few milliseconds)."""
    path = tmp_path_factory.mktemp("template") / "ragtime.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def engine(sqlite_url: str, _sqlite_template: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a real file."""
    shutil.copyfile(_sqlite_template, sqlite_url.removeprefix("sqlite:///"))
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


def _admin() -> Engine:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("RAGTIME_TEST_POSTGRES_URL is not set but PostgreSQL tests are required")
        pytest.skip("no PostgreSQL server (set RAGTIME_TEST_POSTGRES_URL; .ci/run does)")
    return make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")


def _database_url(name: str) -> str:
    assert POSTGRES_URL
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def _postgres_database(template: str | None = None) -> Iterator[str]:
    """A new database on the test server (a copy of ``template`` when given), dropped after."""
    admin = _admin()
    name = f"ragtime_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'
                          + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield _database_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated once per test process, the template of each test's."""
    databases = _postgres_database()
    url = next(databases)
    eng = make_engine(url)
    upgrade(eng)
    eng.dispose()  # a template may have no connections while it is copied
    yield url.rsplit("/", 1)[1]
    with contextlib.suppress(StopIteration):
        next(databases)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server."""
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Engine]:
    """A migrated database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("_sqlite_template"),
                        sqlite_url.removeprefix("sqlite:///"))
        eng = make_engine(sqlite_url)
        yield eng
        eng.dispose()
        return
    databases = _postgres_database(template=request.getfixturevalue("_postgres_template"))
    eng = make_engine(next(databases))
    yield eng
    eng.dispose()
    with contextlib.suppress(StopIteration):
        next(databases)
