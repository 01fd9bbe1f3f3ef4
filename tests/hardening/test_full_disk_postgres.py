"""A full disk under ``ragtime serve`` on PostgreSQL: the same promise as on SQLite.

The database lives in a tablespace on a small filesystem of its own (a tmpfs mounted with
``size=``; needs root): the data files fill it while the server's WAL, elsewhere, does not.
PostgreSQL then refuses the write that would extend a file (``could not extend file … No space
left on device``, SQLSTATE 53100) inside the transaction, so the commit never happens. Forms are
submitted until one is refused: it must say Ragtime cannot save, ``/healthz`` must report the
database failing, governance is told once, and after the disk is given room every form that was
acknowledged (kept in the inbox for the worker) is stored once.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.framework.example import load_example
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from tests.fakeslack import FakeSlack
from tests.hardening.postgres_cluster import PostgresCluster
from tests.hardening.test_faults_kill import Q3, finish, ragtime
from tests.hardening.test_faults_kill_ack import _free_port
from tests.hardening.test_full_disk import (
    _alerts,
    _form,
    _health,
    _refused_as_cannot_save,
    _serve,
    _stop,
    _stored,
    _wait_for,
)
from tests.scenario.conftest import IN_SLACK

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

HEADROOM = 256 * 1024


def _mount(folder: Path, size: int) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                    str(folder)], check=True, capture_output=True)


def _resize(folder: Path, size: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True,
                   capture_output=True)


def _used(folder: Path) -> int:
    stat = os.statvfs(folder)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize


@pytest.fixture
def small_disk() -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root")
    folder = Path(tempfile.mkdtemp(prefix="ragtime-small-disk-"))
    try:
        _mount(folder, 64 * 1024 * 1024)
    except subprocess.CalledProcessError as error:
        folder.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {error.stderr!r}")
    shutil.chown(folder, "postgres")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _words(seed: int, length: int) -> str:
    """Text PostgreSQL cannot compress away (the narrative takes its room on the disk)."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
                    for _ in range(length // 7))


def test_a_full_tablespace_never_loses_an_acknowledged_form(
    own_postgres: PostgresCluster, small_disk: Path, fake_slack: FakeSlack, tmp_path: Path
):
    admin = make_engine(own_postgres.url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE TABLESPACE small LOCATION '{small_disk}'"))
        connection.execute(text('CREATE DATABASE "fulldisk" TABLESPACE small'))
    url = own_postgres.url.rsplit("/", 1)[0] + "/fulldisk"
    try:
        engine = make_engine(url)
        upgrade(engine)
        with session_scope(engine, write=True) as session:
            load_example(session)
        engine.dispose()
        for user, email in IN_SLACK.items():
            fake_slack.add_user(user, email=email)
        finish(ragtime("round", "open", Q3, fake=fake_slack, database_url=url, cwd=tmp_path))
        time.sleep(0.5)
        _resize(small_disk, _used(small_disk) + HEADROOM)  # the disk nearly full

        port = _free_port()
        serve = _serve(fake_slack, url, tmp_path, port)
        slack_url = f"http://127.0.0.1:{port}"
        from tests.support.slack_requests import SlackClientSimulator

        slack = SlackClientSimulator(slack_url)
        acknowledged: list[str] = []
        try:
            for n in range(2_000):
                request, narrative = _form(n, text=_words(n, 3_000))
                response = slack.send(request)
                if response.status == 200 and response.body == "":
                    acknowledged.append(narrative)
                    continue
                _refused_as_cannot_save(response)
                break
            else:
                pytest.fail("the tablespace never filled")
            assert acknowledged
            status, health = _health(slack_url)
            assert status == 503 and health["database"] == "failing", health
            assert health["problem"] == "the disk is full"
            _wait_for(lambda: _alerts(fake_slack))
            _refused_as_cannot_save(slack.send(_form(5_000, text=_words(5_000, 3_000))[0]))
            time.sleep(6)
            assert len(_alerts(fake_slack)) == 1, _alerts(fake_slack)

            _resize(small_disk, 64 * 1024 * 1024)  # room again: well again, without a restart
            _wait_for(lambda: _health(slack_url)[0] == 200, timeout=30)
            # Each acknowledged form waited in the inbox for the worker: stored once there is
            # room, without a restart.
            _wait_for(lambda: _stored(url) == Counter(acknowledged), timeout=60)
        finally:
            _stop(serve)
        assert _stored(url) == Counter(acknowledged)
    finally:
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "fulldisk" WITH (FORCE)'))
            connection.execute(text("DROP TABLESPACE IF EXISTS small"))
        admin.dispose()
