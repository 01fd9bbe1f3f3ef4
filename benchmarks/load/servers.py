"""Servers under test, each in a subprocess: ``ragtime serve`` and the ack-only floor app.

``ragtime serve`` is started as an operator starts it (``python -m ragtime.cli serve``, settings in
the environment, run from an empty folder so no developer ``.env`` is read). Memory figures come
from ``/proc/<pid>/status``: ``VmRSS`` (resident now) and ``VmHWM`` (the peak), and the PSS
from ``/proc/<pid>/smaps_rollup`` (shared pages counted once across the processes sharing them).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


class ServerFailed(RuntimeError):
    """A server did not come up; the message carries the end of its log."""


@dataclass(frozen=True)
class Memory:
    rss: int  # bytes resident now (VmRSS)
    peak: int  # the most ever resident (VmHWM)
    pss: int = 0  # proportional set size now: pages shared with another process count half

    @property
    def pss_mb(self) -> float:
        return self.pss / MB

    @property
    def rss_mb(self) -> float:
        return self.rss / MB

    @property
    def peak_mb(self) -> float:
        return self.peak / MB


def children_of(pid: int) -> list[int]:
    pids: list[int] = []
    with contextlib.suppress(OSError):  # ended meanwhile
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            pids += [int(child) for child in task.read_text().split()]
    return pids


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """``pid``'s children, then theirs (parents before their children)."""
    found, queue = [], children_of(pid)
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue += children_of(child)
    return found


def memory_of(pid: int) -> Memory:
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024  # reported in kB
    pss = 0
    with contextlib.suppress(OSError):  # smaps_rollup: Linux 4.14+
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1]) * 1024
    return Memory(rss=fields["VmRSS"], peak=fields["VmHWM"], pss=pss)


def stop_servers_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit`` so a benchmark stopped that way still stops its servers
    and the fake Slack (their ``finally`` blocks run)."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process ``pid`` has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from ``/proc/stat``."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks[:8]) - idle) / hz, sum(ticks[:8]) / hz


_PORT_BLOCK = 1500  # ports per process slot, below the kernel's ephemeral range
_port_next: list[int] = []


def free_port() -> int:
    """A port no one listens on, for a server about to be started.

    Not one the kernel hands out for port 0: between this probe and the server's own bind,
    another server binding port 0 (a test's SMTP server, a fake) may be given the same one.
    Ports come from below the ephemeral range instead, each test worker (or process) from a
    block of its own, in turn, each checked free by binding it."""
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
    slots = max(1, (ephemeral_low - 20_000) // _PORT_BLOCK)
    slot = (int(worker) if worker.isdigit() else os.getpid()) % slots
    low = 20_000 + slot * _PORT_BLOCK
    if not _port_next:
        _port_next.append(low + (os.getpid() * 7) % _PORT_BLOCK)
    for _ in range(_PORT_BLOCK):
        port = low + (_port_next[0] - low) % _PORT_BLOCK
        _port_next[0] = port + 1
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port in {low}-{low + _PORT_BLOCK - 1}")


class ServerProcess:
    """A server subprocess answering ``GET /healthz`` on 127.0.0.1:``port``."""

    def __init__(self, argv: list[str], env: Mapping[str, str], folder: Path, name: str) -> None:
        self.port = free_port()
        self.name = name
        self.log_path = folder / f"{name}.log"
        self._log = self.log_path.open("wb")
        full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [*argv, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=folder, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_healthy(self, timeout: float = 60.0, *, worker: bool = False) -> None:
        """Until ``/healthz`` says ok (and, with ``worker``, a worker is alive)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    body = json.loads(response.read())
                    if body.get("ok") and (not worker or body["workers"]["alive"] > 0):
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise ServerFailed(f"{self.name} did not answer /healthz within {timeout:.0f}s:\n"
                           f"{self.log_tail()}")

    def memory(self) -> Memory:
        return memory_of(self.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far."""
        return cpu_seconds(self.pid)

    def children(self) -> list[int]:
        """The server's descendants: ``ragtime serve``'s worker zygote and the worker forked
        from it (or, started with ``Supervisor()`` alone, the worker), and their children."""
        return descendants(self.pid)

    def children_cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.children():
            with contextlib.suppress(OSError):  # ended meanwhile
                total += cpu_seconds(pid)
        return total

    def profile(self, output: Path, seconds: float) -> subprocess.Popen[bytes] | None:
        """Sample the server with py-spy (``pip install py-spy``) for ``seconds``: only stacks
        holding the GIL, as collapsed text in ``output``. ``None`` when py-spy is missing."""
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(spy).exists():
            return None
        return subprocess.Popen(
            [spy, "record", "--pid", str(self.pid), "--gil", "--nonblocking", "--format", "raw",
             "--rate", "200",
             "--duration", str(max(1, int(seconds))), "--output", str(output)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (a clean stop, as systemd does), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


def slack_env(*, api_url: str, database_url: str, signing_secret: str, bot_token: str,
              governance_channel: str, leads: list[str]) -> dict[str, str]:
    """The settings ``ragtime serve`` reads (see ``.env.example``)."""
    return {
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "RAGTIME_GOVERNANCE_CHANNEL": governance_channel,
        "RAGTIME_GOVERNANCE_LEADS": ",".join(leads),
    }


def start_ragtime(env: Mapping[str, str], folder: Path, *, scheduler: bool = True
                  ) -> ServerProcess:
    """``ragtime serve`` in HTTP mode (waitress) with its worker child (running the scheduler
    unless told otherwise), once the worker is alive."""
    argv = [sys.executable, "-m", "ragtime.cli", "serve"]
    if not scheduler:
        argv.append("--no-scheduler")
    server = ServerProcess(argv, env, folder, "ragtime")
    server.wait_healthy(worker=True)
    return server


def start_floor(env: Mapping[str, str], folder: Path, *, durable: str | None = None
                ) -> ServerProcess:
    """The bare ack-only Bolt app (``benchmarks.load.floor_app``), served the same way;
    ``durable``: the durable floor, committing each request as a row in that database."""
    argv = [sys.executable, "-m", "benchmarks.load.floor_app"]
    if durable:
        argv += ["--durable", durable]
    server = ServerProcess(argv, env, folder, "durable-floor" if durable else "floor")
    server.wait_healthy()
    return server
