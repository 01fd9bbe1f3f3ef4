"""The view-model of the year-end closure report (built by ``bot.reports.closure``): per theme
the year's achievements and each deliverable's RAG through the four quarters."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports.report_view import CoverRow, PersonView, RagCounts


@dataclass(frozen=True)
class QuarterNarrative:
    period_label: str
    quarter: str  # "Q1" .. "Q4"
    rag: str
    narrative: str


@dataclass(frozen=True)
class ClosureRow:
    ref: str
    number: str
    area: str
    title: str
    sros: tuple[PersonView, ...]
    rags: tuple[str | None, ...]  # Q1..Q4, None where nothing was submitted
    narratives: tuple[QuarterNarrative, ...]  # most recent quarter first
    # Its outcome when the framework closes (``bot.collection.outcomes``): the kind
    # (achieved, carried, merged, stopped) and the sentence the paper prints.
    outcome_kind: str | None = None
    outcome: str | None = None
    active: bool = True

    @property
    def latest(self) -> QuarterNarrative | None:
        """The most recent quarter's update with a narrative: the deliverable's achievement."""
        return next((n for n in self.narratives if n.narrative.strip()), None)

    @property
    def final_rag(self) -> str | None:
        return next((rag for rag in reversed(self.rags) if rag), None)


@dataclass(frozen=True)
class ClosureTheme:
    name: str
    ambition: str
    objectives: tuple[str, ...]
    rows: tuple[ClosureRow, ...]

    @property
    def achievements(self) -> tuple[ClosureRow, ...]:
        return tuple(row for row in self.rows if row.latest)

    @property
    def outcome_counts(self) -> dict[str, int]:
        """How many deliverables ended each way (and ``none``: without an outcome yet)."""
        counts = dict.fromkeys(("achieved", "carried", "merged", "stopped", "none"), 0)
        for row in self.rows:
            counts[row.outcome_kind or "none"] += 1
        return counts


@dataclass(frozen=True)
class ClosureView:
    framework_id: int
    framework_name: str
    framework_slug: str
    organisation: str
    fy: int
    fy_label: str
    quarters: tuple[str, ...]  # period labels, Q1..Q4
    title: str
    cover: tuple[CoverRow, ...]
    themes: tuple[ClosureTheme, ...]
    # The framework closes with this year (``ragtime framework close``): the paper lists each
    # deliverable's outcome, and every active one needs one before approval.
    closing: bool = False

    @property
    def without_outcome(self) -> tuple[ClosureRow, ...]:
        """Active deliverables still without an outcome, in report order."""
        return tuple(row for theme in self.themes for row in theme.rows
                     if row.active and row.outcome_kind is None)

    @property
    def slug(self) -> str:
        return f"{self.fy}-{(self.fy + 1) % 100:02d}-closure"

    @property
    def counts_by_quarter(self) -> tuple[RagCounts, ...]:
        rows = [row for theme in self.themes for row in theme.rows]
        return tuple(RagCounts.of(row.rags[index] for row in rows) for index in range(4))
