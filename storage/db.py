"""Engine and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3).

Use ``session_scope(engine)`` for one unit of work. On SQLite, ``write=True`` begins the
transaction with ``BEGIN IMMEDIATE`` so a read-then-write never fails half-way with
"database is locked" under Bolt's listener threads.

``open_engine(url, must_exist=...)`` is how the entry points open the configured database: a
malformed URL, a SQLite file that must exist but does not, and a server that cannot be reached
all raise ``DatabaseError`` with one line saying which (the password never shown).
"""

from __future__ import annotations

import contextvars
import os
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, IntegrityError
from sqlmodel import Session, create_engine

from storage import wakes
from storage.faults import (
    FAILING_KINDS,
    StorageFailure,
    committed,
    failure_kind,
    storage_health,
)

DEFAULT_DATABASE_URL = "sqlite:///ragtime.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_S = 10  # an unreachable server is reported, not waited on for ever
# Connections each engine keeps open. Under load every request between these and the pool's
# limit opened a connection and closed it again when returned: on PostgreSQL a new server
# process each time (2,174 sessions for 4,742 requests in a 20 s overload run with 10 kept).
# 20 covers the requests one serving process has in its database work at once; with the
# overflow, a process never holds more than 40 of PostgreSQL's 100 default connections.
POOL_SIZE = 20
POSTGRES_OVERFLOW = 20
# A PostgreSQL connection idle in the pool longer than this is pinged (a round trip) before use.
POSTGRES_PING_AFTER_IDLE_S = 5.0

_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=False)
# SQLite: one write unit at a time per engine, queued in this process (``_one_writer``).
_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
# SQLite engines made with ``checkpoints=False``.
_no_checkpoints: weakref.WeakSet[Engine] = weakref.WeakSet()


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class DatabaseError(RuntimeError):
    """The configured database cannot be opened; ``str()`` is one line saying why."""


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it, or ``DatabaseError`` when it is not a SQLite file's or a
    PostgreSQL server's URL."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
        raise DatabaseError(f"'{_shown(url)}' is not a database URL; use sqlite:///FILE or "
                            "postgresql://USER@HOST/DATABASE") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(f"'{_shown(url)}' is neither SQLite nor PostgreSQL; use "
                            "sqlite:///FILE or postgresql://USER@HOST/DATABASE")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise DatabaseError(f"'{_shown(url)}' names no database file; use sqlite:///FILE")
    return parsed


def open_engine(url: str, *, must_exist: bool = False, checkpoints: bool = True) -> Engine:
    """An engine on ``url`` whose first connection has been made. ``must_exist`` (read-only
    commands): a SQLite file that is not there is reported, never created empty. A SQLite file
    whose folder is not there is reported too (the folder is never made here). ``checkpoints``:
    see ``make_engine``."""
    parsed = parse_url(url)
    shown = _shown(url)
    file = sqlite_file(parsed) if parsed.get_backend_name() == "sqlite" else None
    if must_exist and file is not None and not file.is_file():
        raise DatabaseError(f"there is no database at {file.absolute()} (the file does not "
                            "exist); check the setting, or import a framework first")
    if file is not None and not file.parent.is_dir():
        # A mistyped path would otherwise get a new, empty database, silently.
        raise DatabaseError(f"the folder {file.parent.absolute()} does not exist; check the "
                            "setting, or create the folder first")
    try:
        engine = make_engine(url, checkpoints=checkpoints)
    except OSError as error:  # the SQLite file's folder cannot be made
        raise DatabaseError(f"cannot use {shown}: {error.strerror or error}") from None
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        engine.dispose()
        reason = " ".join(str(error.orig or error).split()) or type(error).__name__
        raise DatabaseError(f"cannot connect to {shown}: {reason}") from None
    return engine


def sqlite_file(url: URL) -> Path | None:
    """The file a SQLite URL names (None for an in-memory database)."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        return None
    return Path(url.database).expanduser()


def _shown(url: str) -> str:
    """``url`` as written, with any password hidden, for messages (it may not even parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        pass
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, sep, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{tail}" if ":" in credentials else url


def make_engine(url: str = DEFAULT_DATABASE_URL, *, echo: bool = False,
                checkpoints: bool = True) -> Engine:
    """An engine on ``url`` (nothing opened yet). ``checkpoints=False`` (SQLite): this process's
    commits never copy the WAL back into the database file (``wal_autocheckpoint=0``). SQLite
    runs that checkpoint (pages copied, the file fsynced) inside whichever commit crosses its
    1,000-page threshold, and an acknowledgement waiting for one waited tens of milliseconds.
    The serving process leaves it to its worker's commits and to its own database watch (a
    passive checkpoint every 5 s, in a thread of its own: ``bot.messaging.database_watch``)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if (file := sqlite_file(parsed)) is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        # Enough for every listener thread (writers still queue on the database's one write
        # lock, not on the pool); the first POOL_SIZE are kept open, not opened per request.
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=POOL_SIZE, max_overflow=64,
        )
        _configure_sqlite(engine, sqlite_file(parsed), checkpoints=checkpoints)
        _writers[engine] = threading.RLock()
        if not checkpoints:
            _no_checkpoints.add(engine)
        storage_health(engine)
        return engine
    connect_args = ({} if "connect_timeout" in parsed.query
                    else {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S})
    engine = create_engine(url, echo=echo, pool_size=POOL_SIZE,
                           max_overflow=POSTGRES_OVERFLOW, connect_args=connect_args)
    _check_postgres_on_checkout(engine)
    storage_health(engine)
    return engine


def checkpoints(engine: Engine) -> bool:
    """Whether ``engine``'s commits checkpoint SQLite's WAL (``make_engine``'s argument)."""
    return engine not in _no_checkpoints


def _check_postgres_on_checkout(engine: Engine) -> None:
    """Replace a dead pooled connection before it is used, without a round trip for one in use.

    ``pool_pre_ping`` sent ``SELECT 1`` at every checkout: one round trip more for every unit
    of work, a tenth of a form submission's. Instead, a connection the server has closed (a
    restart, ``pg_terminate_backend``, an idle timeout) is seen locally: PostgreSQL's goodbye
    or the end of the stream makes the idle socket readable, as urllib3 finds a dropped
    keep-alive connection. Only one idle longer than ``POSTGRES_PING_AFTER_IDLE_S``, which a
    network could have dropped without a word, is pinged. Raising ``DisconnectionError`` here
    makes the pool discard it and check out another (SQLAlchemy's custom pessimistic ping)."""
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # just opened
            return
        if _readable(dbapi_connection.fileno()):
            raise DisconnectionError("closed by the server while idle in the pool")
        if time.monotonic() - idle_since > POSTGRES_PING_AFTER_IDLE_S:
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as error:  # any failure: the pool opens a fresh connection
                raise DisconnectionError(f"idle connection failed its ping: {error}") from error


def _readable(fd: int) -> bool:
    """Whether the socket ``fd`` has something to read now (never waits)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _configure_sqlite(engine: Engine, file: Path | None, *, checkpoints: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        # SQLite opens a file it cannot write read-only, and the connection stays so: one
        # opened for a read while the file was read-only must not be kept once it is writable.
        record.info["read_only"] = file is not None and not _writable(file)
        # Take over transaction control from pysqlite so BEGIN IMMEDIATE is possible.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: each commit is on the disk (the WAL fsynced) before it returns, so a write
        # the disk cannot take fails the commit that made it, never a later checkpoint that
        # nobody hears from; an acknowledged answer survives a power cut too.
        cursor.execute("PRAGMA synchronous=FULL")
        if not checkpoints:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "checkout")
    def _on_checkout(_dbapi_connection, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        if record.info.get("read_only") and file is not None and _writable(file):
            raise DisconnectionError("opened read-only; the file is writable again")

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        if _immediate.get():
            _begin_immediate(connection.connection.dbapi_connection)
        else:
            connection.exec_driver_sql("BEGIN")


def _writable(file: Path) -> bool:
    """Whether this process may write ``file`` (a file not made yet: it may). Asked with
    ``access``, never by opening it: closing any descriptor of a SQLite file drops the locks
    this process's connections hold on it."""
    return not file.exists() or os.access(file, os.W_OK)


def _begin_immediate(dbapi_connection: sqlite3.Connection) -> None:
    """Take SQLite's write lock as soon as it is free.

    SQLite's own busy handler sleeps in steps of up to 100 ms while it waits, so a writer
    queued behind a transaction of a millisecond (the worker marking a message sent) could
    sleep 50–100 ms: the p99 of a form submission under load. Here the wait is polled every
    0.25–1 ms instead, up to the same ``SQLITE_BUSY_TIMEOUT_MS`` (up to 5 ms, a writer that
    had just missed the lock slept through the next one or two other writers' turns: stop 35
    in ``benchmarks/README.md``). One thread per process polls (``_one_writer``)."""
    cursor = dbapi_connection.cursor()
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.00025
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.001)
    finally:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


def in_write_unit() -> bool:
    """Whether the unit of work being begun is a write one (``session_scope(write=True)``)."""
    return _immediate.get()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close.

    A database that cannot take the work (disk full, read-only, I/O error, damaged file)
    raises ``storage.faults.StorageFailure``: nothing of the unit was stored."""
    token = _immediate.set(write)
    try:
        with _one_writer(engine, write), Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException as error:
                _rollback(session)
                failure = _failure(engine, error)
                if failure is not None:
                    raise failure from error
                raise
            topics = wakes.topics_to_wake(session)
        if write:
            committed(engine)
        if topics:
            wakes.wake(engine, *topics)
    finally:
        _immediate.reset(token)


@contextmanager
def write_scope(engine: Engine) -> Iterator[Connection]:
    """One write unit of work of Core statements, with no ORM session: ``session_scope(engine,
    write=True)``'s guarantees (committed when this returns, ``StorageFailure`` when the
    database cannot take it) at a fraction of its cost, for the serving process's one-row
    writes before an acknowledgement. Wakes nobody: the caller does (``storage.wakes.wake``)."""
    token = _immediate.set(True)
    try:
        try:
            with _one_writer(engine, True), engine.begin() as connection:
                yield connection
        except BaseException as error:
            failure = _failure(engine, error)
            if failure is not None:
                raise failure from error
            raise
        committed(engine)
    finally:
        _immediate.reset(token)


@contextmanager
def _one_writer(engine: Engine, write: bool) -> Iterator[None]:
    """On SQLite, a write unit of work first waits its turn among this process's: the database
    has one write lock, and threads that each polled for it (``_begin_immediate``) crowded out
    the other process's writer. A worker with many threads took the lock from the serving
    process's acknowledgements most times it came free; now each process has one writer
    polling, and its other writers queue here."""
    lock = _writers.get(engine) if write else None
    if lock is None:
        yield
        return
    # As long as SQLite itself would wait for its lock, and then the same error.
    if not lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        error = sqlite3.OperationalError("database is locked (this process's writers queued)")
        raise _failure(engine, error) or error
    try:
        yield
    finally:
        lock.release()


def _failure(engine: Engine, error: BaseException) -> StorageFailure | None:
    """``error`` as a ``StorageFailure`` when it says the database cannot take the work.
    SQLite's own error can arrive unwrapped (from ``BEGIN IMMEDIATE``, run by an event
    listener), unseen by SQLAlchemy's error events: it is counted here."""
    if isinstance(error, StorageFailure | IntegrityError | sqlite3.IntegrityError):
        return None
    if not isinstance(error, DBAPIError | sqlite3.Error):
        return None
    kind = failure_kind(error)
    if kind not in FAILING_KINDS:
        return None
    if not isinstance(error, DBAPIError):
        storage_health(engine).error(kind)
    return StorageFailure.of(error, kind)


def _rollback(session: Session) -> None:
    """Roll back after an error; a rollback that fails too (the disk gone) is not the news."""
    try:
        session.rollback()
    except DBAPIError:
        session.close()
