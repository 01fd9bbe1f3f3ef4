"""NHS financial-year quarters (April–March) and their parsing.

``2024/25 Q2`` is July–September 2024. The accepted spellings are fixed by DESIGN.md:
``2024/25 Q2``, ``2024-25-Q2`` and ``Q2 2024/25`` (case and spacing are forgiven).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from storage.models import PeriodRecord
from storage.repo import ensure_period

_YEAR = r"(?P<y1>\d{4})\s*[/-]\s*(?P<y2>\d{2}|\d{4})"
_QUARTER = r"Q\s*(?P<q>[1-4])"
_FORMS = (
    re.compile(rf"^{_YEAR}\s*[-\s]\s*{_QUARTER}$", re.IGNORECASE),
    re.compile(rf"^{_QUARTER}\s+{_YEAR}$", re.IGNORECASE),
)
_FY_ONLY = re.compile(rf"^{_YEAR}$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period string that is not one of the accepted forms."""


@dataclass(frozen=True, order=True)
class Period:
    """One quarter of an NHS financial year; ``fy`` is the year the financial year starts in."""

    fy: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise PeriodError(f"quarter must be 1–4, not {self.quarter}")
        if not 1900 <= self.fy <= 2999:
            raise PeriodError(f"financial year {self.fy} is out of range")

    @classmethod
    def parse(cls, text: str) -> Period:
        cleaned = " ".join(str(text).split())
        for form in _FORMS:
            match = form.match(cleaned)
            if match:
                return cls(fy=_start_year(match, text), quarter=int(match["q"]))
        raise PeriodError(
            f"'{text}' is not a period; write it as '2024/25 Q2', '2024-25-Q2' or 'Q2 2024/25'"
        )

    @classmethod
    def containing(cls, day: date) -> Period:
        fy = day.year if day.month >= 4 else day.year - 1
        quarter = ((day.month - 4) % 12) // 3 + 1
        return cls(fy=fy, quarter=quarter)

    @property
    def label(self) -> str:
        return f"{self.fy}/{(self.fy + 1) % 100:02d} Q{self.quarter}"

    @property
    def fy_label(self) -> str:
        return f"{self.fy}/{(self.fy + 1) % 100:02d}"

    @property
    def slug(self) -> str:
        """Filesystem- and id-safe form: ``2024-25-Q2``."""
        return f"{self.fy}-{(self.fy + 1) % 100:02d}-Q{self.quarter}"

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.quarter - 1)
        year = self.fy if month <= 12 else self.fy + 1
        return date(year, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def previous(self) -> Period:
        return Period(self.fy, self.quarter - 1) if self.quarter > 1 else Period(self.fy - 1, 4)

    def next(self) -> Period:
        return Period(self.fy, self.quarter + 1) if self.quarter < 4 else Period(self.fy + 1, 1)

    def __str__(self) -> str:
        return self.label


def parse_financial_year(text: str) -> int:
    """``2024/25`` → 2024 (the year the financial year starts in)."""
    match = _FY_ONLY.match(" ".join(str(text).split()))
    if not match:
        raise PeriodError(f"'{text}' is not a financial year; write it as '2024/25'")
    return _start_year(match, text)


def _start_year(match: re.Match[str], text: str) -> int:
    start, end = int(match["y1"]), match["y2"]
    expected = (start + 1) % 100 if len(end) == 2 else start + 1
    if int(end) != expected:
        raise PeriodError(f"'{text}': a financial year runs April–March, so {start} is followed "
                          f"by {start + 1}")
    return start


def quarters_of_year(fy: int) -> list[Period]:
    return [Period(fy, q) for q in range(1, 5)]


def stored_period(session: Session, period: Period) -> PeriodRecord:
    """The storage row of ``period``, created on first use."""
    return ensure_period(
        session=session, fy=period.fy, quarter=period.quarter, label=period.label,
        start=period.start, end=period.end,
    )
