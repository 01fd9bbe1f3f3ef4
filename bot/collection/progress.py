"""Progress: who has answered in a period's round — per theme, which active deliverables have an
update and which are outstanding, with their SROs and delegates.

``round_status`` backs the governance lead's ``/report-status`` and what the reminders and the
escalation chase (``bot.collection.reminders``), so it reads plain rows in a fixed number of
queries whatever the framework's size. The round itself (and which deliverables it covers, in
what order) is ``bot.collection.rounds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.rounds import framework_and_round, in_report_order, owners_query, summary_of
from bot.collection.updates import latest_updates
from storage.models import Deliverable, DeliverableOwner, Person, Rag, Role, RoundStatus, Theme


@dataclass(frozen=True)
class OwnerView:
    person_id: int
    name: str
    title: str
    slack_id: str | None
    email: str | None = None
    channel: str = "auto"  # slack | email | auto (bot.framework.people.reach_of)


@dataclass(frozen=True)
class DeliverableStatus:
    id: int
    number: str  # the reference shown (``GO-3``; the area number when there is none)
    area: str
    title: str
    theme: str
    sros: tuple[OwnerView, ...]
    delegates: tuple[OwnerView, ...] = ()
    rag: Rag | None = None  # latest rating, None while outstanding
    version: int | None = None
    submitted_at: datetime | None = None
    submitted_by_slack_id: str | None = None

    @property
    def answered(self) -> bool:
        return self.rag is not None


@dataclass(frozen=True)
class ThemeStatus:
    id: int
    name: str
    answered: tuple[DeliverableStatus, ...]
    outstanding: tuple[DeliverableStatus, ...]

    @property
    def total(self) -> int:
        return len(self.answered) + len(self.outstanding)


@dataclass(frozen=True)
class RoundStatusView:
    period: Period
    framework_id: int
    framework_name: str
    opened: bool  # False: no round yet (the view shows who would be outstanding)
    status: RoundStatus | None
    deadline: date | None  # the round's, or the calendar's planned one before it opens
    frozen: bool
    opened_at: datetime | None
    opened_by: str | None
    approved_at: datetime | None
    approved_by: str | None
    themes: tuple[ThemeStatus, ...]

    @property
    def total(self) -> int:
        return sum(theme.total for theme in self.themes)

    @property
    def answered_count(self) -> int:
        return sum(len(theme.answered) for theme in self.themes)

    @property
    def outstanding_count(self) -> int:
        return sum(len(theme.outstanding) for theme in self.themes)

    @property
    def outstanding(self) -> list[DeliverableStatus]:
        return [item for theme in self.themes for item in theme.outstanding]


def round_status(
    session: Session, period: Period, *, framework_id: int | None = None
) -> RoundStatusView:
    """Per theme, which active deliverables are answered and which are outstanding.

    Built from plain rows in a fixed number of queries whatever the framework's size (no ORM
    objects per deliverable or owner: this backs the governance lead's ``/report-status``)."""
    framework, round_ = framework_and_round(session, period, framework_id)
    summary = summary_of(framework, round_, period)
    latest = latest_updates(session, period)
    owners = _owner_views(session, framework.id)
    by_theme: dict[int, tuple[str, list[DeliverableStatus]]] = {}
    for deliverable_id, number, area, title, theme_id, theme_name in session.exec(
            in_report_order(framework.id, Deliverable.id,
                            func.coalesce(Deliverable.code, Deliverable.number), Deliverable.area,
                            Deliverable.title, Theme.id, Theme.name)).all():
        update = latest.get(deliverable_id)
        mine = owners.get(deliverable_id, [])
        by_theme.setdefault(theme_id, (theme_name, []))[1].append(DeliverableStatus(
            id=deliverable_id, number=number, area=area, title=title, theme=theme_name,
            sros=tuple(view for view, role in mine if role == Role.sro),
            delegates=tuple(view for view, role in mine if role == Role.delegate),
            rag=Rag(update.rag) if update else None,
            version=update.version if update else None,
            submitted_at=update.submitted_at if update else None,
            submitted_by_slack_id=update.submitted_by_slack_id if update else None,
        ))
    themes = tuple(
        ThemeStatus(id=theme_id, name=name,
                    answered=tuple(item for item in items if item.answered),
                    outstanding=tuple(item for item in items if not item.answered))
        for theme_id, (name, items) in by_theme.items()
    )
    return RoundStatusView(
        period=period, framework_id=framework.id, framework_name=framework.name,
        opened=summary.opened, status=summary.status, deadline=summary.deadline,
        frozen=summary.frozen,
        opened_at=round_.opened_at if round_ else None,
        opened_by=round_.opened_by if round_ else None,
        approved_at=round_.approved_at if round_ else None,
        approved_by=round_.approved_by if round_ else None,
        themes=themes,
    )


def outstanding_for(
    session: Session, period: Period, slack_id: str, *, framework_id: int | None = None
) -> list[DeliverableStatus]:
    """The deliverables ``slack_id`` is an SRO or delegate of that have no update yet."""
    if not slack_id:
        return []
    view = round_status(session, period, framework_id=framework_id)
    return [
        item for item in view.outstanding
        if any(owner.slack_id == slack_id for owner in (*item.sros, *item.delegates))
    ]


def _owner_views(session: Session, framework_id: int) -> dict[int, list[tuple[OwnerView, Role]]]:
    """Deliverable id → its owners in order (joint SROs as listed), from plain rows."""
    found: dict[int, list[tuple[OwnerView, Role]]] = {}
    for deliverable_id, role, person_id, name, title, slack_id, email, channel in session.exec(
            owners_query(framework_id, DeliverableOwner.deliverable_id, DeliverableOwner.role,
                         Person.id, Person.name, Person.title, Person.slack_id, Person.email,
                         Person.channel)).all():
        found.setdefault(deliverable_id, []).append(
            (OwnerView(person_id=person_id, name=name, title=title, slack_id=slack_id,
                       email=email, channel=channel or "auto"),
             Role(role)))
    return found
