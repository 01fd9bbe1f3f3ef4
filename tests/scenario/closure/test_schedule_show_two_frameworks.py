"""``ragtime schedule show`` with two frameworks loaded (the old strategy and the new one), as an
operator runs it: without ``--framework`` it asks which framework is meant, naming both, unless
the period given has a round in only one of them; the table then names the framework."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.paths import EXAMPLE
from tests.scenario.closure.conftest import THRIVE_CSV
from tests.scenario.closure.test_framework_cli import env_for
from tests.support.cli import ragtime

ASKS = ("2 frameworks are loaded ('Step Up To Great', 'THRIVE'); name one with "
        "--framework NAME")


def test_schedule_show_says_which_framework_and_asks_when_it_is_ambiguous(
        tmp_path: Path, fake_slack: FakeSlack):  # noqa: F811
    env = env_for(tmp_path, fake_slack)
    (tmp_path / "thrive.csv").write_text(THRIVE_CSV, encoding="utf-8")
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    assert ragtime("import", str(tmp_path / "thrive.csv"), "--name", "THRIVE",
                   env=env).returncode == 0
    for period, framework in (("2024/25 Q4", "Step Up To Great"), ("2025/26 Q1", "THRIVE")):
        opened = ragtime("round", "open", period, "--framework", framework, env=env)
        assert opened.returncode == 0, opened.stderr

    for args in ((), ("2024/25 Q2",)):  # no period, or one neither has a round for: it asks
        asked = ragtime("schedule", "show", *args, env=env)
        assert asked.returncode == 2, asked.stdout
        assert ASKS in " ".join(asked.stderr.split()) and "Traceback" not in asked.stderr

    thrive = ragtime("schedule", "show", "2025/26 Q1", env=env)
    assert thrive.returncode == 0, thrive.stderr
    lines = thrive.stdout.splitlines()
    assert lines[0] == "Round calendar — THRIVE (Europe/London)"
    assert all(line.startswith("2025/26 Q1") for line in lines[2:]) and len(lines) > 3
    sutg = json.loads(ragtime("schedule", "show", "2024/25 Q4", "--json", env=env).stdout)
    assert sutg["framework"] == "Step Up To Great"
    assert {job["period"] for job in sutg["jobs"]} == {"2024/25 Q4"}
    named = ragtime("schedule", "show", "--framework", "thrive", env=env)
    assert named.returncode == 0 and named.stdout.startswith("Round calendar — THRIVE")
