"""``storage.wakes``: a unit of work wakes who waits for its topic once it has committed (the row
is there to read), never when it rolls back."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage import wakes
from storage.db import session_scope
from storage.models import InboxItem

_keys = itertools.count()


def waiter(engine: Engine, topic: str) -> tuple[threading.Thread, list[int]]:
    """A thread waiting for ``topic``; once woken it counts the inbox rows it can read."""
    rows: list[int] = []
    looked = wakes.seen(engine, topic)

    def wait() -> None:
        wakes.wait(engine, topic, looked, timeout=30)
        with session_scope(engine) as session:
            rows.append(len(session.exec(select(InboxItem)).all()))

    thread = threading.Thread(target=wait, daemon=True)
    thread.start()
    return thread, rows


def store(engine: Engine, topic: str, *, fail: bool = False) -> None:
    with session_scope(engine, write=True) as session:
        session.add(InboxItem(key=f"key-{next(_keys)}", kind="x", payload={}))
        wakes.wake_after_commit(session, topic)
        if fail:
            raise RuntimeError("rolled back")


def test_a_committed_unit_wakes_the_waiter_with_its_row_there(engine: Engine):
    thread, rows = waiter(engine, "inbox")
    store(engine, "inbox")
    thread.join(5)
    assert rows == [1]


def test_a_unit_rolled_back_wakes_nobody(engine: Engine):
    thread, rows = waiter(engine, "inbox")
    with pytest.raises(RuntimeError):
        store(engine, "inbox", fail=True)
    thread.join(0.5)
    assert thread.is_alive() and rows == []
    wakes.wake(engine, "inbox")  # let it end
    thread.join(5)
    assert rows == [0]


def test_another_topic_wakes_nobody(engine: Engine):
    thread, rows = waiter(engine, "outbox")
    store(engine, "inbox")
    thread.join(0.5)
    assert thread.is_alive()
    wakes.wake(engine, "outbox")
    thread.join(5)
    assert rows == [1]
