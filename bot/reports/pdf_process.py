"""The PDF is laid out and written by WeasyPrint in a process of its own, one per compile.

Why: laying out a long paper allocates millions of objects, 1.7 million of them in reference
cycles for a 1,000-deliverable paper. In the compiling process Python's cyclic collector would
walk them again and again (a quarter to a third of the PDF's time) or, paused, once at the end
(1.3 s), and a long-lived ``ragtime worker`` would keep the memory of its largest paper. The
child runs without the collector and ends with ``os._exit``: the system takes the memory back
whole. It is started when the compile starts, so it has imported WeasyPrint by the time the HTML
is ready; and a crash inside pango ends the child, not the worker.

A plain ``python -m bot.pdf.child`` process, fed on its stdin: measured, WeasyPrint ran 1.0–1.6 s
slower in a ``multiprocessing`` spawned child than in-process, and as fast in a process started
this way; ``bot.pdf`` imports nothing else of Ragtime, so the child is ready sooner.

A compile forked from the warmed forkserver (``bot.reports.warm``) is itself such a process, with
WeasyPrint imported: it writes the PDF itself (``write_pdfs_in_this_process``).

The child reads the output path on the first line of its stdin, the base URL of the templates'
files on the second and the HTML after them, writes the tagged PDF (PDF/UA-1: headings, tables
and the chart's alt text reach screen readers), and exits 0; or exits 1 with the reason on the
last line of its stderr.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.pdf import child as child_process
from bot.reports.errors import PublishError
from bot.reports.render import TEMPLATES

WritePdf = Callable[[str, Path], Path]


class PdfFailed(PublishError):
    """The PDF could not be written; ``str(error)`` says why (shown as it is, like every
    ``PublishError``, by ``/compile-report``, the CLI and the scheduler)."""


_in_this_process = False


def write_pdfs_in_this_process() -> None:
    """For a process that exists to compile one paper and end, with WeasyPrint imported already
    (a compile forked from the warmed forkserver, ``bot.reports.warm``): the PDF is written
    here, with the collector off, and no process is started for it. What the PDF's own process
    gives the worker (its memory back, a crash in pango kept away) this process has already."""
    global _in_this_process
    _in_this_process = True


@contextmanager
def pdf_writer() -> Iterator[WritePdf]:
    """A PDF process, started now: yields ``write(html, path)`` (once), which returns ``path``
    when the PDF is there. The process is gone when this ends."""
    if _in_this_process:
        yield _write_here
        return
    child = subprocess.Popen(
        [sys.executable, "-m", "bot.pdf.child"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield lambda html, path: _write(child, html, path)
    finally:
        if child.returncode is None:
            child.kill()
            child.communicate()


def _write(child: subprocess.Popen[bytes], html: str, path: Path) -> Path:
    try:
        _, err = child.communicate(f"{path}\n{TEMPLATES}\n{html}".encode())
    except BrokenPipeError:  # the child died before reading
        _, err = child.communicate()
    if child.returncode != 0:
        said = err.decode(errors="replace").strip().splitlines()
        reason = said[-1] if child.returncode == 1 and said else \
            f"the PDF renderer stopped (exit status {child.returncode})"
        raise PdfFailed(f"the PDF could not be written: {reason}")
    return path


def _write_here(html: str, path: Path) -> Path:
    gc.disable()
    try:
        failed = child_process.write(str(path), str(TEMPLATES), html)
    finally:
        gc.enable()
    if failed:
        raise PdfFailed(f"the PDF could not be written: {failed}")
    return path
