"""Compiling a report in a child process, for the process that serves Slack.

Rendering is heavy: WeasyPrint holds the GIL for seconds on a large report (every Slack ack
waiting meanwhile is late) and a 2,000-deliverable PDF leaves hundreds of megabytes resident
in the process that drew it. ``compile_in_child`` runs ``compile_report`` / ``compile_closure``
in a fresh process started with ``spawn`` (safe beside the server's threads; nothing
inherited), or forked from multiprocessing's ``forkserver`` (a single-threaded helper that has
imported the compiler, matplotlib and WeasyPrint once, ``bot.reports.warm``: about a second
less per compile, the helper's memory kept), at a
lower CPU priority, which opens its own engine on the same database, writes
the files and ends, handing its memory back (it also ends at once if its parent is killed).
The result — paths, the frozen view and its content hash — comes back by pickle.

Errors keep their meaning across the boundary: a ``ReportError`` or ``FormatError`` raised in
the child is raised here with the same message (its traceback attached as the cause); an
exception that cannot be pickled becomes ``CompileFailed`` naming its type and message; a child
that dies without answering (killed, out of memory, a crash in native code) is
``CompileCrashed``. Progress steps are relayed to ``progress`` in the calling thread.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.queues import SimpleQueue
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.calendar.periods import Period
from bot.reports.compile import FORMATS, CompiledFiles, compile_closure, compile_report
from storage.db import make_engine, normalise_url, session_scope

POLL_SECONDS = 0.1  # how often progress is relayed while the child works
# Rendering is background work: on a busy machine the serving process gets the CPU first (on
# two cores, a child at the same priority still made acks wait for a core).
CHILD_NICENESS = 10

Progress = Callable[[str], None]


class CompileCrashed(RuntimeError):
    """The child process ended without an answer: killed, out of memory, or a native crash."""


class CompileFailed(RuntimeError):
    """The child raised an exception that cannot cross the process boundary; the message names
    its type and what it said."""


@dataclass(frozen=True)
class _Job:
    database_url: str = field(repr=False)  # may hold a password
    target: Period | int
    out_dir: Path
    formats: tuple[str, ...]
    cover: dict[str, Any] | None
    generated_at: datetime | None
    framework_id: int | None = None


def compile_in_child(
    database_url: str,
    target: Period | int,
    out_dir: Path,
    *,
    formats: Iterable[str] = FORMATS,
    cover: Mapping[str, Any] | None = None,
    generated_at: datetime | None = None,
    progress: Progress | None = None,
    framework_id: int | None = None,
    start: str = "spawn",
) -> CompiledFiles:
    """Write the report's files into ``out_dir`` from a child process, as ``compile_report``
    does: ``target`` is a ``Period`` (the quarter's report) or a financial year such as
    ``2024`` (its year-end closure report). ``database_url`` must name a database another
    process can open (a SQLite file or PostgreSQL, not an in-memory SQLite database).
    ``generated_at`` (default: now, in the child) is printed in the footers. ``framework_id``
    names the framework (default: the only one). ``start``: ``spawn`` or ``forkserver``."""
    _check_shareable(database_url)
    job = _Job(database_url=database_url, target=target, out_dir=Path(out_dir).absolute(),
               formats=tuple(formats), cover=dict(cover) if cover is not None else None,
               generated_at=generated_at, framework_id=framework_id)
    context = _context(start)
    steps: SimpleQueue[str] = context.SimpleQueue()
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_child,
                                 initargs=(steps,)) as pool:
            future = pool.submit(_compile_in_this_process, job)
            while not future.done():
                wait([future], timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                _relay(steps, progress)
            _relay(steps, progress)  # the child sends every step before its answer
            try:
                return future.result()
            except BrokenProcessPool as error:
                raise CompileCrashed(
                    "the report compiler process stopped before it finished (it was killed or "
                    "ran out of memory)") from error
    finally:
        steps.close()


def _context(start: str) -> multiprocessing.context.BaseContext:
    if start == "forkserver":
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload([__name__, "bot.reports.warm"])  # imported once
        return forkserver
    if start != "spawn":
        raise ValueError(f"a compiler process starts with spawn or forkserver, not {start!r}")
    return multiprocessing.get_context("spawn")


def _check_shareable(database_url: str) -> None:
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or url.query.get("mode") == "memory"
    ):
        raise ValueError("a report cannot be compiled in a child process from an in-memory "
                         "SQLite database (the child cannot open it); use a database file")


def _relay(steps: SimpleQueue[str], progress: Progress | None) -> None:
    while not steps.empty():
        step = steps.get()
        if progress is not None:
            progress(step)


# ------------------------------------------------------------------------------ in the child

_steps: SimpleQueue[str] | None = None


def _start_child(steps: SimpleQueue[str]) -> None:
    global _steps
    _steps = steps
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()


def _exit_with_parent() -> None:
    """A child whose parent was killed stops at once rather than finish a compile nobody will
    post (and write files over those of the compile run after the restart)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()  # returns when the parent's end of the spawn pipe closes: it has ended
        os._exit(1)


def _compile_in_this_process(job: _Job) -> CompiledFiles:
    """The child's work: its own engine on the same database, the files, then dispose."""
    step = _steps.put if _steps is not None else None
    with errors_that_cross():
        engine = make_engine(job.database_url)
        try:
            with session_scope(engine) as session:
                if isinstance(job.target, Period):
                    return compile_report(session, job.target, job.out_dir, formats=job.formats,
                                          cover_overrides=job.cover, progress=step,
                                          generated_at=job.generated_at,
                                          framework_id=job.framework_id)
                return compile_closure(session, job.target, job.out_dir, formats=job.formats,
                                       cover_overrides=job.cover, progress=step,
                                       generated_at=job.generated_at,
                                       framework_id=job.framework_id)
        finally:
            engine.dispose()


@contextmanager
def errors_that_cross() -> Iterator[None]:
    """Let an exception through as it is when it survives pickling (so the caller can catch
    ``ReportError`` and the like), else replace it with ``CompileFailed`` saying what it was;
    the original stays chained, so its traceback still reaches the caller's log."""
    try:
        yield
    except Exception as error:
        try:
            pickle.loads(pickle.dumps(error))
        except Exception:
            raise CompileFailed(f"{type(error).__name__}: {error}") from error
        raise
