"""The Word paper's executive summary and trend marks: plain values and docxtpl ``RichText``
for ``report.docx`` (the template holds no rules; the words come from the view)."""

from __future__ import annotations

from typing import Any

from bot.ports.report_view import RagCounts, ReportView, TrendMark, rag_label
from bot.reports.render import RAG_FILLS, RAG_TEXT, rag_rich, sro_names
from bot.words import long_date

FLAG = "8A1538"  # the HTML's .flag colour: "None given", "Overdue"
MARK_OUTLINE = "AEB7BD"  # the HTML's .trend-table .mark border
TREND_NOTE = ("Deliverables rated G (Green), A (Amber), R (Red) and – (no update) in each "
              "quarter. In the progress tables the marks under each RAG show that "
              "deliverable's last four quarters, oldest first.")


def _mark(rich: Any, letter: str, rag: str | None, *, size: int = 13,
          outline: str = "FFFFFF") -> None:
    """One small coloured box holding its letter (shading + letter: never colour alone),
    outlined as the HTML's marks are: white on a RAG cell, so a mark stands out on a cell of
    its own colour; grey on white paper, around the white "no update" box."""
    from docxtpl import RichText

    fill = RAG_FILLS.get(rag, "FFFFFF") if rag else "FFFFFF"
    colour = RAG_TEXT.get(rag, RAG_TEXT[None]) if rag else RAG_TEXT[None]
    mark = RichText(letter, color=colour, highlight=fill, bold=True, size=size)
    mark.xml = mark.xml.replace(
        "<w:shd ", f'<w:bdr w:val="single" w:sz="6" w:space="1" w:color="{outline}"/><w:shd ', 1)
    rich.add(mark)


def add_trend(rich: Any, trend: tuple[TrendMark, ...]) -> Any:
    """``rich`` (a RAG cell) with a line of trend marks under it."""
    if trend:
        rich.add("\n")
        for index, mark in enumerate(trend):
            if index:
                rich.add("\u00a0", size=13)
            _mark(rich, mark.letter, mark.rag)
    return rich


def _counts_cell(counts: RagCounts | None) -> Any:
    from docxtpl import RichText

    rich = RichText()
    if counts is None:
        rich.add("not collected", color="425563", size=16)
        return rich
    parts = [("G", "green", counts.green), ("A", "amber", counts.amber),
             ("R", "red", counts.red)]
    if counts.missing:
        parts.append(("–", None, counts.missing))
    for index, (letter, rag, number) in enumerate(parts):
        _mark(rich, letter, rag, size=15, outline=MARK_OUTLINE)
        rich.add(f" {number}" + ("  " if index < len(parts) - 1 else ""), size=16)
    return rich


def _flagged(text: str | None, *, overdue: bool = False) -> Any:
    from docxtpl import RichText

    rich = RichText()
    if not text:
        rich.add("None given", color=FLAG, bold=True)
        return rich
    rich.add(text)
    if overdue:
        rich.add("\nOverdue", color=FLAG, bold=True)
    return rich


def summary_context(view: ReportView) -> dict[str, Any]:
    """The summary's values for ``report.docx``."""
    return {
        "headline": view.headline,
        "trend_note": TREND_NOTE,
        "trend_labels": [p.label for p in view.trend_periods],
        "trend": [{"name": name, "cells": [_counts_cell(c) for c in cells]}
                  for name, cells in view.trend_table],
        "changes": [f"{r.code} {r.title}: {rag_label(r.previous_rag)} → {rag_label(r.rag)}. "
                    + (f"Reason: {r.change_reason}" if r.change_reason else "No reason given.")
                    for r in view.changes],
        "changes_note": view.changes_note,
        "exceptions": [{
            "code": r.code, "title": r.title, "sros": sro_names(r.sros),
            "rag": rag_rich(r.rag), "fill": RAG_FILLS.get(r.rag, RAG_FILLS[None]),
            "action": _flagged(r.recovery_action),
            "date": _flagged(long_date(r.recovery_date), overdue=r.overdue),
        } for r in view.exceptions],
        "overdue": [f"{r.code} {r.title} ({rag_label(r.rag)}): expected by "
                    f"{long_date(r.recovery_date)}." for r in view.overdue],
        "overdue_note": view.overdue_note,
        "chasers": [f"{c.person}: " + "; ".join(f"{r.code} {r.title}" for r in c.rows)
                    for c in view.chasers],
    }
