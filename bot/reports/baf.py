"""The paper's Board Assurance Framework section, as plain values: the 5×5 heat map, the summary
table, the risks above target or outside appetite (first, with their gaps and dated actions), and
the assurance chain (an action that is a deliverable shows its latest RAG and narrative; a Red
deliverable that is an action on a risk above target is an exception).

Scores come from ``bot.collection.risk_returns.risk_scores`` (a quarter's latest return, else the
framework file's score); the direction is ``direction_of`` them, as in the per-theme tables. Where
the file and the returns say nothing (no owner, no likelihood or consequence) the view says so
rather than inventing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.risk_returns import ScoreAt, direction_of, risk_scores
from bot.collection.risk_rules import Action, Assurance
from bot.framework.baf import (
    APPETITE_WORDS,
    CONSEQUENCES,
    LIKELIHOODS,
    BafScale,
)
from bot.framework.risks import RiskInfo, baf_scale, load_risks

HISTORY_QUARTERS = 4
NO_OWNER = "No owner recorded"
BAND_COLOURS = {"low": "#007f3b", "moderate": "#ffeb3b", "high": "#ffb81c", "extreme": "#d5281b"}
BAND_TEXT = {"low": "#ffffff", "moderate": "#212b32", "high": "#212b32", "extreme": "#ffffff"}
FALLBACK_COLOURS = ("#007f3b", "#ffeb3b", "#ffb81c", "#ed8b00", "#d5281b", "#8a1538")


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


def build_baf(session: Session, framework_id: int, period: Period,
              deliverables: Mapping[str, ChainLink], *, today: date | None = None,
              scores: Mapping[int, list[ScoreAt]] | None = None) -> BafView:
    """The section for ``period``; ``deliverables`` maps each deliverable's reference (upper
    case) to its latest RAG and narrative this quarter. ``today`` decides whether a target
    date has passed (default: the period's end); ``scores`` are ``risk_scores`` when the
    caller has read them already."""
    scale = baf_scale(session, framework_id)
    window = [period]
    while len(window) < HISTORY_QUARTERS:
        window.insert(0, window[0].previous())
    if scores is None:
        scores = risk_scores(session, framework_id, period)
    rows = tuple(_row(risk, scores.get(risk.id, []), period, window, scale, deliverables,
                      today or period.end)
                 for risk in load_risks(session, framework_id))
    return BafView(period_label=period.label, rows=rows,
                   bands=tuple((b.name, b.low, b.high) for b in scale.bands),
                   grid=_grid(rows, scale), history_labels=tuple(p.label for p in window))


def _row(risk: RiskInfo, history: list[ScoreAt], period: Period, window: list[Period],
         scale: BafScale, deliverables: Mapping[str, ChainLink], today: date) -> BafRow:
    by_period = {item.period: item for item in history}
    latest = history[-1] if history else None
    now = by_period.get(period)
    score = latest.score if latest else None
    returned = now.returned if now else None
    above = score is not None and risk.target is not None and score > risk.target
    actions = tuple(_action(Action.of(item), deliverables) for item in (
        returned.actions if returned else ()))
    return BafRow(
        number=risk.number, title=risk.title, theme=risk.theme, owners=risk.owner_names,
        likelihood=returned.likelihood if returned else None,
        consequence=returned.consequence if returned else None,
        score=score, as_of=latest.period.label if latest and latest.period != period else None,
        target=risk.target, target_date=risk.target_date, band=scale.band_name(score),
        appetite=risk.appetite,
        direction=direction_of(history),
        history=tuple((p.label, by_period[p].score if p in by_period else None)
                      for p in window),
        above_target=above, outside_appetite=scale.outside_appetite(score, risk.appetite),
        target_date_passed=above and risk.target_date is not None and risk.target_date < today,
        returned=returned is not None,
        rationale=returned.rationale if returned else "",
        controls=returned.controls if returned else "",
        control_gaps=returned.control_gaps if returned else "",
        assurances=tuple(Assurance(**item) for item in (returned.assurances if returned
                                                        else ())),
        assurance_gaps=returned.assurance_gaps if returned else "",
        actions=actions,
        lead_committee=risk.lead_committee, cause=risk.cause, event=risk.event,
        impact=risk.impact,
        submitted_at=returned.submitted_at if returned else None,
        submitted_by_id=returned.submitted_by_id if returned else None,
        version=returned.version if returned else None,
    )


def _action(action: Action, deliverables: Mapping[str, ChainLink]) -> ActionView:
    link = deliverables.get(action.deliverable.upper()) if action.deliverable else None
    text = action.text or (link.title if link else "")
    return ActionView(text=text, owner=action.owner, due=action.due, deliverable=link,
                      ref=action.deliverable if link is None else None)


def _grid(rows: tuple[BafRow, ...], scale: BafScale) -> tuple[tuple[HeatCell, ...], ...]:
    colours = {band.name: BAND_COLOURS.get(band.name, FALLBACK_COLOURS[
        min(index, len(FALLBACK_COLOURS) - 1)]) for index, band in enumerate(scale.bands)}
    grid = []
    for consequence in range(5, 0, -1):
        line = []
        for likelihood in range(1, 6):
            score = likelihood * consequence
            band = scale.band_name(score)
            line.append(HeatCell(
                likelihood=likelihood, consequence=consequence, score=score, band=band,
                colour=colours.get(band or "", "#d8dde0"),
                text_colour=BAND_TEXT.get(band or "", "#212b32"),
                numbers=tuple(row.number for row in rows if (row.likelihood, row.consequence)
                              == (likelihood, consequence))))
        grid.append(tuple(line))
    return tuple(grid)
