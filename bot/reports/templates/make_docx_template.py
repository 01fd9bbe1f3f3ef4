"""Generate the Word templates ``report.docx`` and ``closure.docx`` (docxtpl tags inside).

Run once, and again only to start the templates afresh; the committed .docx files are the
ones the comms team may restyle in Word (fonts, colours, logos, widths) as long as the
``{{ … }}`` / ``{%tr … %}`` / ``{%p … %}`` tags stay in place:

    python bot/reports/templates/make_docx_template.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

NHS_BLUE = RGBColor(0x00, 0x5E, 0xB8)
GREY_TEXT = RGBColor(0x42, 0x55, 0x63)
HEADER_FILL = "E8EDEE"


def new_document(footer: str):  # type: ignore[no-untyped-def]
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(16), Mm(18)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(9.5)
    normal.paragraph_format.space_after = Pt(3)
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 11.5), ("Heading 3", 10.5)):
        style = styles[name]
        style.font.name, style.font.size, style.font.color.rgb = "Arial", Pt(size), NHS_BLUE
        style.font.bold = True
    styles["Title"].paragraph_format.space_after = Pt(2)
    document.core_properties.title = "{{ title }}"
    document.core_properties.author = "Ragtime"
    paragraph = section.footer.paragraphs[0]
    run = paragraph.add_run(footer + "\tPage ")
    run.font.size, run.font.color.rgb = Pt(7.5), GREY_TEXT
    _page_field(paragraph)
    return document


def _page_field(paragraph) -> None:  # type: ignore[no-untyped-def]
    run = paragraph.add_run()
    run.font.size = Pt(7.5)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


def tag(document, text: str) -> None:  # type: ignore[no-untyped-def]
    """A paragraph holding only a docxtpl paragraph tag (``{%p … %}``), removed on render."""
    document.add_paragraph(text)


def table(document, headers: list[str], widths_mm: list[float]):  # type: ignore[no-untyped-def]
    grid = document.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    properties = grid._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    header = grid.rows[0]
    row_properties = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    row_properties.append(repeat)
    for cell, text in zip(header.cells, headers, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
        shade(cell, HEADER_FILL)
    for column, width in zip(grid.columns, widths_mm, strict=True):
        column.width = Mm(width)  # the grid Word and LibreOffice lay out by
    set_widths(grid.rows[0], widths_mm)
    return grid


def add_row(grid, cells: list[str | list[tuple[str, bool]]], widths_mm: list[float]):  # type: ignore[no-untyped-def]
    """A row whose cells hold tag text; a list value is paragraphs of (text, bold)."""
    row = grid.add_row()
    for cell, content in zip(row.cells, cells, strict=True):
        parts = [(content, False)] if isinstance(content, str) else content
        for index, (text, bold) in enumerate(parts):
            paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
            paragraph.add_run(text).bold = bold
    set_widths(row, widths_mm)
    return row


def loop_rows(grid, loop: str, cells: list, widths_mm: list[float]) -> None:  # type: ignore[no-untyped-def]
    """``{%tr for … %}`` / the repeated row / ``{%tr endfor %}``."""
    add_row(grid, [loop] + [""] * (len(cells) - 1), widths_mm)
    add_row(grid, cells, widths_mm)
    add_row(grid, ["{%tr endfor %}"] + [""] * (len(cells) - 1), widths_mm)


def set_widths(row, widths_mm: list[float]) -> None:  # type: ignore[no-untyped-def]
    for cell, width in zip(row.cells, widths_mm, strict=True):
        cell.width = Mm(width)


def shade(cell, fill: str) -> None:  # type: ignore[no-untyped-def]
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def heading(document, text: str, level: int, *, new_page: bool = False):  # type: ignore[no-untyped-def]
    paragraph = document.add_heading(text, level=level)
    paragraph.paragraph_format.page_break_before = new_page
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def cover(document) -> None:  # type: ignore[no-untyped-def]
    widths = [55, 125]
    grid = table(document, ["Board paper", ""], widths)
    loop_rows(grid, "{%tr for row in cover %}", [[("{{ row.label }}", True)], "{{ row.value }}"],
              widths)


def subtitle(document, text: str) -> None:  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size, run.font.color.rgb = Pt(10.5), GREY_TEXT


def bullets(document, condition: str, loop: str, item: str, otherwise: str) -> None:  # type: ignore[no-untyped-def]
    tag(document, "{%p if " + condition + " %}")
    tag(document, "{%p for " + loop + " %}")
    document.add_paragraph(item, style="List Bullet")
    tag(document, "{%p endfor %}")
    tag(document, "{%p else %}")
    document.add_paragraph(otherwise)
    tag(document, "{%p endif %}")


def report_template() -> Document:  # type: ignore[valid-type]
    document = new_document("{{ framework_name }} — {{ period_label }}")
    document.add_paragraph("{{ title }}", style="Title")
    subtitle(document, "{{ organisation }} · {{ period_label }} ({{ period_dates }})")
    cover(document)

    heading(document, "Summary of RAG ratings", 2)
    widths = [70, 22, 22, 22, 22, 22]
    grid = table(document, ["Theme", "Green", "Amber", "Red", "No update", "Total"], widths)
    loop_rows(grid, "{%tr for t in summary %}",
              ["{{ t.name }}", "{{ t.green }}", "{{ t.amber }}", "{{ t.red }}",
               "{{ t.missing }}", "{{ t.total }}"], widths)
    add_row(grid, [[(f"{{{{ overall.{key} }}}}", True)]
                   for key in ("name", "green", "amber", "red", "missing", "total")], widths)
    document.add_paragraph("{{ chart }}").alignment = WD_ALIGN_PARAGRAPH.CENTER

    heading(document, "Changes since {{ previous_period_label }}", 3)
    bullets(document, "changes", "change in changes", "{{ change }}",
            "No RAG rating changed since {{ previous_period_label }}.")
    heading(document, "No update received", 3)
    bullets(document, "missing", "item in missing", "{{ item }}",
            "Every deliverable has an update for {{ period_label }}.")

    tag(document, "{%p for theme in themes %}")
    heading(document, "{{ theme.name }}", 1, new_page=True)
    tag(document, "{%p if theme.ambition %}")
    heading(document, "Ambition", 3)
    document.add_paragraph("{{ theme.ambition }}")
    tag(document, "{%p endif %}")
    tag(document, "{%p if theme.objectives %}")
    heading(document, "Objectives", 3)
    tag(document, "{%p for objective in theme.objectives %}")
    document.add_paragraph("{{ objective }}", style="List Bullet")
    tag(document, "{%p endfor %}")
    tag(document, "{%p endif %}")
    tag(document, "{%p if theme.risks %}")
    heading(document, "Board Assurance Framework risks", 3)
    widths = [18, 118, 22, 22]
    grid = table(document, ["BAF No", "Risk title", "Current score", "Direction"], widths)
    loop_rows(grid, "{%tr for risk in theme.risks %}",
              ["{{ risk.number }}", "{{ risk.title }}", "{{ risk.score }}",
               "{{ risk.direction }}"], widths)
    tag(document, "{%p endif %}")
    heading(document, "{{ theme.name }} progress {{ period_label }}", 3)
    widths = [11, 25, 89, 35, 20]
    grid = table(document, ["No", "Area", "Deliverable and update", "SRO", "RAG"], widths)
    loop_rows(grid, "{%tr for row in theme.rows %}",
              ["{{ row.number }}", "{{ row.area }}",
               [("{{ row.title }}", True), ("{{ row.text }}", False)],
               "{{ row.sros }}", "{% cellbg row.fill %}{{r row.rag }}"], widths)
    tag(document, "{%p endfor %}")

    note = document.add_paragraph("Compiled by Ragtime on {{ generated }}. RAG: Green — on "
                                  "track; Amber — at risk, recovery in hand; Red — off track.")
    note.runs[0].font.size, note.runs[0].font.color.rgb = Pt(7.5), GREY_TEXT
    return document


def closure_template() -> Document:  # type: ignore[valid-type]
    document = new_document("{{ framework_name }} — closure report {{ fy_label }}")
    document.add_paragraph("{{ title }}", style="Title")
    subtitle(document, "{{ organisation }} · financial year {{ fy_label }}")
    cover(document)
    heading(document, "RAG ratings through the year", 2)
    document.add_paragraph("{{ chart }}").alignment = WD_ALIGN_PARAGRAPH.CENTER

    tag(document, "{%p for theme in themes %}")
    heading(document, "{{ theme.name }}", 1, new_page=True)
    heading(document, "Achievements", 3)
    tag(document, "{%p for item in theme.achievements %}")
    paragraph = document.add_paragraph(style="List Bullet")
    paragraph.add_run("{{ item.heading }}. ").bold = True
    paragraph.add_run("{{ item.text }} ")
    paragraph.add_run("({{ item.quarter }})").italic = True
    tag(document, "{%p endfor %}")
    heading(document, "RAG through the year", 3)
    widths = [10, 66, 40, 16, 16, 16, 16]
    grid = table(document, ["No", "Deliverable", "SRO", "{{ quarters[0] }}", "{{ quarters[1] }}",
                            "{{ quarters[2] }}", "{{ quarters[3] }}"], widths)
    loop_rows(grid, "{%tr for row in theme.rows %}",
              ["{{ row.number }}", "{{ row.title }}", "{{ row.sros }}"]
              + [f"{{% cellbg row.q[{i}].fill %}}{{{{r row.q[{i}].rag }}}}" for i in range(4)],
              widths)
    tag(document, "{%p endfor %}")
    note = document.add_paragraph("Compiled by Ragtime on {{ generated }}.")
    note.runs[0].font.size, note.runs[0].font.color.rgb = Pt(7.5), GREY_TEXT
    return document


def main(out_dir: Path = Path(__file__).parent) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    report_template().save(out_dir / "report.docx")
    closure_template().save(out_dir / "closure.docx")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)
