"""The deployment files, read as the tools that use them read them (no Docker engine here, so
nothing is built or run: the README says what was run by hand): ``.env.example`` under
Docker's ``--env-file`` and python-dotenv alike, the Dockerfile and compose.yaml."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml
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


COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
    "packages"]["find"]["include"]
DEBIAN_POSTGRES_CLIENT = {"bookworm": 15, "trixie": 17}  # postgresql-client's major version


def test_the_image_installs_every_package_with_its_data_not_editable():
    copied = " ".join(IMAGE.all("COPY"))
    for package in (name.rstrip("*") for name in PACKAGES):
        assert f"{package} ./{package}" in IMAGE.all("COPY"), package
    assert "pyproject.toml" in copied
    installs = " ".join(IMAGE.all("RUN"))
    assert "pip install --no-cache-dir ." in installs and " -e " not in installs


def test_the_images_health_check_asks_the_port_it_serves():
    (command,) = IMAGE.all("CMD")
    (health,) = IMAGE.all("HEALTHCHECK")
    port = json.loads(command)[json.loads(command).index("--port") + 1]
    assert IMAGE.all("EXPOSE") == [port] and f"127.0.0.1:{port}/healthz" in health


def _ragtime_services() -> dict[str, dict]:
    return {name: service for name, service in COMPOSE["services"].items()
            if service.get("image") == "ragtime"}


def test_compose_runs_serve_without_its_child_worker_and_a_worker_service():
    services = _ragtime_services()
    commands = {name: service["command"] for name, service in services.items()}

    assert commands["ragtime"][:2] == ["ragtime", "serve"] and "--no-worker" in commands[
        "ragtime"]
    assert commands["worker"] == ["ragtime", "worker"]
    assert services["worker"]["healthcheck"] == {"disable": True}
    assert services["worker"]["depends_on"]["ragtime"]["condition"] == "service_healthy"
    assert services["ragtime"]["build"] == "."


def test_compose_points_ragtime_at_its_postgres_and_mounts_the_images_volume():
    db = COMPOSE["services"]["db"]
    for name, service in _ragtime_services().items():
        url = service["environment"]["DATABASE_URL"]
        assert url == ("postgresql://ragtime:${POSTGRES_PASSWORD}@db:5432/"
                       + db["environment"]["POSTGRES_DB"]), name
        assert db["environment"]["POSTGRES_USER"] == "ragtime"
        assert service["env_file"] == ".env" and service["depends_on"]["db"]["condition"] == (
            "service_healthy")
        mounts = [volume.split(":") for volume in service["volumes"]]
        assert [target for _, target in mounts] == IMAGE.volumes, name
    assert db["volumes"] == ["db-data:/var/lib/postgresql/data"]
    assert set(COMPOSE["volumes"]) == {"db-data", "ragtime-data"}
    assert "POSTGRES_PASSWORD=" in ENV_EXAMPLE  # interpolated from .env, refused when empty
    assert ":?" in db["environment"]["POSTGRES_PASSWORD"]


def test_compose_postgres_matches_the_images_pg_dump():
    """``ragtime backup`` runs the image's pg_dump, which refuses a newer server."""
    (base,) = IMAGE.all("FROM")
    release = base.rsplit("-", 1)[1]
    image = COMPOSE["services"]["db"]["image"]
    assert image.startswith(f"postgres:{DEBIAN_POSTGRES_CLIENT[release]}"), (image, base)
    assert "postgresql-client" in " ".join(IMAGE.all("RUN"))


def test_compose_publishes_serve_only_to_the_machine_for_the_reverse_proxy():
    assert COMPOSE["services"]["ragtime"]["ports"] == ["127.0.0.1:3000:3000"]
