"""The PDF's own process: a tagged PDF comes back; what stops it is a message, not a hang; it
never outlives the compile."""

from __future__ import annotations

import subprocess

import pytest

from bot.reports import pdf_process
from bot.reports.pdf_process import PdfFailed, pdf_writer

PAGE = ('<html lang="en-GB"><head><title>Paper</title></head><body><h1>Paper</h1>'
        '<table><thead><tr><th scope="col">Ref</th></tr></thead>'
        '<tbody><tr><td>GO-1</td></tr></tbody></table></body></html>')


@pytest.fixture
def children(monkeypatch):
    """Every PDF process the test starts."""
    started: list[subprocess.Popen] = []
    popen = subprocess.Popen

    def recording(*args, **kwargs):
        child = popen(*args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(pdf_process.subprocess, "Popen", recording)
    return started


def pdf_processes(started: list[subprocess.Popen]) -> list[subprocess.Popen]:
    return [child for child in started if "bot.pdf.child" in child.args]


def test_the_child_writes_a_tagged_pdf_and_is_gone_after(tmp_path, children):
    with pdf_writer() as write:
        path = write(PAGE, tmp_path / "paper.pdf")
    [child] = children
    assert child.returncode == 0
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout


def test_a_renderer_that_dies_is_a_clear_error_and_leaves_no_file(tmp_path, children):
    with pdf_writer() as write:
        [child] = children
        child.kill()
        child.wait()
        with pytest.raises(PdfFailed, match=r"the PDF renderer stopped \(exit status -9\)"):
            write(PAGE, tmp_path / "paper.pdf")
    assert not (tmp_path / "paper.pdf").exists()


def test_what_weasyprint_cannot_do_comes_back_as_a_message(tmp_path):
    refused = r"the PDF could not be written: \w*Error: .*no such"
    with pdf_writer() as write, pytest.raises(PdfFailed, match=refused):
        write(PAGE, tmp_path / "no such folder" / "paper.pdf")


def test_a_compile_that_never_asks_for_the_pdf_ends_its_child(children):
    with pdf_writer():
        pass
    [child] = children
    assert child.returncode is not None


@pytest.fixture
def in_this_process(monkeypatch):
    """As in a compile forked from the warmed forkserver (``bot.reports.warm``)."""
    monkeypatch.setattr(pdf_process, "_in_this_process", False)
    pdf_process.write_pdfs_in_this_process()


def test_a_warmed_compile_writes_the_tagged_pdf_itself(tmp_path, children, in_this_process):
    with pdf_writer() as write:
        path = write(PAGE, tmp_path / "paper.pdf")
    assert pdf_processes(children) == []
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Tagged:          yes" in info.stdout


def test_a_warmed_compile_says_what_weasyprint_cannot_do(tmp_path, children, in_this_process):
    refused = r"the PDF could not be written: \w*Error: .*no such"
    with pdf_writer() as write, pytest.raises(PdfFailed, match=refused):
        write(PAGE, tmp_path / "no such folder" / "paper.pdf")
    assert pdf_processes(children) == []
