"""Running ``ragtime`` as a person or a script does: a real process, its output and status."""

from __future__ import annotations

import os
import subprocess
import sys
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
    return subprocess.run([sys.executable, "-m", "ragtime.cli", *args], capture_output=True,
                          text=True, env=environment(env), cwd=cwd, timeout=timeout,
                          check=False)


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
