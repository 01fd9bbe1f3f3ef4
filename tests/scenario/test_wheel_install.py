"""Ragtime as an operator installs it: the wheel built from this checkout, installed into a fresh
virtual environment outside the checkout (as the Docker image and ``pip install .`` do), then
``ragtime demo`` and the served web form run from there.

The suite otherwise runs on the editable install, which reads every file from the checkout and
so cannot see a file the wheel leaves out (the web form's ``*.html`` templates once were:
``GET /form/<token>`` answered 500 ``TemplateNotFound``).

The new environment gets Ragtime from the wheel (``pip install --no-deps``) and its
dependencies from this environment's site-packages, added by a ``.pth`` path line (so the
editable install's import hook there is not run): fast, and no network needed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from benchmarks.load.servers import free_port as _free_port
from bot.calendar.periods import Period, stored_period
from bot.collection.links import personal_link
from bot.context import AppContext
from bot.settings import load_settings
from storage.db import make_engine, session_scope
from storage.models import Framework, Person, Round
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.paths import EXAMPLE, ROOT
from tests.support.slack_requests import SIGNING_SECRET
from tests.support.web_form import form_fields

pytestmark = pytest.mark.slow

PUBLIC_URL = "https://ragtime.example.nhs.uk"
SECRET = "Xq3v9ZrT7mKp2LwB8nYc4HdJ6sFa1GeU5tRo0iQz"
PACKAGES = ("ragtime", "bot", "handlers", "schedules", "storage")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    home: Path  # a folder outside the checkout to run from

    @property
    def ragtime(self) -> Path:
        return self.venv / "bin" / "ragtime"

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("SLACK_", "RAGTIME_", "DATABASE_URL", "PYTHON"))}
        return {**keep, "HOME": str(self.home), "MPLCONFIGDIR": str(self.home / ".mpl"),
                **extra}

    def run(self, *args: str, timeout: float = 120, **env: str
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.ragtime), *args], cwd=self.home, env=self.env(**env),
                              capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    source, dist = base / "source", base / "dist"
    for path in _checkout_files():  # as a fresh clone has them: no build/ or egg-info left over
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, source / path)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(dist), str(source)], check=True, cwd=base,
                   capture_output=True, timeout=300)
    (wheel,) = dist.glob("ragtime-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    (purelib / "ragtime-test-deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n" + sysconfig.get_paths()["platlib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--quiet", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True, timeout=300)
    home = base / "home"
    home.mkdir()
    yield Installed(wheel=wheel, venv=venv, home=home)


def _checkout_files(*under: str) -> list[str]:
    """The checkout's files, committed or not, less what git ignores."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             *under], cwd=ROOT, check=True, capture_output=True,
                            text=True).stdout.splitlines()
    return [path for path in listed if (ROOT / path).is_file()]


def test_the_wheel_holds_every_file_the_packages_read(installed: Installed):
    data = {path for path in _checkout_files(*PACKAGES) if not path.endswith(".py")}
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())

    assert data, "no data files found: is this a git checkout?"
    assert sorted(data - names) == []


def test_ragtime_runs_from_the_installed_wheel_not_the_checkout(installed: Installed):
    where = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c",
         "import handlers.web, ragtime; print(handlers.web.__file__); print(ragtime.__file__)"],
        cwd=installed.home, env=installed.env(), capture_output=True, text=True, check=True)

    for line in where.stdout.split():
        assert Path(line).is_relative_to(installed.venv), line


def test_the_demo_runs_from_the_installed_wheel(installed: Installed):
    result = installed.run("demo", "--out", "demo-report", timeout=240)

    assert result.returncode == 0, result.stderr
    out = installed.home / "demo-report"
    for name in ("sutg-2024-25-Q2.md", "sutg-2024-25-Q2.html", "sutg-2024-25-Q2.docx",
                 "sutg-2024-25-Q2.pdf", "sutg-2024-25-Q2-chart.png"):
        assert (out / name).stat().st_size > 1000, name
    assert "Great Outcomes" in result.stdout


def _get(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def _open_round_with_link(database_url: str, base_url: str) -> str:
    """Today's quarter opened for the imported framework; Sharon Murphy's link to it, on
    ``base_url`` (made by this checkout: the same key signs and checks it)."""
    settings = load_settings(database_url=database_url, public_url=PUBLIC_URL,
                             secret_key=SECRET)
    engine = make_engine(database_url)
    try:
        with session_scope(engine, write=True) as session:
            framework = session.exec(select(Framework)).one()
            person = session.exec(select(Person).where(
                Person.email == "sharon.murphy@example.nhs.uk")).one()
            round_ = Round(framework_id=framework.id or 0,
                           period_id=stored_period(session, Period.containing(date.today())).id
                           or 0, deadline=date.today() + timedelta(days=14), opened_by="test")
            session.add(round_)
            session.flush()
            ids = person.id or 0, round_.id or 0
        link = personal_link(AppContext(settings=settings, engine=engine), person_id=ids[0],
                             round_id=ids[1])
    finally:
        engine.dispose()
    return base_url + link.removeprefix(PUBLIC_URL)


def test_the_web_form_is_served_from_the_installed_wheel(installed: Installed,
                                                        fake_slack: FakeSlack):
    database_url = f"sqlite:///{installed.home / 'form.db'}"
    imported = installed.run("import", str(EXAMPLE), DATABASE_URL=database_url)
    assert imported.returncode == 0, imported.stderr
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(installed.ragtime), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--no-worker"],
        cwd=installed.home, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=installed.env(DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN,
                          SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake_slack.api_url,
                          RAGTIME_PUBLIC_URL=PUBLIC_URL, RAGTIME_SECRET_KEY=SECRET))
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if _get(base + "/healthz")[0] in (200, 503):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "ragtime serve did not start within 60 s"
            time.sleep(0.2)

        status, refused = _get(base + "/form/not-a-real-link")
        assert status == 403, refused
        assert "This link is not valid" in refused

        link = _open_round_with_link(database_url, base)
        status, page = _get(link)
        assert status == 200, page
        assert "Review, update, revise and implement Trust Access Policy" in page
        rag = re.search(r'name="(d\d+-rag)"', page)
        assert rag, page
        fields = {**form_fields(page), rag.group(1): "green",
                  rag.group(1).replace("-rag", "-narrative"): "Policy adopted by the board."}
        status, done = _get(link, urllib.parse.urlencode(fields).encode())
        assert status == 200, done
        assert "Update sent" in done
        status, css = _get(base + "/form-static/form.css")
        assert status == 200 and "{" in css
    finally:
        server.terminate()
        server.wait(timeout=30)
