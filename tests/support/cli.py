"""Running ``ragtime`` as a person or a script does: a real process, its output and status.

Starting Python and importing Ragtime takes most of a second, and the suite runs the command
line about 150 times, so each test process keeps one *zygote*: a Python process that has imported
``ragtime.cli`` and the modules every command uses, and forks a child per command. The child is a
real process, as ``python -m ragtime.cli ARGS`` makes one: its own environment, working directory,
standard streams, exit status and interpreter exit (threads joined, ``atexit`` run); only the
imports are shared. A command whose environment changes how the interpreter starts (``PYTHON*``,
``LD_*``, the locale) runs in a new interpreter as before, and so do the measured runs.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

# Runs the command line and, however it ends, writes its peak RSS (KiB) to $RAGTIME_RSS_FILE.
# VmHWM, not getrusage's ru_maxrss: that one keeps the peak of the process image before exec,
# i.e. of the (large) test process this one was forked from.
_MEASURED = """
import os, sys
sys.argv[0] = "ragtime"
try:
    from ragtime.cli import main
    main()
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["RAGTIME_RSS_FILE"], "w") as out:
        out.write(peak)
"""


def environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without Slack settings, plus ``env``."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SLACK_", "RAGTIME_GOVERNANCE"))}
    environment.update(env or {})
    return environment


def ragtime(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 180) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ragtime.cli", *args]
    environ = environment(env)
    if _starts_differently(environ):
        return subprocess.run(command, capture_output=True, text=True, env=environ, cwd=cwd,
                              timeout=timeout, check=False)
    return _zygote().run(command, environ, Path(cwd or os.getcwd()), timeout)


# The zygote: reads one JSON request per line ({argv, env, cwd, out, err}), forks, and reports
# {"pid"} at once and {"status"} when the child ends. The child leaves the loop for good: it
# becomes ``python -m ragtime.cli`` (runpy, as -m does) and exits as that interpreter would.
_ZYGOTE = """
import gc, json, os, runpy, sys
from datetime import date
import ragtime.cli, ragtime.wiring, storage.migrate, bot.collection.flows
# What most commands use but import or compute lazily: the paper's drawing, Word and template
# libraries and the bank holidays of the years the tests use.
import docx, docxtpl, matplotlib.backends.backend_agg, matplotlib.figure, matplotlib.ticker
from bot.calendar.workdays import is_bank_holiday
from bot.reports.render import TEMPLATES, environment
for template in TEMPLATES.glob("*.j2"):
    environment(template.suffixes[0].lstrip(".")).get_template(template.name)
for year in range(2023, 2029):
    is_bank_holiday(date(year, 1, 1))
# A child's collector then never walks (and writes to) what it shares with this process: its
# exit took half a second of CPU without this, 0.1 s with it.
gc.freeze()
sys.stdout.flush()
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = request["cwd"]
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["out"], os.O_WRONLY),
                                (2, request["err"], os.O_WRONLY)):
            opened = os.open(path, flags)
            os.dup2(opened, fd)
            os.close(opened)
        sys.argv = request["argv"]
        del sys.modules["ragtime.cli"]  # -m runs it as __main__ only, never imported
        runpy.run_module("ragtime.cli", run_name="__main__", alter_sys=True)
        raise SystemExit(0)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)
"""
# Read by the interpreter as it starts, so a child of the zygote would not see a change to them.
_INTERPRETER = ("PYTHON", "LD_", "LANG", "LC_")


def _interpreter_settings(environ: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.startswith(_INTERPRETER)}


class _Zygote:
    def __init__(self) -> None:
        self.started_with = _interpreter_settings(dict(os.environ))
        self.process = subprocess.Popen([sys.executable, "-c", _ZYGOTE], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, bufsize=0,
                                        cwd=Path(__file__).resolve().parents[2])
        self.lock = threading.Lock()
        atexit.register(self.close)

    def run(self, command: list[str], environ: dict[str, str], cwd: Path, timeout: float
            ) -> subprocess.CompletedProcess[str]:
        with self.lock, tempfile.TemporaryDirectory(prefix="ragtime-cli-") as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            out.touch()
            err.touch()
            request = {"argv": [str(Path(__file__).resolve().parents[2] / "ragtime" / "cli.py"),
                                *command[3:]],
                       "env": environ, "cwd": str(cwd), "out": str(out), "err": str(err)}
            assert self.process.stdin
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            pid = self._reply(None)["pid"]
            try:
                status = self._reply(timeout)["status"]
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)
                self._reply(None)
                raise subprocess.TimeoutExpired(command, timeout, out.read_text(),
                                                err.read_text()) from None
            return subprocess.CompletedProcess(command, status, out.read_text(), err.read_text())

    def _reply(self, timeout: float | None) -> dict[str, int]:
        """One line from the zygote, read unbuffered (a buffered reader could hold the next
        line where ``select`` cannot see it)."""
        assert self.process.stdout
        fd, line = self.process.stdout.fileno(), b""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            byte = os.read(fd, 1)
            if not byte:
                raise RuntimeError("the ragtime zygote ended")
            line += byte
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin
            self.process.stdin.close()
            self.process.wait(timeout=10)


_zygotes: list[_Zygote] = []


def _zygote() -> _Zygote:
    if not _zygotes or _zygotes[0].process.poll() is not None:
        _zygotes[:] = [_Zygote()]
    return _zygotes[0]


def _starts_differently(environ: dict[str, str]) -> bool:
    """Would this environment start the interpreter differently from the zygote's?"""
    started_with = _zygotes[0].started_with if _zygotes else _interpreter_settings(
        dict(os.environ))
    return _interpreter_settings(environ) != started_with


@dataclass(frozen=True)
class Measured:
    result: subprocess.CompletedProcess[str]
    seconds: float
    peak_mb: float  # the process's peak resident memory


def measured(*args: str, env: dict[str, str], folder: Path, timeout: float = 120) -> Measured:
    """``ragtime *args`` with its wall time and peak memory."""
    rss_file = folder / "rss.txt"
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True,
                            text=True, env=environment({**env, "RAGTIME_RSS_FILE": str(rss_file)}),
                            timeout=timeout, check=False)
    seconds = time.monotonic() - started
    peak = int(rss_file.read_text()) / 1024
    rss_file.unlink()
    return Measured(result=result, seconds=seconds, peak_mb=peak)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one ``error: …`` line an operator's mistake prints (asserted: nothing else, exit 2)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]
