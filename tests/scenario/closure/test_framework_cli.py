"""``ragtime framework …`` as an operator runs it: a real process, a real SQLite file, the fake
Slack."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakeslack import BOT_TOKEN, FakeSlack, fake_slack  # noqa: F401
from tests.paths import EXAMPLE
from tests.scenario.closure.conftest import THRIVE_CSV
from tests.support.cli import ragtime


def env_for(tmp_path: Path, fake: FakeSlack) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}",
            "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url,
            "RAGTIME_GOVERNANCE_CHANNEL": "C0GOVERN"}


def test_list_close_and_set_outcomes_from_the_command_line(
        tmp_path: Path, fake_slack: FakeSlack):  # noqa: F811
    env = env_for(tmp_path, fake_slack)
    fake_slack.add_user("U0SHARON", email="sharon.murphy@example.nhs.uk")
    (tmp_path / "thrive.csv").write_text(THRIVE_CSV, encoding="utf-8")
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    assert ragtime("import", str(tmp_path / "thrive.csv"), "--name", "THRIVE",
                   env=env).returncode == 0
    assert ragtime("round", "open", "2024/25 Q3", "--framework", "Step Up To Great",
                   env=env).returncode == 0

    listed = json.loads(ragtime("framework", "list", "--json", env=env).stdout)
    assert listed == [
        {"name": "Step Up To Great", "state": "active", "final_year": None,
         "periods": ["2024/25 Q3"], "deliverables": 17},
        {"name": "THRIVE", "state": "active", "final_year": None, "periods": [],
         "deliverables": 3}]

    early = ragtime("framework", "outcome", "Step Up To Great", "GO-1", "achieved", env=env)
    assert early.returncode == 2
    assert "'Step Up To Great' is not closing" in early.stderr

    closed = ragtime("framework", "close", "Step Up To Great", "--year", "2024/25", env=env)
    assert closed.returncode == 0, closed.stderr
    assert "'Step Up To Great' is now closing: 2024/25 is its final year." in closed.stdout
    assert "The 2024/25 Q4 round is now open" in closed.stdout
    assert "Outcome requests: 4 recorded now, 4 sent" in closed.stdout  # Sharon's, on Slack
    asked = [c for c in fake_slack.calls("chat.postMessage")
             if c.params["channel"] == "U0SHARON" and "is closing" in c.params["text"]]
    assert len(asked) == 4

    table = ragtime("framework", "list", env=env).stdout
    assert "Step Up To Great  closing  2024/25" in " ".join(table.split("\n"))
    assert "2024/25 Q3, 2024/25 Q4" in table

    refused = [
        (("GO-1", "carried"), "Choose the deliverable it is carried forward to."),
        (("GO-1", "stopped"), "Say why it stopped."),
        (("GO-1", "carried", "--to", "GO-2"), "another framework"),
        (("GO-1", "carried", "--to", "THRIVE/NOPE"), "'THRIVE' has no deliverable 'NOPE'"),
        (("GO-99", "achieved"), "'Step Up To Great' has no deliverable 'GO-99'"),
        (("GO-1", "finished"), "Choose an outcome"),
    ]
    for args, says in refused:
        result = ragtime("framework", "outcome", "Step Up To Great", *args, env=env)
        assert result.returncode == 2 and says in result.stderr, (args, result.stderr)

    done = ragtime("framework", "outcome", "Step Up To Great", "GO-1", "carried",
                   "--to", "THRIVE/R-1", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("Step Up To Great GO-1: Carried forward to THRIVE R-1 "
                                   "(version 1).")
    merged = ragtime("framework", "outcome", "Step Up To Great", "GO-2", "merged", "--to",
                     "GO-3", "--reason", "One access programme", env=env)
    assert "Merged into Step Up To Great GO-3: One access programme" in merged.stdout

    outcomes = json.loads(ragtime("framework", "outcomes", "Step Up To Great", "--json",
                                  env=env).stdout)
    assert len(outcomes) == 17
    assert outcomes[0] == {"theme": "Great Outcomes", "deliverable": "GO-1",
                           "title": "Review, update, revise and implement Trust Access Policy",
                           "outcome": "carried", "target": "THRIVE/R-1", "reason": None}
    assert [row["outcome"] for row in outcomes[2:]] == [None] * 15
    shown = ragtime("framework", "outcomes", "Step Up To Great", env=env).stdout
    assert "15 without an outcome: GO-3, GO-4" in shown
