"""Online backups: SQLite through its backup API (safe while the bot runs); PostgreSQL by
pg_dump.

On SQLite the inbox is a file of its own (``storage.inbox_file``): a backup copies the items
still waiting in it into the copy's own ``inbox_item`` table, so one file holds everything
acknowledged; a restore removes the inbox's file, and the next start moves those items back
into a new one."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import normalise_url
from storage.inbox_file import inbox_file
from storage.models import InboxItem


class BackupError(RuntimeError):
    pass


def backup_database(database_url: str, destination: Path) -> Path:
    """Write a consistent copy of the database to ``destination`` and return its path."""
    url = make_url(normalise_url(database_url))
    destination.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = Path(url.database or "")
        if not source.is_file():
            raise BackupError(f"no SQLite database at {source}")
        with sqlite3.connect(source) as src, sqlite3.connect(destination) as dst:
            src.backup(dst)
        _copy_waiting_inbox(inbox_file(source), destination)
        return destination
    if url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError("pg_dump is not installed (Debian: apt install postgresql-client)")
        env = dict(os.environ)
        if url.password:
            env["PGPASSWORD"] = url.password  # never on the command line, where ps shows it
        plain = url.set(drivername="postgresql", password=None)
        result = subprocess.run(
            [pg_dump, "--format=custom", "--file", str(destination),
             plain.render_as_string(hide_password=False)],
            env=env, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return destination
    raise BackupError(f"cannot back up a {url.get_backend_name()} database")


def restore_sqlite(backup: Path, database_url: str) -> Path:
    """Copy a SQLite backup over the configured database (stop the bot first)."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite":
        raise BackupError("restore a PostgreSQL dump with pg_restore --clean -d DATABASE FILE")
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    target = Path(url.database or "")
    with sqlite3.connect(backup) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    inbox = inbox_file(target)
    for path in (inbox, inbox.with_name(inbox.name + "-wal"), inbox.with_name(inbox.name + "-shm")):
        path.unlink(missing_ok=True)
    return target


def _copy_waiting_inbox(inbox: Path, destination: Path) -> None:
    """The items waiting in the inbox's file, added to the copy's ``inbox_item`` table."""
    if not inbox.is_file():
        return
    columns = ", ".join(column.name for column in InboxItem.__table__.columns  # type: ignore[attr-defined]
                        if column.name != "id")
    with closing(sqlite3.connect(destination)) as copy:
        copy.execute("ATTACH DATABASE ? AS inbox", (str(inbox),))
        with copy:
            copy.execute(f"INSERT OR IGNORE INTO main.inbox_item ({columns}) "
                         f"SELECT {columns} FROM inbox.inbox_item "
                         "WHERE status IN ('pending', 'working')")
        copy.execute("DETACH DATABASE inbox")
