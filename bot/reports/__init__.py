"""Board reports: one query layer builds a view-model; jinja2 templates render it.

``build_report`` / ``build_closure`` return frozen dataclasses; ``compile_report`` /
``compile_closure`` write Markdown, HTML, Word and PDF (plus a RAG chart) from them.
"""

from bot.ports.closure_view import ClosureRow, ClosureTheme, ClosureView
from bot.ports.report_view import (
    CoverRow,
    PersonView,
    ProgressRow,
    RagCounts,
    ReportError,
    ReportView,
    RiskView,
    ThemeView,
)
from bot.reports.build import build_report, report_content_hash
from bot.reports.closure import build_closure
from bot.reports.compile import (
    FORMATS,
    CompiledFiles,
    FormatError,
    compile_closure,
    compile_report,
)

__all__ = [
    "FORMATS",
    "ClosureRow",
    "ClosureTheme",
    "ClosureView",
    "CompiledFiles",
    "CoverRow",
    "FormatError",
    "PersonView",
    "ProgressRow",
    "RagCounts",
    "ReportError",
    "ReportView",
    "RiskView",
    "ThemeView",
    "build_closure",
    "build_report",
    "compile_closure",
    "compile_report",
    "report_content_hash",
]
