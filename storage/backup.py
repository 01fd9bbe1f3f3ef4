"""Online backups: SQLite through its backup API (safe while the bot runs); PostgreSQL by
pg_dump."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import normalise_url


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
    return target
