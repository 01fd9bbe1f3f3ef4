"""The year-end closure report: per theme the year's achievements and each deliverable's RAG
through the four quarters (the shape of the seed "Step up to Great Closure Report")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from bot.calendar.periods import quarters_of_year
from bot.collection.outcomes import latest_outcomes
from bot.framework.lifecycle import closure_of
from bot.ports.closure_view import ClosureRow, ClosureTheme, ClosureView, QuarterNarrative
from bot.ports.report_view import rag_value
from bot.reports.cover import closure_cover
from bot.reports.load import (
    framework_slug,
    load_framework,
    load_latest_updates,
    load_periods,
)


def build_closure(
    session: Session, fy: int, *, framework_id: int | None = None,
    cover_overrides: Mapping[str, Any] | None = None,
) -> ClosureView:
    """The closure view of financial year ``fy`` (2024 for 2024/25): active deliverables, plus
    inactive ones updated during the year; the latest version of each quarter's update."""
    data = load_framework(session, framework_id)
    fid = data.framework.id
    assert fid is not None
    quarters = quarters_of_year(fy)
    period_ids = load_periods(session, quarters)
    updates = load_latest_updates(session, fid, period_ids.values())

    by_theme = data.deliverables_by_theme()
    closure = closure_of(session, fid)
    closing = closure is not None and closure.fy == fy
    outcomes = latest_outcomes(session, [d.id for d in data.deliverables
                                         if d.id is not None]) if closing else {}
    themes = []
    for theme in data.themes:
        rows = []
        for deliverable in by_theme.get(theme.id, []):
            found = [updates.get((deliverable.id, period_ids[q])) if q in period_ids else None
                     for q in quarters]
            if not deliverable.active and not any(found):
                continue
            narratives = tuple(
                QuarterNarrative(q.label, f"Q{q.quarter}", rag_value(u.update.rag),
                                 u.update.narrative)
                for q, u in reversed(list(zip(quarters, found, strict=True))) if u
            )
            ending = outcomes.get(deliverable.id or 0)
            rows.append(ClosureRow(
                ref=deliverable.ref,
                number=deliverable.code or deliverable.number or str(len(rows) + 1),
                area=deliverable.area or "", title=deliverable.title,
                sros=data.sros.get(deliverable.id or 0, ()),
                rags=tuple(rag_value(u.update.rag) if u else None for u in found),
                narratives=narratives,
                outcome_kind=ending.kind.value if ending else None,
                outcome=ending.sentence() if ending else None,
                active=deliverable.active,
            ))
        themes.append(ClosureTheme(name=theme.name, ambition=theme.ambition or "",
                                   objectives=tuple(str(o) for o in theme.objectives or ()),
                                   rows=tuple(rows)))
    name = data.framework.name
    fy_label = quarters[0].fy_label
    cover = closure_cover(data, fy_label, cover_overrides)
    return ClosureView(
        framework_id=fid, framework_name=name, framework_slug=framework_slug(name),
        organisation=data.framework.organisation or "", fy=fy, fy_label=fy_label,
        quarters=tuple(q.label for q in quarters), title=cover[0].value, cover=cover,
        themes=tuple(themes), closing=closing,
    )
