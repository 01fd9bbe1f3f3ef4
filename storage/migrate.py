"""Alembic migrations, applied programmatically (no alembic.ini needed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision``; safe to call on every start. A database at the heads
    already is only read (Alembic would load every migration script again to find that out)."""
    if revision == "heads" and current(engine) == heads():
        return
    command.upgrade(alembic_config(engine), revision)


@cache
def heads() -> tuple[str, ...]:
    """The newest revision of each migration branch, as the scripts say."""
    return tuple(sorted(ScriptDirectory(str(MIGRATIONS)).get_heads()))


def current(engine: Engine) -> tuple[str, ...]:
    """The applied revision of each migration branch."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
