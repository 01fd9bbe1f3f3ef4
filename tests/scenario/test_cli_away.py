"""``ragtime away …`` and ``ragtime round extend`` as an operator runs them: a real process on
SQLite and PostgreSQL, the fake Slack for the round's prompts, ``--json`` for scripts and one
clear line for every mistake."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.fakeslack import BOT_TOKEN, FakeSlack, fake_slack  # noqa: F401
from tests.paths import EXAMPLE
from tests.support.cli import one_error_line, ragtime

TODAY = date.today()  # the command line runs on the real clock


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ragtime.db'}"
    return request.getfixturevalue("postgres_url")


def test_away_list_cancel_and_extend_from_the_command_line(
    database, fake_slack: FakeSlack  # noqa: F811
):
    env = {"DATABASE_URL": database, "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_API_URL": fake_slack.api_url, "RAGTIME_GOVERNANCE_CHANNEL": "C0GOVERN"}
    for user, email in {"U0SHARON": "sharon.murphy@example.nhs.uk",
                        "U0SARAH": "sarah.willis@example.nhs.uk"}.items():
        fake_slack.add_user(user, email=email)
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    starts, ends = TODAY - timedelta(days=1), TODAY + timedelta(days=13)

    recorded = ragtime("away", "smurphy", "--from", starts.isoformat(), "--to",
                       ends.strftime("%d %b %Y"), "--cover", "sarah.willis@example.nhs.uk",
                       "--note", "Annual leave", env=env)
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout.startswith("Recorded: Sharon Murphy away ")
    assert "covered by Sarah Willis" in recorded.stdout

    # Sharon is away: opening the round prompts Sarah for Sharon's four deliverables, not her.
    opened = ragtime("round", "open", "2024/25", "Q3", env=env)
    assert opened.returncode == 0, opened.stderr
    dms = [c for c in fake_slack.calls("chat.postMessage")
           if c.params["channel"] in ("U0SHARON", "U0SARAH")]
    to_sarah = [c for c in dms if c.params["channel"] == "U0SARAH"]
    assert not [c for c in dms if c.params["channel"] == "U0SHARON"]
    assert len(to_sarah) == 8  # her own 4 and Sharon's 4, on Sharon's behalf
    covering = [c for c in to_sarah if "covering for Sharon Murphy" in json.dumps(c.params)]
    assert len(covering) == 4

    listed = ragtime("away", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [{
        "person": "smurphy", "name": "Sharon Murphy", "from": starts.isoformat(),
        "to": ends.isoformat(), "back_on": json.loads(listed.stdout)[0]["back_on"],
        "cover": "swillis", "cover_name": "Sarah Willis", "note": "Annual leave",
        "source": "cli"}]
    table = ragtime("away", "list", env=env)
    assert "Sharon Murphy (smurphy)" in table.stdout and "Sarah Willis" in table.stdout

    extended = ragtime("round", "extend", "2024/25", "Q3", "psheldon", "--to",
                       (TODAY + timedelta(days=30)).isoformat(), env=env)
    assert extended.returncode == 0, extended.stderr
    assert extended.stdout.startswith("2024/25 Q3: Paul Sheldon now has until ")

    status = json.loads(ragtime("round", "status", "2024/25 Q3", "--json", env=env).stdout)
    states = {d["title"]: (d["state"], d["away"], d["deadline"])
              for theme in status["themes"] for d in theme["deliverables"]}
    sharons = [value for value in states.values() if value[1]]
    assert len(sharons) == 4 and {s[0] for s in sharons} == {"away, covered"}
    assert sharons[0][1] == [{"name": "Sharon Murphy", "until": ends.isoformat(),
                              "back_on": sharons[0][1][0]["back_on"], "cover": "Sarah Willis"}]
    assert {value[0] for value in states.values() if value[2] != "2025-01-15"} == {"extended"}
    assert [e["person"] for e in status["extensions"]] == ["psheldon"]
    text = ragtime("round", "status", "2024/25 Q3", env=env).stdout
    assert "Sharon Murphy: away " in text and "covered by Sarah Willis" in text
    assert "extended to " in text

    cancelled = ragtime("away", "cancel", "smurphy", env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith("Cancelled: Sharon Murphy away ")
    assert json.loads(ragtime("away", "list", "--json", env=env).stdout) == []
    # Back (cancelled): opening again prompts Sharon herself now.
    ragtime("round", "open", "2024/25 Q3", env=env)
    assert len([c for c in fake_slack.calls("chat.postMessage")
                if c.params["channel"] == "U0SHARON"]) == 4


@pytest.mark.parametrize(("args", "message"), [
    (("away", "nobody", "--from", "2025-08-04", "--to", "2025-08-15"),
     "No person 'nobody' in the framework"),
    (("away", "smurphy", "--from", "4 Augustus", "--to", "2025-08-15"),
     "--from '4 Augustus' is not a date"),
    (("away", "smurphy", "--from", "2025-08-15", "--to", "2025-08-04"),
     "The absence ends (Mon 4 Aug 2025) before it starts (Fri 15 Aug 2025)."),
    (("away", "smurphy", "--from", "2025-08-04", "--to", "2025-08-15", "--cover", "smurphy"),
     "Sharon Murphy cannot cover their own absence"),
    (("away", "cancel", "smurphy"), "Sharon Murphy has no absence now or ahead to cancel."),
    (("round", "extend", "2024/25", "Q3", "smurphy", "--to", "2025-02-01"),
     "No round has been opened for 2024/25 Q3"),
    (("round", "extend", "smurphy", "--to", "2025-02-01"), "give the period and then"),
])
def test_mistakes_get_one_clear_line(tmp_path, args, message):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    result = ragtime(*args, env=env)
    assert result.returncode == 2, result.stdout
    assert message in one_error_line(result)
