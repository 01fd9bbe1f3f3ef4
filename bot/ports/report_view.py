"""The report's view-model: frozen dataclasses holding plain values, ready for any template.

Everything a rendering needs is here, so templates hold no rules: counts, the previous
period's RAG, which rows changed and which are missing are decided once, in this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.ports.baf_view import BafView
from bot.words import RAGS, long_date, rag_word

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


RAG_LETTERS = {"green": "G", "amber": "A", "red": "R"}
NO_MARK = "–"  # a quarter with no rating: a dash, never a blank or a colour alone


@dataclass(frozen=True)
class TrendMark:
    """One quarter of a deliverable's trend: the period and its rating (None: no update)."""

    period_label: str
    rag: str | None

    @property
    def letter(self) -> str:
        return RAG_LETTERS.get(self.rag or "", NO_MARK)

    @property
    def text(self) -> str:
        """``2024/25 Q1: Amber``, for readers that cannot see the mark."""
        return f"{self.period_label}: {rag_word(self.rag)}"


@dataclass(frozen=True)
class TrendPeriod:
    """A quarter of the trend window; ``collected`` is False when nobody reported in it."""

    label: str
    collected: bool

    @property
    def short(self) -> str:
        """``Q1 24/25``: fits a narrow column."""
        fy, quarter = self.label.split()
        return f"{quarter} {fy[2:]}" if "/" in fy else self.label


NO_NARRATIVE = "No narrative given."


@dataclass(frozen=True)
class ProgressRow:
    ref: str  # the import identity
    number: str  # the file's number within its area (restarts per area)
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
    change_reason: str | None = None
    trend: tuple[TrendMark, ...] = ()  # the last four quarters, oldest first, this one last
    overdue: bool = False  # Red/Amber with an expected date on or before the period's end
    code: str = ""  # the reference shown and typed (``GO-3``), unique in the framework
    carried_from: str = ""  # ``Step Up To Great GO-3``: the earlier deliverable it carries on
    by_cover: bool = False  # submitted by a cover for an absent SRO
    extended_to: date | None = None  # a later deadline in this round (an extension)

    @property
    def cover_note(self) -> str:
        """``Submitted by Sarah Willis (cover).`` when a cover submitted it, else ""."""
        return f"Submitted by {self.submitted_by} (cover)." if self.by_cover else ""

    @property
    def missing_text(self) -> str:
        """What the paper says of a row with no update: the extension when there is one."""
        if self.extended_to is not None:
            return (f"No update received yet: deadline extended to "
                    f"{self.extended_to.day} {self.extended_to:%B %Y}.")
        return ""

    @property
    def no_narrative(self) -> bool:
        """Rated (Green too) with nothing written: flagged in the paper (``NO_NARRATIVE``)."""
        return self.rag is not None and not self.narrative.strip()

    @property
    def exception(self) -> bool:
        """Red or Amber: listed with its recovery in the summary's exceptions."""
        return self.rag in ("red", "amber")

    @property
    def trend_letters(self) -> str:
        """``G A A R``: the trend as plain text (Markdown, Slack, tests)."""
        return " ".join(mark.letter for mark in self.trend)

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

    @property
    def trend_counts(self) -> tuple[RagCounts, ...]:
        """RAG counts per quarter of the trend window, oldest first."""
        width = max((len(row.trend) for row in self.rows), default=0)
        return tuple(RagCounts.of(row.trend[i].rag for row in self.rows if len(row.trend) > i)
                     for i in range(width))


@dataclass(frozen=True)
class Chaser:
    """An SRO with the deliverables they did not update this period."""

    person: PersonView
    rows: tuple[ProgressRow, ...]


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
    trend_periods: tuple[TrendPeriod, ...] = ()  # oldest first, this period last
    previous_collected: bool = False  # any update at all was stored for the previous period
    baf: BafView | None = None  # the Board Assurance Framework section (bot.reports.baf)

    @property
    def rows(self) -> tuple[ProgressRow, ...]:
        return tuple(row for theme in self.themes for row in theme.rows)

    @property
    def running_title(self) -> str:
        """The pages' running header: the title, and the period only when the title does not
        already name it ("… Quarter 2 progress 2024/25", not "… 2024/25 · 2024/25 Q2")."""
        return (self.title if names_period(self.title, self.period_label)
                else f"{self.title} · {self.period_label}")

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

    @property
    def changes_note(self) -> str:
        """The sentence the summary prints when no change is listed: a statement about the
        previous period only when that period has data."""
        if not self.previous_collected:
            return f"No updates were collected for {self.previous_period_label}."
        if self.changes:
            return ""
        return f"No RAG rating changed since {self.previous_period_label}."

    @property
    def headline(self) -> str:
        """``7 deliverables: 3 Green, 2 Amber, 1 Red, 1 with no update.``"""
        c = self.rag_counts
        parts = [f"{c.green} Green", f"{c.amber} Amber", f"{c.red} Red"]
        if c.missing:
            parts.append(f"{c.missing} with no update")
        noun = "deliverable" if c.total == 1 else "deliverables"
        return f"{c.total} {noun} in {self.period_label}: {', '.join(parts)}."

    @property
    def exceptions(self) -> tuple[ProgressRow, ...]:
        """Every Red, then every Amber deliverable, in report order within each."""
        return (tuple(row for row in self.rows if row.rag == "red")
                + tuple(row for row in self.rows if row.rag == "amber"))

    @property
    def overdue(self) -> tuple[ProgressRow, ...]:
        return tuple(row for row in self.exceptions if row.overdue)

    @property
    def overdue_note(self) -> str:
        """Why a date counts as overdue, said once in the summary."""
        return (f"An expected date on or before {long_date(self.period_end)}, the end of "
                f"{self.period_label}, for a deliverable still Red or Amber.")

    @property
    def chasers(self) -> tuple[Chaser, ...]:
        """Who did not reply: each SRO (joint SROs each) with their deliverables lacking an
        update, in report order."""
        found: dict[PersonView, list[ProgressRow]] = {}
        for row in self.missing:
            for person in row.sros or (PersonView("No SRO recorded"),):
                found.setdefault(person, []).append(row)
        return tuple(Chaser(person, tuple(rows)) for person, rows in found.items())

    @property
    def trend_table(self) -> tuple[tuple[str, tuple[RagCounts | None, ...]], ...]:
        """The summary's theme-level trend: per theme (then "All themes") the RAG counts of
        each quarter of the window, None for a quarter in which no update was collected."""
        width = len(self.trend_periods)
        table = []
        for name, counts in [(theme.name, theme.trend_counts) for theme in self.themes] + [
                ("All themes", tuple(sum((t.trend_counts[i] for t in self.themes if t.rows),
                                         RagCounts()) for i in range(width)))]:
            padded = tuple(counts) + (RagCounts(),) * (width - len(counts))
            table.append((name, tuple(c if p.collected else None
                                      for p, c in zip(self.trend_periods, padded, strict=True))))
        return tuple(table)


def names_period(title: str, period_label: str) -> bool:
    """Whether ``title`` names the quarter ``period_label`` ("2024/25 Q2") is: the label
    itself, or its year with "Q2" or "Quarter 2"."""
    if period_label in title:
        return True
    year, _, quarter = period_label.partition(" Q")
    return year in title and re.search(rf"\b(?:Q|Quarter\s*){quarter}\b", title) is not None
