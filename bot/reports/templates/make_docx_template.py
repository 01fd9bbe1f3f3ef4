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
DRAFT_RED = RGBColor(0xD5, 0x28, 0x1B)
HEADER_FILL = "E8EDEE"
# Arial in Word (every board member's machine has it); LibreOffice and the PDF use Liberation
# Sans, its metric twin, so lines and pages break the same everywhere.
FONT = "Arial"
LANGUAGE = "en-GB"
TEXT_WIDTH_MM = 180


def new_document(running_title: str):  # type: ignore[no-untyped-def]
    """A4, Arial throughout (body, headings, header and footer), British English, and on every
    page a header (title · period, organisation, DRAFT until approved) and a footer (the
    approval status, "Page X of Y")."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(18), Mm(18)
    section.header_distance = section.footer_distance = Mm(8)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.size = Pt(9.5)
    normal.paragraph_format.space_after = Pt(3)
    for name, size in (("Heading 1", 18), ("Heading 2", 13), ("Heading 3", 10.5)):
        style = styles[name]
        style.font.size, style.font.color.rgb = Pt(size), NHS_BLUE
        style.font.bold = True
        style.paragraph_format.keep_with_next = True
    styles["Heading 1"].paragraph_format.space_before = Pt(0)
    styles["Heading 1"].paragraph_format.space_after = Pt(2)
    for name in ("Header", "Footer"):  # only the right-aligned tab set below
        styles[name].paragraph_format.tab_stops.clear_all()
    styles["Heading 2"].paragraph_format.space_before = Pt(14)
    one_font_and_language(document)
    document.core_properties.title = "{{ title }}"
    document.core_properties.author = "Ragtime"
    document.core_properties.language = LANGUAGE
    running_header(section, running_title)
    running_footer(section)
    return document


def one_font_and_language(document) -> None:  # type: ignore[no-untyped-def]
    """Every style and the document defaults in ``FONT`` (theme fonts removed: Word would
    otherwise show Calibri in headings and footers) and in British English."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    if run_defaults.find(qn("w:rFonts")) is None:
        run_defaults.insert(0, OxmlElement("w:rFonts"))
    if run_defaults.find(qn("w:lang")) is None:
        run_defaults.append(OxmlElement("w:lang"))
    for fonts in styles.iter(qn("w:rFonts")):
        for key in list(fonts.attrib):
            if key.endswith("Theme") or key.endswith("theme"):
                del fonts.attrib[key]
        for kind in ("ascii", "hAnsi", "cs", "eastAsia"):
            fonts.set(qn(f"w:{kind}"), FONT)
    for language in styles.iter(qn("w:lang")):
        language.set(qn("w:val"), LANGUAGE)
        language.set(qn("w:eastAsia"), LANGUAGE)
    settings = document.settings.element
    theme_language = settings.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:val"), LANGUAGE)


def running_header(section, running_title: str) -> None:  # type: ignore[no-untyped-def]
    first = section.header.paragraphs[0]
    _right_tab(first)
    _small(first.add_run(running_title))
    first.add_run("\t")
    mark = first.add_run("{{ 'DRAFT' if draft else '' }}")
    mark.bold, mark.font.size, mark.font.color.rgb = True, Pt(11), DRAFT_RED
    _small(section.header.add_paragraph().add_run("{{ organisation }}"))


def running_footer(section) -> None:  # type: ignore[no-untyped-def]
    paragraph = section.footer.paragraphs[0]
    _right_tab(paragraph)
    _small(paragraph.add_run("{{ status }}\tPage "))
    _field(paragraph, "PAGE")
    _small(paragraph.add_run(" of "))
    _field(paragraph, "NUMPAGES")


def _right_tab(paragraph) -> None:  # type: ignore[no-untyped-def]
    from docx.enum.text import WD_TAB_ALIGNMENT

    paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT)
    paragraph.paragraph_format.space_after = Pt(0)


def _small(run):  # type: ignore[no-untyped-def]
    run.font.size, run.font.color.rgb = Pt(7.5), GREY_TEXT
    return run


def _field(paragraph, code: str) -> None:  # type: ignore[no-untyped-def]
    """A Word field (``PAGE``, ``NUMPAGES``) that Word and LibreOffice fill in on display."""
    for kind, text in (("begin", None), (None, f" {code} "), ("separate", None), (None, None),
                       ("end", None)):
        run = _small(paragraph.add_run())  # each part in the footer's font and size
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._r.append(element)
        elif text:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
            run._r.append(element)
        else:
            run.text = "1"  # shown until the field is updated


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
    keep_whole(header)
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
    keep_whole(row)
    return row


def keep_whole(row) -> None:  # type: ignore[no-untyped-def]
    """``w:cantSplit``: a row moves to the next page whole (a RAG cell keeps its word, an SRO
    their title); docxtpl copies it onto every row the ``{%tr for %}`` loop writes."""
    properties = row._tr.get_or_add_trPr()
    properties.insert(0, OxmlElement("w:cantSplit"))


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
    if new_page:
        paragraph.paragraph_format.page_break_before = True
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def cover(document) -> None:  # type: ignore[no-untyped-def]
    widths = [55, 125]
    grid = table(document, ["Board paper", ""], widths)
    loop_rows(grid, "{%tr for row in cover %}", [[("{{ row.label }}", True)], "{{ row.value }}"],
              widths)


def status_line(document) -> None:  # type: ignore[no-untyped-def]
    """"DRAFT — not yet approved" in red, or "Approved by … on …", under the subtitle."""
    paragraph = document.add_paragraph()
    draft = paragraph.add_run("{{ status if draft else '' }}")
    draft.bold, draft.font.color.rgb = True, DRAFT_RED
    approved = paragraph.add_run("{{ '' if draft else status }}")
    approved.bold, approved.font.color.rgb = True, GREY_TEXT


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


def small_note(document, text: str) -> None:  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size, run.font.color.rgb = Pt(8), GREY_TEXT


def executive_summary(document) -> None:  # type: ignore[no-untyped-def]
    """Pages 1–2: counts, the theme-level trend, changes with their reasons, every Red and
    Amber deliverable with its recovery, overdue dates, who did not reply, then the chart."""
    heading(document, "Executive summary", 2)
    document.add_paragraph().add_run("{{ headline }}").bold = True
    widths = [70, 22, 22, 22, 22, 22]
    grid = table(document, ["Theme", "Green", "Amber", "Red", "No update", "Total"], widths)
    loop_rows(grid, "{%tr for t in summary %}",
              ["{{ t.name }}", "{{ t.green }}", "{{ t.amber }}", "{{ t.red }}",
               "{{ t.missing }}", "{{ t.total }}"], widths)
    add_row(grid, [[(f"{{{{ overall.{key} }}}}", True)]
                   for key in ("name", "green", "amber", "red", "missing", "total")], widths)

    heading(document, "Trend over the last four quarters", 3)
    small_note(document, "{{ trend_note }}")
    widths = [44, 34, 34, 34, 34]
    grid = table(document, ["Theme"] + [f"{{{{ trend_labels[{i}] }}}}" for i in range(4)],
                 widths)
    loop_rows(grid, "{%tr for t in trend %}",
              ["{{ t.name }}"] + [f"{{{{r t.cells[{i}] }}}}" for i in range(4)], widths)

    heading(document, "Changes since {{ previous_period_label }}", 3)
    tag(document, "{%p for change in changes %}")
    document.add_paragraph("{{ change }}", style="List Bullet")
    tag(document, "{%p endfor %}")
    tag(document, "{%p if changes_note %}")
    document.add_paragraph("{{ changes_note }}")
    tag(document, "{%p endif %}")

    heading(document, "Exceptions: Red and Amber deliverables", 3)
    tag(document, "{%p if exceptions %}")
    widths = [19, 52, 32, 16, 41, 20]
    grid = table(document, ["Ref", "Deliverable", "SRO", "RAG", "Recovery action",
                            "Expected date"], widths)
    loop_rows(grid, "{%tr for e in exceptions %}",
              ["{{ e.code }}", "{{ e.title }}", "{{ e.sros }}",
               "{% cellbg e.fill %}{{r e.rag }}", "{{r e.action }}", "{{r e.date }}"], widths)
    tag(document, "{%p else %}")
    document.add_paragraph("No deliverable is rated Red or Amber in {{ period_label }}.")
    tag(document, "{%p endif %}")

    heading(document, "Overdue recovery dates", 3)
    bullets(document, "overdue", "item in overdue", "{{ item }}",
            "No recovery date has passed.")
    small_note(document, "{{ overdue_note }}")

    heading(document, "No update received", 3)
    bullets(document, "chasers", "item in chasers", "{{ item }}",
            "Every deliverable has an update for {{ period_label }}.")
    heading(document, "RAG ratings by theme", 3)
    document.add_paragraph("{{ chart }}").alignment = WD_ALIGN_PARAGRAPH.CENTER


def baf_section(document) -> None:  # type: ignore[no-untyped-def]
    """The Board Assurance Framework near the front: the heat map and its table equivalent,
    the summary of every risk, then the risks above target or outside appetite with their gaps
    and dated actions, and the Red deliverables that are actions on them."""
    tag(document, "{%p if baf %}")
    heading(document, "Board Assurance Framework", 2)
    document.add_paragraph("{{ heatmap }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    small_note(document, "Heat map of current scores: the risks in each cell (likelihood "
                         "across, consequence down).")
    widths = [30, 30, 30, 30, 30, 30]
    grid = table(document, ["Consequence"] + [f"Likelihood {n}" for n in range(1, 6)], widths)
    loop_rows(grid, "{%tr for line in baf.grid %}",
              ["{{ line.consequence }}"] + [
                  f"{{% cellbg line.cells[{i}].fill %}}{{{{r line.cells[{i}].text }}}}"
                  for i in range(5)], widths)
    small_note(document, "{{ baf.bands }}")
    tag(document, "{%p for note in baf.notes %}")
    document.add_paragraph("{{ note }}", style="List Bullet")
    tag(document, "{%p endfor %}")

    heading(document, "Summary of BAF risks", 3)
    widths = [11, 37, 22, 17, 15, 18, 19, 20, 21]
    grid = table(document, ["BAF No", "Risk", "Owner", "Current", "Target", "Band", "Appetite",
                            "Direction", "{{ baf.history_label }}"], widths)
    loop_rows(grid, "{%tr for r in baf.rows %}",
              ["{{ r.number }}", "{{ r.title }}", "{{ r.owner }}", "{{ r.score }}",
               "{{ r.target }}", "{{ r.band }}", "{{ r.appetite }}", "{{ r.direction }}",
               "{{ r.history }}"], widths)

    heading(document, "Risks above target or outside appetite", 3)
    tag(document, "{%p for e in baf.exceptions %}")
    paragraph = document.add_paragraph()
    paragraph.add_run("BAF {{ e.number }}: {{ e.flags }}").bold = True
    paragraph.paragraph_format.keep_with_next = True
    document.add_paragraph("{{ e.title }}")
    small_note(document, "{{ e.facts }}")
    tag(document, "{%p for line in e.lines %}")
    document.add_paragraph("{{ line }}")
    tag(document, "{%p endfor %}")
    document.add_paragraph().add_run("Dated actions").bold = True
    bullets(document, "e.actions", "a in e.actions", "{{ a }}", "No action recorded.")
    tag(document, "{%p endfor %}")
    tag(document, "{%p if not baf.exceptions %}")
    document.add_paragraph("No BAF risk is above its target or outside its appetite in "
                           "{{ period_label }}.")
    tag(document, "{%p endif %}")
    tag(document, "{%p if baf.red_actions %}")
    heading(document, "Exceptions: Red deliverables that are actions on risks above target", 3)
    tag(document, "{%p for item in baf.red_actions %}")
    document.add_paragraph("{{ item }}", style="List Bullet")
    tag(document, "{%p endfor %}")
    tag(document, "{%p endif %}")
    tag(document, "{%p endif %}")


def report_template() -> Document:  # type: ignore[valid-type]
    document = new_document("{{ running_title }}")  # the period once (ReportView)
    heading(document, "{{ title }}", 1)
    subtitle(document, "{{ organisation }} · {{ period_label }} ({{ period_dates }})")
    status_line(document)
    cover(document)

    executive_summary(document)
    baf_section(document)

    tag(document, "{%p for theme in themes %}")
    heading(document, "{{ theme.name }}", 2)
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
    widths = [18, 28, 79, 35, 20]  # Ref fits "GPW-12", Area "Organisational", "Sustainability"
    grid = table(document, ["Ref", "Area", "Deliverable and update", "SRO", "RAG"], widths)
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
    document = new_document("{{ title }} · closure report {{ fy_label }}")
    heading(document, "{{ title }}", 1)
    subtitle(document, "{{ organisation }} · financial year {{ fy_label }}")
    status_line(document)
    cover(document)
    heading(document, "RAG ratings through the year", 2)
    document.add_paragraph("{{ chart }}").alignment = WD_ALIGN_PARAGRAPH.CENTER

    tag(document, "{%p for theme in themes %}")
    heading(document, "{{ theme.name }}", 2)
    heading(document, "Achievements", 3)
    tag(document, "{%p for item in theme.achievements %}")
    paragraph = document.add_paragraph(style="List Bullet")
    paragraph.add_run("{{ item.heading }}. ").bold = True
    paragraph.add_run("{{ item.text }} ")
    paragraph.add_run("({{ item.quarter }})").italic = True
    tag(document, "{%p endfor %}")
    tag(document, "{%p if closing %}")
    heading(document, "Outcomes", 3)
    document.add_paragraph("{{ theme.outcome_counts }}")
    widths = [18, 92, 70]
    grid = table(document, ["Ref", "Deliverable", "Outcome"], widths)
    loop_rows(grid, "{%tr for row in theme.rows %}",
              ["{{ row.number }}", "{{ row.title }}", "{{r row.outcome }}"], widths)
    tag(document, "{%p endif %}")
    heading(document, "RAG through the year", 3)
    widths = [18, 58, 40, 16, 16, 16, 16]  # Ref fits "GPW-12" whole
    grid = table(document, ["Ref", "Deliverable", "SRO", "{{ quarters[0] }}", "{{ quarters[1] }}",
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
