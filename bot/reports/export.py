"""``ragtime export``: every deliverable of a period with its latest update, as JSON or CSV.

Built from the report's view-model, so the export and the board report can never disagree.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.calendar.periods import Period
from bot.framework.choice import choose_framework
from bot.reports import build_report
from bot.reports.spreadsheet import write_csv_rows
from storage.db import session_scope

FIELDS = ("period", "ref", "theme", "number", "area", "deliverable", "sros", "rag", "narrative",
          "submitted_by", "submitted_at")


def export_period(engine: Engine, period: Period, *, framework: str | None = None
                  ) -> list[dict[str, Any]]:
    """``ragtime export``: ``export_rows`` for the framework called ``framework`` (else the
    only one; see ``bot.framework.choice``) in a read-only unit of work."""
    with session_scope(engine) as session:
        return export_rows(session, period,
                           framework_id=choose_framework(session, framework).id)


def export_rows(session: Session, period: Period, *, framework_id: int | None = None
                ) -> list[dict[str, Any]]:
    """One dict per deliverable in report order; ``ref`` is its reference (``GO-3``, what a
    spreadsheet's ``ref`` column names on import); ``rag`` is red/amber/green or None when nothing
    was submitted; ``sros`` a list of names; ``submitted_at`` ISO 8601 (UTC) or None."""
    view = build_report(session, period, framework_id=framework_id)
    return [
        {
            "period": view.period_label,
            "theme": row.theme,
            "number": row.number,
            "ref": row.code,
            "area": row.area,
            "deliverable": row.title,
            "sros": [person.name for person in row.sros],
            "rag": row.rag,
            "narrative": row.narrative if not row.missing else None,
            "submitted_by": row.submitted_by,
            "submitted_at": _iso(row.submitted_at),
        }
        for row in view.rows
    ]


def write_json(rows: list[dict[str, Any]], stream: TextIO) -> None:
    json.dump(rows, stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def write_csv(rows: list[dict[str, Any]], stream: TextIO) -> None:
    """CSV with a header row; ``sros`` joined with "; "; empty cells for None. Every cell is
    quoted, and one a spreadsheet would run as a formula starts with ``'``
    (``bot.reports.spreadsheet``)."""
    write_csv_rows(stream, FIELDS, ([row.get(name) for name in FIELDS] for row in rows))


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()
