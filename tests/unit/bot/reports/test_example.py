"""The bundled seed example ("Step Up To Great", 2024/25 Q2) compiled in every format: each of
its 17 deliverables with its RAG and SRO(s), as in the seed report."""

from __future__ import annotations

import re

import pytest
import yaml
from docx import Document
from pypdf import PdfReader

from bot.framework.example import EXAMPLE_FRAMEWORK, EXAMPLE_PERIOD, example_updates, load_example
from bot.reports import compile_report
from bot.reports.export import export_rows
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

LABEL = {"green": "Green", "amber": "Amber", "red": "Red"}


def seed_deliverables() -> list[dict]:
    """ref, title, RAG and SRO (name, title) of every deliverable, read from the bundled files."""
    framework = yaml.safe_load(EXAMPLE_FRAMEWORK.read_text(encoding="utf-8"))
    people = {p["id"]: (p["name"], p["title"]) for p in framework["people"]}
    rags = {u.ref: u.rag.value for u in example_updates().updates}
    found = []
    for theme in framework["themes"]:
        for item in theme["deliverables"]:
            sros = item["sro"] if isinstance(item["sro"], list) else [item["sro"]]
            found.append({"ref": item["ref"], "title": " ".join(item["title"].split()),
                          "rag": rags[item["ref"]], "sros": [people[key] for key in sros]})
    return found


@pytest.fixture(scope="module")
def example(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("example")
    engine = make_engine(f"sqlite:///{folder / 'ragtime.db'}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        load_example(session)
    with session_scope(engine) as session:
        files = compile_report(session, EXAMPLE_PERIOD, folder / "out")
        rows = export_rows(session, EXAMPLE_PERIOD)
    engine.dispose()
    return files, rows


def test_there_are_seventeen_seed_deliverables():
    assert len(seed_deliverables()) == 17


def test_view_and_export_carry_every_seed_rag_and_sro(example):
    files, rows = example
    view_rows = {row.ref: row for row in files.view.rows}
    exported = {row["ref"]: row for row in rows}  # the reference shown (GO-1), see below
    exported = {view_rows[ref].ref: exported[view_rows[ref].code] for ref in view_rows}
    for seed in seed_deliverables():
        row = view_rows[seed["ref"]]
        assert (row.title, row.rag) == (seed["title"], seed["rag"])
        assert [(p.name, p.title) for p in row.sros] == seed["sros"]
        assert exported[seed["ref"]]["rag"] == seed["rag"]
        assert exported[seed["ref"]]["sros"] == [name for name, _ in seed["sros"]]
    assert files.view.rag_counts.total == 17 and files.view.rag_counts.missing == 0


def test_markdown_and_html_show_every_seed_row(example):
    files, _ = example
    md = files.paths["md"].read_text(encoding="utf-8")
    html = files.paths["html"].read_text(encoding="utf-8")
    for seed in seed_deliverables():
        block = md.split(f" {seed['title']}\n", 1)[1].split("####", 1)[0]
        assert f"RAG: {LABEL[seed['rag']]}" in block
        assert "; ".join(f"{n}, {t}" for n, t in seed["sros"]) in block
        # the progress row: the last mention (the summary's exceptions name Ambers first)
        row = html.split(seed["title"])[-1].split("</tr>", 1)[0]
        assert f'class="rag rag-{seed["rag"]}">{LABEL[seed["rag"]]}' in row
        sros = ";\n".join(f"{name}, {title}" for name, title in seed["sros"])
        assert f'<td class="sros">{sros}</td>' in row


def test_docx_and_pdf_show_every_seed_row(example):
    files, _ = example
    document = Document(str(files.paths["docx"]))
    cells = {row.cells[2].text.split("\n", 1)[0]: [c.text for c in row.cells]
             for table in document.tables if len(table.columns) == 5 for row in table.rows}
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(
        files.paths["pdf"]).pages)).replace("\x00", "")
    for seed in seed_deliverables():
        row = cells[seed["title"]]
        assert row[3] == ";\n".join(f"{n}, {t}" for n, t in seed["sros"])
        word, marks = row[4].split("\n", 1)  # the RAG, then the four-quarter trend marks
        assert word == LABEL[seed["rag"]]
        assert marks.split() == ["–", "–", "–", LABEL[seed["rag"]][0]]
        assert re.sub(r"\s+", "", seed["title"]) in text
        for name, title in seed["sros"]:
            assert re.sub(r"\s+", "", f"{name}, {title}") in text  # ";" may follow
