"""``build_report``: one period of one framework as a ``ReportView``, in a constant number of
queries (see ``bot.reports.load``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.availability import extended_deadlines
from bot.collection.risk_returns import ScoreAt, direction_of, risk_scores
from bot.ports.baf_view import ChainLink
from bot.ports.report_view import (
    ProgressRow,
    ReportView,
    RiskView,
    ThemeView,
    TrendMark,
    TrendPeriod,
    rag_value,
)
from bot.reports.baf import build_baf
from bot.reports.carried import with_carried_history
from bot.reports.cover import quarter_cover
from bot.reports.load import (
    FrameworkData,
    LatestUpdate,
    framework_slug,
    load_framework,
    load_latest_updates,
    load_periods,
)
from storage.models import Deliverable, Risk

TREND_QUARTERS = 4  # the trend shows this period and the three before it

# Left out of the content hash: when (and how many times) something was submitted is not
# what the report says.
_VOLATILE = frozenset({"submitted_at", "version"})


def build_report(
    session: Session,
    period: Period,
    *,
    framework_id: int | None = None,
    cover_overrides: Mapping[str, Any] | None = None,
) -> ReportView:
    """The report for ``period``: every active deliverable (and any inactive one that has an
    update in the period), the latest version of each update, the previous period's RAG and
    each deliverable's trend over the last four quarters (the same two queries for all)."""
    data = load_framework(session, framework_id)
    fid = data.framework.id
    assert fid is not None
    window = [period]
    while len(window) < TREND_QUARTERS:
        window.insert(0, window[0].previous())
    previous = window[-2]
    period_ids = load_periods(session, window)
    updates = load_latest_updates(session, fid, period_ids.values())
    scores = risk_scores(session, fid, period)  # a quarter's latest return, else the file's
    current_id, previous_id = period_ids.get(period), period_ids.get(previous)
    extended = extended_deadlines(session, fid, current_id) if current_id is not None else {}
    carried = with_carried_history(
        session, [d.id for d in data.deliverables if d.id is not None], updates,
        [pid for p, pid in period_ids.items() if p != period])
    collected = {period_id for _deliverable, period_id in updates}
    trend_periods = tuple(TrendPeriod(p.label, period_ids.get(p) in collected) for p in window)

    def latest(deliverable: Deliverable, period_id: int | None) -> LatestUpdate | None:
        return None if period_id is None else updates.get((deliverable.id, period_id))

    by_theme = data.deliverables_by_theme()
    themes = []
    for theme in data.themes:
        rows = []
        for deliverable in by_theme.get(theme.id, []):
            now = latest(deliverable, current_id)
            if not deliverable.active and now is None:
                continue
            before = latest(deliverable, previous_id)
            trend = tuple(TrendMark(p.label, _rag(latest(deliverable, period_ids.get(p))))
                          for p in window)
            found = carried.get(deliverable.id or 0)
            rows.append(_row(data, deliverable, theme.name, len(rows) + 1, now, before,
                             trend=trend, period_end=period.end,
                             extended_to=extended.get(deliverable.id or 0),
                             carried_from=found.label if found else ""))
        risks = tuple(_risk(risk, scores.get(risk.id, []), period)
                      for risk in data.risks if risk.theme_id == theme.id)
        themes.append(ThemeView(
            name=theme.name, ambition=theme.ambition or "",
            objectives=tuple(str(o) for o in theme.objectives or ()),
            risks=risks, rows=tuple(rows),
        ))
    name = data.framework.name
    cover = quarter_cover(data, period, cover_overrides)
    links = {row.code.upper(): ChainLink(row.code, row.title, row.rag, row.narrative)
             for theme in themes for row in theme.rows}
    baf = build_baf(session, fid, period, links, scores=scores) if data.risks else None
    return ReportView(
        framework_id=fid, framework_name=name, framework_slug=framework_slug(name),
        organisation=data.framework.organisation or "",
        period_label=period.label, period_slug=period.slug,
        period_start=period.start, period_end=period.end,
        previous_period_label=previous.label,
        title=cover[0].value, cover=cover, themes=tuple(themes),
        trend_periods=trend_periods, previous_collected=previous_id in collected, baf=baf,
    )


def _rag(found: LatestUpdate | None) -> str | None:
    return rag_value(found.update.rag) if found else None


def _row(
    data: FrameworkData, deliverable: Deliverable, theme: str, index: int,
    now: LatestUpdate | None, before: LatestUpdate | None, *,
    trend: tuple[TrendMark, ...] = (), period_end: date | None = None,
    extended_to: date | None = None, carried_from: str = "",
) -> ProgressRow:
    update = now.update if now else None
    rag = rag_value(update.rag) if update else None
    due = update.recovery_date if update else None
    return ProgressRow(
        ref=deliverable.ref, code=deliverable.code or deliverable.ref,
        number=deliverable.number or str(index), theme=theme,
        area=deliverable.area or "", title=deliverable.title,
        sros=data.sros.get(deliverable.id or 0, ()),
        rag=rag,
        previous_rag=rag_value(before.update.rag) if before else None,
        narrative=update.narrative if update else "",
        submitted_by=now.submitted_by if now else None,
        submitted_at=update.submitted_at if update else None,
        recovery_action=update.recovery_action if update else None,
        recovery_date=update.recovery_date if update else None,
        version=update.version if update else None,
        active=deliverable.active,
        change_reason=update.change_reason if update else None,
        trend=trend,
        overdue=(rag in ("red", "amber") and due is not None and period_end is not None
                 and due <= period_end),
        by_cover=bool(now and now.by_cover),
        extended_to=extended_to,
        carried_from=carried_from,
    )


def _risk(risk: Risk, history: list[ScoreAt], period: Period) -> RiskView:
    """The score for ``period`` or the latest earlier one; direction given or derived."""
    if not history:
        return RiskView(number=risk.number, title=risk.title, score=None, direction=None)
    latest = history[-1]
    return RiskView(number=risk.number, title=risk.title, score=latest.score,
                    direction=direction_of(history),
                    as_of=None if latest.period == period else latest.period.label)


def report_content_hash(view: Any) -> str:
    """A stable SHA-256 of what a report says (submission times left out), to tell whether
    compiling again would change anything."""
    payload = json.dumps(_plain(view), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items() if k not in _VOLATILE}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
