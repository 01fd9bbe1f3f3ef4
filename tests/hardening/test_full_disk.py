"""A full or read-only disk under ``ragtime serve`` on SQLite: nothing acknowledged is lost.

The stand-in for a full disk: ``RLIMIT_FSIZE`` set in the child before exec to the largest
database file + 96 KiB (Python ignores SIGXFSZ, so a write past the limit fails with EFBIG as
it would with ENOSPC). 3,000-character update forms are submitted one after another, signed as
Slack signs them, until Ragtime refuses one. Every form acknowledged (an empty 200: kept in the
inbox for the worker) must be in the database once after a clean stop and a restart without the
limit; the refusal
says Ragtime cannot save (never "out of date"); ``/healthz`` reports the database failing;
governance is told once. The read-only case makes the files immutable (``chattr +i``) while
Ragtime serves.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.db import make_engine, session_scope
from storage.inbox_file import inbox_file
from storage.models import Update
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.hardening.test_faults_kill import GOVERNANCE, Q3, finish, ragtime, world  # noqa: F401
from tests.hardening.test_faults_kill_ack import _free_port, _wait_until_serving
from tests.paths import ROOT
from tests.scenario.conftest import LEAD, SHARON
from tests.support.slack_requests import (
    SIGNING_SECRET,
    SimulatedResponse,
    SlackClientSimulator,
    input_value,
    selected_value,
    view_submission,
)

pytestmark = pytest.mark.slow

HEADROOM = 96 * 1024
NARRATIVE = 3_000
CANNOT_SAVE = "Ragtime cannot save right now, so nothing was recorded"


def _largest_file(database: Path) -> int:
    return max(p.stat().st_size for p in database.parent.glob(database.name + "*"))


def _serve(fake: FakeSlack, database_url: str, cwd: Path, port: int, *,
           file_size_limit: int | None = None) -> subprocess.Popen[str]:
    """``ragtime serve`` (with its worker) as an operator runs it; with ``file_size_limit``,
    ``RLIMIT_FSIZE`` is set in the child before exec (the worker it starts inherits it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAGTIME_"))}
    env.update({"PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "RAGTIME_GOVERNANCE_CHANNEL": GOVERNANCE, "RAGTIME_GOVERNANCE_LEADS": LEAD})

    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    process = subprocess.Popen(
        [sys.executable, "-m", "ragtime.cli", "serve", "--no-scheduler", "--host", "127.0.0.1",
         "--port", str(port)], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, preexec_fn=limit)
    # Read as a log collector would: a pipe nobody reads fills (64 KiB of tracebacks while the
    # disk fails) and every process logging to it blocks, holding whatever it holds.
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout or ()), daemon=True)
    reader.start()
    process.output, process.reader = output, reader  # type: ignore[attr-defined]
    _wait_until_serving(f"http://127.0.0.1:{port}", process)
    return process


def _stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, the exit awaited, and everything the server (and its worker) printed."""
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    process.reader.join(timeout=10)  # type: ignore[attr-defined]
    return "".join(process.output)  # type: ignore[attr-defined]


def _form(n: int, *, text: str | None = None) -> tuple[Any, str]:
    """Sharon's update form for deliverable 1, as Slack posts it when she presses Submit."""
    body = text or "Steady progress on the access policy. " * 100
    narrative = (f"Submission {n:04d}. " + body)[:NARRATIVE].strip()
    values = {
        "rag": {"value": selected_value("green", "static_select")},
        "narrative": {"value": input_value(narrative)},
        "recovery_action": {"value": {"type": "plain_text_input", "value": None}},
        "recovery_date": {"value": {"type": "datepicker", "selected_date": None}},
        "change_reason": {"value": input_value("New figures this week")},
    }
    metadata = json.dumps({"d": 1, "p": "2024-25-Q3"}, separators=(",", ":"))
    return view_submission("update_modal", values, user_id=SHARON, view_id=f"V0DISK{n:05d}",
                           private_metadata=metadata), narrative


def _health(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}")


def _stored(database_url: str) -> Counter[str]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return Counter(u.narrative for u in session.exec(select(Update).where(
                Update.deliverable_id == 1)).all() if u.narrative.startswith("Submission "))
    finally:
        engine.dispose()


def _alerts(fake: FakeSlack) -> list[str]:
    return [str(call.params.get("text") or "") for call in fake.calls("chat.postMessage")
            if call.params.get("channel") == GOVERNANCE
            and "cannot save" in str(call.params.get("text") or "").lower()]


def _refused_as_cannot_save(response: SimulatedResponse) -> None:
    """The form stays open with the reason beside the narrative (never "out of date")."""
    assert response.status == 200, response
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors"
    assert CANNOT_SAVE in answer["errors"]["narrative"]


def _wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_full_disk_never_loses_an_acknowledged_form(
    world: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path  # noqa: F811
):
    finish(ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path))
    engine.dispose()  # the last connection closed: the WAL checkpointed and removed
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve = _serve(world, sqlite_url, tmp_path, port,
                   file_size_limit=_largest_file(database) + HEADROOM)
    slack = SlackClientSimulator(url)
    try:
        acknowledged: list[str] = []
        for n in range(400):
            request, narrative = _form(n)
            response = slack.send(request)
            if response.status == 200 and response.body == "":
                acknowledged.append(narrative)
                continue
            _refused_as_cannot_save(response)
            break
        else:
            pytest.fail("the disk never filled")
        assert acknowledged, "the very first form was refused: the limit is too tight"

        status, health = _health(url)
        assert status == 503 and health["database"] == "failing", health
        assert health["problem"] in ("the disk is full", "the disk reports I/O errors")
        _wait_for(lambda: _alerts(world))
        for n in range(400, 403):  # still full: refused again, governance not told again
            _refused_as_cannot_save(slack.send(_form(n)[0]))
        time.sleep(6)  # more than one of the watchdog's database looks
        assert len(_alerts(world)) == 1, _alerts(world)
    finally:
        _stop(serve)

    restarted = _serve(world, sqlite_url, tmp_path, port)  # the disk freed: no limit
    try:
        assert _health(url)[0] == 200
        # Each acknowledged form waited in the inbox for the worker, however long the disk
        # stayed full: stored once it is not.
        _wait_for(lambda: _stored(sqlite_url) == Counter(acknowledged), timeout=60)
    finally:
        _stop(restarted)
    stored = _stored(sqlite_url)
    assert stored == Counter(acknowledged), (len(stored), len(acknowledged))


def _immutable(database: Path, on: bool) -> None:
    """The database's file and its inbox's, each with its WAL, made immutable (or writable
    again). Not the ``-shm`` index: SQLite maps it into memory, and a store into a mapped
    immutable file is a SIGBUS."""
    for file in (database, inbox_file(database)):
        for path in (file, file.with_name(file.name + "-wal")):
            if path.exists():
                subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True)


def test_a_read_only_database_says_it_cannot_save_and_tells_governance_once(
    world: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path  # noqa: F811
):
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("making files immutable needs chattr as root")
    finish(ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path))
    engine.dispose()
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve = _serve(world, sqlite_url, tmp_path, port)
    slack = SlackClientSimulator(url)
    try:
        request, first = _form(1)
        assert slack.send(request).body == ""
        _wait_for(lambda: _stored(sqlite_url) == Counter([first]))  # the worker stored it
        probe = subprocess.run(["chattr", "+i", str(database)], capture_output=True, check=False)
        if probe.returncode != 0:
            pytest.skip(f"chattr +i is not permitted here: {probe.stderr!r}")
        _immutable(database, True)
        try:
            _refused_as_cannot_save(slack.send(_form(2)[0]))
            status, health = _health(url)
            assert status == 503 and health["database"] == "failing", health
            _wait_for(lambda: _alerts(world))
            _refused_as_cannot_save(slack.send(_form(3)[0]))
            time.sleep(6)
            assert len(_alerts(world)) == 1, _alerts(world)
        finally:
            _immutable(database, False)
        _wait_for(lambda: _health(url)[0] == 200, timeout=30)  # writable again: well again
        request, last = _form(4)
        assert slack.send(request).body == ""
        _wait_for(lambda: _stored(sqlite_url) == Counter([first, last]))
    finally:
        _stop(serve)
    assert _stored(sqlite_url) == Counter([first, last])
