"""The PDF's own process: a tagged PDF comes back; a renderer that dies is an error, not a hang;
no process outlives the compile."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess

import pytest

from bot.reports.pdf_writer import PdfFailed, pdf_writer, write_pdf

PAGE = ('<html lang="en-GB"><head><title>Paper</title></head><body><h1>Paper</h1>'
        '<table><thead><tr><th scope="col">Ref</th></tr></thead>'
        '<tbody><tr><td>GO-1</td></tr></tbody></table></body></html>')


def _new_child(before: set) -> multiprocessing.process.BaseProcess:
    """The renderer this test started (other tests' workers may be compiling too)."""
    [child] = [c for c in multiprocessing.active_children()
               if c not in before and c.name == "ragtime-pdf"]
    return child


def test_the_child_writes_a_tagged_pdf_and_is_gone_after(tmp_path):
    before = set(multiprocessing.active_children())
    with pdf_writer() as write:
        child = _new_child(before)
        path = write(PAGE, tmp_path / "paper.pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout
    assert not child.is_alive()


def test_a_renderer_that_dies_is_a_clear_error_and_leaves_no_file(tmp_path):
    before = set(multiprocessing.active_children())
    with pdf_writer() as write:
        child = _new_child(before)
        os.kill(child.pid, signal.SIGKILL)
        with pytest.raises(PdfFailed, match="the PDF renderer stopped"):
            write(PAGE, tmp_path / "paper.pdf")
    assert not (tmp_path / "paper.pdf").exists()
    assert not child.is_alive()


def test_what_weasyprint_cannot_do_comes_back_as_a_message(tmp_path):
    with pytest.raises(PdfFailed, match=r"the PDF could not be written: \w*Error"):
        write_pdf(PAGE, tmp_path / "no such folder" / "paper.pdf")


def test_a_compile_that_never_asks_for_the_pdf_ends_its_child():
    before = set(multiprocessing.active_children())
    with pdf_writer():
        child = _new_child(before)
    assert not child.is_alive()
