"""Fixtures for the hardening tests: the fake Slack Web API, the served app, and a PostgreSQL
cluster of the tests' own that may be restarted."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.hardening.postgres_cluster import PostgresCluster, postgres_bin
from tests.scenario.conftest import Harness, serve_example
from tests.support.served_app import served_app, slack_settings, stop  # noqa: F401


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL server on a free port, for tests that restart it."""
    if postgres_bin() is None:
        if os.environ.get("RAGTIME_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries are not installed")
        pytest.skip("PostgreSQL server binaries are not installed")
    # Not under pytest's tmp_path: when run as root the server runs as ``postgres``, which must
    # be able to reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="ragtime-own-postgres-"))
    cluster = PostgresCluster.create(folder)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def slack(fake_slack: FakeSlack, engine: Engine, sqlite_url: str  # noqa: F811 (the fixture)
          ) -> Iterator[Harness]:
    """The bundled example served over HTTP against the fake Slack (``tests.handlers``' harness:
    Fri 20 Dec 2024, the 2024/25 Q3 round), before the round is opened."""
    served = serve_example(fake_slack, engine, sqlite_url)
    try:
        yield Harness(served)
    finally:
        stop(served)


@pytest.fixture
def opened(slack: Harness) -> Harness:
    """The Q3 round opened by the governance lead, every prompt delivered."""
    slack.summary = slack.open_round()
    return slack
