"""The ``ragtime`` command as a user runs it: a real process, real files, the fake Slack."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from tests.fakeslack import BOT_TOKEN, FakeSlack, fake_slack  # noqa: F401
from tests.paths import EXAMPLE


def ragtime(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SLACK_", "RAGTIME_GOVERNANCE"))}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "ragtime.cli", *args], capture_output=True,
                          text=True, env=environment, cwd=cwd, timeout=180, check=False)


def test_demo_writes_every_format_with_the_seed_table(tmp_path):
    out = tmp_path / "demo"
    result = ragtime("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "All themes" in result.stdout and "17" in result.stdout
    written = {p.suffix for p in out.iterdir()}
    assert {".md", ".html", ".docx", ".pdf", ".png", ".db"} <= written
    markdown = (out / "sutg-2024-25-Q2.md").read_text()
    assert "Review, update, revise and implement Trust Access Policy" in markdown
    assert "Sharon Murphy" in markdown and "Bhanu Chadalavada" in markdown
    document = Document(str(out / "sutg-2024-25-Q2.docx"))
    cells = " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "Health Inequalities" in cells and "Amber" in cells
    assert len(PdfReader(out / "sutg-2024-25-Q2.pdf").pages) >= 4


def test_import_export_and_compile_on_a_configured_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    imported = ragtime("import", str(EXAMPLE), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "deliverables 17 created" in " ".join(imported.stdout.split())
    again = ragtime("import", str(EXAMPLE), env=env)
    assert again.returncode == 0, again.stderr
    assert "unchanged: 4 themes, 7 people, 17 deliverables" in " ".join(again.stdout.split())

    exported = ragtime("export", "2024-25-Q2", "--format", "json", env=env)
    assert exported.returncode == 0, exported.stderr
    rows = json.loads(exported.stdout)
    assert len(rows) == 17 and all(row["rag"] is None for row in rows)  # no updates imported
    assert set(rows[0]) >= {"period", "theme", "area", "deliverable", "sros", "rag",
                            "narrative", "submitted_by", "submitted_at"}

    as_csv = ragtime("export", "Q2 2024/25", "--format", "csv", env=env)
    assert len(list(csv.DictReader(io.StringIO(as_csv.stdout)))) == 17

    compiled = ragtime("compile", "2024/25 Q2", "--out", str(tmp_path / "out"),
                       "--format", "md,html", "--meeting", "Trust Board", env=env)
    assert compiled.returncode == 0, compiled.stderr
    markdown = (tmp_path / "out" / "sutg-2024-25-Q2.md").read_text()
    assert "Trust Board" in markdown and "No update" in markdown


def test_several_frameworks_are_named_with_framework_and_import_name(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    plan = tmp_path / "plan-v3-final.csv"
    plan.write_text("theme,area,deliverable,sro_name,sro_title,sro_email\n"
                    "Great Care,Safety,Safer wards,Ann Lee,Director,ann@example.org\n")
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    named = ragtime("import", str(plan), "--name", "Our Plan", env=env)
    assert named.returncode == 0, named.stderr
    assert "framework 'Our Plan' created" in named.stdout  # not the file's name

    expected = ("2 frameworks are loaded ('Step Up To Great', 'Our Plan'); name one with "
                "--framework NAME")
    for args in (("compile", "2024/25 Q2", "--out", str(tmp_path), "--format", "md"),
                 ("export", "2024/25 Q2"), ("round", "status", "2024/25 Q2"),
                 ("schedule", "show")):
        result = ragtime(*args, env=env)
        assert result.returncode == 2, args
        assert expected in " ".join(result.stderr.split()), args
        assert len(result.stderr.strip().splitlines()) <= 2 and "Traceback" not in result.stderr

    exported = ragtime("export", "2024/25 Q2", "--framework", "Our Plan", env=env)
    assert exported.returncode == 0, exported.stderr
    assert [row["ref"] for row in json.loads(exported.stdout)] == ["GC-1"]
    status = ragtime("round", "status", "2024/25 Q2", "--framework", "Step Up To Great",
                     env=env)
    assert status.returncode == 0 and "0 of 17 deliverables answered" in status.stdout
    assert "outstanding: GO-1 " in status.stdout
    compiled = ragtime("compile", "2024/25 Q2", "--out", str(tmp_path / "out"), "--format",
                       "md", "--framework", "Our Plan", env=env)
    assert compiled.returncode == 0, compiled.stderr
    assert "#### GC-1 Safer wards" in (tmp_path / "out" / "our-plan-2024-25-Q2.md").read_text()
    shown = ragtime("schedule", "show", "--framework", "Our Plan", env=env)
    assert shown.returncode == 0, shown.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("compile", "2024/25 Q9"), "is not a period"),
    (("export", "2024/25 Q2", "--format", "xml"), "unknown export format"),
    (("compile", "2024/25 Q2", "--format", "odt"), "unknown format"),
    (("import", "nowhere.yaml"), "nowhere.yaml"),
    (("round", "open", "2024/25 Q3"), "SLACK_BOT_TOKEN"),
])
def test_bad_input_gets_one_clear_line_and_exit_code_2(tmp_path, args, message):
    result = ragtime(*args, env={"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"},
                     cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_round_open_prompts_every_sro_once_and_reports_who_is_missing(
    tmp_path, fake_slack: FakeSlack  # noqa: F811
):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}",
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake_slack.api_url,
           "RAGTIME_GOVERNANCE_CHANNEL": "C0GOVERN"}
    for user, email in {"U0SHARON": "sharon.murphy@example.nhs.uk",
                        "U0SARAH": "sarah.willis@example.nhs.uk"}.items():
        fake_slack.add_user(user, email=email)
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0

    first = ragtime("round", "open", "2024/25 Q3", env=env)
    assert first.returncode == 0, first.stderr
    assert "Bhanu Chadalavada" in first.stdout  # not in this Slack: reported, not skipped
    posted = fake_slack.calls("chat.postMessage")
    dms = [c for c in posted if c.params["channel"] in ("U0SHARON", "U0SARAH")]
    assert len(dms) == 8  # Sharon's 4 Access deliverables, Sarah's 4

    second = ragtime("round", "open", "2024/25 Q3", env=env)
    assert second.returncode == 0, second.stderr
    again = [c for c in fake_slack.calls("chat.postMessage")
             if c.params["channel"] in ("U0SHARON", "U0SARAH")]
    assert len(again) == 8  # opening twice sends nothing twice

    status = ragtime("round", "status", "2024/25 Q3", env=env)
    assert "0 of 17 deliverables answered" in status.stdout



def test_compile_post_names_the_framework_when_there_are_several(
    tmp_path, fake_slack: FakeSlack  # noqa: F811
):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}",
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake_slack.api_url,
           "RAGTIME_GOVERNANCE_CHANNEL": "C0GOVERN"}
    plan = tmp_path / "plan.csv"
    plan.write_text("theme,area,deliverable,sro_name,sro_title,sro_email\n"
                    "Great Care,Safety,Safer wards,Ann Lee,Director,ann@example.org\n")
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    assert ragtime("import", str(plan), "--name", "Our Plan", env=env).returncode == 0
    opened = ragtime("round", "open", "2024/25 Q3", "--framework", "Our Plan", env=env)
    assert opened.returncode == 0, opened.stderr
    before = len(fake_slack.calls("chat.postMessage"))  # the round's notices

    unnamed = ragtime("compile", "2024/25 Q3", "--post", "--format", "md", "--out",
                      str(tmp_path), env=env)
    assert unnamed.returncode == 2 and "Traceback" not in unnamed.stderr
    assert ("2 frameworks are loaded ('Step Up To Great', 'Our Plan'); name one with "
            "--framework NAME") in " ".join(unnamed.stderr.split())
    assert len(fake_slack.calls("chat.postMessage")) == before

    posted = ragtime("compile", "2024/25 Q3", "--post", "--framework", "Our Plan",
                     "--format", "md", "--out", str(tmp_path / "out"), env=env)
    assert posted.returncode == 0, posted.stderr
    assert "2024/25 Q3: draft posted to C0GOVERN" in posted.stdout
    assert "#### GC-1 Safer wards" in (tmp_path / "out" / "our-plan-2024-25-Q3.md").read_text()
    [summary] = [c for c in fake_slack.calls("chat.postMessage")[before:]
                 if not c.params.get("thread_ts")]
    assert summary.params["channel"] == "C0GOVERN"
    assert "Our Plan" in str(summary.params.get("blocks"))


def test_schedule_show_lists_the_quarter_on_working_days(tmp_path):
    result = ragtime("schedule", "show", "2024/25 Q3",
                     env={"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
                          "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "Fri 20 Dec 2024" in result.stdout  # prompts open before Christmas
    assert "Wed 15 Jan 2025" in result.stdout  # deadline after the New Year bank holiday
    assert "Sat" not in result.stdout and "Sun" not in result.stdout


@pytest.mark.parametrize("when", ["next tuesday", "2026-13-01"])
def test_a_cover_date_that_is_not_a_date_is_refused_in_one_line(tmp_path, when):
    result = ragtime("compile", "2024/25 Q2", "--date", when, "--format", "md",
                     env={"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert '"Date submitted" must be a date' in result.stderr and when in result.stderr
    assert not list(tmp_path.glob("*.md"))
