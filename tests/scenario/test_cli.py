"""The ``ragtime`` command as a user runs it: a real process, real files, the fake Slack."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from tests.fakeslack import BOT_TOKEN, FakeSlack, fake_slack  # noqa: F401
from tests.paths import EXAMPLE
from tests.support.cli import one_error_line, ragtime


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
    assert status.returncode == 0 and "0 of 17 deliverables have an update" in status.stdout
    assert "no update: GO-1 " in status.stdout
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

    second = ragtime("round", "open", "2024/25", "Q3", env=env)  # unquoted: two words
    assert second.returncode == 0, second.stderr
    again = [c for c in fake_slack.calls("chat.postMessage")
             if c.params["channel"] in ("U0SHARON", "U0SARAH")]
    assert len(again) == 8  # opening twice sends nothing twice

    status = ragtime("round", "status", "2024/25 Q3", env=env)
    assert "0 of 17 deliverables answered" in status.stdout

    reminded = ragtime("round", "remind", "2024/25", "Q3", env=env)
    assert reminded.returncode == 0, reminded.stderr



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
    for name in ("Our Plan", "Step Up To Great"):  # both have a Q3 round: ambiguous
        opened = ragtime("round", "open", "2024/25 Q3", "--framework", name, env=env)
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
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "COLUMNS": "200"}
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    result = ragtime("schedule", "show", "2024/25 Q3", env=env)
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


# ------------------------------------------------------------------ operator errors
# Each: one line on stderr, exit status 2, and no file created.

READ_ONLY = [("compile", "2024/25", "Q2", "--format", "md"), ("export", "2024/25", "Q2"),
             ("round", "status", "2024/25", "Q2"), ("schedule", "show")]


def files_in(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


BAD_URLS = [
    ("nonsense", "DATABASE_URL: 'nonsense' is not a database URL"),
    ("postgresql://ragtime:s3cret@db:notaport/ragtime", "is not a database URL"),
    ("mysql://ragtime@db/ragtime", "is neither SQLite nor PostgreSQL"),
    ("sqlite:///", "names no database file"),
    ("postgresql://ragtime:s3cret@127.0.0.1:1/ragtime",
     "DATABASE_URL: cannot connect to postgresql://ragtime:***@127.0.0.1:1/ragtime"),
]


@pytest.mark.parametrize(("url", "says", "args"), [
    *[(url, says, ("round", "status", "2024/25", "Q2")) for url, says in BAD_URLS],
    *[(*BAD_URLS[0], args) for args in [("import", str(EXAMPLE)), ("db", "upgrade"),
                                        *READ_ONLY]],
    (*BAD_URLS[-1], ("import", str(EXAMPLE))),
])
def test_a_malformed_or_unreachable_database_url_is_one_line_naming_it(tmp_path, url, says,
                                                                         args):
    result = ragtime(*args, env={"DATABASE_URL": url}, cwd=tmp_path)
    line = one_error_line(result)
    assert says in line and "DATABASE_URL" in line
    assert "s3cret" not in result.stderr + result.stdout
    assert files_in(tmp_path) == set()


@pytest.mark.parametrize("args", [*READ_ONLY, ("round", "open", "2024/25", "Q3"),
                                  ("round", "remind", "2024/25", "Q3")])
def test_read_only_commands_never_create_a_missing_sqlite_file(tmp_path, args):
    missing = tmp_path / "typo" / "ragtime.db"
    result = ragtime(*args, env={"DATABASE_URL": f"sqlite:///{missing}",
                                 "SLACK_BOT_TOKEN": BOT_TOKEN}, cwd=tmp_path)
    assert one_error_line(result) == (
        f"error: DATABASE_URL: there is no database at {missing} (the file does not exist); "
        "check the setting, or import a framework first")
    assert files_in(tmp_path) == set()


@pytest.mark.parametrize("args", [*READ_ONLY, ("schedule", "show", "2024/25", "Q3"),
                                  ("round", "open", "2024/25", "Q3"),
                                  ("round", "remind", "2024/25", "Q3")])
def test_no_framework_is_exit_status_2_in_every_command(tmp_path, args,
                                                        fake_slack: FakeSlack):  # noqa: F811
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}",
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake_slack.api_url}
    assert ragtime("db", "upgrade", env=env).returncode == 0
    before = files_in(tmp_path)
    line = one_error_line(ragtime(*args, env=env, cwd=tmp_path))
    assert "no framework" in line.lower() and "ragtime import FILE" in line
    assert files_in(tmp_path) == before
    assert fake_slack.calls("chat.postMessage") == []


@pytest.fixture
def imported(tmp_path) -> dict[str, str]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0
    return env


@pytest.mark.parametrize("command", ["compile", "demo"])
def test_out_pointing_at_a_file_is_one_line(tmp_path, imported, command):
    a_file = tmp_path / "report.pdf"
    a_file.write_text("not a folder")
    before = files_in(tmp_path)
    for out in (a_file, a_file / "inside"):
        args = ("compile", "2024/25", "Q2") if command == "compile" else ("demo",)
        line = one_error_line(ragtime(*args, "--out", str(out), env=imported, cwd=tmp_path))
        assert line == f"error: --out {out}: {a_file} is a file, not a folder"
    assert files_in(tmp_path) == before


@pytest.mark.parametrize("command", ["compile", "demo"])
def test_out_in_a_place_nobody_may_write_is_one_line(tmp_path, imported, command):
    out = Path("/sys/ragtime-report")  # sysfs: not even root may make folders there
    args = ("compile", "2024/25", "Q2") if command == "compile" else ("demo",)
    before = files_in(tmp_path)
    line = one_error_line(ragtime(*args, "--out", str(out), env=imported, cwd=tmp_path))
    assert line.startswith(f"error: --out {out}: cannot ")
    assert not out.exists() and files_in(tmp_path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_out_in_a_read_only_folder_is_one_line(tmp_path, imported):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    line = one_error_line(ragtime("compile", "2024/25", "Q2", "--out", str(locked / "papers"),
                                  env=imported, cwd=tmp_path))
    assert line == (f"error: --out {locked / 'papers'}: cannot write in {locked} "
                    "(permission denied)")
    assert list(locked.iterdir()) == []


NO_PANGO = '''
import sys

class NoPango:
    """WeasyPrint fails to import as it does on a machine without pango."""

    def find_spec(self, name, path=None, target=None):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open "
                          "shared object file: No such file or directory")
        return None

sys.meta_path.insert(0, NoPango())
'''


def without_pango(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "no-pango"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_PANGO)
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_without_pango_the_demo_writes_markdown_html_and_word_and_says_how_to_get_the_pdf(
    tmp_path,
):
    out = tmp_path / "demo"
    result = ragtime("demo", "--out", str(out), env=without_pango(tmp_path))
    line = one_error_line(result)
    assert line.startswith("error: no PDF written: WeasyPrint cannot load pango")
    assert ("sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
            in line)
    assert {p.name for p in out.iterdir() if not p.name.startswith("ragtime-demo.db")} == {
        "sutg-2024-25-Q2.md", "sutg-2024-25-Q2.html", "sutg-2024-25-Q2.docx",
        "sutg-2024-25-Q2-chart.png", "sutg-2024-25-Q2-baf.png"}
    assert "All themes" in result.stdout and "sutg-2024-25-Q2.docx" in result.stdout
    assert "Sharon Murphy" in (out / "sutg-2024-25-Q2.html").read_text()


def test_without_pango_compile_writes_the_other_formats_and_a_pdf_alone_writes_nothing(
    tmp_path, imported,
):
    env = {**imported, **without_pango(tmp_path)}
    out = tmp_path / "papers"
    line = one_error_line(ragtime("compile", "2024/25", "Q2", "--out", str(out), env=env))
    assert "install it (Debian/Ubuntu" in line
    assert {p.suffix for p in out.iterdir()} == {".md", ".html", ".docx", ".png"}
    alone = tmp_path / "pdf-only"
    line = one_error_line(ragtime("compile", "2024/25", "Q2", "--format", "pdf", "--out",
                                  str(alone), env=env))
    assert "WeasyPrint cannot load pango" in line and not alone.exists()


# ------------------------------------------------------------------ the CLI a script can trust


@pytest.mark.parametrize("args", [
    ("compile", "2024/25", "Q2", "--format", "md"), ("compile", "Q2", "2024/25", "--format", "md"),
    ("export", "2024/25", "Q2"), ("round", "status", "2024/25", "Q2"),
    ("schedule", "show", "2024/25", "Q2"), ("compile", "--closure", "2024/25", "--format", "md"),
])
def test_a_period_may_be_written_as_two_words_without_quotes(tmp_path, imported, args):
    result = ragtime(*args, env=imported, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("args", [("compile",), ("demo",), ("serve",), ("round", "status"),
                                  ("schedule", "show")])
def test_flags_are_shown_as_plain_flags(args):
    result = ragtime(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert "<bool>" not in result.stdout
    flags = [line.split()[0] for line in result.stdout.splitlines()
             if line.strip().startswith("--") and len(line.split()) > 1]
    assert flags, result.stdout
    if args[0] == "compile":
        assert {"--post", "--closure", "--json"} <= set(flags)
        post = next(line for line in result.stdout.splitlines() if "--post" in line)
        assert post.split()[:2] == ["--post", "Post"]  # no value after the flag


def test_piped_output_prints_full_rows(tmp_path, imported):
    env = {**imported, "COLUMNS": "40"}  # even a narrow terminal setting cuts nothing
    shown = ragtime("schedule", "show", "2024/25", "Q3", env=env)
    assert shown.returncode == 0, shown.stderr
    rows = shown.stdout.splitlines()
    assert rows[0] == "Round calendar (Europe/London)"
    reminder = next(row for row in rows if "remind:5-days-before" in row)
    assert reminder.split("  ")[0] == "2024/25 Q3"
    assert "remind outstanding SROs (5 working days before the deadline)" in reminder
    assert len(rows) == 2 + 6  # title, header, one row per job: nothing wrapped
    compiled = ragtime("compile", "2024/25", "Q2", "--format", "md", "--out",
                       str(tmp_path / "out"), env=env)
    assert "Part of the Community      0      0    0          2      2" in compiled.stdout


def test_json_for_scripts(tmp_path, imported):
    status = json.loads(ragtime("round", "status", "2024/25", "Q2", "--json",
                                env=imported).stdout)
    assert {key: status[key] for key in ("framework", "period", "opened", "total", "answered",
                                         "outstanding")} == {
        "framework": "Step Up To Great", "period": "2024/25 Q2", "opened": False, "total": 17,
        "answered": 0, "outstanding": 17}
    first = status["themes"][0]["deliverables"][0]
    assert first == {"ref": "GO-1", "area": "Access",
                     "title": "Review, update, revise and implement Trust Access Policy",
                     "sros": ["Sharon Murphy"], "channels": ["not reached"], "rag": None,
                     "submitted_at": None, "state": "outstanding", "deadline": "2024-10-14",
                     "away": []}
    assert (status["absences"], status["extensions"]) == ([], [])
    assert status["backlog"]["inbox"] == {"pending": 0, "failed": 0, "oldest_seconds": None}

    plan = json.loads(ragtime("schedule", "show", "2024/25", "Q3", "--json",
                              env=imported).stdout)
    assert plan["timezone"] == "Europe/London"
    assert [job["job"] for job in plan["jobs"]][:2] == ["open_round", "remind:5-days-before"]
    assert plan["jobs"][0] == {"period": "2024/25 Q3", "job": "open_round",
                               "run_at": "2024-12-20T09:00:00+00:00",
                               "what": "open the round: prompt every SRO", "status": "missed"}

    out = tmp_path / "out"
    compiled = json.loads(ragtime("compile", "2024/25", "Q2", "--format", "md,html", "--out",
                                  str(out), "--json", env=imported).stdout)
    assert compiled["files"] == {"md": str(out / "sutg-2024-25-Q2.md"),
                                 "html": str(out / "sutg-2024-25-Q2.html"),
                                 "chart": str(out / "sutg-2024-25-Q2-chart.png"),
                                 "baf": str(out / "sutg-2024-25-Q2-baf.png")}
    assert compiled["all_themes"] == {"green": 0, "amber": 0, "red": 0, "no_update": 17,
                                      "total": 17}
