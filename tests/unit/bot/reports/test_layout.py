"""How the paper looks and reads, checked on the files of the bundled seed example: pages well
filled, rows whole, header rows repeated, "Page X of Y" and a running header, DRAFT until
approved, one font, and the accessibility a published board paper needs (tagged PDF, language,
headings, header cells, the chart's alt text)."""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from bot.framework.example import EXAMPLE_PERIOD, load_example
from bot.reports import compile_closure, compile_report
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

LONDON = ZoneInfo("Europe/London")
ORGANISATION = "Leicestershire Partnership NHS Trust"
TITLE = "Step Up To Great – Quarter 2 progress 2024/25"
APPROVAL = ("Jo Chair", datetime(2024, 11, 5, 16, 30, tzinfo=LONDON))
APPROVED = "Approved by Jo Chair on 5 November 2024"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def papers(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The seed's 2024/25 Q2 paper as a draft and approved, and its closure report approved."""
    folder = tmp_path_factory.mktemp("layout")
    engine = make_engine(f"sqlite:///{folder / 'ragtime.db'}")
    upgrade(engine)
    with session_scope(engine, write=True) as session:
        load_example(session)
    with session_scope(engine) as session:
        draft = compile_report(session, EXAMPLE_PERIOD, folder / "draft")
        approved = compile_report(session, EXAMPLE_PERIOD, folder / "approved", approval=APPROVAL)
        closure = compile_closure(session, 2024, folder / "closure", approval=APPROVAL)
    engine.dispose()
    return {"draft": draft.paths, "approved": approved.paths, "closure": closure.paths}


def pdf_pages(path) -> list[str]:  # type: ignore[no-untyped-def]
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def docx_part(path, name: str) -> str:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


def docx_text(xml: str) -> str:
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


# --- PDF ---------------------------------------------------------------------------------------

def test_pdf_is_tagged_in_british_english(papers):
    info = subprocess.run(["pdfinfo", str(papers["draft"]["pdf"])], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    root = PdfReader(papers["draft"]["pdf"]).trailer["/Root"]
    assert root["/Lang"] == "en-GB" and root["/MarkInfo"]["/Marked"]


def struct_elements(node, found: list) -> list:  # type: ignore[no-untyped-def]
    node = node.get_object()
    if isinstance(node, dict):
        if "/S" in node:
            found.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            struct_elements(kid, found)
    return found


def test_pdf_structure_has_headings_header_cells_and_the_charts_alt_text(papers):
    root = PdfReader(papers["draft"]["pdf"]).trailer["/Root"]
    elements = struct_elements(root["/StructTreeRoot"], [])
    kinds = {element["/S"] for element in elements}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD"} <= kinds
    figure, heatmap = [element for element in elements if element["/S"] == "/Figure"]
    assert heatmap["/Alt"].startswith("Heat map of current BAF risk scores, 2024/25 Q2")
    assert figure["/Alt"].startswith("Bar chart: RAG ratings by theme, 2024/25 Q2.")
    assert "Great Outcomes: 6 Green, 1 Amber, 0 Red, 0 no update" in figure["/Alt"]


def test_every_pdf_page_has_the_running_header_draft_mark_and_page_x_of_y(papers):
    pages = pdf_pages(papers["draft"]["pdf"])
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert ORGANISATION in text and TITLE in text  # the title names the quarter once
        assert "DRAFT" in text and "Approved by" not in text


def test_pdf_area_names_are_never_broken_inside_a_word(papers):
    """The Area column is wide enough for the seed's longest words ("Sustainabilit / y" once)."""
    found = subprocess.run(["pdftotext", str(papers["draft"]["pdf"]), "-"],
                           capture_output=True, text=True, check=True).stdout
    lines = {line.strip() for line in found.splitlines()}
    assert "Sustainabilit" not in lines and "Organisation" not in lines
    assert any("Sustainability" in line for line in lines)


def test_an_approved_pdf_says_who_approved_it_on_every_page_and_no_draft(papers):
    for text in pdf_pages(papers["approved"]["pdf"]):
        assert APPROVED in text and "DRAFT" not in text
    for text in pdf_pages(papers["closure"]["pdf"]):
        assert APPROVED in text and "DRAFT" not in text


def body_use(pdf) -> list[float]:  # type: ignore[no-untyped-def]
    """For each page, the share of the body's height (between the running header and footer)
    down to the lowest word on it, from ``pdftotext -bbox``."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    used = []
    for page in re.findall(r"<page (.*?)</page>", html, re.S):
        height = float(re.search(r'height="([\d.]+)"', page)[1])
        top, bottom = 18 / 25.4 * 72, height - 18 / 25.4 * 72  # the @page margins
        lows = [float(y) for y in re.findall(r'yMax="([\d.]+)"', page)]
        body = [y for y in lows if top < y < bottom]
        used.append((max(body) - top) / (bottom - top) if body else 0.0)
    return used


@pytest.mark.parametrize("paper", ["draft", "closure"])
def test_no_page_but_the_last_is_left_mostly_empty(papers, paper):
    used = body_use(papers[paper]["pdf"])
    assert used, "no pages"
    assert all(share > 0.25 for share in used[:-1]), [f"{share:.0%}" for share in used]


# --- Word --------------------------------------------------------------------------------------

@pytest.mark.parametrize("paper", ["draft", "closure"])
def test_word_rows_never_split_and_header_rows_repeat(papers, paper):
    document = docx_part(papers[paper]["docx"], "word/document.xml")
    tables = re.findall(r"<w:tbl>.*?</w:tbl>", document, re.S)
    assert tables
    for table in tables:
        rows = re.findall(r"<w:tr[ >].*?</w:tr>", table, re.S)
        assert all("<w:cantSplit/>" in row for row in rows)
        assert re.search(r'<w:tblHeader(?: w:val="(?:true|1)")?/>', rows[0])


def test_word_header_and_footer_carry_title_period_trust_draft_and_page_x_of_y(papers):
    path = papers["draft"]["docx"]
    header, footer = docx_part(path, "word/header1.xml"), docx_part(path, "word/footer1.xml")
    assert TITLE in docx_text(header) and "· 2024/25 Q2" not in docx_text(header)
    assert ORGANISATION in docx_text(header) and "DRAFT" in docx_text(header)
    assert "DRAFT — not yet approved" in docx_text(footer)
    # text and field codes in reading order: "… Page {PAGE} of {NUMPAGES}"
    reading = "".join(text or f"{{{code.strip()}}}" for text, code in re.findall(
        r"<w:t(?: [^>]*)?>([^<]*)</w:t>|<w:instrText[^>]*>([^<]*)</w:instrText>", footer))
    assert reading.endswith("Page {PAGE}1 of {NUMPAGES}1")  # "1" shown until Word updates it


def test_approved_word_paper_says_who_approved_it_and_no_draft(papers):
    for paper in ("approved", "closure"):
        path = papers[paper]["docx"]
        text = "".join(docx_text(docx_part(path, part)) for part in
                       ("word/document.xml", "word/header1.xml", "word/footer1.xml"))
        assert APPROVED in text and "DRAFT" not in text


def test_word_is_one_font_in_british_english_with_heading_styles(papers):
    path = papers["draft"]["docx"]
    styles = docx_part(path, "word/styles.xml")
    assert "Theme=" not in styles and "theme=" not in styles  # no Calibri from the theme
    fonts = {value for element in re.findall(r"<w:rFonts [^>]*>", styles)
             for value in re.findall(r'="([^"]+)"', element)}
    assert fonts == {"Arial"}
    assert set(re.findall(r'<w:lang w:val="([^"]+)"', styles)) == {"en-GB"}
    document = docx_part(path, "word/document.xml")
    used = re.findall(r'<w:pStyle w:val="(Heading\d)"/>', document)
    assert used[0] == "Heading1" and "Heading2" in used and "Heading3" in used
    assert "pageBreakBefore" not in document  # themes flow on


def test_word_chart_has_alt_text(papers):
    document = docx_part(papers["draft"]["docx"], "word/document.xml")
    descr, heatmap = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', document)
    assert heatmap.startswith("Heat map of current BAF risk scores, 2024/25 Q2")
    assert descr.startswith("Bar chart: RAG ratings by theme, 2024/25 Q2.")
    assert "Part of the Community: 1 Green, 1 Amber, 0 Red, 0 no update" in descr


# --- HTML --------------------------------------------------------------------------------------

class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.header_cells: list[dict] = []
        self.images: list[dict] = []
        self.meta: list[dict] = []
        self.lang: str | None = None
        self._in_thead = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "thead":
            self._in_thead = True
        elif tag == "th" and self._in_thead:
            self.header_cells.append(values)
        elif tag == "img":
            self.images.append(values)
        elif tag == "meta":
            self.meta.append(values)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "thead":
            self._in_thead = False


@pytest.mark.parametrize("paper", ["draft", "closure"])
def test_html_has_language_headings_in_order_header_cells_and_alt_text(papers, paper):
    outline = Outline()
    outline.feed(papers[paper]["html"].read_text(encoding="utf-8"))
    assert outline.lang == "en-GB"
    assert outline.headings[0] == 1 and outline.headings.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(outline.headings, outline.headings[1:], strict=False))
    assert outline.header_cells and all(c.get("scope") in ("col", "row")
                                        for c in outline.header_cells)
    chart, *heatmap = outline.images  # the quarter's paper has the BAF heat map too
    assert chart["alt"].startswith("Bar chart: RAG ratings by")
    assert [image["alt"][:35] for image in heatmap] == (
        ["Heat map of current BAF risk scores"] if paper == "draft" else [])


def test_html_reads_on_a_phone_and_prints_on_a4(papers):
    html = papers["draft"]["html"].read_text(encoding="utf-8")
    outline = Outline()
    outline.feed(html)
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in outline.meta
    screen = html[html.index("@media screen"):]
    assert re.search(r"body \{[^}]*max-width: 62rem", screen)
    assert ".table-wrap { overflow-x: auto" in screen
    assert html.count('<div class="table-wrap">') == html.count("<table") - html.count(
        '<table class="cover">')
    assert "size: A4" in html and "tr { break-inside: avoid; }" in html
    assert "thead { display: table-header-group; }" in html
    assert "break-before: page" not in html


def test_draft_and_approval_are_said_in_html_and_markdown(papers):
    draft_html = papers["draft"]["html"].read_text(encoding="utf-8")
    assert "DRAFT</span> — not yet approved" in draft_html and "Approved by" not in draft_html
    draft_md = papers["draft"]["md"].read_text(encoding="utf-8")
    assert "**DRAFT** — not yet approved." in draft_md
    for paper in ("approved", "closure"):
        for fmt in ("html", "md"):
            text = papers[paper][fmt].read_text(encoding="utf-8")
            assert APPROVED in text and "DRAFT" not in text


# --- Markdown ----------------------------------------------------------------------------------

def test_markdown_shows_ampersands_without_html_entities(papers):
    text = papers["draft"]["md"].read_text(encoding="utf-8")
    assert "Environment & Sustainability" in text
    assert not re.search(r"&(amp|lt|gt|quot|#\d+);", text)
