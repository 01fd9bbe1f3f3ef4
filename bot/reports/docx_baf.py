"""The BAF section's plain values for ``report.docx`` (``make_docx_template.baf_section``)."""

from __future__ import annotations

from typing import Any

from bot.ports.baf_view import BafRow
from bot.ports.report_view import ReportView, rag_label
from bot.words import direction_word, long_date


def baf_docx_context(view: ReportView) -> dict[str, Any]:
    """``baf`` (None when the framework has no BAF risks)."""
    baf = view.baf
    if baf is None:
        return {"baf": None}
    return {"baf": {
        "grid": [{"consequence": line[0].consequence, "cells": [
            {"fill": cell.colour.lstrip("#").upper(), "text": _cell_text(cell)}
            for cell in line]} for line in baf.grid],
        "bands": "Bands: " + "; ".join(f"{name.capitalize()} {low}–{high}"
                                       for name, low, high in baf.bands) + ".",
        "notes": list(baf.missing_notes),
        "history_label": f"{baf.history_labels[0]} → {baf.history_labels[-1]}",
        "rows": [_summary(row) for row in baf.rows],
        "exceptions": [_exception(row) for row in baf.exceptions],
        "red_actions": [f"{item.code} {item.title} is Red: an action on BAF {item.risk}, "
                        "which is above its target." for item in baf.red_actions],
    }}


def _cell_text(cell: Any) -> Any:
    from docxtpl import RichText

    text = RichText(str(cell.score), color=cell.text_colour.lstrip("#"), size=16)
    if cell.numbers:
        text.add(f"\nBAF {', '.join(cell.numbers)}", bold=True,
                 color=cell.text_colour.lstrip("#"), size=18)
    return text


def _summary(row: BafRow) -> dict[str, str]:
    score = "—" if row.score is None else str(row.score)
    title = row.title + (f" (Carried from {row.carried_from})" if row.carried_from else "")
    return {"number": row.number, "title": title, "owner": row.owner_text,
            "score": score + (f" (as at {row.as_of})" if row.as_of else ""),
            "target": "—" if row.target is None else str(row.target),
            "band": (row.band or "—").capitalize(), "appetite": row.appetite_word,
            "direction": direction_word(row.direction) or "—", "history": row.history_text}


def _exception(row: BafRow) -> dict[str, Any]:
    target = "—" if row.target is None else str(row.target)
    by = f" by {long_date(row.target_date)}" if row.target_date else ""
    lines = [f"Carried from {row.carried_from}"] if row.carried_from else []
    lines += [f"{label}: {text}" for label, text in row.description]
    lines += [f"Rationale: {row.rationale}"] if row.rationale else []
    lines += [f"Gaps in control: {row.control_gaps or 'None recorded.'}",
              f"Gaps in assurance: {row.assurance_gaps or 'None recorded.'}"]
    return {"number": row.number, "flags": "; ".join(row.flags), "title": row.title,
            "facts": f"Owner: {row.owner_text} · Score {row.score} ({row.grid_text}), "
                     f"target {target}{by}",
            "lines": lines, "actions": [_action(action) for action in row.actions]}


def _action(action: Any) -> str:
    text = action.text + (f" ({action.owner})" if action.owner else "")
    text += f": by {long_date(action.due)}" if action.due else ": no date"
    if action.deliverable:
        link = action.deliverable
        text += (f" · deliverable {link.code}: {rag_label(link.rag)} — "
                 f"{link.narrative or 'no update'}")
    elif action.ref:
        text += f" · deliverable {action.ref} is not in the framework"
    return text
