"""Group commit for the serving process's inbox rows.

Under load, many requests are stored at once. On SQLite each would take the database's one
write lock and fsync its own commit, queuing behind each other and behind the worker; on
PostgreSQL each would make two round trips (its insert, its commit), and every round trip's
answer waits for the serving process's GIL again. So the rows of concurrent requests are
stored together, in one statement and one transaction (one lock, one fsync, two round trips),
by whichever request thread comes first (the leader, as in a database's own group commit):
rows that arrive while it writes wait and go in the next batch, written by one of them. A lone
request writes its own row at once, with no hand-over to another thread and back. A request is
still acknowledged only after its row is on disk, and a commit that fails fails every request
of the batch (each is answered as not received). A batch whose failure is not the database's
(a row that cannot be stored) is written again one row at a time, so one bad row never costs
the others.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.messaging.inbox import Arrival, receive_many
from storage.faults import StorageFailure
from storage.models import utcnow

MAX_BATCH = 200


@dataclass
class _Waiting:
    key: str
    kind: str
    payload: dict[str, Any]
    done: bool = False
    stored: bool = False
    error: BaseException | None = None


class InboxWriter:
    """One engine's group commit (it holds the engine only weakly, so a disposed engine goes)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = weakref.ref(engine)
        self.clock = clock
        self._waiting: list[_Waiting] = []
        self._writing = False
        self._turn = threading.Condition()

    def receive(self, *, key: str, kind: str, payload: dict[str, Any]) -> bool:
        """``bot.messaging.inbox.receive``, committed together with whatever else waits."""
        waiting = _Waiting(key, kind, payload)
        with self._turn:
            self._waiting.append(waiting)
            while not waiting.done:
                if self._writing:
                    self._turn.wait()
                else:
                    self._lead()
        if waiting.error is not None:
            raise waiting.error
        return waiting.stored

    def _lead(self) -> None:
        """Write the rows waiting (up to ``MAX_BATCH``), with ``_turn`` released meanwhile so
        that more can queue for the next batch; then wake everyone."""
        self._writing = True
        batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
        self._turn.release()
        try:
            self._write_batch(batch)
        except BaseException as error:  # never reported stored when unsure
            for written in batch:
                written.error = written.error or error
            raise
        finally:
            self._turn.acquire()
            self._writing = False
            for written in batch:
                written.done = True
            self._turn.notify_all()

    def _write_batch(self, batch: list[_Waiting]) -> None:
        try:
            self._write(batch)
        except StorageFailure as failure:
            for waiting in batch:
                waiting.error = failure
        except Exception as error:
            if len(batch) == 1:
                batch[0].error = error
                return
            for waiting in batch:  # one at a time: a bad row costs only itself
                try:
                    self._write([waiting])
                except Exception as error:
                    waiting.error = error

    def _write(self, batch: list[_Waiting]) -> None:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine is gone")
        stored = receive_many(engine, [Arrival(w.key, w.kind, w.payload) for w in batch],
                              now=self.clock())
        for waiting, was_stored in zip(batch, stored, strict=True):
            waiting.stored = was_stored


_writers: weakref.WeakKeyDictionary[Engine, InboxWriter] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def group_receive(engine: Engine, *, key: str, kind: str, payload: dict[str, Any]) -> bool:
    """Store ``payload`` for the worker once per ``key`` (``False``: received before), in the
    next group commit of ``engine``'s rows; committed when this returns."""
    with _lock:
        writer = _writers.get(engine)
        if writer is None:
            writer = _writers[engine] = InboxWriter(engine)
    return writer.receive(key=key, kind=kind, payload=payload)
