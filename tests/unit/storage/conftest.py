"""Databases migrated only as far as an old revision, to test what a migration does to rows
written before it (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import _postgres_database


@contextlib.contextmanager
def migrated_to(request: pytest.FixtureRequest, sqlite_url: str, revision: str
                ) -> Iterator[Engine]:
    """An empty database (``request.param``: sqlite or postgres) upgraded to ``revision``."""
    gen = None
    if request.param == "sqlite":
        url = sqlite_url
    else:
        gen = _postgres_database()
        url = next(gen)
    engine = make_engine(url)
    upgrade(engine, revision)
    try:
        yield engine
    finally:
        engine.dispose()
        if gen is not None:
            with contextlib.suppress(StopIteration):
                next(gen)


ON_EACH_DATABASE = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ON_EACH_DATABASE)
def engine_at_0002(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Engine]:
    """An empty database migrated only as far as revision 0002."""
    with migrated_to(request, sqlite_url, "0002_outbox") as engine:
        yield engine


@pytest.fixture(params=ON_EACH_DATABASE)
def engine_at_0004(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Engine]:
    """An empty database migrated only as far as revision 0004."""
    with migrated_to(request, sqlite_url, "0004_deliverable_code") as engine:
        yield engine
