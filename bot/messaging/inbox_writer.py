"""Group commit for the serving process's inbox rows.

Under load, many requests are stored at once. On SQLite each would take the database's one
write lock and fsync its own commit, queuing behind each other and behind the worker; on
PostgreSQL each would make two round trips (its insert, its commit), and every round trip's
answer waits for the serving process's GIL again. Here one writer thread per engine takes every
row waiting, stores them in one statement and one transaction (one lock, one fsync, two round
trips) and wakes each request once its row is committed: a request is still acknowledged only
after its row is on disk, and a commit that fails fails every request of the batch (each is
answered as not received). A batch whose failure is not the database's (a row that cannot be
stored) is written again one row at a time, so one bad row never costs the others.
"""

from __future__ import annotations

import logging
import queue
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.messaging.inbox import Arrival, receive_many
from storage.faults import StorageFailure
from storage.models import utcnow

log = logging.getLogger(__name__)

MAX_BATCH = 200
IDLE = 10.0  # seconds without a row before the writer thread ends


@dataclass
class _Waiting:
    key: str
    kind: str
    payload: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    stored: bool = False
    error: BaseException | None = None


class InboxWriter:
    """One engine's writer thread: started when a row comes, ended after ``IDLE`` seconds
    without one (it holds the engine only weakly, so a disposed engine goes)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine = weakref.ref(engine)
        self.clock = clock
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def receive(self, *, key: str, kind: str, payload: dict[str, Any]) -> bool:
        """``bot.messaging.inbox.receive``, committed together with whatever else waits."""
        waiting = _Waiting(key, kind, payload)
        self._queue.put(waiting)
        self._start()
        waiting.done.wait()
        if waiting.error is not None:
            raise waiting.error
        return waiting.stored

    def _start(self) -> None:
        with self._lock:
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="ragtime-inbox-writer",
                                 daemon=True).start()

    def _next(self) -> _Waiting | None:
        """The next row, or None (the thread ends) after ``IDLE`` seconds without one."""
        while True:
            try:
                return self._queue.get(timeout=IDLE)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return None

    def _run(self) -> None:
        while (first := self._next()) is not None:
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            except StorageFailure as failure:
                for waiting in batch:
                    waiting.error = failure
            except Exception as error:
                if len(batch) == 1:
                    batch[0].error = error
                else:
                    for waiting in batch:  # one at a time: a bad row costs only itself
                        try:
                            self._write([waiting])
                        except Exception as error:
                            waiting.error = error
            finally:
                for waiting in batch:
                    waiting.done.set()

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
    next group commit of ``engine``'s writer; committed when this returns."""
    with _lock:
        writer = _writers.get(engine)
        if writer is None:
            writer = _writers[engine] = InboxWriter(engine)
    return writer.receive(key=key, kind=kind, payload=payload)
