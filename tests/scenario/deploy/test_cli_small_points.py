"""Small things an operator meets first: a mistyped command line says so in one line, the
help names every subcommand and the web form, `round status` before a round is quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.paths import EXAMPLE, ROOT
from tests.support.cli import one_error_line, ragtime


@pytest.mark.parametrize(("args", "said"), [
    (("round", "status"), "Missing argument 'PERIOD' (see: "),
    (("import",), "Missing argument"),
    (("nosuch",), "No such command 'nosuch'"),
    (("compile", "2024/25 Q2", "--bogus"), "No such option: --bogus"),
])
def test_a_mistyped_command_line_is_one_error_line(args: tuple[str, ...], said: str):
    assert said in one_error_line(ragtime(*args))


def test_round_help_lists_links_and_serve_help_names_the_web_form():
    rounds = ragtime("round", "--help")
    serve = ragtime("serve", "--help")

    assert rounds.returncode == 0 and "open, remind, status, links" in rounds.stdout
    assert "links" in rounds.stdout.split("Commands:")[1]
    assert serve.returncode == 0 and "web form" in " ".join(serve.stdout.split())


def test_the_readme_says_how_to_see_the_links():
    readme = (ROOT / "README.md").read_text()

    assert "`ragtime round links PERIOD --show`" in readme
    assert "personal_link(ctx" not in readme


def test_round_status_before_any_round_says_so_without_noise(tmp_path: Path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'ragtime.db'}"}
    assert ragtime("import", str(EXAMPLE), env=env).returncode == 0

    status = ragtime("round", "status", "2024/25 Q3", env=env)

    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("Step Up To Great — 2024/25 Q3: no round opened yet")
    assert "0 of 17 deliverables have an update; `ragtime round open 2024/25 Q3`" in (
        status.stdout)
    assert "not reached" not in status.stdout and "worker" not in status.stdout
    assert "  - no update: GO-1 Review, update, revise and implement Trust Access Policy " \
           "(Sharon Murphy)" in status.stdout
