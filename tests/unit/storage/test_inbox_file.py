"""The inbox in a file of its own on SQLite (``storage.inbox_file``)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.messaging.inbox import claim, inbox_backlog, receive
from bot.messaging.inbox_writer import group_receive
from storage.db import make_engine, session_scope, write_scope
from storage.faults import READ_ONLY, StorageFailure, storage_health
from storage.inbox_file import inbox_engine, inbox_file
from storage.migrate import upgrade
from storage.models import InboxItem, InboxStatus, StorageProbe, utcnow


def test_the_inbox_of_a_sqlite_file_is_a_file_beside_it(engine):
    database = Path(engine.url.database)

    inbox = inbox_engine(engine)

    assert inbox is not engine and inbox is inbox_engine(engine)
    assert Path(inbox.url.database) == inbox_file(database) == database.with_name(
        f"{database.stem}.inbox{database.suffix}")
    assert receive(engine, key="k", kind="work", payload={"n": 1})
    with sqlite3.connect(inbox_file(database)) as side:
        assert side.execute("SELECT key, kind FROM inbox_item").fetchall() == [("k", "work")]
    with sqlite3.connect(database) as main:
        assert main.execute("SELECT count(*) FROM inbox_item").fetchone() == (0,)


@pytest.mark.postgres
def test_postgresql_keeps_the_inbox_in_the_database(postgres_url):
    engine = make_engine(postgres_url)
    try:
        assert inbox_engine(engine) is engine
    finally:
        engine.dispose()


def test_storing_a_request_does_not_wait_for_the_databases_write_lock(engine):
    """The worker holding the database's one write lock (a long unit of work) no longer holds
    up what the serving process acknowledges."""
    inbox_engine(engine)  # made ready first, as the serving process does at its first request
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the worker, mid-transaction
    try:
        started = time.monotonic()
        assert group_receive(engine, key="slack:event:Ev1", kind="slack.request", payload={})
        assert time.monotonic() - started < 1.0
        [item] = claim(engine, batch=5)
        assert item.key == "slack:event:Ev1"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_items_left_waiting_in_the_database_are_moved_to_the_inbox_file(tmp_path):
    """An upgrade from a version that kept the inbox in the database loses nothing waiting."""
    url = f"sqlite:///{tmp_path / 'ragtime.db'}"
    before = make_engine(url)
    upgrade(before)
    with write_scope(before) as connection:
        for key, status in (("waiting", InboxStatus.pending), ("held", InboxStatus.working),
                            ("done", InboxStatus.done)):
            connection.execute(InboxItem.__table__.insert().values(  # type: ignore[attr-defined]
                key=key, kind="work", payload={"key": key}, status=status, attempts=0,
                received_at=utcnow()))
    before.dispose()

    after = make_engine(url)
    assert inbox_backlog(after, now=utcnow()).pending == 2
    with session_scope(inbox_engine(after)) as session:
        moved = {item.key: item.payload for item in session.exec(select(InboxItem))}
    assert moved == {"waiting": {"key": "waiting"}, "held": {"key": "held"}}
    with session_scope(after) as session:
        assert [item.key for item in session.exec(select(InboxItem))] == ["done"]
    # A second process opening it finds nothing more to move and duplicates nothing.
    other = make_engine(url)
    assert inbox_backlog(other, now=utcnow()).pending == 2


def test_the_inbox_files_failures_are_the_databases(engine):
    """A full or read-only inbox file makes the database failing (``/healthz``, the alarm);
    only the database's own write (its probe) ends it."""
    inbox = inbox_engine(engine)

    def read_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA query_only=ON")

    event.listen(inbox, "connect", read_only)
    inbox.dispose()
    with pytest.raises(StorageFailure):
        receive(engine, key="refused", kind="work", payload={})
    health = storage_health(engine)
    assert health.failing is not None and health.failing.kind == READ_ONLY

    event.remove(inbox, "connect", read_only)
    inbox.dispose()
    assert receive(engine, key="k", kind="work", payload={})
    assert health.failing is not None  # the inbox took a write: the database is not yet well

    with session_scope(engine, write=True) as session:
        session.add(StorageProbe(id=1))
    assert health.failing is None
