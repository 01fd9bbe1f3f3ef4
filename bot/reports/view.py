"""The report's view-model: frozen dataclasses holding plain values, ready for any template.

Everything a rendering needs is here, so templates hold no rules: counts, the previous
period's RAG, which rows changed and which are missing are decided once, in this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.words import RAGS, rag_word

__all__ = ["RAGS", "rag_label", "rag_value"]


class ReportError(LookupError):
    """The report cannot be built (no framework, unknown framework id, ...); says what is wrong."""


def rag_value(rag: object) -> str:
    """``Rag.green`` (or ``"green"``) → ``"green"``."""
    return str(getattr(rag, "value", rag))


def rag_label(rag: str | None) -> str:
    """The paper's word for a rating: ``Green``…, ``No update`` when there is none."""
    return rag_word(rag)


@dataclass(frozen=True)
class RagCounts:
    green: int = 0
    amber: int = 0
    red: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.green + self.amber + self.red + self.missing

    @classmethod
    def of(cls, rags: Iterable[str | None]) -> RagCounts:
        counts = {"green": 0, "amber": 0, "red": 0, "missing": 0}
        for rag in rags:
            counts[rag if rag in RAGS else "missing"] += 1
        return cls(**counts)

    def __add__(self, other: RagCounts) -> RagCounts:
        return RagCounts(self.green + other.green, self.amber + other.amber,
                         self.red + other.red, self.missing + other.missing)


@dataclass(frozen=True)
class CoverRow:
    """One row of the board-paper cover table; ``lines`` keeps list values one per line."""

    key: str
    label: str
    lines: tuple[str, ...]

    @property
    def value(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class PersonView:
    name: str
    title: str = ""

    def __str__(self) -> str:
        return f"{self.name}, {self.title}" if self.title else self.name


@dataclass(frozen=True)
class RiskView:
    """A BAF risk with its score for the period (or the latest earlier one, see ``as_of``)."""

    number: str
    title: str
    score: int | None
    direction: str | None  # up | down | static
    as_of: str | None = None  # label of an earlier period the score was carried from


@dataclass(frozen=True)
class ProgressRow:
    ref: str
    number: str
    theme: str
    area: str
    title: str
    sros: tuple[PersonView, ...]
    rag: str | None
    previous_rag: str | None
    narrative: str = ""
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    recovery_action: str | None = None
    recovery_date: date | None = None
    version: int | None = None
    active: bool = True

    @property
    def missing(self) -> bool:
        """No update was received for this period."""
        return self.rag is None

    @property
    def changed(self) -> bool:
        """The RAG moved since the previous period (both periods rated)."""
        return None not in (self.rag, self.previous_rag) and self.rag != self.previous_rag


@dataclass(frozen=True)
class ThemeView:
    name: str
    ambition: str
    objectives: tuple[str, ...]
    risks: tuple[RiskView, ...]
    rows: tuple[ProgressRow, ...]

    @property
    def rag_counts(self) -> RagCounts:
        return RagCounts.of(row.rag for row in self.rows)


@dataclass(frozen=True)
class ReportView:
    framework_id: int
    framework_name: str
    framework_slug: str
    organisation: str
    period_label: str
    period_slug: str
    period_start: date
    period_end: date
    previous_period_label: str
    title: str
    cover: tuple[CoverRow, ...]
    themes: tuple[ThemeView, ...]

    @property
    def rows(self) -> tuple[ProgressRow, ...]:
        return tuple(row for theme in self.themes for row in theme.rows)

    @property
    def rag_counts(self) -> RagCounts:
        return sum((theme.rag_counts for theme in self.themes), RagCounts())

    @property
    def changes(self) -> tuple[ProgressRow, ...]:
        """Rows whose RAG moved since the previous period, in report order."""
        return tuple(row for row in self.rows if row.changed)

    @property
    def missing(self) -> tuple[ProgressRow, ...]:
        """Rows with no update this period: flagged in the report, never dropped."""
        return tuple(row for row in self.rows if row.missing)
