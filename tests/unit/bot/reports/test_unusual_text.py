"""Long and unusual user text never breaks a layout, crashes, or runs as a template."""

from __future__ import annotations

import re

import pytest
from docx import Document
from pypdf import PdfReader
from sqlmodel import select

from bot.calendar.periods import stored_period
from bot.reports import compile_closure, compile_report
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Deliverable, DeliverableOwner, Framework, Person, Rag, Theme, Update
from tests.unit.bot.reports.conftest import Q2, add_framework

LONG_WORD = "x" * 10_000
NARRATIVE = (
    "<script>alert('owned')</script> & <b>bold?</b>\n"
    "Template {{ 7 * 7 }} and {% for i in range(3) %}loop{% endfor %} and {# comment #}\n"
    "Emoji ✅🚑🏥 and RTL: مرحبا بالعالم שלום עולם\n"
    "Markdown *stars* _under_ [link](http://example.com) | pipe # hash\n"
    "Control\x00chars\x0bhere\x07\r\nhttps://example.nhs.uk/" + "a/" * 200 + "\n" + LONG_WORD
)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("unusual")
    engine = make_engine(f"sqlite:///{folder / 'ragtime.db'}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        add_framework(session)
        framework = session.exec(select(Framework)).one()
        theme = Theme(framework_id=framework.id, name="Costs $x^2$ {{ theme }} <i>", position=2,
                      ambition="{% if true %}ambition{% endif %}", objectives=["<b>obj</b>"])
        person = Person(key="odd", name="Zoë <O'Brien> & Co", title="{{ title }}")
        session.add_all([theme, person])
        session.flush()
        deliverable = Deliverable(framework_id=framework.id, theme_id=theme.id, ref="ODD-1",
                                  area="Área {{ area }}", title="Ünusual <title> " + "y" * 300)
        session.add(deliverable)
        session.flush()
        session.add(DeliverableOwner(deliverable_id=deliverable.id, person_id=person.id))
        session.add(Update(deliverable_id=deliverable.id, period_id=stored_period(session, Q2).id,
                           rag=Rag.amber, narrative=NARRATIVE, submitted_by_id=person.id,
                           recovery_action="{{ recovery }}"))
    with session_scope(engine) as session:
        files = compile_report(session, Q2, folder / "out")
        closure = compile_closure(session, 2024, folder / "closure")
    engine.dispose()
    return files, closure


def test_html_escapes_user_text_and_never_runs_it(compiled):
    files, _ = compiled
    html = files.paths["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;owned&#39;)" in html
    assert "<b>bold?</b>" not in html and "Zoë &lt;O&#39;Brien&gt; &amp; Co" in html
    assert "Template {{ 7 * 7 }} and" in html and "Template 49" not in html
    assert "{% for i in range(3) %}loop{% endfor %}" in html
    assert "{% if true %}ambition{% endif %}" in html
    assert "مرحبا بالعالم" in html and "✅🚑🏥" in html
    assert "\x00" not in html and "\x0b" not in html
    assert LONG_WORD in html


def test_markdown_shows_markup_literally(compiled):
    files, _ = compiled
    text = files.paths["md"].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert('owned')&lt;/script&gt; & &lt;b&gt;bold?&lt;/b&gt;" in text
    assert "\\*stars\\* \\_under\\_ \\[link\\]" in text and "\\| pipe" in text
    assert "{{ 7 \\* 7 }}" in text and "Costs $x^2$ {{ theme }} &lt;i&gt;" in text
    assert "<script" not in text and "<b>" not in text and "<i>" not in text
    assert "&amp;" not in text  # a lone & stays as written


def test_docx_holds_the_text_literally(compiled):
    files, _ = compiled
    document = Document(str(files.paths["docx"]))
    cells = {cell.text for table in document.tables for row in table.rows
             for cell in row.cells}
    narrative = next(text for text in cells if "alert('owned')" in text)
    assert "<script>alert('owned')</script> & <b>bold?</b>" in narrative
    assert "{{ 7 * 7 }}" in narrative and "{% for i in range(3) %}loop{% endfor %}" in narrative
    assert "مرحبا بالعالم" in narrative and LONG_WORD in narrative
    assert "Zoë <O'Brien> & Co, {{ title }}" in cells
    assert any(p.text == "Costs $x^2$ {{ theme }} <i>" for p in document.paragraphs)


def test_pdf_renders_long_words_wrapped_within_the_page(compiled):
    files, _ = compiled
    reader = PdfReader(files.paths["pdf"])
    # pypdf spreads NULs through text set in a font subset with a custom encoding; drop them.
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages)).replace("\x00", "")
    assert "{{7*7}}" in text and "alert('owned')" in text
    assert text.count("x" * 50) >= 10_000 // 50 - 5  # the whole word is there, wrapped
    # 10,000 characters wrap into some extra pages, not hundreds.
    assert 4 <= len(reader.pages) <= 20
    width = float(reader.pages[0].mediabox.width)
    assert round(width) == 595  # A4


def test_closure_renders_the_same_text(compiled):
    _, closure = compiled
    assert set(closure.paths) == {"md", "html", "docx", "pdf"}
    html = closure.paths["html"].read_text(encoding="utf-8")
    assert "&lt;script&gt;" in html and "{{ 7 * 7 }}" in html
    assert len(PdfReader(closure.paths["pdf"]).pages) >= 2
