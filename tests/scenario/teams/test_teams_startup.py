"""A trust without Slack: ``ragtime serve`` (with its worker child), ``round open`` and the
scheduler start on Teams settings alone, as real processes; the Slack surfaces are not served.
A half set-up Teams stops start-up with one line naming what is missing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from benchmarks.load.servers import free_port
from tests.faketeams import APP_PASSWORD, FakeConnector, FakeIdentity
from tests.paths import EXAMPLE, ROOT
from tests.support.cli import ragtime
from tests.support.teams_world import TeamsUser, TeamsWorld, teams_settings

ALICE = TeamsUser("22222222-bbbb-4bbb-8bbb-000000000001", "Sharon Murphy",
                  "sharon.murphy@example.nhs.uk")


def teams_env(identity: FakeIdentity, database: Path, **extra: str) -> dict[str, str]:
    settings = teams_settings(identity, f"sqlite:///{database}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAGTIME_"))}
    env.update({
        "PYTHONPATH": str(ROOT), "DATABASE_URL": settings.database_url,
        "RAGTIME_TEAMS_APP_ID": settings.teams_app_id or "",
        "RAGTIME_TEAMS_APP_PASSWORD": APP_PASSWORD,
        "RAGTIME_TEAMS_TENANT_ID": settings.teams_tenant_id or "",
        "RAGTIME_TEAMS_LOGIN_URL": identity.login_url,
        "RAGTIME_TEAMS_OPENID_METADATA_URL": identity.metadata_url,
        "RAGTIME_LOG_LEVEL": "INFO", **extra})
    return env


def health(url: str, process: subprocess.Popen[str], until=lambda body: True) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ragtime serve exited early:\n{process.communicate()[0]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                body = json.loads(response.read())
                if until(body):
                    return body
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    pytest.fail("ragtime serve did not answer /healthz in time")


def test_serve_and_its_worker_run_on_teams_alone(fake_identity, fake_connector: FakeConnector,
                                                 tmp_path: Path):
    env = teams_env(fake_identity, tmp_path / "teams.db")
    assert ragtime("import", str(EXAMPLE), env=env, cwd=tmp_path
                   ).returncode == 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "ragtime.cli", "serve", "--host",
                                "127.0.0.1", "--port", str(port)], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health(url, process, until=lambda body: body["workers"]["alive"] == 1)
        world = TeamsWorld(ctx=None, server=None, worker=None,  # type: ignore[arg-type]
                           identity=fake_identity, connector=fake_connector)
        fake_connector.add_member(user_id=ALICE.user_id, aad_object_id=ALICE.aad,
                                  name=ALICE.name, email=ALICE.email)
        install = world.activity(ALICE, "installationUpdate", action="add")
        request = urllib.request.Request(
            f"{url}/api/messages", data=json.dumps(install).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization":
                     f"Bearer {fake_identity.activity_token(fake_connector.service_url)}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        # The worker child (a `ragtime worker` on Teams settings) welcomes her.
        fake_connector.wait_for(lambda fake: fake.sent(ALICE.conversation), timeout=30)
        slack = urllib.request.Request(f"{url}/slack/events", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(slack, timeout=5)
        assert caught.value.code == 404
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "SLACK_BOT_TOKEN" not in output
    assert APP_PASSWORD not in output
    welcome = fake_connector.sent(ALICE.conversation)[0]["attachments"][0]["content"]
    assert "Hello Sharon Murphy." in json.dumps(welcome)


def test_round_open_needs_no_slack_setting(fake_identity, fake_connector, tmp_path: Path):
    env = teams_env(fake_identity, tmp_path / "teams.db")
    assert ragtime("import", str(EXAMPLE), env=env, cwd=tmp_path
                   ).returncode == 0
    opened = ragtime("round", "open", "2024/25 Q3", env=env, cwd=tmp_path)
    assert "SLACK_BOT_TOKEN" not in opened.stdout + opened.stderr
    assert opened.returncode == 0, opened.stdout + opened.stderr
    # Nobody has added Ragtime in Teams yet: each is named as not reachable, not skipped.
    assert "not reachable in Teams yet" in opened.stdout


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["round", "open", "2024/25 Q3"]])
def test_a_half_set_up_teams_is_one_line(fake_identity, tmp_path: Path, command):
    env = teams_env(fake_identity, tmp_path / "teams.db")
    del env["RAGTIME_TEAMS_TENANT_ID"]
    result = ragtime(*command, env=env, cwd=tmp_path, timeout=60)
    assert result.returncode != 0
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert lines[-1].endswith("missing setting(s): RAGTIME_TEAMS_TENANT_ID (see .env.example: "
                              "'Microsoft Teams')"), result.stderr


def test_a_kill_9_right_after_the_200_loses_nothing(fake_identity, fake_connector: FakeConnector,
                                                    tmp_path: Path):
    """The activity is in the inbox before the 200: kill -9 the serving process the moment it
    answers, and a worker started afterwards still does the work."""
    database = tmp_path / "teams.db"
    env = teams_env(fake_identity, database)
    assert ragtime("import", str(EXAMPLE), env=env, cwd=tmp_path).returncode == 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "ragtime.cli", "serve", "--host",
                                "127.0.0.1", "--port", str(port), "--no-worker"], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        health(url, process)
        fake_connector.add_member(user_id=ALICE.user_id, aad_object_id=ALICE.aad,
                                  name=ALICE.name, email=ALICE.email)
        world = TeamsWorld(ctx=None, server=None, worker=None,  # type: ignore[arg-type]
                           identity=fake_identity, connector=fake_connector)
        install = world.activity(ALICE, "installationUpdate", action="add")
        request = urllib.request.Request(
            f"{url}/api/messages", data=json.dumps(install).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization":
                     f"Bearer {fake_identity.activity_token(fake_connector.service_url)}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert status == 200
    assert fake_connector.sent() == []  # nothing done yet: only acknowledged
    worker = subprocess.Popen([sys.executable, "-m", "ragtime.cli", "worker", "--no-scheduler"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        fake_connector.wait_for(lambda fake: fake.sent(ALICE.conversation), timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)
    assert "Hello Sharon Murphy." in json.dumps(fake_connector.sent(ALICE.conversation)[0])
