"""The deployment files, read as the tools that use them read them (no Docker engine here):
``.env.example`` under Docker's ``--env-file`` and python-dotenv alike, the Dockerfile."""

from __future__ import annotations

import io
from pathlib import Path, PurePosixPath

import pytest
from dotenv import dotenv_values

from bot.settings import Settings
from tests.paths import ROOT
from tests.support.deploy_files import docker_env_file, dockerfile

ENV_EXAMPLE = (ROOT / ".env.example").read_text()
IMAGE = dockerfile((ROOT / "Dockerfile").read_text())


def _sqlite_path(url: str) -> PurePosixPath:
    assert url.startswith("sqlite:////"), f"not an absolute SQLite path: {url}"
    return PurePosixPath(url.removeprefix("sqlite:///"))


def test_env_example_reads_the_same_with_docker_and_with_a_dotenv_file():
    # Docker keeps quotes and anything after the value; python-dotenv (and systemd) do not.
    assert docker_env_file(ENV_EXAMPLE, host={}) == {
        key: value or "" for key, value in dotenv_values(stream=io.StringIO(ENV_EXAMPLE)).items()}


def test_env_example_unchanged_keeps_the_images_database_on_its_volume(
        monkeypatch: pytest.MonkeyPatch):
    for key, value in {**IMAGE.env, **docker_env_file(ENV_EXAMPLE, host={})}.items():
        monkeypatch.setenv(key, value)

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    database = _sqlite_path(settings.database_url)
    assert any(database.is_relative_to(volume) for volume in IMAGE.volumes), (
        database, IMAGE.volumes)
    assert settings.email_transport is None and not settings.form_enabled


def test_the_image_runs_as_its_own_user_with_the_database_on_the_volume():
    assert IMAGE.user and IMAGE.user not in ("root", "0")
    database = _sqlite_path(IMAGE.env["DATABASE_URL"])
    assert [v for v in IMAGE.volumes if database.is_relative_to(v)]
    assert Path(IMAGE.env["MPLCONFIGDIR"]).is_absolute()
