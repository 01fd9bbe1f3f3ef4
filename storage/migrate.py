"""Alembic migrations, applied programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision``; safe to call on every start."""
    command.upgrade(alembic_config(engine), revision)


def current(engine: Engine) -> tuple[str, ...]:
    """The applied revision of each migration branch."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
