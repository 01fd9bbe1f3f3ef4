"""A database that cannot take a write says so: ``StorageFailure`` of a kind, counted, and the
engine marked failing until a write unit commits again. Real SQLite files."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from storage.db import make_engine, session_scope
from storage.faults import (
    CORRUPT,
    FULL,
    IO,
    LOCKED,
    OTHER,
    READ_ONLY,
    StorageFailure,
    failure_kind,
    storage_health,
)


@pytest.mark.parametrize(("message", "kind"), [
    ("database or disk is full", FULL),
    ("disk I/O error", IO),
    ("attempt to write a readonly database", READ_ONLY),
    ("database disk image is malformed", CORRUPT),
    ("file is not a database", CORRUPT),
    ("database is locked", LOCKED),
    ("no such table: x", OTHER),
])
def test_sqlite_errors_are_told_apart(message: str, kind: str):
    assert failure_kind(sqlite3.OperationalError(message)) == kind


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__("server said no")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("state", "kind"), [
    ("53100", FULL), ("53200", FULL), ("25006", READ_ONLY), ("58030", IO), ("XX001", CORRUPT),
    ("23505", OTHER),
])
def test_postgres_errors_are_told_apart_by_sqlstate(state: str, kind: str):
    assert failure_kind(_PgError(state)) == kind


@pytest.fixture
def table(tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'faults.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE answer (id INTEGER PRIMARY KEY, text TEXT)"))
    yield engine
    engine.dispose()


def test_a_read_only_database_fails_the_write_and_marks_the_engine_failing(table: Engine):
    health = storage_health(table)
    read_only = {"on": True}

    @event.listens_for(table, "connect")
    def _query_only(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        if read_only["on"]:
            dbapi_connection.execute("PRAGMA query_only=ON")

    table.dispose()  # new connections, read-only
    with pytest.raises(StorageFailure) as raised, session_scope(table, write=True) as session:
        session.execute(text("INSERT INTO answer (text) VALUES ('Green')"))
    assert raised.value.kind == READ_ONLY
    assert health.failing is not None and health.failing.kind == READ_ONLY
    assert health.error_counts()[READ_ONLY] == 1

    read_only["on"] = False
    table.dispose()
    with session_scope(table, write=True) as session:  # writable again: well again
        session.execute(text("INSERT INTO answer (text) VALUES ('Amber')"))
    assert health.failing is None
    with session_scope(table) as session:
        assert session.execute(text("SELECT text FROM answer")).scalars().all() == ["Amber"]


def test_a_duplicate_key_is_not_a_database_failure(table: Engine):
    health = storage_health(table)
    with session_scope(table, write=True) as session:
        session.execute(text("INSERT INTO answer (id, text) VALUES (1, 'Green')"))
    with pytest.raises(Exception) as raised, session_scope(table, write=True) as session:
        session.execute(text("INSERT INTO answer (id, text) VALUES (1, 'Green')"))
    assert not isinstance(raised.value, StorageFailure)
    assert health.failing is None and health.error_counts() == {}


def test_commits_are_on_disk_before_they_return(table: Engine):
    with table.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def _file_read_only(path: Path, on: bool) -> None:
    """``path`` made read-only (or writable again) as the operator's mistake would: immutable
    when run as root (root writes any file whatever its mode), its mode otherwise."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("making a file read-only as root needs chattr")
        done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True,
                              check=False)
        if done.returncode != 0:
            pytest.skip(f"chattr is not permitted here: {done.stderr!r}")
    else:
        path.chmod(0o444 if on else 0o644)


def test_a_connection_opened_while_the_file_was_read_only_is_not_kept_once_it_is_writable(
    table: Engine,
):
    """SQLite opens a file it cannot write read-only, and the connection stays read-only: one
    opened for a read during the incident and pooled would refuse the first write after it."""
    table.dispose()  # the WAL checkpointed and gone: only the database file to make read-only
    database = Path(table.url.database or "")
    _file_read_only(database, True)
    try:
        with session_scope(table) as session:  # reads still work, on a read-only connection
            assert session.execute(text("SELECT count(*) FROM answer")).scalar() == 0
        with pytest.raises(StorageFailure), session_scope(table, write=True) as session:
            session.execute(text("INSERT INTO answer (text) VALUES ('Red')"))
        with session_scope(table) as session:  # pooled again, still read-only
            session.execute(text("SELECT 1"))
    finally:
        _file_read_only(database, False)
    with session_scope(table, write=True) as session:
        session.execute(text("INSERT INTO answer (text) VALUES ('Green')"))
    with session_scope(table) as session:
        assert session.execute(text("SELECT text FROM answer")).scalars().all() == ["Green"]
