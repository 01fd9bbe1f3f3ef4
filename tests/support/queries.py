"""Watching what the database is asked: statements, statements inside write transactions, and
ORM objects built — for tests that hold a code path to a fixed amount of work."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage.db import in_write_unit

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")
# The worker's own polling and heartbeat, which run all the time beside the work watched.
_WORKER_THREADS = ("ragtime-outbox", "ragtime-beat")
_WORKER_TABLES = ("inbox_item", "worker_beat")


def _bookkeeping(statement: str) -> bool:
    return (threading.current_thread().name in _WORKER_THREADS
            or any(table in statement for table in _WORKER_TABLES))


@dataclass
class Seen:
    statements: list[str] = field(default_factory=list)
    in_writes: list[str] = field(default_factory=list)  # inside BEGIN IMMEDIATE … COMMIT
    loaded: Counter[str] = field(default_factory=Counter)  # ORM class name → objects built

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def watching(engine: Engine, *models: type) -> Iterator[Seen]:
    """Record every statement (transaction control and the worker's polling left out) sent on
    ``engine`` (any thread)
    and how many objects of each of ``models`` the ORM builds from rows. On SQLite, a write
    unit of work (``session_scope(engine, write=True)``) begins with ``BEGIN IMMEDIATE``:
    statements up to its commit or rollback are also in ``in_writes``."""
    seen = Seen()
    writing: set[int] = set()

    def began(conn: Any) -> None:
        # SQLite's BEGIN IMMEDIATE is sent on the driver's own cursor (storage.db), unseen here
        if in_write_unit():
            writing.add(id(conn))

    def before(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _bookkeeping(statement):
            return
        control = statement.strip().upper()
        if control.startswith(_TRANSACTION_CONTROL):
            return
        seen.statements.append(statement)
        if id(conn) in writing:
            seen.in_writes.append(statement)

    def ended(conn: Any) -> None:
        writing.discard(id(conn))

    def loader(name: str) -> Any:
        def on_load(_target: Any, _context: Any) -> None:
            seen.loaded[name] += 1
        return on_load

    listeners: list[tuple[Any, str, Any]] = [
        (engine, "begin", began), (engine, "before_cursor_execute", before),
        (engine, "commit", ended),
        (engine, "rollback", ended),
    ]
    listeners += [(model, "load", loader(model.__name__)) for model in models]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        yield seen
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
