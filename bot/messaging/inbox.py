"""Work a channel was told we received, kept until a worker has done it.

The serving process only acknowledges: a Slack event, slash command or button press is
*received* here — one INSERT, deduplicated on ``key`` (Slack's event id, or the message's
channel and ts) — before the channel gets its answer, so a kill at any moment after that loses
nothing. A worker (``ragtime worker``) then *claims* a batch of pending items in one short
transaction (``pending`` → ``working``, ``attempts`` + 1), does each with the ``handle`` it was
given, and *finishes* it (``done``, or ``failed`` with the error). Several workers may run at
once: a claim is a compare-and-set, so each item is handled by one of them. On SQLite the items
are kept in a file of their own (``storage.inbox_file``), so that storing one never waits for
the worker's other writes.

A handler's exception puts the item back to ``pending``, tried again after ``RETRY_AFTER``
(``GiveUp`` marks it ``failed`` at once; a database that cannot take writes never makes an item
fail). An item left ``working`` by a killed worker is claimed again once its lease has passed,
or on SQLite (one worker) when the next worker starts (``release_held``); the work it names
must therefore be safe to repeat (storing an update is: its idempotency key is the delivery's).
After ``max_attempts`` it is marked ``failed`` and left for an operator. The worker records
outcomes with its next claim (``claim(outcomes=…)``); one the database could not take
(restarting, its disk full) is kept and recorded as soon as it can be, so the item is neither
held for its lease nor done twice.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, bindparam, case, func, or_, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col, select

from bot.messaging.keys import stored_key
from storage.db import is_sqlite, session_scope, write_scope
from storage.faults import StorageFailure
from storage.inbox_file import inbox_engine
from storage.models import InboxItem, InboxStatus, utcnow
from storage.repo import insert_new_rows
from storage.wakes import wake

log = logging.getLogger(__name__)
# Bookkeeping (received, claimed, retried) is in wall-clock time, whatever clock the app's
# business rules run on.

DEFAULT_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(seconds=2)  # a failed item waits this long before its next attempt
ERROR_MAX = 1000
WAKE = "inbox"  # woken when a stored item commits (storage.wakes): the worker claims it at once


@dataclass(frozen=True)
class Received:
    """One item to do, as the worker's ``handle`` gets it."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class InboxReport:
    done: int = 0
    failed: int = 0  # for good: max_attempts reached or the handler said so
    retried: int = 0  # left pending for another try


Handle = Callable[[Received], None]


class GiveUp(Exception):
    """Raised by a handler for work that can never succeed (marked failed at once)."""


def receive(engine: Engine, *, key: str, kind: str, payload: dict[str, Any],
            clock: Callable[[], datetime] = utcnow) -> bool:
    """Store ``payload`` to do later, once per ``key``; ``False`` when it was already received.
    Committed when this returns (one statement in a Core unit of work: the serving process
    stores every request it acknowledges this way)."""
    return receive_many(engine, [Arrival(key, kind, payload)], now=clock())[0]


@dataclass(frozen=True)
class Arrival:
    """Work to receive: what ``receive`` is given."""

    key: str
    kind: str
    payload: dict[str, Any]


def receive_many(engine: Engine, arrivals: Sequence[Arrival], *, now: datetime) -> list[bool]:
    """``receive`` for several items in one unit of work (one commit; on SQLite one fsync):
    whether each was new."""
    with write_scope(inbox_engine(engine)) as connection:
        stored = insert_new_rows(connection, InboxItem, unique="key", rows=[
            _row(arrival, now) for arrival in arrivals])
    if any(stored):
        wake(engine, WAKE)
    return stored


def _row(arrival: Arrival, now: datetime) -> dict[str, Any]:
    return {"key": stored_key(arrival.key), "kind": arrival.kind, "payload": arrival.payload,
            "received_at": now}


def process_pending(
    engine: Engine,
    handle: Handle,
    *,
    batch: int = 20,
    lease: timedelta = DEFAULT_LEASE,
    max_attempts: int = MAX_ATTEMPTS,
    clock: Callable[[], datetime] = utcnow,
) -> InboxReport:
    """Claim up to ``batch`` items (oldest first), handle each and record the outcome."""
    outcomes = [do_one(engine, item, handle, max_attempts=max_attempts, clock=clock)
                for item in claim(engine, batch=batch, lease=lease, now=clock())]
    return InboxReport(done=outcomes.count("done"), failed=outcomes.count("failed"),
                       retried=outcomes.count("retried"))


def claim(engine: Engine, *, batch: int, lease: timedelta = DEFAULT_LEASE,
          now: datetime | None = None, first: frozenset[str] = frozenset(),
          outcomes: Sequence[Outcome] = ()) -> list[Received]:
    """Claim up to ``batch`` items for this worker (each then goes to ``attempt``): those of
    the kinds ``first`` (work somebody is looking at a loading view for) before the others,
    oldest first within each. ``outcomes`` of items done meanwhile are recorded in the same
    unit of work: the worker takes the inbox's write lock once for both, and on SQLite, where
    that lock is the whole file's, the serving process's acknowledgements wait for it half as
    often. Nothing of them is recorded when this raises."""
    return _claim_batch(engine, batch=batch, lease=lease, now=now or utcnow(), first=first,
                        outcomes=outcomes)


def do_one(engine: Engine, item: Received, handle: Handle, *,
           max_attempts: int = MAX_ATTEMPTS, clock: Callable[[], datetime] = utcnow) -> str:
    """Handle a claimed ``item`` and record the outcome at once: ``done``, ``retried`` or
    ``failed``."""
    outcome = attempt(item, handle, max_attempts=max_attempts, clock=clock)
    record(engine, [outcome])
    return outcome.said


@dataclass(frozen=True)
class Outcome:
    """What became of one item, as recorded: ``retry`` leaves it pending for another try."""

    item_id: int
    status: InboxStatus
    at: datetime
    error: str | None = None
    retry: bool = False

    @property
    def said(self) -> str:
        return "retried" if self.retry else self.status.value


def attempt(item: Received, handle: Handle, *, max_attempts: int = MAX_ATTEMPTS,
            clock: Callable[[], datetime] = utcnow) -> Outcome:
    """Handle a claimed ``item``: what became of it, to ``record`` (or pass to ``claim``)."""
    try:
        handle(item)
    except Exception as error:  # one item's failure must not stop the rest
        # A database that cannot take writes (a full or read-only disk) is no fault of the
        # item: it waits, however long that lasts, and is never given up for it.
        final = not isinstance(error, StorageFailure) and (
            isinstance(error, GiveUp) or item.attempts >= max_attempts)
        log.error("inbox %s %s failed (attempt %d%s): %s", item.kind, item.id,
                  item.attempts, ", giving up" if final else "", type(error).__name__,
                  exc_info=error)
        return Outcome(item.id, InboxStatus.failed if final else InboxStatus.pending,
                       clock(), error=f"{type(error).__name__}: {error}"[:ERROR_MAX],
                       retry=not final)
    return Outcome(item.id, InboxStatus.done, clock())


def record(engine: Engine, outcomes: Sequence[Outcome]) -> None:
    """Record ``outcomes`` in one unit of work; an item to retry keeps a ``claimed_at`` of its
    outcome's time (its retry waits ``RETRY_AFTER`` from it)."""
    with write_scope(inbox_engine(engine)) as connection:
        _record_in(connection, outcomes)


def _record_in(connection: Connection, outcomes: Sequence[Outcome]) -> None:
    for statement, retry in ((_RETRIED, True), (_ENDED, False)):
        rows = [{"item_id": o.item_id, "status": o.status, "error": o.error, "at": o.at}
                for o in outcomes if o.retry is retry]
        if rows:
            connection.execute(statement, rows)


_RECORD = update(InboxItem).where(col(InboxItem.id) == bindparam("item_id"))
_RETRIED = _RECORD.values(status=bindparam("status"), last_error=bindparam("error"),
                          finished_at=None, claimed_at=bindparam("at"))
_ENDED = _RECORD.values(status=bindparam("status"), last_error=bindparam("error"),
                        finished_at=bindparam("at"))


@dataclass(frozen=True)
class Backlog:
    """How much acknowledged work is waiting, and for how long the oldest has waited."""

    pending: int
    oldest_age: timedelta | None
    failed: int
    oldest_at: datetime | None = None


def inbox_backlog(engine: Engine, *, now: datetime) -> Backlog:
    with session_scope(inbox_engine(engine)) as session:
        waiting = (col(InboxItem.status).in_((InboxStatus.pending, InboxStatus.working)))
        count, oldest = session.exec(
            select(func.count(), func.min(InboxItem.received_at)).where(waiting)).one()
        failed = session.exec(select(func.count()).where(
            InboxItem.status == InboxStatus.failed)).one()
    return Backlog(pending=count, oldest_age=age_since(now, oldest), failed=failed,
                   oldest_at=oldest)


def age_since(now: datetime, then: datetime | None) -> timedelta | None:
    if then is None:
        return None
    if then.tzinfo is None and now.tzinfo is not None:
        then = then.replace(tzinfo=now.tzinfo)
    return max(now - then, timedelta(0))


def _claim_batch(engine: Engine, *, batch: int, lease: timedelta, now: datetime,
                 first: frozenset[str], outcomes: Sequence[Outcome]) -> list[Received]:
    engine = inbox_engine(engine)
    times = {"now": now, "retry_before": now - RETRY_AFTER, "expired_before": now - lease}
    if not outcomes:
        with session_scope(engine) as session:  # read first: an idle worker takes no lock
            if session.execute(_ANY_CLAIMABLE, times).first() is None:
                return []
    # The write lock (on SQLite, the whole file's) is held for the statements alone, made
    # before it is taken: the items' payloads are read after it is let go.
    with write_scope(engine) as connection:
        _record_in(connection, outcomes)
        ids = connection.execute(_claim_statement(batch, first), times).scalars().all()
    if not ids:
        return []
    with session_scope(engine) as session:
        rows = session.execute(_CLAIMED, {"ids": ids}).all()
    claimed = [Received(row.id, row.key, row.kind, dict(row.payload), row.attempts)
               for row in rows]
    return sorted(claimed, key=lambda item: (item.kind not in first, item.id))


_CLAIMABLE = or_(
    (InboxItem.status == InboxStatus.pending)
    & or_(col(InboxItem.claimed_at).is_(None),
          col(InboxItem.claimed_at) < bindparam("retry_before")),
    (InboxItem.status == InboxStatus.working)
    & (col(InboxItem.claimed_at) < bindparam("expired_before")),
)
_ANY_CLAIMABLE = select(InboxItem.id).where(_CLAIMABLE).limit(1)
_CLAIMED = select(InboxItem.id, InboxItem.key, InboxItem.kind, InboxItem.payload,
                  InboxItem.attempts).where(col(InboxItem.id).in_(bindparam("ids",
                                                                            expanding=True)))


@functools.cache
def _claim_statement(batch: int, first: frozenset[str]) -> Update:
    """Up to ``batch`` items claimable, those of the kinds ``first`` first, claimed in one
    statement. ``_CLAIMABLE`` is asked again of each row as it is updated: on PostgreSQL, a
    row another worker claimed meanwhile is left to it (a compare-and-set)."""
    order = (case((col(InboxItem.kind).in_(first), 0), else_=1),) if first else ()
    chosen = (select(InboxItem.id).where(_CLAIMABLE).order_by(*order, col(InboxItem.id))
              .limit(batch).with_for_update(skip_locked=True))
    return (update(InboxItem).where(col(InboxItem.id).in_(chosen.scalar_subquery()), _CLAIMABLE)
            .values(status=InboxStatus.working, claimed_at=bindparam("now"),
                    attempts=InboxItem.attempts + 1)
            .returning(InboxItem.id))


def inbox_retries(engine: Engine) -> int:
    """Attempts beyond the first, over every item kept (``/metrics``)."""
    with session_scope(inbox_engine(engine)) as session:
        return session.exec(select(func.coalesce(func.sum(InboxItem.attempts - 1), 0))
                            .where(InboxItem.attempts > 1)).one()


def release_held(engine: Engine) -> int:
    """At a worker's start on SQLite, where only one worker runs: the items a worker that
    ended (killed, or stopped while the disk was full) left ``working`` are pending again at
    once, not after their lease, for the new worker to do again (the work is safe to repeat).
    How many."""
    if not is_sqlite(engine):
        return 0
    with write_scope(inbox_engine(engine)) as connection:
        return connection.execute(update(InboxItem).where(
            InboxItem.status == InboxStatus.working).values(
            status=InboxStatus.pending, claimed_at=None)).rowcount
