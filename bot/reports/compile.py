"""Compiling a report into files: view → chart → md / html / docx / pdf in ``out_dir``.

Read-only on the database: recording a compiled report (``CompiledReport``) and comparing its
``content_hash`` with the last one is the caller's business.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.ports.closure_view import ClosureView
from bot.ports.report_view import NO_NARRATIVE, ReportView, rag_label
from bot.ports.reports import Target
from bot.reports.approval import approval_of
from bot.reports.build import build_report, report_content_hash
from bot.reports.chart import draw_rag_chart
from bot.reports.closure import build_closure
from bot.reports.docx_baf import baf_docx_context
from bot.reports.docx_summary import add_trend, summary_context
from bot.reports.heatmap import draw_heatmap
from bot.reports.pdf_process import pdf_writer
from bot.reports.render import (
    RAG_FILLS,
    Approval,
    PaperStatus,
    chart_description,
    outcome_rich,
    rag_rich,
    render_html,
    render_markdown,
    sro_lines,
    write_docx,
)
from bot.words import direction_word, long_date

FORMATS = ("md", "html", "docx", "pdf")
LONDON = ZoneInfo("Europe/London")
Progress = Callable[[str], None]


class FormatError(ValueError):
    """An unknown output format was asked for."""


@dataclass(frozen=True)
class CompiledFiles:
    paths: dict[str, Path]  # by format
    chart: Path
    view: ReportView | ClosureView
    content_hash: str
    heatmap: Path | None = None  # the BAF heat map, when the framework has BAF risks


def compile_report(
    session: Session,
    period: Period,
    out_dir: Path,
    *,
    formats: Iterable[str] = FORMATS,
    cover_overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    framework_id: int | None = None,
    generated_at: datetime | None = None,
    approval: Approval | None = None,
) -> CompiledFiles:
    """The period's report written as ``<framework>-<period>.<format>`` (e.g.
    ``sutg-2024-25-Q2.pdf``) plus ``…-chart.png``. ``generated_at`` (default: now in
    Europe/London) is printed in the HTML, PDF and Word footers. ``approval`` (who, when;
    default: ``bot.reports.approval.approval_of`` this content) prints "Approved by … on …" on
    every format; without one the paper is marked DRAFT."""
    wanted = _check_formats(formats)
    step = progress or (lambda _message: None)
    step("reading updates")
    view = build_report(session, period, framework_id=framework_id,
                        cover_overrides=cover_overrides)
    approval = approval or approval_of(session, view.framework_id, Target.quarter(period),
                                       report_content_hash(view))
    bars = [(theme.name, theme.rag_counts) for theme in view.themes]
    chart_title = f"RAG ratings by theme, {view.period_label}"
    return _write(view, f"{view.framework_slug}-{view.period_slug}", "report", wanted, out_dir,
                  bars, chart_title, step, _report_docx_context, generated_at, approval)


def compile_closure(
    session: Session,
    fy: int,
    out_dir: Path,
    *,
    formats: Iterable[str] = FORMATS,
    cover_overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    framework_id: int | None = None,
    generated_at: datetime | None = None,
    approval: Approval | None = None,
) -> CompiledFiles:
    """The year-end closure report of financial year ``fy`` (2024 → ``sutg-2024-25-closure.*``)."""
    wanted = _check_formats(formats)
    step = progress or (lambda _message: None)
    step("reading the year's updates")
    view = build_closure(session, fy, framework_id=framework_id, cover_overrides=cover_overrides)
    approval = approval or approval_of(session, view.framework_id, Target.year_end(fy),
                                       report_content_hash(view))
    bars = [(label.split()[-1], counts)
            for label, counts in zip(view.quarters, view.counts_by_quarter, strict=True)]
    chart_title = f"RAG ratings by quarter, {view.fy_label}"
    return _write(view, f"{view.framework_slug}-{view.slug}", "closure", wanted, out_dir,
                  bars, chart_title, step, _closure_docx_context, generated_at, approval)


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(f.strip().lower() for f in formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise FormatError(f"unknown report format(s) {', '.join(unknown) or '(none)'}; "
                          f"choose from {', '.join(FORMATS)}")
    return wanted


def _write(
    view: ReportView | ClosureView, stem: str, template: str, wanted: tuple[str, ...],
    out_dir: Path, bars: list, chart_title: str, step: Progress,
    docx_context: Callable[[Any, datetime], dict[str, Any]], generated_at: datetime | None,
    approval: Approval | None = None,
) -> CompiledFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    generated_at = generated_at or datetime.now(LONDON)
    status = PaperStatus.of(approval)
    chart_alt = chart_description(chart_title, bars)
    # The PDF's process is started first: it imports WeasyPrint while the other formats are made.
    with _staging(out_dir, stem) as stage, \
            (pdf_writer() if "pdf" in wanted else nullcontext()) as write_pdf:
        step("drawing the chart")
        chart = draw_rag_chart(bars, stage / f"{stem}-chart.png", title=chart_title)
        baf = getattr(view, "baf", None)
        heatmap = None
        if baf is not None:
            step("drawing the BAF heat map")
            heatmap = draw_heatmap(baf, stage / f"{stem}-baf.png")
        paths: dict[str, Path] = {}
        if "md" in wanted:
            step("writing Markdown")
            paths["md"] = stage / f"{stem}.md"
            paths["md"].write_text(render_markdown(f"{template}.md.j2", view=view,
                                                   chart_name=chart.name, chart_alt=chart_alt,
                                                   heatmap_name=heatmap.name if heatmap else None,
                                                   status=status), encoding="utf-8")
        if "html" in wanted or "pdf" in wanted:
            step("writing HTML")
            html = render_html(f"{template}.html.j2", view=view, chart_png=chart.read_bytes(),
                               generated_at=generated_at, chart_alt=chart_alt,
                               status=status, heatmap_uri=_data_uri(heatmap))
            if "html" in wanted:
                paths["html"] = stage / f"{stem}.html"
                paths["html"].write_text(html, encoding="utf-8")
        if "docx" in wanted:
            step("writing Word")
            context = docx_context(view, generated_at) | status.docx_values()
            paths["docx"] = write_docx(f"{template}.docx", context, stage / f"{stem}.docx",
                                       chart=chart, chart_alt=chart_alt,
                                       images={"heatmap": (heatmap, baf.alt_text)}
                                       if heatmap and baf else None)
        if write_pdf:
            step("writing PDF")
            paths["pdf"] = write_pdf(html, stage / f"{stem}.pdf")
        placed = {fmt: _place(paths[fmt], out_dir) for fmt in FORMATS if fmt in paths}
        chart = _place(chart, out_dir)
        heatmap = _place(heatmap, out_dir) if heatmap else None
    return CompiledFiles(paths=placed, chart=chart, view=view,
                         content_hash=report_content_hash(view), heatmap=heatmap)


def _data_uri(image: Path | None) -> str | None:
    return ("data:image/png;base64," + base64.b64encode(image.read_bytes()).decode("ascii")
            if image else None)


@contextmanager
def _staging(out_dir: Path, stem: str) -> Iterator[Path]:
    """A hidden folder beside the report files: every file is written there first and only
    renamed into place once all of them are done, so a compile killed half-way never leaves
    new files beside old ones. Leftovers of a killed compile are swept away next time."""
    for leftover in out_dir.glob(f".{stem}.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{stem}.partial-", dir=out_dir))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _place(path: Path, out_dir: Path) -> Path:
    target = out_dir / path.name
    os.replace(path, target)  # atomic on one filesystem
    return target


def _generated(generated_at: datetime) -> str:
    return f"{long_date(generated_at)} at {generated_at:%H:%M}"


def _report_docx_context(view: ReportView, generated_at: datetime) -> dict[str, Any]:
    """Plain values for ``report.docx`` (docxtpl escapes them; the template holds no rules)."""

    def counts(name: str, c: Any) -> dict[str, Any]:
        return {"name": name, "green": c.green, "amber": c.amber, "red": c.red,
                "missing": c.missing, "total": c.total}

    def row_note(row: Any) -> str:
        if row.changed:
            return f"was {rag_label(row.previous_rag)}"
        if row.missing and row.previous_rag:
            return f"{view.previous_period_label[-2:]}: {rag_label(row.previous_rag)}"
        return ""

    themes = []
    for theme in view.themes:
        themes.append({
            "name": theme.name, "ambition": theme.ambition,
            "objectives": list(theme.objectives),
            "risks": [{"number": r.number, "title": r.title,
                       "score": "—" if r.score is None else str(r.score)
                       + (f" (as at {r.as_of})" if r.as_of else ""),
                       "direction": direction_word(r.direction) or "—"}
                      for r in theme.risks],
            "rows": [{
                "number": row.code, "area": row.area, "title": row.title,
                "text": (f"Carried from {row.carried_from}\n" if row.carried_from else "")
                + ((row.missing_text or f"No update received for {view.period_label}.")
                   if row.missing else NO_NARRATIVE if row.no_narrative else row.narrative
                   + (f"\n{row.cover_note}" if row.by_cover else ""))
                + (f"\nRecovery: {row.recovery_action or ''}"
                   + (f" (by {long_date(row.recovery_date)})" if row.recovery_date else "")
                   if row.recovery_action or row.recovery_date else "")
                + ("" if row.active else "\nNo longer active."),
                "sros": sro_lines(row.sros),
                "rag": add_trend(rag_rich(row.rag, suffix=row_note(row)), row.trend),
                "fill": RAG_FILLS.get(row.rag, RAG_FILLS[None]),
            } for row in theme.rows],
        })
    return {
        "title": view.title, "running_title": view.running_title,
        "organisation": view.organisation,
        "framework_name": view.framework_name, "period_label": view.period_label,
        "period_dates": f"{long_date(view.period_start)} – {long_date(view.period_end)}",
        "previous_period_label": view.previous_period_label,
        "cover": [{"label": row.label, "value": row.value} for row in view.cover],
        "summary": [counts(t.name, t.rag_counts) for t in view.themes],
        "overall": counts("All themes", view.rag_counts),
        **summary_context(view),
        **baf_docx_context(view),
        "themes": themes,
        "generated": _generated(generated_at),
    }


def outcome_counts(counts: Mapping[str, int]) -> str:
    """``Achieved 3 · Carried forward 2 · Merged 1 · Stopped 1`` (and any without one)."""
    text = (f"Achieved {counts['achieved']} · Carried forward {counts['carried']} · "
            f"Merged {counts['merged']} · Stopped {counts['stopped']}")
    return text + (f" · No outcome yet {counts['none']}" if counts["none"] else "")


def _closure_docx_context(view: ClosureView, generated_at: datetime) -> dict[str, Any]:
    themes = []
    for theme in view.themes:
        themes.append({
            "name": theme.name, "ambition": theme.ambition,
            "achievements": [{
                "heading": f"{row.area} — {row.title}" if row.area else row.title,
                "text": row.latest.narrative if row.latest else "",
                "quarter": row.latest.period_label if row.latest else "",
            } for row in theme.achievements],
            "outcome_counts": outcome_counts(theme.outcome_counts),
            "rows": [{
                "number": row.number, "title": row.title,
                "sros": sro_lines(row.sros),
                "outcome": outcome_rich(row.outcome),
                "q": [{"rag": rag_rich(rag, size=14), "fill": RAG_FILLS.get(rag, RAG_FILLS[None])}
                      for rag in row.rags],
            } for row in theme.rows],
        })
    return {
        "title": view.title, "organisation": view.organisation,
        "framework_name": view.framework_name, "fy_label": view.fy_label,
        "quarters": [label.split()[-1] for label in view.quarters],
        "cover": [{"label": row.label, "value": row.value} for row in view.cover],
        "themes": themes, "closing": view.closing,
        "generated": _generated(generated_at),
    }
