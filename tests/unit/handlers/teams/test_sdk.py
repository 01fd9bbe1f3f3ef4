"""The Teams SDK's import loads the nearest ``.env`` (searching up from the working directory);
through ``handlers.teams.sdk`` nothing of it reaches the environment or Ragtime's settings.
And its coroutines all run on one long-lived loop."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT
from tests.support.fresh_imports import SERVING, loaded_after

PROBE = """
import json, os, sys
if sys.argv[1] == "guarded":
    import handlers.teams.sdk
else:
    import microsoft_teams.apps
from bot.settings import load_settings
settings = load_settings()
print(json.dumps({"env": {k: os.environ.get(k) for k in ("RAGTIME_TEAMS_APP_ID", "UNRELATED")},
                  "app_id": settings.teams_app_id, "enabled": settings.teams_enabled}))
"""


def probe(tmp_path: Path, how: str) -> dict:
    (tmp_path / ".env").write_text(
        "RAGTIME_TEAMS_APP_ID=3f2504e0-4f89-11d3-9a0c-0305e82c3301\nUNRELATED=leaked\n")
    child = tmp_path / "elsewhere"  # the .env is a parent directory's, not Ragtime's own
    child.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RAGTIME_", "SLACK_")) and k != "UNRELATED"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", PROBE, how], cwd=child, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_unrelated_env_file_never_leaks_a_teams_setting(tmp_path):
    assert probe(tmp_path, "guarded") == {
        "env": {"RAGTIME_TEAMS_APP_ID": None, "UNRELATED": None},
        "app_id": None, "enabled": False}


def test_the_sdk_imported_bare_would_leak_it(tmp_path):
    """The hazard is real: without the guard the SDK puts it in the environment, where
    Ragtime's settings would read it."""
    leaked = probe(tmp_path, "bare")
    assert leaked["env"]["UNRELATED"] == "leaked"
    assert leaked["app_id"] == "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def test_every_coroutine_runs_on_the_one_loop():
    from handlers.teams.sdk import sdk_loop

    async def which() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    loops = {id(sdk_loop().run(which())) for _ in range(3)}
    assert loops == {id(sdk_loop().loop)}
    assert sdk_loop().loop.is_running()


def test_cli_and_slack_processes_never_import_the_sdk():
    """The CLI, the Slack app, the web app and the worker import no Teams SDK by themselves
    (it costs seconds and pulls in FastAPI and MSAL); only a Teams deployment loads it."""
    assert loaded_after(SERVING, ("microsoft_teams", "fastapi", "msal")) == []
