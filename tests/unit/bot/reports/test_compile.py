"""Compiled files as a reader gets them: Markdown, HTML, Word and PDF."""

from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from pypdf import PdfReader

from bot.reports import FormatError, compile_report
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from tests.paths import TEMPLATES
from tests.unit.bot.reports.conftest import Q2, add_framework

LONDON = ZoneInfo("Europe/London")
RAG_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", None: "No update"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The small framework's 2024/25 Q2 report in every format (compiled once per module)."""
    folder = tmp_path_factory.mktemp("report")
    engine = make_engine(f"sqlite:///{folder / 'ragtime.db'}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        add_framework(session)
    steps: list[str] = []
    with session_scope(engine) as session:
        files = compile_report(session, Q2, folder / "out", progress=steps.append,
                               cover_overrides={"author": "Amanda Angelescu"},
                               generated_at=datetime(2024, 10, 20, 14, 5, tzinfo=LONDON))
    engine.dispose()
    return files, steps


def squash(text: str) -> str:
    """Text without whitespace, so words wrapped across PDF lines still match."""
    return re.sub(r"\s+", "", text)


def test_files_are_named_for_framework_and_period(compiled):
    files, steps = compiled
    assert {fmt: path.name for fmt, path in files.paths.items()} == {
        "md": "sutg-2024-25-Q2.md", "html": "sutg-2024-25-Q2.html",
        "docx": "sutg-2024-25-Q2.docx", "pdf": "sutg-2024-25-Q2.pdf"}
    assert files.chart.name == "sutg-2024-25-Q2-chart.png"
    assert files.chart.read_bytes().startswith(b"\x89PNG")
    assert len(files.content_hash) == 64
    assert steps[0] == "reading updates" and "writing PDF" in steps


def test_markdown_has_every_deliverable_with_rag_and_sros(compiled):
    files, _ = compiled
    text = files.paths["md"].read_text(encoding="utf-8")
    for row in files.view.rows:
        block = text.split(f"#### {row.code} {row.title}\n", 1)[1].split("####", 1)[0]
        assert f"RAG: {RAG_WORDS[row.rag]}" in block
        for person in row.sros:
            assert f"{person.name}, {person.title}" in block
    assert "No update received for 2024/25 Q2" in text
    assert "Amber → **Green**" in text and "Green → **Amber**" in text
    assert re.search(r"!\[[^\]]+\]\(sutg-2024-25-Q2-chart\.png\)", text)  # alt text given
    assert "| Paper authored by | Amanda Angelescu |" in text


def test_html_is_a_board_paper_with_coloured_and_labelled_rag_cells(compiled):
    files, _ = compiled
    html = files.paths["html"].read_text(encoding="utf-8")
    for row in files.view.rows:
        assert row.title in html
        for person in row.sros:
            assert person.name in html and person.title in html
    assert html.count('class="rag rag-green">Green') == 3
    assert '<td class="rag rag-amber">Amber<small>was Green</small>' in html
    assert '<td class="rag rag-red">Red' in html
    assert '<td class="rag rag-none">No update' in html
    assert "No update received for 2024/25 Q2." in html
    assert "@page" in html and "size: A4" in html and "overflow-wrap: anywhere" in html
    assert "<thead>" in html and "data:image/png;base64," in html
    assert "Compiled by Ragtime on 20 October 2024 at 14:05." in html


def test_docx_tables_hold_every_row_with_shaded_rag_cells(compiled):
    files, _ = compiled
    document = Document(str(files.paths["docx"]))
    progress = [t for t in document.tables
                if [c.text for c in t.rows[0].cells][2:3] == ["Deliverable and update"]]
    assert len(progress) == 2
    rows = [row for table in progress for row in table.rows[1:]]
    assert len(rows) == len(files.view.rows)
    for expected, row in zip(files.view.rows, rows, strict=True):
        cells = [cell.text for cell in row.cells]
        assert cells[0] == expected.code and cells[1] == expected.area
        assert cells[2].startswith(expected.title)
        assert cells[3] == ";\n".join(f"{p.name}, {p.title}" for p in expected.sros)
        assert cells[4].startswith(RAG_WORDS[expected.rag])
        fill = row.cells[4]._tc.xpath("./w:tcPr/w:shd/@w:fill")
        assert fill == [{"green": "007F3B", "amber": "FFB81C", "red": "D5281B",
                         None: "D8DDE0"}[expected.rag]]
    cover = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert cover["Paper authored by"] == "Amanda Angelescu"
    # The header row repeats on every page and the chart is embedded.
    assert progress[0].rows[0]._tr.xpath("./w:trPr/w:tblHeader")
    assert len(document.inline_shapes) == 2  # the RAG chart and the BAF heat map
    assert any("Compiled by Ragtime on 20 October 2024 at 14:05." in p.text
               for p in document.paragraphs)


def test_pdf_has_pages_with_every_deliverable_sro_and_rag(compiled):
    files, _ = compiled
    reader = PdfReader(files.paths["pdf"])
    assert len(reader.pages) >= 3  # cover + summary, then a page per theme
    text = squash("".join(page.extract_text() for page in reader.pages))
    for row in files.view.rows:
        assert squash(row.title) in text
        for person in row.sros:
            assert squash(person.name) in text
    assert squash("No update received for 2024/25 Q2.") in text
    assert "Page1of" in text


def test_only_the_formats_asked_for(engine, tmp_path):
    with session_scope(engine, write=True) as session:
        add_framework(session)
    with session_scope(engine) as session:
        files = compile_report(session, Q2, tmp_path / "out", formats=["md"])
        assert set(files.paths) == {"md"}
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
            "sutg-2024-25-Q2-baf.png", "sutg-2024-25-Q2-chart.png", "sutg-2024-25-Q2.md"]
        with pytest.raises(FormatError, match=r"odt.*md, html, docx, pdf"):
            compile_report(session, Q2, tmp_path / "out", formats=["md", "odt"])


def test_docx_template_script_makes_the_committed_templates(tmp_path):
    """The generator still produces templates with the same tags as the committed ones."""
    import runpy

    runpy.run_path(str(TEMPLATES / "make_docx_template.py"), run_name="generator")["main"](
        tmp_path)
    for name in ("report.docx", "closure.docx"):
        assert _tags(tmp_path / name) == _tags(TEMPLATES / name)
        shutil.copy(tmp_path / name, tmp_path / f"copy-{name}")


def _tags(path: Path) -> list[str]:
    document = Document(str(path))
    texts = [p.text for p in document.paragraphs]
    texts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    texts += [p.text for p in document.sections[0].footer.paragraphs]
    return re.findall(r"{[{%].*?[}%]}", "\n".join(texts))


def test_files_appear_only_when_all_are_written(tmp_path, monkeypatch):
    """A compile that fails half-way leaves the previous compile's files untouched and no
    partial files in the folder."""
    from bot.framework.example import EXAMPLE_PERIOD, load_example
    from bot.reports import compile as compiling
    from bot.reports import compile_report
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        load_example(session)
    out = tmp_path / "out"
    with session_scope(engine) as session:
        first = compile_report(session, EXAMPLE_PERIOD, out, formats=("md", "pdf"))
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    @contextmanager
    def broken_pdf():
        def write(html, path):
            raise RuntimeError("killed while writing the PDF")
        yield write

    monkeypatch.setattr(compiling, "pdf_writer", broken_pdf)
    with session_scope(engine) as session, pytest.raises(RuntimeError):
        compile_report(session, EXAMPLE_PERIOD, out, formats=("md", "pdf"),
                       cover_overrides={"meeting": "A different meeting"})
    after = {path.name: path.read_bytes() for path in out.iterdir()}
    assert after == before  # the new Markdown was never put beside the old PDF
    assert set(first.paths.values()) <= set(out.iterdir())
    engine.dispose()
