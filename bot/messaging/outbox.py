"""Outbound messages (Slack, email) that survive a crash: record first, claim, send, mark.

1. *Record* — ``record_message`` stores the message with a unique ``key`` (``open_round`` and
   ``record_reminders`` do this), so asking twice records it once.
2. *Claim* — ``deliver_pending`` claims rows ``CLAIM_BATCH`` at a time, each with a
   compare-and-set (``pending`` → ``sending``, ``claimed_at`` = now, ``attempts`` + 1), in one
   short transaction; two senders never claim the same row, and a 2,000-SRO fan-out leaves the
   write lock free between chunks for the submissions arriving meanwhile.
3. *Send* — the ``send`` callable is given the row, outside any transaction (no lock is held
   while Slack or the mail server is called); the row's ``via`` says which channel delivers it
   (``bot.messaging.routing``). ``payload["to"]`` is the Slack user id for DMs; messages without
   it (escalations) go to the governance channel, which the sender knows.
4. *Mark* — ``sent`` with the channel and ts Slack returned, at once, in its own short
   transaction (``MARK_WITHIN`` = 0: the window in which a kill can leave a delivered message
   unmarked stays one message wide, and a reply to a fresh prompt finds it). A kill leaves the
   rest of its claimed chunk ``sending`` until the lease passes; they were never tried, and the
   look-back below keeps even a retried one from being sent twice. A mark the database cannot
   take (restarting, its disk full) is tried again for up to ``MARK_PATIENCE`` seconds.

The window: if the process is killed after Slack accepted a message and before step 4
commits, the row stays ``sending``; once its lease
(``claimed_at`` older than ``lease``, default 5 minutes) has passed the next run claims it again
with ``attempts`` > 1. The Slack sender (``handlers.slack.outbox``) tags every message with a block
id derived from the row's ``key`` and, on such a second attempt, looks for that tag in the DM's
history before posting, so the prompt is not sent twice (where history cannot be read, e.g. a
channel the bot has no history scope for, it posts again: at-least-once).
A ``send`` interrupted by ``KeyboardInterrupt``/``SystemExit`` puts its row straight back to
``pending`` (best effort) before the interruption propagates.

Errors: ``PermanentSendError`` (user not found, channel archived, ...) marks the row
``failed`` with ``last_error`` and counts it, so the caller can tell the governance lead; any
other exception leaves the row ``pending`` for the next run, until ``max_attempts`` is reached
and it is marked ``failed``. (The Slack client retries 429 and 5xx itself.)
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ParamSpec

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.ports.messages import PermanentSendError, RecordedMessage, SentRef
from storage.db import session_scope
from storage.models import OutboxMessage, OutboxStatus, utcnow
from storage.repo import add_new, find_period
from storage.wakes import wake_after_commit

DEFAULT_LEASE = timedelta(minutes=5)
CLAIM_BATCH = 10  # rows claimed, and then marked sent, per short write transaction
MARK_WITHIN = 0.0  # seconds a sent message may wait to be marked with others (0: at once)
MAX_ATTEMPTS = 5
MARK_PATIENCE = 30.0  # seconds a sender keeps trying to record what became of a message
MARK_PAUSE = 0.25
ERROR_MAX = 1000
WAKE = "outbox"  # woken when a recorded message commits (storage.wakes)
P = ParamSpec("P")


@dataclass(frozen=True)
class FailedSend:
    message_id: int
    key: str
    kind: str
    person_id: int | None
    error: str


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # permanently: reported to the governance lead
    skipped: int = 0  # a transient error: left pending for the next run
    failures: tuple[FailedSend, ...] = field(default_factory=tuple)


Sender = Callable[[RecordedMessage], SentRef]


def record_message(
    session: Session,
    *,
    key: str,
    kind: str,
    payload: dict[str, Any] | None = None,
    period_id: int | None = None,
    deliverable_id: int | None = None,
    person_id: int | None = None,
    channel: str | None = None,
    via: str | None = None,
) -> tuple[OutboxMessage, bool]:
    """Record a message to send, once per ``key``; returns (message, newly recorded). ``via``
    names the channel that delivers it (``email``; None is Slack)."""
    values: dict[str, Any] = {
        "key": key, "kind": kind, "payload": dict(payload or {}), "period_id": period_id,
        "deliverable_id": deliverable_id, "person_id": person_id, "channel": channel,
        "via": via, "status": OutboxStatus.pending, "attempts": 0, "created_at": utcnow()}
    # The row as stored, without reading it back (the unit of work reads no other message).
    message = add_new(session, OutboxMessage, unique="key", values=values)
    if message is None:  # recorded before, or meanwhile by another process
        existing = _by_key(session, key)
        if existing is None:  # pragma: no cover - a row is never deleted
            raise RuntimeError(f"outbox message {key} neither new nor stored")
        return existing, False
    wake_after_commit(session, WAKE)
    return message, True


def deliver_pending(
    engine: Engine,
    send: Sender,
    *,
    kinds: set[str] | None = None,
    period_id: int | None = None,
    batch: int = 50,
    on_progress: Callable[[DeliveryReport], None] | None = None,
    lease: timedelta = DEFAULT_LEASE,
    max_attempts: int = MAX_ATTEMPTS,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Send every pending message (oldest first) and mark each; see the module docstring.

    Rows left ``sending`` by a killed process are retried once their lease has passed. Each
    row is tried at most once per call. ``on_progress`` gets the running report after each.
    """
    sent = failed = skipped = 0
    failures: list[FailedSend] = []
    cursor = 0
    while True:
        with session_scope(engine) as session:
            ids = _candidates(session, kinds, period_id, after=cursor, now=clock(),
                              lease=lease, limit=batch)
        if not ids:
            break
        cursor = ids[-1]
        for chunk in _chunks(ids, CLAIM_BATCH):
            claimed = _claim_many(engine, chunk, now=clock(), lease=lease)
            marks: list[tuple[int, dict[str, Any]]] = []
            attempted, chunk_started = 0, time.monotonic()
            try:
                for message in claimed:  # (another sender took the rest of the chunk)
                    attempted += 1
                    outcome = _send_one(engine, message, send, max_attempts=max_attempts,
                                        clock=clock, sent_marks=marks)
                    if marks and time.monotonic() - chunk_started >= MARK_WITHIN:
                        _mark_many(engine, marks)
                        marks.clear()
                        chunk_started = time.monotonic()
                    if outcome is None:
                        sent += 1
                    elif outcome.startswith("failed:"):
                        failed += 1
                        failures.append(FailedSend(
                            message_id=message.id or 0, key=message.key, kind=message.kind,
                            person_id=message.person_id, error=outcome.removeprefix("failed:"),
                        ))
                    else:
                        skipped += 1
                    if on_progress is not None:
                        on_progress(DeliveryReport(sent, failed, skipped, tuple(failures)))
            finally:
                # One short transaction marks the chunk's sent messages; claimed messages an
                # interruption left untried go back to pending at once.
                _mark_many(engine, marks)
                _release(engine, [m.id for m in claimed[attempted:] if m.id is not None])
    return DeliveryReport(sent=sent, failed=failed, skipped=skipped, failures=tuple(failures))


def find_prompt(session: Session, channel: str, thread_ts: str) -> OutboxMessage | None:
    """The message about one deliverable that a DM thread reply answers — a prompt, or a
    re-prompt after a governance lead asked for changes — matched through its channel and ts."""
    if not channel or not thread_ts:
        return None
    return session.exec(
        select(OutboxMessage).where(
            col(OutboxMessage.deliverable_id).is_not(None),
            OutboxMessage.channel == channel,
            OutboxMessage.ts == thread_ts,
        )
    ).first()


def people_messaged(session: Session, period_id: int, kinds: Iterable[str]) -> set[int]:
    """The people any message of ``kinds`` in the period was recorded for (whatever became
    of it)."""
    rows = session.exec(select(OutboxMessage.person_id).where(
        OutboxMessage.period_id == period_id, col(OutboxMessage.kind).in_(list(kinds)),
        col(OutboxMessage.person_id).is_not(None)).distinct())
    return {person_id for person_id in rows if person_id is not None}


# The key a Teams reminder's payload gets when its card became a deliverable's form (a button
# of the reminder, answered in place): that deliverable's id.
FORM_SHOWN = "form_shown"


def sent_forms(session: Session, deliverable_id: int, period: Period, *, via: str | None,
               kinds: Iterable[str], reminders: bool = False) -> list[OutboxMessage]:
    """Every sent message on ``via`` (None: Slack) whose card carries the deliverable's form for
    the period:
    those of ``kinds`` about the deliverable (a prompt, a change request) and, with
    ``reminders``, the reminders whose card was turned into its form (``note_form_shown``)."""
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    if record is None:
        return []
    about = session.exec(select(OutboxMessage).where(
        col(OutboxMessage.kind).in_(list(kinds)), OutboxMessage.via == via,
        OutboxMessage.deliverable_id == deliverable_id, OutboxMessage.period_id == record.id,
        OutboxMessage.status == OutboxStatus.sent)).all()
    turned = session.exec(select(OutboxMessage).where(
        OutboxMessage.kind == "reminder", OutboxMessage.via == via,
        OutboxMessage.period_id == record.id, OutboxMessage.status == OutboxStatus.sent,
    )).all() if reminders else []
    shown = [row for row in turned if row.payload.get(FORM_SHOWN) == deliverable_id]
    return sorted([*about, *shown], key=lambda row: row.id or 0)


def note_form_shown(session: Session, *, channel: str, ts: str, person_id: int,
                    deliverable_id: int) -> bool:
    """The sent reminder at (``channel``, ``ts``) for ``person_id`` now shows the
    deliverable's form (its button was pressed): remembered, so the card is redrawn when the
    deliverable's update changes. False when there is no such reminder."""
    row = session.exec(select(OutboxMessage).where(
        OutboxMessage.channel == channel, OutboxMessage.ts == ts,
        OutboxMessage.kind == "reminder", OutboxMessage.person_id == person_id)).first()
    if row is None:
        return False
    if row.payload.get(FORM_SHOWN) != deliverable_id:
        row.payload = {**row.payload, FORM_SHOWN: deliverable_id}
        session.add(row)
    return True


def was_sent(session: Session, message_id: int | None) -> bool:
    """Whether the recorded message reached Slack (``False`` if there is no such message)."""
    message = session.get(OutboxMessage, message_id) if message_id is not None else None
    return message is not None and message.status == OutboxStatus.sent


def failed_messages(
    session: Session, period_id: int | None = None, *, kinds: Iterable[str] | None = None
) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed)
    if period_id is not None:
        query = query.where(OutboxMessage.period_id == period_id)
    if kinds is not None:
        query = query.where(col(OutboxMessage.kind).in_(list(kinds)))
    return list(session.exec(query.order_by(OutboxMessage.id)).all())


def requeue_failed(
    session: Session, *, period_id: int | None = None, ids: Iterable[int] | None = None
) -> int:
    """Put failed messages back to ``pending`` (e.g. after adding a user to the workspace)."""
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.status) == OutboxStatus.failed)
        .values(status=OutboxStatus.pending, attempts=0, claimed_at=None)
    )
    if period_id is not None:
        statement = statement.where(col(OutboxMessage.period_id) == period_id)
    if ids is not None:
        statement = statement.where(col(OutboxMessage.id).in_(list(ids)))
    return session.exec(statement).rowcount


# ------------------------------------------------------------------------------ the steps

def _by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).first()


def _claimable(now: datetime, lease: timedelta):
    return or_(
        col(OutboxMessage.status) == OutboxStatus.pending,
        (col(OutboxMessage.status) == OutboxStatus.sending)
        & (col(OutboxMessage.claimed_at) < now - lease),
    )


def _candidates(
    session: Session,
    kinds: set[str] | None,
    period_id: int | None,
    *,
    after: int,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[int]:
    query = select(OutboxMessage.id).where(
        col(OutboxMessage.id) > after, _claimable(now, lease)
    )
    if kinds is not None:
        query = query.where(col(OutboxMessage.kind).in_(sorted(kinds)))
    if period_id is not None:
        query = query.where(OutboxMessage.period_id == period_id)
    return list(session.exec(query.order_by(OutboxMessage.id).limit(max(1, limit))).all())


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _claim_many(engine: Engine, ids: list[int], *, now: datetime, lease: timedelta
                ) -> list[OutboxMessage]:
    """Claim what is still claimable of ``ids`` in one statement (the write lock, on SQLite
    the whole database's, held for as little as it takes). ``_claimable`` is asked again of
    each row as it is updated, so a concurrent sender that claimed a row first keeps it."""
    with session_scope(engine, write=True) as session:
        rows = session.scalars(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), _claimable(now, lease))
            .values(status=OutboxStatus.sending, claimed_at=now,
                    attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False)).all()
        for row in rows:
            session.expunge(row)
        return sorted(rows, key=lambda row: row.id or 0)


def _patient(write: Callable[P, None]) -> Callable[P, None]:
    """``write`` (what became of claimed messages), tried again while the database is out of
    reach or refuses writes (a restart, a full disk) for up to ``MARK_PATIENCE`` seconds. A
    message sent and not marked would stay ``sending`` until its lease had passed, and then be
    claimed again."""
    @functools.wraps(write)
    def patiently(*args: P.args, **kwargs: P.kwargs) -> None:
        deadline = time.monotonic() + MARK_PATIENCE
        while True:
            try:
                return write(*args, **kwargs)
            except OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(MARK_PAUSE)
    return patiently


@_patient
def _mark_many(engine: Engine, marks: list[tuple[int, dict[str, Any]]]) -> None:
    """Each message's values, by its id (one ``executemany`` for marks of the same fields)."""
    if not marks:
        return
    with session_scope(engine, write=True) as session:
        session.execute(update(OutboxMessage),
                        [{"id": message_id, **values} for message_id, values in marks])


@_patient
def _release(engine: Engine, ids: list[int]) -> None:
    if not ids:
        return
    with session_scope(engine, write=True) as session:
        session.exec(update(OutboxMessage).where(
            col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == OutboxStatus.sending)
            .values(status=OutboxStatus.pending, claimed_at=None,
                    attempts=OutboxMessage.attempts - 1))


def _send_one(
    engine: Engine,
    message: OutboxMessage,
    send: Sender,
    *,
    max_attempts: int,
    clock: Callable[[], datetime],
    sent_marks: list[tuple[int, dict[str, Any]]],
) -> str | None:
    """None when sent (its mark added to ``sent_marks``, written with its chunk's);
    ``failed:<error>`` or ``retry:<error>`` otherwise (marked at once)."""
    try:
        ref = send(recorded(message))
    except PermanentSendError as error:
        text = _error_text(error)
        _mark(engine, message.id, status=OutboxStatus.failed, last_error=text)
        return f"failed:{text}"
    except Exception as error:
        text = _error_text(error)
        if message.attempts >= max_attempts:
            text = f"gave up after {message.attempts} attempts: {text}"
            _mark(engine, message.id, status=OutboxStatus.failed, last_error=text)
            return f"failed:{text}"
        _mark(engine, message.id, status=OutboxStatus.pending, last_error=text, claimed_at=None)
        return f"retry:{text}"
    except BaseException as error:
        with suppress(Exception):
            _mark(engine, message.id, status=OutboxStatus.pending, claimed_at=None,
                  last_error=f"interrupted while sending: {type(error).__name__}")
        raise
    assert message.id is not None
    sent_marks.append((message.id, {"status": OutboxStatus.sent, "channel": ref.channel,
                                    "ts": ref.ts, "sent_at": clock(), "last_error": None}))
    return None


def recorded(row: OutboxMessage) -> RecordedMessage:
    """The plain values a channel is given to send."""
    return RecordedMessage(id=row.id or 0, key=row.key, kind=row.kind,
                           payload=dict(row.payload or {}), attempts=row.attempts,
                           created_at=row.created_at, deliverable_id=row.deliverable_id,
                           person_id=row.person_id, via=row.via or "slack")


@_patient
def _mark(engine: Engine, message_id: int | None, **values: Any) -> None:
    with session_scope(engine, write=True) as session:
        session.exec(
            update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values)
        )


def _error_text(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:ERROR_MAX]
