"""The one date grammar for recovery dates, in modal text and thread replies alike."""

from __future__ import annotations

import calendar
import re
from datetime import date

from bot.calendar.periods import Period, PeriodError

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>[a-z]{3,9})\.?"
_YEAR = r"(?P<year>\d{4}|\d{2})"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_DATE_FORMS = (
    re.compile(r"^(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})$"),
    re.compile(r"^(?P<day>\d{1,2})[/.\-](?P<mon>\d{1,2})[/.\-](?P<year>\d{4}|\d{2})$"),
    re.compile(rf"^{_DAY}[\s\-]+(?:of\s+)?{_MONTH}[\s\-,]+{_YEAR}$", re.IGNORECASE),
    re.compile(rf"^{_MONTH}\s+{_DAY},?\s+{_YEAR}$", re.IGNORECASE),
    re.compile(rf"^{_MONTH}[\s\-,]+{_YEAR}$", re.IGNORECASE),  # a month: its last day
    re.compile(r"^(?P<mon>\d{1,2})/(?P<year>\d{4})$"),  # 12/2024: last day of the month
)
_DATE_FILLER = re.compile(r"^(?:(?:by|due|on|before|around|approx\.?|the|end\s+of)\s+)+",
                          re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """``31/12/2024``, ``2024-12-31``, ``31 Dec 2024``, ``December 2024`` (→ 31 Dec 2024),
    ``end of March 2025``, or a quarter such as ``Q3 2024/25`` (→ its last day). UK day-first.
    ``None`` for text that is not a real date."""
    try:
        return _parse_date(text)
    except (ValueError, OverflowError, KeyError):
        return None


def _parse_date(text: str) -> date | None:
    cleaned = _DATE_FILLER.sub("", " ".join(str(text).split()).strip(" .,;")).strip()
    for form in _DATE_FORMS:
        match = form.match(cleaned)
        if not match:
            continue
        parts = match.groupdict()
        year = int(parts["year"])
        if year < 100:
            year += 2000
        if parts.get("month"):
            month = _MONTHS.get(parts["month"].lower())
            if month is None:
                return None
        else:
            month = int(parts["mon"])
        if not 1 <= month <= 12:
            return None
        day = int(parts["day"]) if parts.get("day") else calendar.monthrange(year, month)[1]
        return date(year, month, day)
    try:
        return Period.parse(cleaned).end
    except PeriodError:
        return None
