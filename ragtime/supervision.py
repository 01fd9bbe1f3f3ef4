"""``ragtime serve``'s side of the worker: start it as a child and watch that work gets done.

``Supervisor`` starts ``ragtime worker`` at lower CPU priority (so the acknowledgements of the
serving process come first), restarts it with a growing pause if it dies and stops it with the
server. ``ragtime serve`` hands it a first worker forked before any thread started
(``ragtime.worker_fork``: it shares the server's memory); any other is a new
``python -m ragtime.cli worker``.
``Watchdog`` looks every 30 seconds at ``bot.messaging.health`` and tells governance,
once per incident, when no worker is alive or work waits too long (``watch``); every few
seconds it also checks the database (``bot.messaging.database_watch``) and tells governance, once
per incident, when it cannot take writes.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from bot.context import AppContext
from bot.messaging.database_watch import Alarm, look
from bot.messaging.health import watch
from ragtime.worker_fork import ForkedWorker
from storage.faults import storage_health

log = logging.getLogger(__name__)


class Supervisor:
    """``ragtime serve``'s child worker: started at lower CPU priority, restarted (with a
    growing pause) if it dies, stopped with the server."""

    def __init__(self, args: Sequence[str] = (), *, nice: int = 10,
                 first: ForkedWorker | None = None) -> None:
        self.command = [sys.executable, "-m", "ragtime.cli", "worker", *args]
        self.nice = nice
        self._process: subprocess.Popen[bytes] | ForkedWorker | None = None
        self._first = first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ragtime-supervisor",
                                        daemon=True)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout)

    def _run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            started = time.monotonic()
            self._process = self._first or subprocess.Popen(self.command,
                                                            preexec_fn=self._lower_priority)
            self._first = None
            log.info("worker started (pid %d)", self._process.pid)
            code = self._process.wait()
            if self._stop.is_set():
                return
            pause = 1.0 if time.monotonic() - started > 60 else min(pause * 2, 60.0)
            log.error("the worker (pid %d) exited with status %s; restarting in %.0f s",
                      self._process.pid, code, pause)
            self._stop.wait(pause)

    def _lower_priority(self) -> None:
        os.nice(self.nice)


class Watchdog:
    """In the serving process: every ``every`` seconds, ``bot.messaging.health.watch`` (tells
    governance once per incident when no worker is alive or work waits too long); every
    ``database_every`` seconds, and at once when a request meets a failing database, the
    database's own check (``bot.messaging.database_watch``)."""

    def __init__(self, ctx: AppContext, *, every: float = 30.0,
                 database_every: float = 5.0) -> None:
        self.ctx, self.every, self.database_every = ctx, every, database_every
        self.alarm = Alarm()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ragtime-watchdog", daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        storage_health(self.ctx.engine).changed.set()
        self._thread.join(5)

    def _run(self) -> None:
        changed = storage_health(self.ctx.engine).changed
        # The first look at the workers after a full period: one just started has not beaten.
        next_watch = time.monotonic() + self.every
        while not self._stop.is_set():
            changed.wait(self.database_every)
            changed.clear()
            if self._stop.is_set():
                return
            failing = None
            try:
                failing = look(self.ctx)
                self.alarm.check(self.ctx, failing)
            except Exception:  # the watchdog must outlive a bad look
                log.exception("watchdog: could not check the database")
            if failing is None and time.monotonic() >= next_watch:
                next_watch = time.monotonic() + self.every
                try:
                    watch(self.ctx)
                except Exception:
                    log.exception("watchdog: could not check the workers")
