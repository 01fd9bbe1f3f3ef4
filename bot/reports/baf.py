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
from dataclasses import replace
from datetime import date

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.risk_returns import ScoreAt, direction_of, risk_scores
from bot.framework.baf import (
    BafScale,
)
from bot.framework.risk_carry import risk_carried_from
from bot.framework.risks import RiskInfo, baf_scale, load_risks
from bot.ports.baf_view import (
    BAND_COLOURS,
    BAND_TEXT,
    FALLBACK_COLOURS,
    HISTORY_QUARTERS,
    Action,
    ActionView,
    Assurance,
    BafRow,
    BafView,
    ChainLink,
    HeatCell,
)


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
    risks = load_risks(session, framework_id)
    carried = risk_carried_from(session, framework_id=framework_id)
    rows = tuple(replace(_row(risk, scores.get(risk.id, []), period, window, scale,
                              deliverables, today or period.end),
                         carried_from=carried[risk.id].label if risk.id in carried else "")
                 for risk in risks)
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
