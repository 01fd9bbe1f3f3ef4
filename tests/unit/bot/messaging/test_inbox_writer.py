"""Group commit of inbox rows: every request waits for its own row's commit, rows waiting
together share one transaction, a redelivery is stored once, and a database that cannot
take them fails every request of the batch. Real SQLite files and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import event
from sqlmodel import select

from bot.messaging.inbox_writer import group_receive
from storage.db import session_scope
from storage.faults import StorageFailure
from storage.inbox_file import inbox_engine
from storage.models import InboxItem


def _concurrently(count: int, work) -> list[object]:  # type: ignore[no-untyped-def]
    results: list[object] = [None] * count
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except Exception as error:  # the test looks at it
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_rows_waiting_together_are_committed_together_and_each_once(any_engine):
    commits = Counter[str]()
    event.listen(any_engine, "commit", lambda _connection: commits.update(["commit"]))
    # 40 requests, every key delivered twice (Slack's retry racing its first delivery)
    results = _concurrently(80, lambda n: group_receive(
        any_engine, key=f"slack:event:Ev{n // 2}", kind="slack.request", payload={"n": n}))

    assert results.count(True) == 40 and results.count(False) == 40
    with session_scope(inbox_engine(any_engine)) as session:
        keys = Counter(item.key for item in session.exec(select(InboxItem)))
    assert set(keys.values()) == {1} and len(keys) == 40
    assert commits["commit"] < 80  # shared transactions, not one per request


def test_a_database_that_cannot_take_the_rows_fails_every_request(engine):
    inbox = inbox_engine(engine)

    @event.listens_for(inbox, "connect")
    def _read_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA query_only=ON")

    inbox.dispose()
    results = _concurrently(10, lambda n: group_receive(
        engine, key=f"slack:event:Ev{n}", kind="slack.request", payload={"n": n}))

    assert all(isinstance(result, StorageFailure) for result in results), results
    event.remove(inbox, "connect", _read_only)
    inbox.dispose()
    assert group_receive(engine, key="slack:event:after", kind="slack.request", payload={})


def test_a_row_that_cannot_be_stored_costs_only_itself(engine):
    results = _concurrently(6, lambda n: group_receive(
        engine, key=f"slack:event:Ev{n}", kind="slack.request",
        payload={"n": n, "bad": object() if n == 3 else None}))

    assert [isinstance(result, Exception) for result in results] == [
        False, False, False, True, False, False]
    with session_scope(inbox_engine(engine)) as session:
        assert len(session.exec(select(InboxItem)).all()) == 5


def test_a_lone_request_commits_its_own_row_on_its_own_thread(any_engine):
    """No hand-over to another thread and back: at ordinary load that hand-over (twice waiting
    for the GIL) was most of an acknowledgement's tail."""
    committed_on = []
    event.listen(inbox_engine(any_engine), "commit",
                 lambda _connection: committed_on.append(threading.current_thread()))

    assert group_receive(any_engine, key="slack:event:lone", kind="slack.request", payload={})

    assert committed_on == [threading.current_thread()]
