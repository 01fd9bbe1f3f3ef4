"""Rendering a view with the jinja2 templates in ``templates/``: Markdown, HTML, PDF and DOCX.

User text is never template source: it only ever arrives as values, so ``{{ }}`` or ``{% %}``
in a narrative is printed, not run. Every value passes ``clean_text`` (control characters that
XML cannot hold are dropped) and is then escaped for its format: HTML and DOCX by autoescape,
Markdown by the ``md`` filter.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.ports.report_view import PersonView, rag_label
from bot.words import direction_word, long_date

TEMPLATES = Path(__file__).with_name("templates")
RAG_FILLS = {"green": "007F3B", "amber": "FFB81C", "red": "D5281B", None: "D8DDE0"}
RAG_TEXT = {"green": "FFFFFF", "amber": "000000", "red": "FFFFFF", None: "212B32"}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^(#|>|[=-]+$)")
# HTML in user text, as entities (as the HTML paper does): every ``<`` and ``>``, and an ``&``
# that would start an entity (``&amp;``). A lone ``&`` (``A & E``) stays: every renderer shows it.
_MD_HTML = re.compile(r"[<>]|&(?=#?\w+;)")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


Approval = tuple[str, datetime]  # who approved the paper, and when


@dataclass(frozen=True)
class PaperStatus:
    """DRAFT until the paper is approved, then "Approved by … on …": printed under the title
    and in every page's header (HTML/PDF) or header (Word), so a draft is never tabled as final."""

    approved_by: str | None = None
    approved_on: str | None = None

    @classmethod
    def of(cls, approval: Approval | None) -> PaperStatus:
        if approval is None:
            return cls()
        by, at = approval
        return cls(str(clean_text(by)).strip() or "the governance lead", long_date(at))

    @property
    def approved(self) -> bool:
        return self.approved_by is not None

    @property
    def line(self) -> str:
        if self.approved:
            return f"Approved by {self.approved_by} on {self.approved_on}"
        return "DRAFT — not yet approved"

    def docx_values(self) -> dict[str, Any]:
        return {"draft": not self.approved, "status": self.line}


def chart_description(title: str, bars: list[tuple[str, Any]]) -> str:
    """The chart's alt text: its title and every bar's counts, so nothing is only in the
    picture."""
    parts = [f"{name}: {c.green} Green, {c.amber} Amber, {c.red} Red, {c.missing} no update"
             for name, c in bars]
    return f"Bar chart: {title}. " + "; ".join(parts) + "."


def clean_text(value: Any) -> Any:
    """Strings without the control characters XML (and so DOCX) cannot hold; CR/LF → LF."""
    if not isinstance(value, str):
        return value
    cleaned = _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return Markup(cleaned) if isinstance(value, Markup) else cleaned


def md_escape(value: Any) -> str:
    """Inline Markdown: HTML and Markdown syntax in user text shown literally, one line.

    Markdown syntax by backslash escapes; HTML by entities (``&lt;script&gt;``), because a
    backslash before ``<`` is an escape in CommonMark only: a viewer on the original Markdown
    rules would show the backslash and run the tag."""
    text = " ".join(str(clean_text(value if value is not None else "")).split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_HTML.sub(lambda m: _MD_ENTITIES[m.group(0)], text)
    return "\\" + text if _MD_LINE_START.match(text) else text


def md_block(value: Any) -> str:
    """A Markdown paragraph keeping the writer's line breaks (hard breaks), escaped."""
    lines = str(clean_text(value or "")).split("\n")
    return "  \n".join(md_escape(line) for line in lines if line.strip())


def sro_names(sros: tuple[PersonView, ...], separator: str = "; ") -> str:
    """The SROs as "name, title", separated as the seed paper does ("Name Title/ Name Title")."""
    return separator.join(str(person) for person in sros) or "No SRO recorded"


def sro_lines(sros: tuple[PersonView, ...]) -> str:
    """One SRO per line, ended by ";" when another follows, for a Word cell or an HTML cell
    styled ``white-space: pre-line``: plain text, because every element in a cell costs the PDF
    time (each is laid out, and tagged)."""
    return sro_names(sros, ";\n")


@cache
def environment(kind: str) -> Environment:
    """The jinja2 environment for ``md`` or ``html`` templates."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=kind == "html",
        undefined=StrictUndefined,
        finalize=clean_text,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_escape, md_block=md_block, long_date=long_date, sro_names=sro_names,
        sro_lines=sro_lines, rag_label=rag_label, direction=direction_word,
    )
    # Rows with more text than fits on a page may break across pages (see report.css).
    env.globals.update(long_text=2500)
    return env


def render_markdown(template: str, **context: Any) -> str:
    return environment("md").get_template(template).render(**context)


def render_html(template: str, *, chart_png: bytes | None = None, **context: Any) -> str:
    chart = ("data:image/png;base64," + base64.b64encode(chart_png).decode("ascii")
             if chart_png else None)
    return environment("html").get_template(template).render(chart_uri=chart, **context)


# What WeasyPrint needs from Debian/Ubuntu to write PDFs (README "Two commands", .ci/run).
PDF_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"


def pdf_unavailable() -> str | None:
    """Why no PDF can be written on this machine (WeasyPrint cannot load pango), saying how to
    get it; None when PDFs can be written. Markdown, HTML and Word need no pango."""
    try:
        import weasyprint  # noqa: F401
    except (OSError, ImportError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return ("no PDF written: WeasyPrint cannot load pango "
                f"({reason}); install it (Debian/Ubuntu: sudo apt-get install -y "
                f"{PDF_PACKAGES}) and run the command again for the PDF")
    return None


def write_docx(template: str, context: dict[str, Any], path: Path, *,
               chart: Path | None = None, chart_width_mm: float = 160,
               chart_alt: str = "", images: dict[str, tuple[Path, str]] | None = None) -> Path:
    """Render a docxtpl Word template; ``context`` values are escaped (autoescape) and the
    chart, when given, is available as ``{{ chart }}`` with ``chart_alt`` as its alt text
    (``images``: more pictures by name, each with its alt text)."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate

    document = DocxTemplate(TEMPLATES / template)
    env = Environment(autoescape=True, finalize=clean_text)
    values = dict(context)
    values["chart"] = (_described_image(document, chart, Mm(chart_width_mm), chart_alt)
                       if chart else "")
    for name, (image, alt) in (images or {}).items():
        values[name] = _described_image(document, image, Mm(chart_width_mm * 0.8), alt)
    document.render(values, jinja_env=env, autoescape=True)
    document.save(path)
    return path


def _described_image(document: Any, image: Path, width: Any, descr: str) -> Any:
    """docxtpl's InlineImage with alt text (``wp:docPr/@descr``), read out by screen readers
    and kept when Word saves the paper as PDF."""
    from docxtpl import InlineImage

    class DescribedImage(InlineImage):
        def _insert_image(self) -> str:
            xml = super()._insert_image()
            return xml.replace("<wp:docPr ", f"<wp:docPr descr={quoteattr(clean_text(descr))} ", 1)

    return DescribedImage(document, str(image), width=width)


def outcome_rich(outcome: str | None) -> Any:
    """A deliverable's outcome at closure for a DOCX cell; "No outcome yet" in bold red."""
    from docxtpl import RichText

    if outcome:
        return RichText(clean_text(outcome))
    return RichText("No outcome yet", bold=True, color="D5281B")


def rag_rich(rag: str | None, *, suffix: str = "", size: int = 17) -> Any:
    """A RAG label for a DOCX cell: bold, in the colour that reads on the cell's fill
    (``size`` in half-points)."""
    from docxtpl import RichText

    text = rag_label(rag) + (f"\n{suffix}" if suffix else "")
    return RichText(clean_text(text), bold=True, color=RAG_TEXT.get(rag, RAG_TEXT[None]),
                    size=size)
