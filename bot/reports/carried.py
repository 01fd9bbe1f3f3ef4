"""A carried-forward deliverable's history from the framework it carries on.

In the paper a deliverable of the new framework that carries one on (``bot.framework.carry``)
says "Carried from Step Up To Great GO-3", and for the quarters before the one reported its
trend shows the old deliverable's ratings where it has none of its own, so the trend runs on
across the two strategies.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from bot.collection.updates import counting_ids
from bot.framework.carry import CarriedFrom, carried_from
from bot.reports.load import LatestUpdate
from storage.models import Person, Update


def with_carried_history(
    session: Session, deliverable_ids: list[int], updates: dict[tuple[int, int], LatestUpdate],
    earlier_period_ids: Iterable[int],
) -> dict[int, CarriedFrom]:
    """Fill ``updates`` (by (deliverable id, period id)) with the carried-on deliverables'
    updates in ``earlier_period_ids`` where the new deliverable has none; returns what each
    carries on."""
    carried = carried_from(session, deliverable_ids)
    periods = list(earlier_period_ids)
    if not carried or not periods:
        return carried
    sources = {c.source_id: c.deliverable_id for c in carried.values()}
    rows = session.exec(
        select(Update, Person.name)
        .where(col(Update.id).in_(counting_ids(col(Update.period_id).in_(periods),
                                               col(Update.deliverable_id).in_(list(sources)))))
        .outerjoin(Person, Person.id == Update.submitted_by_id))
    for update, name in rows:
        key = (sources[update.deliverable_id], update.period_id)
        updates.setdefault(key, LatestUpdate(update, name or update.submitted_by_slack_id))
    return carried
