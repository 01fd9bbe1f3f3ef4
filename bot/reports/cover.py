"""The board-paper cover (the seed's governance table): defaults, the framework's ``cover:``
block and the caller's values (``ragtime compile --meeting …``, ``/compile-report meeting=…``).

Keys are forgiving (``"Date submitted"``, ``date-submitted`` and ``date_submitted`` are one
key). Rows come in board-paper order; a row with no value and no sensible default is left out
rather than printed as "—". Dates are checked here, once, so "next tuesday" is refused with the
field's name instead of being printed on a board paper. The closure paper has its own wording:
the quarterly purpose, decision and "One of a series" never reach it (``cover: closure:``
overrides its rows).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.framework.cover_title import paper_title, title_problem
from bot.ports.report_view import CoverRow, ReportError

if TYPE_CHECKING:
    from bot.calendar.periods import Period
    from bot.reports.load import FrameworkData

STANDARD_ROWS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("meeting", "Meeting"),
    ("meeting_date", "Meeting date"),
    ("sponsor", "Paper sponsored by"),
    ("author", "Paper authored by"),
    ("date_submitted", "Date submitted"),
    ("purpose", "Purpose of the report"),
    ("decision_required", "Decision required"),
    ("previously_considered", "Previously considered by"),
    ("assurance", "Level of assurance gained"),
    ("report_frequency", "One-off or series"),
    ("strategic_alignment", "Strategic alignment"),
    ("baf_risks", "CRR/BAF considerations"),
    ("risk_appetite", "Consistent with the risk appetite"),
    ("fomi", "False and misleading information (FOMI) considerations"),
    ("patient_safety", "Confirmation that the content does not risk the safety of patients "
                       "or the public"),
    ("equality", "Equality considerations"),
)
LABELS = dict(STANDARD_ROWS)
DATE_KEYS = frozenset({"date_submitted", "meeting_date"})
# Worded for one quarter: never carried into the closure paper (give ``cover: closure:``).
QUARTERLY_WORDING = frozenset({"title", "purpose", "decision_required", "report_frequency"})
_ALIASES = {
    "paper_sponsored_by": "sponsor",
    "sponsored_by": "sponsor",
    "paper_authored_by": "author",
    "authored_by": "author",
    "submitted": "date_submitted",
    "date": "date_submitted",
    "purpose_of_the_report": "purpose",
    "purpose_of_report": "purpose",
    "decision": "decision_required",
    "considered_by": "previously_considered",
    "previously_considered_by": "previously_considered",
    "level_of_assurance": "assurance",
    "assurance_level": "assurance",
    "series": "report_frequency",
    "frequency": "report_frequency",
    "one_off_or_series": "report_frequency",
    "alignment": "strategic_alignment",
    "baf_risks_considered": "baf_risks",
    "baf_considered": "baf_risks",
    "baf_considerations": "baf_risks",
    "crr_baf_considerations": "baf_risks",
    "baf": "baf_risks",
    "bafrisks": "baf_risks",
    "consistent_with_risk_appetite": "risk_appetite",
    "false_or_misleading_information": "fomi",
    "false_and_misleading_information": "fomi",
    "patient_safety_confirmed": "patient_safety",
    "safety": "patient_safety",
    "equality_considerations": "equality",
}
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): index for index, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9


class CoverError(ValueError):
    """A cover value that cannot go on a board paper; the message names the field."""


def cover_key(name: str) -> str:
    key = re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")
    return _ALIASES.get(key, key)


def cover_date(key: str, value: Any) -> date:
    """``2024-10-29``, ``29/10/2024``, ``20.05.2025``, ``27 May 2025`` or ``May 27th 2025`` as
    a date; anything else is a ``CoverError`` naming the field."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = " ".join(str(value).split())
    reason = ""
    try:
        found = _parse_date(text)
    except ValueError as error:
        found, reason = None, f" ({error})"
    if found is None:
        label = LABELS.get(cover_key(key), str(key))
        raise CoverError(f'the cover\'s "{label}" must be a date such as 2024-10-29 or '
                         f'29/10/2024; "{text}" is not one{reason}.')
    return found


def _parse_date(text: str) -> date | None:
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text):
        year, month, day = map(int, match.groups())
        return date(year, month, day)
    if match := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})", text):
        day, month, year = map(int, match.groups())
        return date(year + 2000 if year < 100 else year, month, day)
    words = re.sub(r"(?<=\d)(st|nd|rd|th)\b|,", "", text.lower()).split()
    if len(words) == 3:
        if words[0].isdigit() and words[1] in _MONTHS and words[2].isdigit():
            return date(int(words[2]), _MONTHS[words[1]], int(words[0]))
        if words[0] in _MONTHS and words[1].isdigit() and words[2].isdigit():
            return date(int(words[2]), _MONTHS[words[0]], int(words[1]))
    return None


def check_cover(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Cover values with their dates checked (``CoverError``) and written ``2024-10-29``, so
    they can be stored as JSON and compiled again to the same paper."""
    checked: dict[str, Any] = {}
    for name, value in (values or {}).items():
        if cover_key(name) in DATE_KEYS and value not in (None, ""):
            value = cover_date(name, value).isoformat()
        checked[name] = value
    return checked


def cover_rows(
    *layers: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> tuple[CoverRow, ...]:
    """Rows from ``defaults`` overlaid by each layer in turn (``None`` overrides nothing);
    the title first, then every standard row that has a value, then any other keys."""
    values: dict[str, Any] = {cover_key(k): v for k, v in defaults.items()}
    labels: dict[str, str] = {}
    for layer in layers:
        for name, value in (layer or {}).items():
            key = cover_key(name)
            if not key or value is None:
                continue
            values[key] = value
            labels.setdefault(key, str(name).replace("_", " ").strip().capitalize())
    for key in DATE_KEYS & values.keys():
        if values[key] not in (None, ""):
            values[key] = cover_date(key, values[key])
    rows = [CoverRow(key, label, _lines(values.get(key))) for key, label in STANDARD_ROWS]
    rows = [row for row in rows if row.lines or row.key == "title"]
    rows += [CoverRow(key, labels.get(key, key.replace("_", " ").capitalize()), _lines(value))
             for key, value in values.items() if key not in LABELS and _lines(value)]
    return tuple(rows)


def standing_cover(cover: Mapping[str, Any] | None, period: Period) -> dict[str, Any]:
    """A framework's stored cover for one quarter's paper: its title filled in for the quarter
    (``bot.framework.cover_title``), without the ``closure:`` block."""
    values = {k: v for k, v in (cover or {}).items() if cover_key(k) != "closure"}
    for key, value in values.items():
        if cover_key(key) == "title":
            if problem := title_problem(str(value)):  # stored before the importer checked it
                raise CoverError(f"its title {problem}; import its file again")
            values[key] = paper_title(str(value), quarter=period.quarter,
                                      year=period.fy_label, period=period.label)
    return values


def closure_standing_cover(cover: Mapping[str, Any] | None) -> dict[str, Any]:
    """A framework's stored cover for the closure paper: the standing rows (meeting, sponsor,
    considerations…) without the quarterly wording, then its ``closure:`` block."""
    values = {k: v for k, v in (cover or {}).items()
              if cover_key(k) not in QUARTERLY_WORDING | {"closure"}}
    closure = next((v for k, v in (cover or {}).items() if cover_key(k) == "closure"), None)
    if isinstance(closure, Mapping):
        values.update(closure)
    return values


def quarter_cover(data: FrameworkData, period: Period,
                  overrides: Mapping[str, Any] | None) -> tuple[CoverRow, ...]:
    """The quarterly paper's cover."""
    name = data.framework.name
    defaults = {
        "title": f"{name} – Quarter {period.quarter} progress {period.fy_label}",
        "purpose": f"To give the Board assurance on progress against the {name} deliverables "
                   f"in {period.label}: each deliverable's RAG rating and update from its SRO, "
                   "with every Red and Amber deliverable's recovery action.",
        "decision_required": "Briefing – no decision required: the Board is asked to note "
                             "progress.",
        "report_frequency": f"One of a series of quarterly reports; the next covers "
                            f"{period.next().label}.",
        **_shared_defaults(data),
    }
    try:
        standing = standing_cover(data.framework.cover, period)
    except CoverError as error:
        raise ReportError(f"the framework {name!r} has a bad cover: {error}") from None
    return _rows(data, defaults, standing, overrides)


def closure_cover(data: FrameworkData, fy_label: str,
                  overrides: Mapping[str, Any] | None) -> tuple[CoverRow, ...]:
    """The closure paper's cover: "Final of a series", and a decision for the Board."""
    name = data.framework.name
    defaults = {
        "title": f"{name} Closure Report {fy_label}",
        "purpose": f"To formally close {name} and to reflect on its achievements in "
                   f"{fy_label}.",
        "decision_required": f"Decision required: the Board is asked to approve the formal "
                             f"closure of {name}, noting its key achievements and its "
                             "delivery reporting.",
        "report_frequency": f"Final of a series of quarterly reports that have run during the "
                            f"lifespan of {name}.",
        **_shared_defaults(data),
    }
    return _rows(data, defaults, closure_standing_cover(data.framework.cover), overrides)


def _shared_defaults(data: FrameworkData) -> dict[str, Any]:
    return {"strategic_alignment": [theme.name for theme in data.themes],
            "baf_risks": [risk.number for risk in data.risks]}


def _rows(data: FrameworkData, defaults: Mapping[str, Any], standing: Mapping[str, Any],
          overrides: Mapping[str, Any] | None) -> tuple[CoverRow, ...]:
    try:
        standing = check_cover(standing)
    except CoverError as error:
        raise ReportError(f"the framework {data.framework.name!r} has a bad cover value: "
                          f"{error}") from None
    try:
        return cover_rows(standing, overrides, defaults=defaults)
    except CoverError as error:
        raise ReportError(str(error)) from None


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
