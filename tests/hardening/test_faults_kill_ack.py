"""``ragtime serve`` killed (``kill -9``) right after Slack got its 200: nothing it acknowledged
is lost. Real processes: ``ragtime round open``, ``ragtime serve --no-worker`` (so the work can
only be in the inbox when the kill lands) and then ``ragtime worker``, against the fake Slack and
a SQLite file; thread replies are signed as Slack signs them."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from benchmarks.load.servers import free_port as _free_port
from storage.db import session_scope
from storage.inbox_file import inbox_engine
from storage.models import InboxItem, OutboxMessage, Update
from tests.fakeslack import FakeSlack
from tests.hardening.test_faults_kill import GOVERNANCE, Q3, finish, ragtime, world  # noqa: F401
from tests.scenario.conftest import JEAN, PAUL, SHARON
from tests.support.slack_requests import SIGNING_SECRET, SlackClientSimulator, dm_message

pytestmark = pytest.mark.slow

REPLIES = {SHARON: (1, "Green - policy adopted"), PAUL: (8, "Green - the estates works are done"),
           JEAN: (11, "Green - on track")}


def _prompt(engine: Engine, user: str, deliverable: int) -> tuple[str, str]:
    with session_scope(engine) as session:
        row = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "prompt", OutboxMessage.deliverable_id == deliverable)).all()
    [prompt] = [r for r in row if r.payload.get("to") == user]
    assert prompt.channel and prompt.ts
    return prompt.channel, prompt.ts


def _wait_until_serving(url: str, process) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("ragtime serve did not start")


def test_replies_acknowledged_just_before_a_kill_are_all_stored_once(
    world: FakeSlack, engine: Engine, sqlite_url: str, tmp_path: Path  # noqa: F811
):
    finish(ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path))
    port = _free_port()
    serve = ragtime("serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port),
                    fake=world, database_url=sqlite_url, cwd=tmp_path,
                    env={"SLACK_SIGNING_SECRET": SIGNING_SECRET})
    url = f"http://127.0.0.1:{port}"
    _wait_until_serving(url, serve)
    slack = SlackClientSimulator(url)

    acks = []
    for user, (deliverable, text) in REPLIES.items():
        channel, prompt_ts = _prompt(engine, user, deliverable)
        ts = f"{time.time():.6f}"
        acks.append(slack.send(dm_message(text, user=user, channel=channel, ts=ts,
                                          thread_ts=prompt_ts)).status)
        if user == PAUL:  # the same message again, under another event id
            acks.append(slack.send(dm_message(text, user=user, channel=channel, ts=ts,
                                              thread_ts=prompt_ts, event_id="Ev0AGAIN")).status)
    serve.kill()  # SIGKILL the moment the last 200 is back
    serve.wait()

    assert acks == [200, 200, 200, 200]
    with session_scope(inbox_engine(engine)) as session:
        waiting = session.exec(select(InboxItem)).all()
    assert len(waiting) == 3  # Paul's message is one message, however often delivered

    worker = ragtime("worker", "--no-scheduler", fake=world, database_url=sqlite_url,
                     cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_stored(engine)) < 3:
            time.sleep(0.1)
        world.wait_for("chat.postMessage", timeout=30)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)

    stored = _stored(engine)
    assert sorted(deliverable for deliverable, _ in stored) == [1, 8, 11]  # each once
    assert any("the estates works are done" in narrative for _, narrative in stored)
    assert worker.returncode == 0, output


def _stored(engine: Engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        return [(u.deliverable_id, u.narrative) for u in session.exec(select(Update)).all()
                if u.source == "thread"]
