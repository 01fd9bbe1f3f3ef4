"""The BAF section's view-model (built by ``bot.reports.baf``) and the values a risk return
carries (its assurances and actions): plain values below every business area, so the report's
view-model (``bot.ports.report_view``) can hold the section without importing upward."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.words import APPETITE_WORDS, CONSEQUENCES, LIKELIHOODS

HISTORY_QUARTERS = 4
NO_OWNER = "No owner recorded"
BAND_COLOURS = {"low": "#007f3b", "moderate": "#ffeb3b", "high": "#ffb81c", "extreme": "#d5281b"}
BAND_TEXT = {"low": "#ffffff", "moderate": "#212b32", "high": "#212b32", "extreme": "#ffffff"}
FALLBACK_COLOURS = ("#007f3b", "#ffeb3b", "#ffb81c", "#ed8b00", "#d5281b", "#8a1538")


@dataclass(frozen=True)
class Assurance:
    line: str  # first | second | third
    kind: str  # positive | negative
    text: str

    def plain(self) -> dict[str, str]:
        return {"line": self.line, "kind": self.kind, "text": self.text}


@dataclass(frozen=True)
class Action:
    text: str
    owner: str = ""
    due: date | None = None
    deliverable: str | None = None  # a deliverable's reference (GO-3)

    def plain(self) -> dict[str, Any]:
        return {"text": self.text, "owner": self.owner,
                "due": self.due.isoformat() if self.due else None,
                "deliverable": self.deliverable}

    @classmethod
    def of(cls, value: Mapping[str, Any]) -> Action:
        due = value.get("due")
        return cls(text=str(value.get("text") or ""), owner=str(value.get("owner") or ""),
                   due=date.fromisoformat(due) if isinstance(due, str) and due else (
                       due if isinstance(due, date) else None),
                   deliverable=value.get("deliverable") or None)


@dataclass(frozen=True)
class ChainLink:
    """An action that is a deliverable: its latest RAG and narrative this quarter."""

    code: str
    title: str
    rag: str | None
    narrative: str


@dataclass(frozen=True)
class ActionView:
    text: str
    owner: str
    due: date | None
    deliverable: ChainLink | None = None
    ref: str | None = None  # the reference named, when it is no deliverable any more


@dataclass(frozen=True)
class BafRow:
    number: str
    title: str
    theme: str
    owners: tuple[str, ...]
    likelihood: int | None
    consequence: int | None
    score: int | None
    as_of: str | None  # the earlier quarter a score was carried from
    target: int | None
    target_date: date | None
    band: str | None
    appetite: str | None
    direction: str | None  # up | down | static (bot.collection.risk_returns.direction_of)
    history: tuple[tuple[str, int | None], ...]  # the last four quarters, oldest first
    above_target: bool
    outside_appetite: bool
    target_date_passed: bool
    returned: bool  # this quarter's score is an owner's return (not the file's)
    rationale: str = ""
    controls: str = ""
    control_gaps: str = ""
    assurances: tuple[Assurance, ...] = ()
    assurance_gaps: str = ""
    actions: tuple[ActionView, ...] = ()
    lead_committee: str = ""
    cause: str = ""
    event: str = ""
    impact: str = ""
    submitted_at: datetime | None = None  # this quarter's return, when there is one
    submitted_by_id: int | None = None
    version: int | None = None
    carried_from: str = ""  # "Step Up To Great BAF 01": the earlier framework's risk it carries on

    @property
    def owner_text(self) -> str:
        return "; ".join(self.owners) or NO_OWNER

    @property
    def grid_text(self) -> str:
        """``L4 × C5`` or why there is none."""
        if self.likelihood is None or self.consequence is None:
            return "No likelihood or consequence recorded"
        return (f"L{self.likelihood} {LIKELIHOODS[self.likelihood]} × "
                f"C{self.consequence} {CONSEQUENCES[self.consequence]}")

    @property
    def appetite_word(self) -> str:
        return APPETITE_WORDS.get(self.appetite or "", "Not set")

    @property
    def history_text(self) -> str:
        return " → ".join("–" if score is None else str(score) for _, score in self.history)

    @property
    def description(self) -> tuple[tuple[str, str], ...]:
        """The framework's words about the risk: lead committee, cause, event, impact (those
        given)."""
        return tuple((label, text) for label, text in (
            ("Lead committee", self.lead_committee), ("Cause", self.cause),
            ("Event", self.event), ("Impact", self.impact)) if text)

    @property
    def flags(self) -> tuple[str, ...]:
        found = []
        if self.above_target:
            found.append(f"above target ({self.score} > {self.target})")
        if self.target_date_passed:
            found.append(f"target date {self.target_date:%d %b %Y} passed")
        if self.outside_appetite:
            found.append(f"outside {self.appetite_word.lower()} appetite")
        return tuple(found)

    @property
    def dated_actions(self) -> tuple[ActionView, ...]:
        return tuple(action for action in self.actions if action.due)


@dataclass(frozen=True)
class HeatCell:
    likelihood: int
    consequence: int
    score: int
    band: str | None
    colour: str
    text_colour: str
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class RedAction:
    """A Red deliverable that is an action on a risk above target."""

    risk: str
    code: str
    title: str


@dataclass(frozen=True)
class BafView:
    period_label: str
    rows: tuple[BafRow, ...]
    bands: tuple[tuple[str, int, int], ...]
    grid: tuple[tuple[HeatCell, ...], ...]  # consequence 5 (top) to 1, likelihood 1 to 5
    history_labels: tuple[str, ...]

    @property
    def exceptions(self) -> tuple[BafRow, ...]:
        """Risks above target or outside appetite, first in the section."""
        return tuple(row for row in self.rows if row.above_target or row.outside_appetite
                     or row.target_date_passed)

    @property
    def off_grid(self) -> tuple[BafRow, ...]:
        """Risks with no likelihood × consequence this quarter: not on the heat map."""
        return tuple(row for row in self.rows if row.likelihood is None)

    @property
    def red_actions(self) -> tuple[RedAction, ...]:
        return tuple(RedAction(row.number, action.deliverable.code, action.deliverable.title)
                     for row in self.rows if row.above_target for action in row.actions
                     if action.deliverable and action.deliverable.rag == "red")

    @property
    def missing_notes(self) -> tuple[str, ...]:
        """What the framework and the returns do not say, said once."""
        notes = []
        unowned = [row.number for row in self.rows if not row.owners]
        if unowned:
            notes.append(f"No owner is recorded for BAF {', '.join(unowned)}.")
        if self.off_grid:
            numbers = ", ".join(row.number for row in self.off_grid)
            notes.append(f"No likelihood or consequence is recorded for BAF {numbers} in "
                         f"{self.period_label}, so they are not on the heat map.")
        untargeted = [row.number for row in self.rows if row.target is None]
        if untargeted:
            notes.append(f"No target score is recorded for BAF {', '.join(untargeted)}.")
        return tuple(notes)

    @property
    def alt_text(self) -> str:
        """The heat map as words: every cell that holds a risk."""
        cells = [f"likelihood {cell.likelihood} × consequence {cell.consequence} = {cell.score}"
                 f" ({cell.band or 'no band'}): BAF {', '.join(cell.numbers)}"
                 for line in self.grid for cell in line if cell.numbers]
        placed = "; ".join(cells) if cells else "no risk has a likelihood and consequence"
        text = f"Heat map of current BAF risk scores, {self.period_label}: {placed}."
        if self.off_grid:
            text += (" Not on the map (no likelihood or consequence recorded): BAF "
                     + ", ".join(row.number for row in self.off_grid) + ".")
        return text
