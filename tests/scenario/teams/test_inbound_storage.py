"""A Teams message that cannot be stored is never acknowledged: with the database read-only
(its files made immutable while serving) ``POST /api/messages`` answers 503, and once the
database is writable again the Bot Framework's next delivery is stored once."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from storage.inbox_file import inbox_file
from tests.faketeams import FakeIdentity
from tests.scenario.teams.test_inbound_auth import SERVICE_URL, activity, post, stored


def _immutable(database: Path, on: bool) -> None:
    """The database's files and its inbox's, each with its WAL (not the ``-shm`` index SQLite
    maps into memory)."""
    for file in (database, inbox_file(database)):
        for path in (file, file.with_name(file.name + "-wal")):
            if path.exists():
                subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)


def test_a_message_that_cannot_be_stored_gets_a_503_and_its_redelivery_is_stored(
        teams_served, fake_identity: FakeIdentity, sqlite_url: str):
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("making files immutable needs chattr as root")
    server, ctx = teams_served
    token = fake_identity.activity_token(SERVICE_URL)
    assert post(server.url, activity(text="before"), token) == 200
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    probe = subprocess.run(["chattr", "+i", str(database)], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"chattr +i is not permitted here: {probe.stderr!r}")
    body = activity(text="while read-only")
    _immutable(database, True)
    try:
        assert post(server.url, body, token) == 503
    finally:
        _immutable(database, False)

    assert post(server.url, body, token) == 200  # the Bot Framework delivers it again
    assert [item.payload["activity"]["text"] for item in stored(ctx)] == [
        "before", "while read-only"]
