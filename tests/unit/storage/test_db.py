import threading
from pathlib import Path

from sqlalchemy import event, text
from sqlmodel import select

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
