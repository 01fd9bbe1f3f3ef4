import shutil

import pytest
from sqlmodel import select

from bot.messaging.inbox import claim, do_one, receive
from storage.backup import BackupError, backup_database, restore_sqlite
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Framework


def test_sqlite_backup_and_restore_round_trip(engine, sqlite_url, tmp_path):
    with session_scope(engine, write=True) as s:
        s.add(Framework(name="Step Up To Great"))
    copy = backup_database(sqlite_url, tmp_path / "backups" / "ragtime.db")
    with session_scope(engine, write=True) as s:
        s.delete(s.exec(select(Framework)).one())
    engine.dispose()
    restore_sqlite(copy, sqlite_url)
    restored = make_engine(sqlite_url)
    with session_scope(restored) as s:
        assert [f.name for f in s.exec(select(Framework))] == ["Step Up To Great"]
    restored.dispose()


def test_missing_sqlite_database_is_a_clear_error(tmp_path):
    with pytest.raises(BackupError, match="no SQLite database"):
        backup_database(f"sqlite:///{tmp_path / 'nope.db'}", tmp_path / "b.db")


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump not installed")
def test_postgres_backup_with_pg_dump(postgres_url, tmp_path):
    eng = make_engine(postgres_url)
    upgrade(eng)
    eng.dispose()
    dump = backup_database(postgres_url, tmp_path / "ragtime.dump")
    assert dump.stat().st_size > 0


def test_the_inbox_file_s_waiting_items_are_in_the_backup(engine, sqlite_url, tmp_path):
    """Acknowledged work not done yet is kept by a backup and comes back with a restore."""
    receive(engine, key="done", kind="work", payload={"n": 2})
    [done] = claim(engine, batch=1)
    do_one(engine, done, lambda _item: None)
    receive(engine, key="waiting", kind="work", payload={"n": 1})
    copy = backup_database(sqlite_url, tmp_path / "backups" / "ragtime.db")
    receive(engine, key="after the backup", kind="work", payload={})
    engine.dispose()

    restore_sqlite(copy, sqlite_url)
    restored = make_engine(sqlite_url)
    [item] = claim(restored, batch=5)
    assert (item.key, item.payload) == ("waiting", {"n": 1})
    restored.dispose()
