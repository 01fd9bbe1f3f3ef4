"""The database failing: what kind of failure it is, and whether this process's writes work.

A full disk, a read-only file, an I/O error or a corrupt file must never pass quietly: the
write that met it is not acknowledged (``StorageFailure`` reaches the caller), ``/healthz``
says the database is failing, ``/metrics`` counts each error by kind, and governance is told
once (``ragtime.supervision.Watchdog``). ``StorageHealth`` is that record for one engine:
every error the engine raises is counted (SQLAlchemy's ``handle_error`` event), one of the
kinds above marks the database failing, and the next write unit that commits marks it well
again (``storage.db.session_scope``).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

FULL, READ_ONLY, IO, CORRUPT, LOCKED, OTHER = (
    "full", "read-only", "io", "corrupt", "locked", "other")
FAILING_KINDS = frozenset({FULL, READ_ONLY, IO, CORRUPT})

SAID = {
    FULL: "the disk is full",
    READ_ONLY: "the database is read-only",
    IO: "the disk reports I/O errors",
    CORRUPT: "the database file is damaged",
}

# PostgreSQL SQLSTATEs (class 53: insufficient resources; 25006 read-only transaction; 58:
# system errors; XX001/XX002: data or index corrupted).
_PG_STATES = {"53100": FULL, "53200": FULL, "25006": READ_ONLY, "58030": IO, "XX001": CORRUPT,
              "XX002": CORRUPT}


class StorageFailure(OperationalError):
    """A write (or read) the database could not make: ``kind`` is one of ``FAILING_KINDS``.
    An ``OperationalError``, so code that handles database errors still does."""

    kind: str = OTHER

    @classmethod
    def of(cls, error: BaseException, kind: str) -> StorageFailure:
        """``error``: SQLAlchemy's, or the driver's own."""
        if isinstance(error, DBAPIError):
            failure = cls(error.statement, error.params, error.orig,
                          connection_invalidated=error.connection_invalidated)
        else:
            failure = cls(None, None, error)
        failure.kind = kind
        return failure

    @property
    def said(self) -> str:
        return SAID.get(self.kind, "the database failed")


def failure_kind(error: BaseException) -> str:
    """The kind of a database error (``FULL``, ``READ_ONLY``, ``IO``, ``CORRUPT``, ``LOCKED`` or
    ``OTHER``) from SQLite's message or PostgreSQL's SQLSTATE."""
    orig = getattr(error, "orig", None) or error
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_STATES:
            return _PG_STATES[state]
        if state.startswith("53"):
            return FULL
        if state.startswith("58"):
            return IO
    text = str(orig).lower()
    if "disk is full" in text or "no space left" in text or "file too large" in text:
        return FULL
    if "readonly" in text or "read-only" in text or "read only" in text:
        return READ_ONLY
    if "disk i/o error" in text or "input/output error" in text:
        return IO
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return CORRUPT
    if "locked" in text or "busy" in text:
        return LOCKED
    return OTHER


@dataclass(frozen=True)
class Failing:
    kind: str
    since: float  # time.time()

    @property
    def said(self) -> str:
        return SAID.get(self.kind, "the database failed")


class StorageHealth:
    """Errors counted by kind, and whether the database is failing now (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.errors: Counter[str] = Counter()
        self.failing: Failing | None = None
        self.changed = threading.Event()  # set when the database starts or stops failing

    def error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1
            if kind in FAILING_KINDS and self.failing is None:
                self.failing = Failing(kind, time.time())
                self.changed.set()

    def wrote(self) -> None:
        """A write unit committed: the database takes writes again."""
        if self.failing is None:
            return
        with self._lock:
            self.failing = None
            self.changed.set()

    def error_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.errors)


_health: weakref.WeakKeyDictionary[Engine, StorageHealth] = weakref.WeakKeyDictionary()
_parts: weakref.WeakSet[Engine] = weakref.WeakSet()  # ``share_health``
_registry_lock = threading.Lock()


def storage_health(engine: Engine) -> StorageHealth:
    """The one ``StorageHealth`` of ``engine`` (its errors are counted from the first call)."""
    with _registry_lock:
        found = _health.get(engine)
        if found is None:
            found = _health[engine] = StorageHealth()
            event.listen(engine, "handle_error", _counter(weakref.ref(engine)))
        return found


def share_health(part: Engine, database: Engine) -> None:
    """``part`` (a file of ``database``'s, such as its inbox's) fails as ``database`` does: its
    errors are counted in ``database``'s ``StorageHealth``. Only a commit of ``database``
    itself ends a failure (its probe write: ``bot.messaging.database_watch``), so a failing
    database does not look well each time the other file takes a write."""
    health = storage_health(database)
    storage_health(part)  # its listener
    with _registry_lock:
        _health[part] = health
        _parts.add(part)


def committed(engine: Engine) -> None:
    """A write unit of ``engine`` committed: its database takes writes again."""
    if engine not in _parts:
        storage_health(engine).wrote()


def _counter(engine: weakref.ref[Engine]):  # type: ignore[no-untyped-def]
    def on_error(context) -> None:  # type: ignore[no-untyped-def]
        found = engine()
        if found is None:
            return
        health = storage_health(found)
        # a unique key met (a redelivery, a race) is the code's business, not the database's
        if not isinstance(context.sqlalchemy_exception, IntegrityError):
            kind = failure_kind(context.original_exception)
            health.error(kind)
            if kind == READ_ONLY:
                # SQLite opens a file it cannot write read-only, and the connection stays so:
                # one opened while the file was read-only would refuse writes once it is
                # writable again. Treated as a lost connection, the pool is emptied.
                context.is_disconnect = True
    return on_error
