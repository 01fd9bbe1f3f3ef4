"""Where the inbox is kept: on SQLite, in a file of its own beside the database.

The serving process writes every request it acknowledges to the inbox; the worker writes
everything else. SQLite has one write lock per file, so with one file each acknowledgement
waited behind the worker's write transactions: at one-second think its p99 was 2–4× that of a
bare app committing one row per request (``benchmarks/README.md``, stop 34). With the inbox in
its own file the serving process waits only for the worker's claims and finishes of inbox items,
one short statement each. On PostgreSQL (row locks) and for an in-memory SQLite database the
inbox stays in the database.

The file (``ragtime.db`` → ``ragtime.inbox.db``) holds the inbox's table and a probe row
(``bot.messaging.database_watch`` writes it to learn that the file takes writes again), made
from the models when a process first opens it; items an earlier version left waiting in the
database's own ``inbox_item`` table are moved over then. Its errors are the database's
(``storage.faults.share_health``): a full or read-only disk is seen and told the same way.
"""

from __future__ import annotations

import threading
import weakref
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.schema import CreateIndex, CreateTable

from storage.db import checkpoints, make_engine, sqlite_file, write_scope
from storage.faults import share_health
from storage.models import InboxItem, InboxStatus, StorageProbe
from storage.repo import insert_new_rows

_inboxes: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_WAITING = (InboxStatus.pending, InboxStatus.working)


def inbox_file(database: Path) -> Path:
    """The inbox's file for the SQLite database ``database``."""
    return database.with_name(f"{database.stem}.inbox{database.suffix or '.db'}")


def inbox_engine(engine: Engine) -> Engine:
    """The engine the inbox of ``engine``'s database is kept in (``engine`` itself but for a
    SQLite file); one per database engine, made ready on first use. Every acknowledgement asks:
    once made, it is one dictionary lookup."""
    found = _inboxes.get(engine)
    if found is not None:
        return found
    if engine.dialect.name != "sqlite" or (database := sqlite_file(engine.url)) is None:
        return engine
    with _lock:
        found = _inboxes.get(engine)
        if found is None:
            found = _inboxes[engine] = _open(engine, inbox_file(database))
        return found


def _open(engine: Engine, path: Path) -> Engine:
    inbox = make_engine(f"sqlite:///{path}", checkpoints=checkpoints(engine))
    share_health(inbox, engine)
    with write_scope(inbox) as connection:  # both processes may be first: IF NOT EXISTS
        for table in (InboxItem.__table__, StorageProbe.__table__):  # type: ignore[attr-defined]
            connection.execute(CreateTable(table, if_not_exists=True))
            for index in table.indexes:
                connection.execute(CreateIndex(index, if_not_exists=True))
    _move_waiting(engine, inbox)
    return inbox


def _move_waiting(engine: Engine, inbox: Engine) -> None:
    """Items an earlier version left waiting in the database's own table, moved to the inbox's
    file (each once: the key is unique there; a copy made twice is one row)."""
    columns = [column for column in InboxItem.__table__.columns if column.name != "id"]  # type: ignore[attr-defined]
    waiting = select(*columns).where(InboxItem.status.in_(_WAITING))  # type: ignore[attr-defined]
    try:
        with engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(waiting)]
    except OperationalError:  # not migrated yet: nothing was left in it
        return
    if not rows:
        return
    with write_scope(inbox) as connection:
        insert_new_rows(connection, InboxItem, unique="key", rows=rows)
    with write_scope(engine) as connection:
        connection.execute(delete(InboxItem).where(
            InboxItem.key.in_([row["key"] for row in rows])))  # type: ignore[attr-defined]
