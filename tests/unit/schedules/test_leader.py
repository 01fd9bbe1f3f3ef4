"""One scheduler among replicas: a PostgreSQL advisory lock, taken over when the leader dies."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import inspect, text

from schedules.leader import FileLock, LeaderElection, PostgresAdvisoryLock, lock_for
from storage.db import make_engine
from storage.migrate import upgrade
from tests.paths import ROOT

REPO = ROOT
POLL = 0.5


class Replica:
    """``tests.unit.schedules.leader_process`` in a child process; its role lines in a queue."""

    def __init__(self, url: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.unit.schedules.leader_process", url, str(POLL)],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.role: str | None = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.split()[0])

    def update(self) -> str | None:
        while not self.lines.empty():
            self.role = self.lines.get_nowait()
        return self.role

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def _wait_for(condition, timeout: float) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout}s")


@pytest.mark.postgres
def test_one_leader_among_two_processes_and_takeover_after_kill(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    replicas = [Replica(postgres_url), Replica(postgres_url)]
    try:
        # Both started (imports take a moment), then a few poll intervals to settle.
        _wait_for(lambda: all(r.update() for r in replicas), timeout=30)
        _wait_for(lambda: any(r.update() == "LEADER" for r in replicas), timeout=10)
        time.sleep(4 * POLL)
        roles = sorted(r.update() or "" for r in replicas)
        assert roles == ["FOLLOWER", "LEADER"]

        leader = next(r for r in replicas if r.role == "LEADER")
        follower = next(r for r in replicas if r is not leader)
        # The leader really schedules: its recurring jobs are in the shared job store.
        _wait_for(lambda: "apscheduler_jobs" in inspect(engine).get_table_names(), timeout=10)
        with engine.connect() as connection:
            ids = set(connection.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
        assert {"plan_ahead", "deliver_outbox"} <= ids

        leader.kill()
        took = _wait_for(lambda: follower.update() == "LEADER", timeout=POLL + 5)
        assert took <= POLL + 2  # within the poll interval (plus process scheduling slack)
    finally:
        for replica in replicas:
            if replica.process.poll() is None:
                replica.kill()
        engine.dispose()


@pytest.mark.postgres
def test_advisory_lock_is_exclusive_and_freed_when_its_session_ends(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    first, second = PostgresAdvisoryLock(engine), PostgresAdvisoryLock(engine)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        # The leader's database session is terminated (server restart, network cut, ...).
        with engine.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"))
        assert not first.still_held()
        assert second.try_acquire()
    finally:
        first.dispose()
        second.dispose()
        engine.dispose()


@pytest.mark.postgres
def test_a_leader_that_loses_its_lock_stops_scheduling(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    events: list[str] = []
    election = LeaderElection(PostgresAdvisoryLock(engine), on_elected=lambda: events.append("up"),
                              on_deposed=lambda: events.append("down"), poll_seconds=60)
    try:
        assert election.poll()
        with engine.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"))
        assert not election.poll()
        assert election.poll()  # nobody else wanted it: leader again
        assert events == ["up", "down", "up"]
    finally:
        election.stop()
        engine.dispose()
    assert events == ["up", "down", "up", "down"]


def test_sqlite_allows_one_scheduler_per_database_file(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    first, second = lock_for(engine), lock_for(engine)
    assert isinstance(first, FileLock)
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()
    engine.dispose()


def test_a_failing_start_gives_leadership_back(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    lock = lock_for(engine)

    def broken() -> None:
        raise RuntimeError("no scheduler today")

    election = LeaderElection(lock, on_elected=broken, on_deposed=lambda: None, poll_seconds=1)
    assert not election.poll()
    assert lock_for(engine).try_acquire()  # released for someone else
    engine.dispose()


def test_the_service_schedules_in_the_leader_and_stops_cleanly(app_ctx) -> None:
    from schedules.service import start_scheduler

    service = start_scheduler(app_ctx, poll_seconds=0.1)
    try:
        _wait_for(lambda: service.is_leader and service.scheduler is not None, timeout=5)
        _wait_for(lambda: any(job.id.startswith("open_round:")
                              for job in service.scheduler.get_jobs()), timeout=5)
        assert {"plan_ahead", "deliver_outbox"} <= {job.id for job in service.scheduler.get_jobs()}
    finally:
        service.shutdown(wait=False)
    assert not service.is_leader and service.scheduler is None
    assert lock_for(app_ctx.engine).try_acquire()  # the file lock was given back
