"""The PDF is laid out and written by WeasyPrint in a child process, one per compile.

Why a process: laying out a long paper allocates millions of objects, most of them in reference
cycles. In the compiling process they would be walked by the cyclic garbage collector again and
again (a third of the time of the 1,000-deliverable PDF) and then kept: Python seldom gives
such memory back, so a long-lived ``ragtime worker`` would stay at the size of its largest
paper. The child runs without the collector, hands the memory back to the system when it exits,
and is started when the compile starts, so it has imported WeasyPrint by the time the HTML is
ready. A crash inside pango ends the child, not the worker: the compile fails with a message.

It is a *spawned* process (a fresh interpreter, not a fork), which is safe in the worker's
threads.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

from bot.reports import pdf_pages
from bot.reports.render import TEMPLATES

PDF_VARIANT = "pdf/ua-1"  # tagged: headings, tables and the chart's alt text reach screen readers
_POLL = 0.2  # seconds between checks that the child is still alive

WritePdf = Callable[[str, Path], Path]


class PdfFailed(RuntimeError):
    """The PDF could not be written; ``str(error)`` says why."""


@contextmanager
def pdf_writer() -> Iterator[WritePdf]:
    """A child process, started now and ready for one paper: yields ``write(html, path)``,
    which returns ``path`` once the tagged PDF is there. The child is gone when this ends."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve, args=(theirs,), name="ragtime-pdf", daemon=True)
    child.start()
    theirs.close()
    try:
        yield lambda html, path: _write(ours, child, html, path)
    finally:
        ours.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join()


def write_pdf(html: str, path: Path) -> Path:
    """One tagged PDF (PDF/UA-1), as published board papers must be accessible."""
    with pdf_writer() as write:
        return write(html, path)


def _write(ours: Connection, child: multiprocessing.process.BaseProcess, html: str,
           path: Path) -> Path:
    try:
        ours.send((html, str(path)))
        while not ours.poll(_POLL):
            if not child.is_alive():
                raise PdfFailed(f"the PDF renderer stopped (exit status {child.exitcode}) "
                                "before the PDF was written")
        outcome, detail = ours.recv()
    except (EOFError, ConnectionError) as error:
        raise PdfFailed("the PDF renderer stopped before the PDF was written") from error
    if outcome != "ok":
        raise PdfFailed(f"the PDF could not be written: {detail}")
    return path


def _serve(conn: Connection) -> None:
    """In the child: import WeasyPrint at once, write the one paper asked for, and leave
    without a final collection (``os._exit``): the system takes the memory back whole."""
    gc.disable()
    try:
        from weasyprint import HTML

        pdf_pages.install()
        html, path = conn.recv()
        HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path, pdf_variant=PDF_VARIANT)
        conn.send(("ok", None))
    except EOFError:
        pass  # the compile ended without asking for the PDF
    except BaseException as error:
        conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()
        os._exit(0)
