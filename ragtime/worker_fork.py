"""``ragtime serve``'s first worker forked from the server, to share its memory.

Started as ``python -m ragtime.cli worker``, the worker imports again everything the server has
imported (Bolt, SQLAlchemy, Flask, Alembic…): about 90 MB in each process, mostly the same
modules twice. So ``serve`` forks its worker before it starts any thread: the worker shares the
server's pages until one of them writes to a page (copy-on-write), and ``gc.freeze()`` before
the fork keeps the garbage collector from writing to all of them.

Only the first worker is forked. By the time a worker has to be restarted the server runs many
threads, and a fork copies only the calling thread, with any lock another thread held (logging's,
an import's) locked for good in the child; so a worker restarted after a crash is started afresh
(``ragtime.supervision.Supervisor``).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable

_SLICE = 0.2  # seconds between looks while waiting for the worker to end


class ForkedWorker:
    """The forked worker, with the part of ``subprocess.Popen``'s interface the supervisor
    uses (its waits may come from two threads: the supervisor's, and ``stop``)."""

    def __init__(self, pid: int, gate: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._lock = threading.Lock()
        self._gate = gate

    def release(self) -> None:
        """Let the worker start (it waits until the server has made the database ready)."""
        os.write(self._gate, b"go")
        os.close(self._gate)

    def poll(self) -> int | None:
        with self._lock:
            if self.returncode is None:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0.0)
            time.sleep(_SLICE if deadline is None
                       else max(0.0, min(_SLICE, deadline - time.monotonic())))
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def fork_worker(run: Callable[[], None], *, nice: int = 10) -> ForkedWorker:
    """Fork a worker that runs ``run()`` at ``nice`` lower CPU priority once ``release()`` is
    called, and exits with its status as ``python -m ragtime.cli worker`` would (at once, with
    0, if the server ends first). The caller must have no other thread, and should not yet have
    opened the database: SQLite's own bookkeeping of open files and their locks is per process,
    and a copy of the server's would be wrong in the worker."""
    if threading.active_count() != 1:
        raise RuntimeError("the worker can be forked only before any thread starts")
    gate_read, gate_write = os.pipe()
    gc.freeze()
    pid = os.fork()
    if pid == 0:
        os.close(gate_write)
        _worker(run, nice, gate_read)  # never returns
    os.close(gate_read)
    return ForkedWorker(pid, gate_write)


def _worker(run: Callable[[], None], nice: int, gate: int) -> None:
    os.nice(nice)
    code = 1
    try:
        if os.read(gate, 2) != b"go":  # the server ended before the database was ready
            code = 0
            return
        os.close(gate)
        run()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 1
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
