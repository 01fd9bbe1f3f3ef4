"""The database failing, seen and told: a full or read-only disk never passes quietly.

``storage.faults.StorageHealth`` records, in this process, each database error by kind and
whether the database is failing (a write met a full disk, a read-only file, an I/O error).
``look`` makes a failure visible even when no request writes: on SQLite a passive checkpoint
(after a commit SQLite checkpoints the WAL into the database file and ignores any error, so a
database file that cannot grow would otherwise be noticed only when the WAL can grow no
more), of the database and of its inbox's file and, while failing, a probe write that ends
the incident when it commits. ``Alarm`` tells governance once per incident, straight through
the channel: the outbox is in the database that is failing.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError

from bot.messaging.health import worker_name
from bot.ports.messages import RecordedMessage, SendError
from storage.db import is_sqlite, session_scope
from storage.faults import Failing, StorageFailure, storage_health
from storage.inbox_file import inbox_engine
from storage.models import StorageProbe

if TYPE_CHECKING:
    from bot.context import AppContext

__all__ = ["CANNOT_SAVE", "Alarm", "StorageFailure", "look"]

log = logging.getLogger(__name__)

PROBE_ROOM = 128 * 1024  # the probe write's size: more than any one unit of work writes
QUIET = 600.0  # seconds the database must stay well before a new failure is a new incident

# What a person is told when what they sent could not be stored (every channel says this).
CANNOT_SAVE = ("Ragtime cannot save right now, so nothing was recorded. Please try again "
               "later; the governance team has been told.")


def look(ctx: AppContext) -> Failing | None:
    """Check the database once; the failure now, if any (see the module docstring)."""
    health = storage_health(ctx.engine)
    try:
        # The inbox's file (on SQLite its own) first: the database's write, last, is the one
        # that ends a failure, once both have taken one.
        files = list(dict.fromkeys((inbox_engine(ctx.engine), ctx.engine)))
        if health.failing is not None:
            for engine in files:
                with session_scope(engine, write=True) as session:
                    probe = session.get(StorageProbe, 1) or StorageProbe(id=1)
                    probe.written_at, probe.written_by = ctx.now(), worker_name()
                    probe.room = " " * PROBE_ROOM
                    session.add(probe)
        elif is_sqlite(ctx.engine):
            for engine in files:
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()
    except DBAPIError as error:  # counted, and marked failing, by StorageHealth
        log.warning("database check failed: %s", " ".join(str(error.orig).split())[:200])
    return health.failing


class Alarm:
    """Tells governance once per incident that the database cannot take writes. An incident
    ends when the database has stayed well for ``QUIET`` seconds: a disk that is nearly full
    takes a small write and refuses the next big one, and that is the same incident."""

    def __init__(self) -> None:
        self.open = False  # an incident told and not yet over
        self.last_failing = 0.0  # time.monotonic() when it was last seen failing

    def check(self, ctx: AppContext, failing: Failing | None) -> bool:
        """Called after each look; tells governance when a new incident starts."""
        now = time.monotonic()
        if failing is None:
            if self.open and now - self.last_failing > QUIET:
                self.open = False
            return False
        self.last_failing = now
        if self.open:
            return False
        self.open = self.tell(ctx, failing)
        return self.open

    def tell(self, ctx: AppContext, failing: Failing) -> bool:
        since = datetime.fromtimestamp(failing.since, UTC).isoformat(timespec="seconds")
        problem = (f"Ragtime cannot save to its database since {since} (UTC): {failing.said}. "
                   "Nothing new is being recorded: people are told to try again later, and "
                   "Slack retries what it sent.")
        log.error("%s", problem)
        message = RecordedMessage(id=0, key=f"storage-alert:{failing.since}", kind="notice",
                                  payload={
            "title": "Ragtime cannot save",
            "intro": problem,
            "lines": ["Free disk space (or make the database writable again) on the server; "
                      "`/healthz` shows `database: failing` until a write succeeds again."],
            "footer": "Ragtime tells you once about each incident."})
        try:
            ctx.ports.messenger.send(message)
        except SendError as error:
            log.warning("could not tell governance that the database is failing: %s", error)
            return False
        return True
