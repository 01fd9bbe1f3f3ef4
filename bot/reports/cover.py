"""The board-paper cover table: ``Framework.cover`` merged with defaults and caller overrides.

Keys are forgiving (``"Date submitted"``, ``date-submitted`` and ``date_submitted`` are one
key). The standard rows always appear, in board-paper order, so an empty one shows what is
still to fill in; any other non-empty key follows under its own name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bot.reports.view import CoverRow

STANDARD_ROWS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("meeting", "Meeting"),
    ("sponsor", "Paper sponsored by"),
    ("author", "Paper authored by"),
    ("date_submitted", "Date submitted"),
    ("decision_required", "Decision required"),
    ("strategic_alignment", "Strategic alignment"),
    ("baf_risks", "BAF risks considered"),
)
_ALIASES = {
    "paper_sponsored_by": "sponsor",
    "sponsored_by": "sponsor",
    "paper_authored_by": "author",
    "authored_by": "author",
    "submitted": "date_submitted",
    "decision": "decision_required",
    "alignment": "strategic_alignment",
    "baf_risks_considered": "baf_risks",
    "baf_considered": "baf_risks",
    "baf": "baf_risks",
    "bafrisks": "baf_risks",
}


def cover_key(name: str) -> str:
    key = re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")
    return _ALIASES.get(key, key)


def cover_rows(
    *layers: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> tuple[CoverRow, ...]:
    """Rows from ``defaults`` overlaid by each layer in turn; a ``None`` value overrides nothing."""
    values: dict[str, Any] = {cover_key(k): v for k, v in defaults.items()}
    labels: dict[str, str] = {}
    for layer in layers:
        for name, value in (layer or {}).items():
            key = cover_key(name)
            if not key or value is None:
                continue
            values[key] = value
            labels.setdefault(key, str(name).replace("_", " ").strip().capitalize())
    standard = dict(STANDARD_ROWS)
    rows = [CoverRow(key, label, _lines(values.get(key))) for key, label in STANDARD_ROWS]
    rows += [CoverRow(key, labels.get(key, key.replace("_", " ").capitalize()), _lines(value))
             for key, value in values.items() if key not in standard and _lines(value)]
    return tuple(rows)


def standing_cover(cover: Mapping[str, Any] | None) -> dict[str, Any]:
    """A framework's stored cover without its title: each paper is titled for its own period."""
    return {k: v for k, v in (cover or {}).items() if cover_key(k) != "title"}


def _lines(value: Any) -> tuple[str, ...]:
    """A cover value as display lines: lists one item a line, mappings as ``key: value``."""
    if value is None or value == "":
        return ()
    if isinstance(value, Mapping):
        return tuple(f"{k}: {_scalar(v)}" if _scalar(v) else str(k) for k, v in value.items())
    if isinstance(value, list | tuple):
        items = tuple(_scalar(item) for item in value if _scalar(item))
        # Short codes (BAF numbers, Y/N) read better on one line than as a column.
        return (", ".join(items),) if items and max(map(len, items)) <= 6 else items
    return tuple(str(_scalar(value)).splitlines()) or ()


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%B %Y}"
    return str(value)
