"""Exactly one scheduler among several replicas of the bot.

On PostgreSQL the leader is the process holding a session-level advisory lock
(``pg_try_advisory_lock``) on a connection of its own. The lock lives exactly as long as that
database session: when the leader exits or is killed, its connection closes and PostgreSQL
releases the lock. The other replicas try to take it every ``poll_seconds`` and the first to
succeed starts scheduling. The leader checks its connection on the same beat and stops scheduling
as soon as it is lost (someone else may hold the lock by then); the ``JobRun`` row of each job
covers the moment when two might overlap.

On SQLite a single process is assumed (one bot next to its database file). An OS file lock
beside the database (``<db>.scheduler.lock``) keeps a second process on the same machine — a
second ``ragtime serve`` started by mistake — from scheduling too.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 15.0
# One 64-bit key for "the Ragtime scheduler", the same in every replica and release.
LOCK_KEY = int.from_bytes(hashlib.sha256(b"ragtime.scheduler").digest()[:8], "big", signed=True)
# Server-side TCP keepalives on the lock's connection: if the leader's machine vanishes without
# closing the socket, PostgreSQL notices within about 10 + 3 × 5 seconds and frees the lock.
_KEEPALIVE_SETTINGS = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


class LeaderLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if free; True when this process holds it afterwards."""

    def still_held(self) -> bool:
        """False once the lock is known to be lost."""

    def release(self) -> None: ...


class PostgresAdvisoryLock:
    """``pg_try_advisory_lock`` held on a dedicated connection (outside the app's pool)."""

    def __init__(self, engine: Engine, key: int = LOCK_KEY) -> None:
        self._engine = create_engine(
            engine.url, poolclass=NullPool,
            connect_args={"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 10,
                          "keepalives_interval": 5, "keepalives_count": 3},
        )
        self._key = key
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None:
            return self.still_held()
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as error:
            log.warning("scheduler leader election: cannot reach the database: %s", error)
            return False
        try:
            for statement in _KEEPALIVE_SETTINGS:
                connection.execute(text(statement))
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar()
        except SQLAlchemyError as error:
            log.warning("scheduler leader election: lock query failed: %s", error)
            got = False
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError as error:
            log.error("scheduler leader lost its database connection: %s", error)
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._connection = None
            return False

    def release(self) -> None:
        if self._connection is None:
            return
        with contextlib.suppress(SQLAlchemyError):
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        with contextlib.suppress(SQLAlchemyError):
            self._connection.close()
        self._connection = None

    def dispose(self) -> None:
        self.release()
        self._engine.dispose()


class FileLock:
    """An exclusive ``flock`` on a file: one scheduler per SQLite database on this machine."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        handle = self._path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def still_held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def dispose(self) -> None:
        self.release()


class AlwaysLeader:
    """For an in-memory SQLite database: nothing else can share it."""

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def dispose(self) -> None:
        pass


def lock_for(engine: Engine) -> PostgresAdvisoryLock | FileLock | AlwaysLeader:
    """The leader lock that suits the database behind ``engine``."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return FileLock(Path(database).expanduser().with_name(
            Path(database).name + ".scheduler.lock"))
    return AlwaysLeader()


class LeaderElection:
    """Polls ``lock``; calls ``on_elected`` when this process becomes leader and ``on_deposed``
    when it stops being one (lock lost, or ``stop()``)."""

    def __init__(
        self,
        lock: LeaderLock,
        *,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        if poll_seconds <= 0:
            raise ValueError(f"poll_seconds must be positive, not {poll_seconds}")
        self._lock = lock
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._is_leader = False

    @property
    def is_leader(self) -> bool:
        return self._is_leader

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ragtime-leader", daemon=True)
        self._thread.start()

    def poll(self) -> bool:
        """One round of the election (the thread calls this every ``poll_seconds``)."""
        if not self._is_leader:
            if self._lock.try_acquire():
                log.info("this process is now the scheduler leader")
                self._is_leader = True
                try:
                    self._on_elected()
                except Exception:
                    log.exception("starting the scheduler failed; giving up leadership")
                    self._step_down()
        elif not self._lock.still_held():
            log.warning("scheduler leadership lost; stopping the scheduler here")
            self._step_down()
        return self._is_leader

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self._is_leader:
            self._step_down()
        dispose = getattr(self._lock, "dispose", None)
        if dispose is not None:
            dispose()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception:  # never let the election thread die silently
                log.exception("scheduler leader election failed; trying again")
            self._stopping.wait(self.poll_seconds)

    def _step_down(self) -> None:
        self._is_leader = False
        try:
            self._on_deposed()
        finally:
            self._lock.release()
