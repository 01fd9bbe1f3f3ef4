"""``ragtime serve --socket`` as deployed: Slack over the socket, ``GET /healthz`` on ``--port``
(and no ``/slack/events``), a refused app-level token stopping start-up, SIGTERM stopping it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.settings import SettingsError
from ragtime.app import create_app
from ragtime.socket_mode import SocketModeServer
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.fakeslack.socket_mode import FakeSocketMode
from tests.paths import ROOT
from tests.scenario.test_startup import _free_port, _wait_for_health
from tests.support.slack_requests import app_home_opened
from tests.support.socket_app import SocketServedApp, envelope_of, socket_settings

SERVE = textwrap.dedent("""
    import sys
    from ragtime.app import run_server
    from ragtime.supervision import Supervisor
    from bot.settings import load_settings

    run_server(load_settings(), host="127.0.0.1", port=int(sys.argv[1]), socket=True,
               start_worker=lambda: Supervisor().start())
""")


def _post(url: str) -> int:
    request = urllib.request.Request(url, data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_socket_answers_over_the_socket_and_health_on_the_port(
    fake_slack: FakeSlack, socket_mode: FakeSocketMode, tmp_path: Path
):
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": fake_slack.app_token,
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "RAGTIME_GOVERNANCE_CHANNEL": "C0GOVERN",
        "RAGTIME_LOG_LEVEL": "DEBUG",
    }
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = _wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        socket_mode.wait_connected(timeout=20)
        ack = socket_mode.deliver(*envelope_of(app_home_opened("U0SRO0001")), timeout=20)
        fake_slack.wait_for("views.publish", timeout=30)  # by the worker child
        events = _post(f"http://127.0.0.1:{port}/slack/events")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()

    assert health["ok"] is True and health["database"] == "ok"
    assert ack.payload is None
    assert events == 404  # Slack reaches this process only over the socket
    assert process.returncode == 0, output
    assert "Ragtime health check on http://127.0.0.1" in output
    assert "Socket Mode: connected to Slack" in output
    assert BOT_TOKEN not in output and fake_slack.app_token not in output
    assert "ticket=" not in output


def test_health_in_socket_mode_is_the_database_check(served: SocketServedApp):
    with urllib.request.urlopen(served.url + "/healthz", timeout=5) as response:
        health = json.loads(response.read())
    assert (health["ok"], health["database"], health["worker"]) == (True, "ok", "ok")
    assert _post(served.url + "/slack/events") == 404


def test_an_app_token_slack_refuses_stops_start_up(
    fake_slack: FakeSlack, socket_mode: FakeSocketMode, sqlite_url: str, engine: Engine
):
    settings = socket_settings(fake_slack, sqlite_url, slack_app_token="xapp-1-revoked")
    app, _ctx = create_app(settings, engine=engine, socket=True)
    server = SocketModeServer(app, "xapp-1-revoked")
    try:
        with pytest.raises(SettingsError, match="SLACK_APP_TOKEN") as refused:
            server.start()
    finally:
        server.stop()
        app.listener_runner.listener_executor.shutdown(wait=True, cancel_futures=True)

    assert "invalid_auth" in str(refused.value) and "xapp-1-revoked" not in str(refused.value)
    assert not socket_mode.connections()
