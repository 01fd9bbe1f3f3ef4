"""Bulk loading for reports: a fixed handful of queries whatever the framework's size.

Each function issues one query (or none) and returns plain lookups keyed by id, so builders
never query per row.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from bot.calendar.periods import Period
from bot.collection.updates import counting_ids
from bot.framework.choice import FrameworkChoiceError, choose_framework
from bot.ports.report_view import PersonView, ReportError
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    PeriodRecord,
    Person,
    Risk,
    Role,
    Theme,
    Update,
    UpdateOnBehalf,
)


@dataclass(frozen=True)
class FrameworkData:
    framework: Framework
    themes: list[Theme]
    deliverables: list[Deliverable]  # theme order, then position
    sros: dict[int, tuple[PersonView, ...]]  # by deliverable id
    risks: list[Risk]

    def deliverables_by_theme(self) -> dict[int, list[Deliverable]]:
        grouped: dict[int, list[Deliverable]] = defaultdict(list)
        for deliverable in self.deliverables:
            grouped[deliverable.theme_id].append(deliverable)
        return grouped


@dataclass(frozen=True)
class LatestUpdate:
    update: Update
    submitted_by: str | None
    by_cover: bool = False  # submitted by a cover on an absent SRO's behalf


def framework_slug(name: str) -> str:
    """``Step Up To Great`` → ``sutg``; one or two words are kept whole (``great-care``)."""
    words = re.findall(r"[0-9a-z]+", name.lower())
    if not words:
        return "report"
    return "".join(word[0] for word in words) if len(words) >= 3 else "-".join(words)


def load_framework(session: Session, framework_id: int | None) -> FrameworkData:
    framework = _framework(session, framework_id)
    fid = framework.id
    themes = list(session.exec(
        select(Theme).where(Theme.framework_id == fid).order_by(Theme.position, Theme.id)))
    order = {theme.id: index for index, theme in enumerate(themes)}
    deliverables = sorted(
        session.exec(select(Deliverable).where(Deliverable.framework_id == fid)),
        key=lambda d: (order.get(d.theme_id, len(order)), d.position, d.id),
    )
    owners = session.exec(
        select(DeliverableOwner.deliverable_id, Person.name, Person.title)
        .join(Person, Person.id == DeliverableOwner.person_id)
        .join(Deliverable, Deliverable.id == DeliverableOwner.deliverable_id)
        .where(Deliverable.framework_id == fid, DeliverableOwner.role == Role.sro)
        .order_by(DeliverableOwner.deliverable_id, DeliverableOwner.position,
                  DeliverableOwner.id)
    )
    sros: dict[int, list[PersonView]] = defaultdict(list)
    for deliverable_id, name, title in owners:
        sros[deliverable_id].append(PersonView(name=name, title=title or ""))
    risks = list(session.exec(
        select(Risk).where(Risk.framework_id == fid).order_by(Risk.position, Risk.number)))
    return FrameworkData(
        framework=framework, themes=themes, deliverables=deliverables,
        sros={key: tuple(value) for key, value in sros.items()}, risks=risks,
    )


def _framework(session: Session, framework_id: int | None) -> Framework:
    if framework_id is not None:
        framework = session.get(Framework, framework_id)
        if framework is None:
            raise ReportError(f"there is no framework with id {framework_id}")
        return framework
    try:  # the only framework; with several, which one is for the caller to say
        return choose_framework(session)
    except FrameworkChoiceError as error:
        raise ReportError(str(error)) from None


def load_periods(session: Session, periods: Iterable[Period]) -> dict[Period, int]:
    """Stored period ids by period; periods never stored are simply absent (read-only)."""
    wanted = list(periods)
    if not wanted:
        return {}
    found = session.exec(select(PeriodRecord.id, PeriodRecord.fy, PeriodRecord.quarter).where(
        or_(*(and_(PeriodRecord.fy == p.fy, PeriodRecord.quarter == p.quarter) for p in wanted))))
    return {Period(fy, quarter): pid for pid, fy, quarter in found}


def load_latest_updates(
    session: Session, framework_id: int, period_ids: Iterable[int]
) -> dict[tuple[int, int], LatestUpdate]:
    """The version that counts of every update in the given periods (the newest written:
    ``bot.collection.updates.counting_ids``), by (deliverable id, period id)."""
    ids = list(period_ids)
    if not ids:
        return {}
    framework_deliverables = select(Deliverable.id).where(Deliverable.framework_id == framework_id)
    rows = session.exec(
        select(Update, Person.name, UpdateOnBehalf.id)
        .where(col(Update.id).in_(counting_ids(
            col(Update.period_id).in_(ids),
            col(Update.deliverable_id).in_(framework_deliverables))))
        .outerjoin(Person, Person.id == Update.submitted_by_id)
        .outerjoin(UpdateOnBehalf, UpdateOnBehalf.update_id == Update.id)
    )
    return {
        (update.deliverable_id, update.period_id):
            LatestUpdate(update, name or update.submitted_by_slack_id, by_cover=cover is not None)
        for update, name, cover in rows
    }
