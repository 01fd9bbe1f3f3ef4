"""Compiling a report in a child process: the same files and view as in-process, progress
relayed, and failures in the child reaching the caller with their meaning intact."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from bot.reports import FormatError, ReportError, build_closure, build_report, report_content_hash
from bot.reports.isolated import (
    CHILD_NICENESS,
    CompileCrashed,
    CompileFailed,
    compile_in_child,
    errors_that_cross,
)
from storage.db import session_scope
from tests.paths import ROOT
from tests.unit.bot.reports.conftest import Q2, add_framework

LONDON = ZoneInfo("Europe/London")
GENERATED = datetime(2024, 10, 20, 14, 5, tzinfo=LONDON)


@pytest.fixture(params=["spawn", "forkserver"])
def start(request: pytest.FixtureRequest) -> str:
    """Both ways a compiler process starts (``RAGTIME_COMPILE_START``)."""
    return str(request.param)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_child_writes_every_file_from_the_same_database(any_engine: Engine, tmp_path,
                                                            start: str):
    with session_scope(any_engine, write=True) as session:
        add_framework(session)
    steps: list[str] = []

    files = compile_in_child(url_of(any_engine), Q2, tmp_path / "out",
                             cover={"author": "Amanda Angelescu"}, generated_at=GENERATED,
                             progress=steps.append, start=start)

    with session_scope(any_engine) as session:
        expected = build_report(session, Q2, cover_overrides={"author": "Amanda Angelescu"})
    assert files.view == expected
    assert files.content_hash == report_content_hash(expected)
    assert {fmt: path for fmt, path in files.paths.items()} == {
        fmt: tmp_path / "out" / f"sutg-2024-25-Q2.{fmt}" for fmt in ("md", "html", "docx", "pdf")}
    assert files.chart.read_bytes().startswith(b"\x89PNG")
    html = files.paths["html"].read_text(encoding="utf-8")
    assert "Compiled by Ragtime on 20 October 2024 at 14:05." in html
    assert "Amanda Angelescu" in files.paths["md"].read_text(encoding="utf-8")
    pdf = "".join(page.extract_text() for page in PdfReader(files.paths["pdf"]).pages)
    assert "Agency reduction plan" in pdf
    assert steps[0] == "reading updates" and steps[-1] == "writing PDF"


def test_a_financial_year_compiles_its_closure_report(engine: Engine, tmp_path):
    with session_scope(engine, write=True) as session:
        add_framework(session)

    files = compile_in_child(url_of(engine), 2024, tmp_path, formats=("md",))

    with session_scope(engine) as session:
        assert files.view == build_closure(session, 2024)
    assert set(files.paths) == {"md"}
    assert files.paths["md"].name == "sutg-2024-25-closure.md"


def test_a_report_error_in_the_child_keeps_its_type_and_message(engine: Engine, tmp_path):
    with pytest.raises(ReportError, match="no framework is loaded yet; import one with"):
        compile_in_child(url_of(engine), Q2, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_unknown_format_is_named(engine: Engine, tmp_path):
    with session_scope(engine, write=True) as session:
        add_framework(session)

    with pytest.raises(FormatError, match="unknown report format"):
        compile_in_child(url_of(engine), Q2, tmp_path, formats=("pdf", "odt"))


def test_the_child_yields_the_cpu_to_the_server(engine: Engine, tmp_path, start: str):
    with session_scope(engine, write=True) as session:
        add_framework(session)
    niceness: list[int] = []

    def look(_step: str) -> None:
        niceness.extend(os.getpriority(os.PRIO_PROCESS, child.pid or 0)
                        for child in multiprocessing.active_children())

    compile_in_child(url_of(engine), Q2, tmp_path, formats=("md",), progress=look, start=start)

    assert niceness and set(niceness) == {os.getpriority(os.PRIO_PROCESS, 0) + CHILD_NICENESS}


def test_a_child_killed_mid_compile_is_a_clear_error(engine: Engine, tmp_path, start: str):
    with session_scope(engine, write=True) as session:
        add_framework(session)

    def kill_the_child(_step: str) -> None:  # as the kernel's OOM killer would
        for child in multiprocessing.active_children():
            os.kill(child.pid or 0, signal.SIGKILL)

    with pytest.raises(CompileCrashed, match="stopped before it finished"):
        compile_in_child(url_of(engine), Q2, tmp_path / "out", progress=kill_the_child,
                         start=start)
    assert not (tmp_path / "out" / "sutg-2024-25-Q2.pdf").exists()


# A server that compiles: it prints its child's pid at the first step, then keeps relaying.
SERVER = """
import multiprocessing, sys
from pathlib import Path
from bot.calendar.periods import Period
from bot.reports.isolated import compile_in_child

def tell(_step):
    print(*(child.pid for child in multiprocessing.active_children()), flush=True)

compile_in_child(sys.argv[1], Period(2024, 2), Path(sys.argv[2]), progress=tell,
                 start=sys.argv[3])
"""


def ended(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # a zombie has ended (nobody may reap it in a container)


def test_a_child_stops_when_the_server_compiling_is_killed(engine: Engine, tmp_path, start: str):
    with session_scope(engine, write=True) as session:
        add_framework(session)
    out = tmp_path / "out"
    server = subprocess.Popen([sys.executable, "-c", SERVER, url_of(engine), str(out), start],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    [child] = map(int, server.stdout.readline().split())  # the child is reading updates

    server.kill()
    server.wait()

    deadline = time.monotonic() + 10
    while not ended(child):
        assert time.monotonic() < deadline, "the child went on compiling"
        time.sleep(0.02)
    time.sleep(0.5)
    assert not out.exists() or not list(out.glob("*.pdf"))  # it stopped before the PDF


def test_an_unknown_start_method_is_named(engine: Engine, tmp_path):
    with pytest.raises(ValueError, match="spawn or forkserver, not 'fork'"):
        compile_in_child(url_of(engine), Q2, tmp_path, start="fork")


def test_an_in_memory_database_is_refused_before_any_child_starts(tmp_path):
    with pytest.raises(ValueError, match="in-memory SQLite database"):
        compile_in_child("sqlite://", Q2, tmp_path)


class _Unpicklable(Exception):
    def __init__(self, message: str, *, code: int) -> None:
        super().__init__(message)
        self.code = code


def test_an_exception_that_cannot_cross_is_named_with_its_message():
    with (pytest.raises(CompileFailed, match="_Unpicklable: the renderer broke") as raised,
          errors_that_cross()):
        raise _Unpicklable("the renderer broke", code=3)
    assert isinstance(raised.value.__cause__, _Unpicklable)

    with pytest.raises(ReportError, match="as it was"), errors_that_cross():
        raise ReportError("as it was")
