"""Waking this process's waiters when a unit of work that stored something for them commits.

The worker's loops poll the inbox and the outbox, since the serving process (another process)
stores what they do. What a process stores for itself — the worker's own confirmations and
notices, recorded as it handles an inbox item, or anything a test stores beside an in-process
worker — need not wait for the next poll: the unit of work names a topic
(``wake_after_commit``), ``storage.db.session_scope`` wakes it once the unit has committed (never
before: a waiter woken early would not see the row yet), and a loop waiting in ``wait`` goes
on at once.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter

from sqlalchemy.engine import Engine
from sqlmodel import Session

_TOPICS = "ragtime.wake_topics"


class _Wakes:
    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.counts: Counter[str] = Counter()


_wakes: weakref.WeakKeyDictionary[Engine, _Wakes] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _of(engine: Engine) -> _Wakes:
    with _lock:
        found = _wakes.get(engine)
        if found is None:
            found = _wakes[engine] = _Wakes()
        return found


def wake_after_commit(session: Session, topic: str) -> None:
    """Wake who waits for ``topic`` once ``session``'s unit of work commits (not if it rolls
    back)."""
    session.info.setdefault(_TOPICS, set()).add(topic)


def topics_to_wake(session: Session) -> set[str]:
    """The topics ``session``'s unit of work asked to wake (forgotten once asked)."""
    return session.info.pop(_TOPICS, set())


def wake(engine: Engine, *topics: str) -> None:
    wakes = _of(engine)
    with wakes.changed:
        wakes.counts.update(topics)
        wakes.changed.notify_all()


def seen(engine: Engine, topic: str) -> int:
    """How many times ``topic`` was woken so far: pass it to ``wait`` after looking for work,
    so a wake that came in between is not missed."""
    wakes = _of(engine)
    with wakes.changed:
        return wakes.counts[topic]


def wait(engine: Engine, topic: str, after: int, timeout: float) -> None:
    """Return once ``topic`` is woken after the count ``after``, or after ``timeout`` seconds."""
    wakes = _of(engine)
    with wakes.changed:
        wakes.changed.wait_for(lambda: wakes.counts[topic] != after, timeout)
