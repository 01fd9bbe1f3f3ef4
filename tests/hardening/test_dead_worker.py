"""A dead worker under ``ragtime serve``: the first worker is forked from the server (sharing its
memory, ``ragtime.worker_fork``); killed with SIGKILL, it is replaced by a new ``ragtime
worker`` process that does the work, and SIGTERM stops the server and whichever worker runs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from benchmarks.load.servers import children_of
from tests.fakeslack import FakeSlack
from tests.hardening.test_faults_kill import Q3, finish, ragtime, world  # noqa: F401
from tests.hardening.test_faults_kill_ack import _free_port
from tests.hardening.test_full_disk import _form, _serve, _stop, _stored, _wait_for
from tests.support.slack_requests import SlackClientSimulator

pytestmark = pytest.mark.slow
SHARON_DM = "D0SHARON"  # the fake Slack's DM channel with U0SHARON


def _command_line(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().rstrip("\0").split("\0")


def _fresh_worker(server: int, forked: int) -> int | None:
    """The server's one child once it is a ``ragtime worker`` started afresh (a process just
    forked shows its parent's command line until it has exec'd)."""
    children = children_of(server)
    if len(children) != 1 or children == [forked]:
        return None
    try:
        started = _command_line(children[0])[-2:] == ["worker", "--no-scheduler"]
    except FileNotFoundError:
        return None
    return children[0] if started else None


def _confirmations(fake: FakeSlack) -> int:
    return sum(1 for call in fake.calls("chat.postMessage")
               if call.params.get("channel") == SHARON_DM
               and str(call.params.get("text") or "").startswith("Recorded Green for"))


def test_a_killed_worker_is_replaced_and_the_work_goes_on(
        world: FakeSlack, sqlite_url: str, tmp_path: Path):  # noqa: F811
    finish(ragtime("round", "open", Q3, fake=world, database_url=sqlite_url, cwd=tmp_path))
    port = _free_port()
    serve = _serve(world, sqlite_url, tmp_path, port)
    slack = SlackClientSimulator(f"http://127.0.0.1:{port}")
    replaced = None
    try:
        [forked] = children_of(serve.pid)
        assert _command_line(forked) == _command_line(serve.pid)  # forked, not started afresh
        assert slack.send(_form(1)[0]).body == ""
        _wait_for(lambda: _confirmations(world) == 1)

        os.kill(forked, signal.SIGKILL)
        _wait_for(lambda: _fresh_worker(serve.pid, forked) is not None)
        replaced = _fresh_worker(serve.pid, forked)
        assert slack.send(_form(2)[0]).body == ""
        _wait_for(lambda: _confirmations(world) == 2)
    finally:
        output = _stop(serve)

    assert serve.returncode == 0, output
    assert f"the worker (pid {forked}) exited with status -9; restarting" in output
    with pytest.raises(ProcessLookupError):  # stopped with the server
        os.kill(replaced or 0, 0)
    assert sorted(_stored(sqlite_url).values()) == [1, 1]
