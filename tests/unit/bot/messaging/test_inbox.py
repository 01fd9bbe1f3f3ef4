"""The inbox: received once, done once however many workers claim, retried after a crash."""

import sqlite3
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.messaging.inbox import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    GiveUp,
    Outcome,
    Received,
    claim,
    inbox_backlog,
    process_pending,
    receive,
    record,
    release_held,
)
from storage.db import session_scope
from storage.faults import FULL, StorageFailure
from storage.inbox_file import inbox_engine
from storage.models import InboxItem, InboxStatus, utcnow


def _statuses(engine) -> dict[str, str]:
    with session_scope(inbox_engine(engine)) as session:
        return {row.key: row.status for row in session.exec(select(InboxItem)).all()}


def test_a_redelivery_is_stored_once(any_engine):
    assert receive(any_engine, key="slack:event:Ev1", kind="slack.request", payload={"n": 1})
    assert not receive(any_engine, key="slack:event:Ev1", kind="slack.request",
                       payload={"n": 2})

    with session_scope(inbox_engine(any_engine)) as session:
        [item] = session.exec(select(InboxItem)).all()
    assert item.payload == {"n": 1} and item.status == InboxStatus.pending


def test_items_are_done_in_order_and_marked(any_engine):
    for n in range(5):
        receive(any_engine, key=f"k{n}", kind="work", payload={"n": n})
    seen: list[int] = []

    report = process_pending(any_engine, lambda item: seen.append(item.payload["n"]), batch=10)

    assert seen == [0, 1, 2, 3, 4] and report.done == 5
    assert set(_statuses(any_engine).values()) == {InboxStatus.done}
    assert inbox_backlog(any_engine, now=utcnow()).pending == 0


def test_work_someone_is_looking_at_a_loading_view_for_is_claimed_first(any_engine):
    for key, kind in [("reply", "slack.request"), ("status", "slack.request"),
                      ("form", "slack.fill_form"), ("later", "slack.request"),
                      ("risk form", "slack.fill_risk_form")]:
        receive(any_engine, key=key, kind=kind, payload={})
    loading = frozenset({"slack.fill_form", "slack.fill_risk_form"})

    first = claim(any_engine, batch=3, first=loading)
    rest = claim(any_engine, batch=3, first=loading)

    assert [item.key for item in first] == ["form", "risk form", "reply"]
    assert [item.key for item in rest] == ["status", "later"]
    assert claim(any_engine, batch=3, first=loading) == []


def test_a_failure_is_retried_then_given_up_and_counted(any_engine):
    receive(any_engine, key="flaky", kind="work", payload={})
    receive(any_engine, key="hopeless", kind="work", payload={})
    attempts: Counter[str] = Counter()

    def handle(item: Received) -> None:
        attempts[item.key] += 1
        if item.key == "hopeless":
            raise GiveUp("cannot ever work")
        if attempts[item.key] < 2:
            raise ConnectionError("database restarting")

    first = process_pending(any_engine, handle)
    too_soon = process_pending(any_engine, handle)
    second = process_pending(any_engine, handle, clock=lambda: utcnow() + RETRY_AFTER * 2)

    assert (first.done, first.failed, first.retried) == (0, 1, 1)
    assert (too_soon.done, too_soon.failed, too_soon.retried) == (0, 0, 0)  # waits RETRY_AFTER
    assert (second.done, second.failed, second.retried) == (1, 0, 0)
    assert _statuses(any_engine) == {"flaky": InboxStatus.done, "hopeless": InboxStatus.failed}
    backlog = inbox_backlog(any_engine, now=utcnow())
    assert (backlog.pending, backlog.failed) == (0, 1)
    with session_scope(inbox_engine(any_engine)) as session:
        hopeless = session.exec(select(InboxItem).where(InboxItem.key == "hopeless")).one()
    assert hopeless.last_error == "GiveUp: cannot ever work"


def test_an_item_a_killed_worker_held_is_done_again_after_its_lease(any_engine):
    receive(any_engine, key="held", kind="work", payload={})
    # claimed by a worker, then the worker was killed
    with session_scope(inbox_engine(any_engine), write=True) as session:
        session.execute(update(InboxItem).values(status=InboxStatus.working, attempts=1,
                                                 claimed_at=utcnow() - timedelta(minutes=1)))
    done: list[int] = []

    early = process_pending(any_engine, lambda item: done.append(item.attempts))
    late = process_pending(any_engine, lambda item: done.append(item.attempts),
                           lease=timedelta(seconds=30))

    assert early.done == 0 and late.done == 1 and done == [2]


@pytest.mark.parametrize("workers", [4])
def test_concurrent_workers_do_each_item_exactly_once(any_engine, workers: int):
    for n in range(60):
        receive(any_engine, key=f"k{n}", kind="work", payload={"n": n})
    done: Counter[int] = Counter()
    lock = threading.Lock()

    def handle(item: Received) -> None:
        with lock:
            done[item.payload["n"]] += 1

    def drain() -> None:
        while process_pending(any_engine, handle, batch=3).done:
            pass

    threads = [threading.Thread(target=drain) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(done) == list(range(60)) and set(done.values()) == {1}
    with session_scope(inbox_engine(any_engine)) as session:
        assert not session.exec(select(InboxItem).where(
            col(InboxItem.status) != InboxStatus.done)).all()


def test_a_key_of_any_length_is_stored_once(any_engine):
    """A request may carry a trigger id of any length; PostgreSQL's unique index holds ~2.7 kB."""
    long_key = "slack:command:" + "x" * 5_000
    assert receive(any_engine, key=long_key, kind="slack.request", payload={})
    assert not receive(any_engine, key=long_key, kind="slack.request", payload={})
    assert receive(any_engine, key=long_key + "y", kind="slack.request", payload={})
    with session_scope(inbox_engine(any_engine)) as session:
        assert len(session.exec(select(InboxItem)).all()) == 2


def test_a_key_with_a_nul_or_a_lone_surrogate_is_stored_once(any_engine):
    """A trigger id carrying NUL: PostgreSQL text refuses it (the fuzzer's /report-status with
    trigger_id "\\x00" was answered 500); a lone surrogate cannot be encoded at all."""
    for key in ("slack:command:\x00", "slack:command:\ud800"):
        assert receive(any_engine, key=key, kind="slack.request", payload={})
        assert not receive(any_engine, key=key, kind="slack.request", payload={})
    assert receive(any_engine, key="slack:command:", kind="slack.request", payload={})
    with session_scope(inbox_engine(any_engine)) as session:
        assert len(session.exec(select(InboxItem)).all()) == 3


def test_a_database_that_cannot_take_writes_never_makes_an_item_fail(any_engine):
    """A full disk lasting longer than every attempt: the item waits, it is not given up."""
    receive(any_engine, key="patient", kind="work", payload={})
    full = StorageFailure.of(sqlite3.OperationalError("database or disk is full"), FULL)

    def handle(_item: Received) -> None:
        raise full

    later = utcnow()
    for _ in range(MAX_ATTEMPTS + 2):
        later += RETRY_AFTER * 2
        assert process_pending(any_engine, handle, clock=lambda at=later: at).retried == 1
    assert _statuses(any_engine) == {"patient": InboxStatus.pending}


def test_a_starting_worker_on_sqlite_takes_back_what_a_worker_that_ended_held(engine):
    receive(engine, key="held", kind="work", payload={})
    [held] = claim(engine, batch=5)  # a worker that then ended

    assert release_held(engine) == 1
    [again] = claim(engine, batch=5)
    assert again.key == held.key and again.attempts == 2


def test_an_outcome_recorded_late_is_as_if_recorded_at_once(any_engine):
    """What a worker that could not record an outcome (the database restarting) records once
    it can: the item done is not done again, the item to retry waits from its outcome."""
    for key in ("a", "b", "c"):
        receive(any_engine, key=key, kind="work", payload={})
    first, second, _held = claim(any_engine, batch=5)
    then = utcnow() - RETRY_AFTER * 2

    record(any_engine, [Outcome(first.id, InboxStatus.done, then),
                        Outcome(second.id, InboxStatus.pending, then, error="E", retry=True)])

    assert _statuses(any_engine) == {"a": InboxStatus.done, "b": InboxStatus.pending,
                                     "c": InboxStatus.working}
    assert [item.key for item in claim(any_engine, batch=5)] == ["b"]


def test_a_claim_records_what_became_of_the_items_done_since_the_last(any_engine):
    """The worker's one write per item: the outcomes of items done, then the next claim."""
    for key in ("done", "next"):
        receive(any_engine, key=key, kind="work", payload={})
    [done] = claim(any_engine, batch=1)

    items = claim(any_engine, batch=5, outcomes=[Outcome(done.id, InboxStatus.done, utcnow())])

    assert [item.key for item in items] == ["next"]
    assert _statuses(any_engine) == {"done": InboxStatus.done, "next": InboxStatus.working}
    assert claim(any_engine, batch=5) == []
