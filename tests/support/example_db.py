"""The bundled example in a test's database, as ``load_example`` puts it there.

On a SQLite file the example is loaded once per test process into a template, and each test's
file is replaced by a copy of it (the engine's connections closed first): loading it parses the
YAML and writes some 300 rows, 0.1 s of CPU in each of hundreds of tests. PostgreSQL
databases load it as before.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.framework.example import load_example
from storage.db import is_sqlite, make_engine, session_scope, sqlite_file
from storage.migrate import upgrade

_templates: list[Path] = []


def load_example_into(engine: Engine) -> None:
    """``load_example`` into ``engine``'s database, which is migrated and holds nothing yet."""
    target = sqlite_file(engine.url) if is_sqlite(engine) else None
    if target is None:
        with session_scope(engine, write=True) as session:
            load_example(session)
        return
    engine.dispose()  # no connection may hold the file that is replaced
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(_template(), target)


def _template() -> Path:
    if not _templates:
        folder = tempfile.mkdtemp(prefix="ragtime-example-")
        atexit.register(shutil.rmtree, folder, True)
        path = Path(folder) / "example.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with session_scope(engine, write=True) as session:
            load_example(session)
        engine.dispose()  # the last connection checkpoints the WAL into the file
        _templates.append(path)
    return _templates[0]
