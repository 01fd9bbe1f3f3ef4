import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlmodel import select

import storage.db
from storage.db import make_engine, session_scope
from storage.migrate import current, upgrade
from storage.models import AuditEvent, Framework


def test_sqlite_pragmas(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_migrations_are_idempotent(any_engine):
    upgrade(any_engine)
    assert current(any_engine)


def test_rollback_on_error_keeps_nothing(any_engine):
    try:
        with session_scope(any_engine, write=True) as s:
            s.add(Framework(name="half"))
            s.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with session_scope(any_engine) as s:
        assert s.exec(select(Framework)).all() == []


def test_concurrent_immediate_writers_on_sqlite(sqlite_url):
    eng = make_engine(sqlite_url)
    upgrade(eng)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(20):
                with session_scope(eng, write=True) as s:
                    count = len(s.exec(select(AuditEvent)).all())
                    s.add(AuditEvent(action="t", subject=f"{n}-{i}-{count}"))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with session_scope(eng) as s:
        assert len(s.exec(select(AuditEvent)).all()) == 160


def test_a_serving_engine_leaves_the_wal_to_be_checkpointed_by_others(sqlite_url):
    """Commits of an engine made with ``checkpoints=False`` never copy the WAL back into the
    database file (the serving process's acks never wait for a checkpoint); the worker's do."""
    serving, worker = make_engine(sqlite_url, checkpoints=False), make_engine(sqlite_url)
    upgrade(worker)
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    row = "x" * 3000
    try:
        with serving.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        with worker.connect() as conn:
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
        before = database.stat().st_size
        for _ in range(1500):  # about 1,500 pages: past SQLite's 1,000-page threshold
            with session_scope(serving, write=True) as s:
                s.add(AuditEvent(action="t", subject=row))
        assert database.stat().st_size == before  # all of it still in the WAL only
        with session_scope(worker, write=True) as s:  # the worker's next commit checkpoints
            s.add(AuditEvent(action="t", subject="worker"))
        assert database.stat().st_size > before + 1500 * 3000
        with session_scope(serving) as s:
            assert len(s.exec(select(AuditEvent)).all()) == 1501
    finally:
        serving.dispose()
        worker.dispose()


def test_this_processs_sqlite_writers_queue_in_the_process_not_on_the_database_lock(sqlite_url):
    """While one write unit of work runs, another of the same process waits its turn before it
    begins (so it does not poll for SQLite's lock against the other process's writer)."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    beginning: list[str] = []
    event.listen(engine, "begin", lambda _conn: beginning.append(threading.current_thread().name),
                 insert=True)  # before the listener that takes the lock
    holding, release = threading.Event(), threading.Event()

    def first() -> None:
        with session_scope(engine, write=True) as s:
            s.add(AuditEvent(action="t", subject="first"))
            s.flush()
            holding.set()
            release.wait(10)

    def second() -> None:
        with session_scope(engine, write=True) as s:
            s.add(AuditEvent(action="t", subject="second"))

    a = threading.Thread(target=first, name="first")
    a.start()
    assert holding.wait(10)
    b = threading.Thread(target=second, name="second")
    b.start()
    b.join(0.3)
    try:
        assert b.is_alive() and beginning == ["first"]
    finally:
        release.set()
        a.join(10)
        b.join(10)
    assert beginning == ["first", "second"]
    with session_scope(engine) as s:
        assert [e.subject for e in s.exec(select(AuditEvent)).all()] == ["first", "second"]
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _counting_pings(engine, monkeypatch) -> list[int]:
    """The pings the engine's dialect sends (SQLAlchemy's, counted, still sent)."""
    pings: list[int] = []
    real = engine.dialect.do_ping

    def ping(dbapi_connection) -> bool:  # type: ignore[no-untyped-def]
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    return pings


@pytest.mark.postgres
def test_a_postgres_connection_the_server_closed_is_replaced_unnoticed_and_unpinged(
    postgres_url, monkeypatch
):
    engine, admin = make_engine(postgres_url), make_engine(postgres_url)
    pings = _counting_pings(engine, monkeypatch)
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # kept in the pool, reused, not pinged
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            deadline = time.monotonic() + 10
            while connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"),
                                     {"p": first}).scalar_one() and time.monotonic() < deadline:
                time.sleep(0.01)

        assert _backend_pid(engine) != first  # no error: a fresh connection took its place
        assert pings == []
    finally:
        engine.dispose()
        admin.dispose()


@pytest.mark.postgres
def test_a_postgres_connection_idle_past_the_limit_is_pinged_before_use(postgres_url,
                                                                         monkeypatch):
    engine = make_engine(postgres_url)
    pings = _counting_pings(engine, monkeypatch)
    try:
        first = _backend_pid(engine)
        monkeypatch.setattr(storage.db, "POSTGRES_PING_AFTER_IDLE_S", 0.0)
        assert _backend_pid(engine) == first
        assert pings == [1]
    finally:
        engine.dispose()
