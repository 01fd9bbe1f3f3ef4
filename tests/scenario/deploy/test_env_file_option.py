"""``ragtime --env-file FILE …``: a governance lead runs any command on the service's settings
file, as systemd's EnvironmentFile gives them to the service."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.paths import EXAMPLE
from tests.support.cli import one_error_line, ragtime


def test_every_command_reads_the_settings_file_it_is_given(tmp_path: Path):
    database = tmp_path / "data" / "ragtime.db"
    database.parent.mkdir()
    env_file = tmp_path / "ragtime.env"
    env_file.write_text(f"# the service's settings\nDATABASE_URL=sqlite:///{database}\n"
                        "RAGTIME_TIMEZONE=Europe/London\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    imported = ragtime("--env-file", str(env_file), "import", str(EXAMPLE), cwd=elsewhere)
    status = ragtime("--env-file", str(env_file), "round", "status", "2024/25 Q3",
                     cwd=elsewhere)

    assert imported.returncode == 0, imported.stderr
    assert database.is_file() and not (elsewhere / "ragtime.db").exists()
    assert status.returncode == 0 and "no round opened yet" in status.stdout


def test_the_environment_wins_over_the_file(tmp_path: Path):
    env_file = tmp_path / "ragtime.env"
    env_file.write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'from-file.db'}\n")

    result = ragtime("--env-file", str(env_file), "import", str(EXAMPLE),
                     env={"DATABASE_URL": f"sqlite:///{tmp_path / 'from-env.db'}"})

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env.db").exists() and not (tmp_path / "from-file.db").exists()


def test_a_missing_file_is_one_line(tmp_path: Path):
    line = one_error_line(ragtime("--env-file", str(tmp_path / "nope.env"), "round", "status",
                                  "2024/25 Q3"))

    assert line == f"error: --env-file {tmp_path / 'nope.env'}: no such file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_whose_it_is(tmp_path: Path):
    env_file = tmp_path / "ragtime.env"
    env_file.write_text("DATABASE_URL=sqlite:///x.db\n")
    env_file.chmod(0)

    line = one_error_line(ragtime("--env-file", str(env_file), "round", "status", "2024/25 Q3"))

    assert "permission denied" in line and "sudo -u ragtime" in line
