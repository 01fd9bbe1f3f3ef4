"""Start-up: settings checked with clear messages; ``run_server`` serves and stops on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy.engine import Engine

from benchmarks.load.servers import free_port as _free_port
from bot.settings import SettingsError
from handlers.slack.gateway import make_web_client
from ragtime.app import create_app
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.paths import ROOT
from tests.support.served_app import settings_for
from tests.support.slack_requests import SIGNING_SECRET, SlackClientSimulator


def test_missing_signing_secret_is_named(fake_slack: FakeSlack, sqlite_url: str):
    settings = settings_for(fake_slack, sqlite_url, slack_signing_secret=None)

    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        create_app(settings)


def test_socket_mode_needs_an_app_token(fake_slack: FakeSlack, sqlite_url: str):
    settings = settings_for(fake_slack, sqlite_url)

    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        create_app(settings, socket=True)


def test_a_token_slack_refuses_stops_start_up(fake_slack: FakeSlack, sqlite_url: str,
                                              engine: Engine):
    settings = settings_for(fake_slack, sqlite_url, slack_bot_token="xoxb-revoked")

    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN") as refused:
        create_app(settings, engine=engine)

    assert "xoxb-revoked" not in str(refused.value)


SERVE = textwrap.dedent("""
    import pathlib, sys
    from ragtime.app import run_server
    from ragtime.supervision import Supervisor
    from bot.settings import load_settings

    marks = pathlib.Path(sys.argv[2])

    class Worker(Supervisor):
        def stop(self, timeout=15.0):
            (marks / "worker-pid").write_text(str(self.pid))
            super().stop(timeout)

    run_server(load_settings(), host="127.0.0.1", port=int(sys.argv[1]), socket=False,
               start_worker=lambda: Worker().start())
""")


def test_run_server_acks_its_worker_child_does_the_work_and_both_stop_on_sigterm(
    fake_slack: FakeSlack, tmp_path: Path
):
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "RAGTIME_GOVERNANCE_CHANNEL": "C0GOVERN",
        "RAGTIME_LOG_LEVEL": "DEBUG",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port), str(tmp_path)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        home = SlackClientSimulator(f"http://127.0.0.1:{port}").open_home("U0SRO0001")
        fake_slack.wait_for("views.publish", timeout=30)  # by the worker child
        alive = _wait_for_health(f"http://127.0.0.1:{port}/healthz", process,
                                 until=lambda body: body["workers"]["alive"] == 1
                                 and body["inbox"]["pending"] == 0)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert health["ok"] is True and health["database"] == "ok"
    assert alive["worker"] == "ok" and alive["inbox"]["pending"] == 0
    assert home.status == 200
    assert process.returncode == 0, output
    worker_pid = int((tmp_path / "worker-pid").read_text())
    with pytest.raises(ProcessLookupError):  # stopped with the server
        os.kill(worker_pid, 0)
    assert "Ragtime listening on http://127.0.0.1" in output
    assert f"worker {socket.gethostname()}:" in output and " started" in output
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output


def _wait_for_health(url: str, process: subprocess.Popen[str],
                     until: Callable[[dict[str, Any]], bool] = lambda _body: True
                     ) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{process.communicate()[0]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body = json.loads(response.read())
                if until(body):
                    return body
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)
    pytest.fail("server did not answer /healthz as expected within 30s")


def test_socket_mode_needs_no_signing_secret(fake_slack: FakeSlack, sqlite_url: str,
                                             engine: Engine):
    settings = settings_for(fake_slack, sqlite_url, slack_signing_secret=None,
                            slack_app_token="xapp-1-A0RAGTIME-1-abc")

    app, ctx = create_app(settings, engine=engine, socket=True)

    assert ctx.settings is settings and app.client.base_url == fake_slack.api_url


def test_unreachable_slack_stops_start_up(fake_slack: FakeSlack, sqlite_url: str,
                                          engine: Engine):
    settings = settings_for(fake_slack, sqlite_url)
    client = make_web_client(settings, retry_interval=FixedValueRetryIntervalCalculator(0.01))
    fake_slack.stop()

    with pytest.raises(SettingsError, match="cannot reach Slack at SLACK_API_URL"):
        create_app(settings, engine=engine, client=client)
