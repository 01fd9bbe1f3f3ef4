"""Reminders: what is recorded in the outbox to chase the people who have not answered.

``record_reminders`` records one reminder per outstanding SRO at a stage of the round's
calendar; ``record_escalation`` the message telling the governance channel who is still
outstanding. Nothing here sends anything: each message is recorded under a unique key (so a
step run twice records nothing twice) and ``bot.messaging.outbox`` sends it. Who is outstanding
is ``bot.collection.progress``; a frozen or closed round (``bot.collection.rounds``) is not chased.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session

from bot.calendar.periods import Period
from bot.collection.availability import Availability, availability
from bot.collection.progress import DeliverableStatus, OwnerView, RoundStatusView, round_status
from bot.collection.risk_round import risk_progress
from bot.collection.rounds import existing_round, iso_date
from bot.framework.people import Channels, Reach
from bot.framework.teams import teams_ids
from bot.messaging.outbox import record_message
from bot.messaging.routing import EMAIL, TEAMS
from storage.models import OutboxMessage, Person, Round, RoundStatus
from storage.repo import audit


def record_reminders(
    session: Session, period: Period, stage: str, *, framework_id: int | None = None,
    email_enabled: bool = False, channels: Channels | None = None, today: date | None = None,
) -> int:
    """Record one reminder per SRO still outstanding (listing their outstanding deliverables)
    for ``stage`` (e.g. ``5-days-before``), on their channel (``reach_of``; ``channels``: what
    this deployment reaches people on, or ``email_enabled`` alone); returns how many were
    newly recorded. A frozen or closed round is not chased.

    With ``today``, absences and extensions count (``bot.collection.availability``): an SRO
    away today is not reminded (their cover is, on their behalf), nor one whose held prompt
    goes today, nor one with a later deadline (``bot.collection.away_chase`` reminds them)."""
    round_, view = _open_round_view(session, period, framework_id)
    if round_.frozen or round_.status != RoundStatus.open:
        return 0
    present = availability(session, round_, today) if today is not None else None

    def on_calendar(item: DeliverableStatus, sro: OwnerView) -> bool:
        return present is None or (
            present.deadline_for(item.id, sro.person_id) == present.deadline)

    recorded = remind_items(session, round_, period, view.outstanding, stage=stage,
                            deadline=round_.deadline, present=present, include=on_calendar,
                            channels=channels or Channels(email=email_enabled))
    if recorded:
        audit(session=session, actor="ragtime", action="round.reminders_recorded",
              subject=f"round:{round_.id}", period=period.label, stage=stage, count=recorded)
    return recorded


def remind_items(
    session: Session, round_: Round, period: Period, items: list[DeliverableStatus], *,
    stage: str, deadline: date | None, present: Availability | None,
    include: Callable[[DeliverableStatus, OwnerView], bool], channels: Channels,
) -> int:
    """Record the ``stage`` reminder of each SRO (or their cover) for the ``items`` that
    ``include`` keeps; returns how many were newly recorded."""
    per_person: dict[tuple[int, int | None],
                     tuple[OwnerView, Reach, list[DeliverableStatus], OwnerView | None]] = {}
    covers: dict[int, OwnerView | None] = {}
    in_teams: dict[int, str] = {}
    if channels.teams:
        people = {sro.person_id for item in items for sro in item.sros}
        if present is not None:
            people |= {a.cover_id for held in present.absences.values() for a in held
                       if a.cover_id}
        in_teams = teams_ids(session, people)
    for item in items:
        for sro in item.sros:
            if not include(item, sro):
                continue
            recipient, for_whom = sro, None
            if present is not None:
                absence = present.away(sro.person_id)
                if absence is not None:
                    if not absence.cover_id:
                        continue  # away, nobody covering: chased after their return
                    cover = covers.get(absence.cover_id) if absence.cover_id in covers else \
                        covers.setdefault(absence.cover_id, _owner_view(session, absence.cover_id))
                    if cover is None:
                        continue
                    recipient, for_whom = cover, sro
                elif present.back_today(sro.person_id):
                    continue  # their held prompt goes today
            reach = channels.reach(channel=recipient.channel, slack_id=recipient.slack_id,
                                   email=recipient.email,
                                   teams_id=in_teams.get(recipient.person_id))
            if reach.via is not None:
                key = (recipient.person_id, for_whom.person_id if for_whom else None)
                per_person.setdefault(key, (recipient, reach, [], for_whom))[2].append(item)
    recorded = 0
    for (person_id, for_id), (sro, reach, mine, for_whom) in per_person.items():
        _, created = record_message(
            session,
            key=f"reminder:{period.slug}:{stage}:{person_id}" + (f":for:{for_id}"
                                                                 if for_id else ""),
            kind="reminder", period_id=round_.period_id, person_id=person_id,
            via=reach.via if reach.via in (EMAIL, TEAMS) else None,
            payload={
                "to": reach.to,
                "round_id": round_.id,
                "person_name": sro.name,
                "stage": stage,
                "period": period.label,
                "deadline": iso_date(deadline),
                "deliverable_ids": [item.id for item in mine],
                "deliverables": [_deliverable_payload(item) for item in mine],
                **({"on_behalf_of": for_whom.name} if for_whom else {}),
            },
        )
        recorded += created
    return recorded


def _owner_view(session: Session, person_id: int) -> OwnerView | None:
    person = session.get(Person, person_id)
    if person is None:
        return None
    return OwnerView(person_id=person.id or 0, name=person.name, title=person.title,
                     slack_id=person.slack_id, email=person.email,
                     channel=person.channel or "auto")


def record_escalation(
    session: Session, period: Period, *, stage: str = "deadline",
    framework_id: int | None = None, today: date | None = None,
) -> OutboxMessage | None:
    """Record the message telling the governance channel who is still outstanding; ``None``
    when nobody is (or the round is frozen). Recording twice returns the first message.

    With ``today``, absences and extensions count: a deliverable whose deadline was extended
    past today is listed as extended, not late; one whose SROs are all away with nobody
    covering (today or on the deadline day) is listed as a decision for governance, not as
    late; an SRO away with a cover is named with their cover."""
    round_, view = _open_round_view(session, period, framework_id)
    risks = risk_progress(session, period, round_.framework_id).outstanding
    if round_.frozen or not (view.outstanding or risks):
        return None
    present = availability(session, round_, today) if today is not None else None
    late, away, extended = split_outstanding(view.outstanding, present)
    if not late and not away and not risks:
        return None
    message, created = record_message(
        session,
        key=f"escalation:{period.slug}:{stage}",
        kind="escalation", period_id=round_.period_id,
        payload={**escalation_payload(period, round_.deadline, view, late, away, extended,
                                      present),
                 "risks": [{"number": item.risk.number, "title": item.risk.title,
                            "owners": list(item.risk.owner_names)} for item in risks]},
    )
    if created:
        audit(session=session, actor="ragtime", action="round.escalation_recorded",
              subject=f"round:{round_.id}", period=period.label,
              outstanding=len(late), away=len(away), extended=len(extended),
              risks_outstanding=len(risks))
    return message


def split_outstanding(
    items: list[DeliverableStatus], present: Availability | None,
) -> tuple[list[DeliverableStatus], list[DeliverableStatus], list[DeliverableStatus]]:
    """(late, away, extended): the outstanding deliverables that are late; those whose SROs
    are all away with nobody covering (today or on the deadline day: a decision for
    governance); those whose deadline was extended past today."""
    if present is None:
        return list(items), [], []
    late, away, extended = [], [], []
    for item in items:
        sro_ids = [sro.person_id for sro in item.sros]
        if present.item_deadline(item.id, sro_ids) >= present.today:
            extended.append(item)
        elif present.uncovered(sro_ids) or present.uncovered(sro_ids, present.deadline):
            away.append(item)
        else:
            late.append(item)
    return late, away, extended


def escalation_payload(
    period: Period, deadline: date | None, view: RoundStatusView,
    late: list[DeliverableStatus], away: list[DeliverableStatus],
    extended: list[DeliverableStatus], present: Availability | None,
) -> dict[str, Any]:
    """What an escalation message carries (the channel renders it)."""
    def with_notes(item: DeliverableStatus) -> dict[str, Any]:
        found = _deliverable_payload(item)
        if present is not None:
            for sro, shown in zip(item.sros, found["sros"], strict=True):
                absence = present.away(sro.person_id) or present.away(
                    sro.person_id, present.deadline)
                if absence is not None:
                    shown["away_until"] = absence.ends.isoformat()
                    shown["back_on"] = absence.back_on.isoformat()
                    shown["cover"] = absence.cover_name
            found["until"] = iso_date(present.item_deadline(
                item.id, [sro.person_id for sro in item.sros]))
        return found

    late_ids = {item.id for item in late}
    return {
        "period": period.label,
        "deadline": iso_date(deadline),
        "total": view.total,
        "answered": view.answered_count,
        "outstanding_count": len(late),
        "themes": [
            {"theme": theme.name,
             "outstanding": [with_notes(item) for item in theme.outstanding
                             if item.id in late_ids]}
            for theme in view.themes if any(item.id in late_ids for item in theme.outstanding)
        ],
        "away": [with_notes(item) for item in away],
        "extended": [with_notes(item) for item in extended],
    }


# ------------------------------------------------------------------------------ helpers

def _open_round_view(
    session: Session, period: Period, framework_id: int | None
) -> tuple[Round, RoundStatusView]:
    round_ = existing_round(session, period, framework_id)
    return round_, round_status(session, period, framework_id=round_.framework_id)


def _deliverable_payload(item: DeliverableStatus) -> dict[str, Any]:
    return {
        "id": item.id, "number": item.number, "area": item.area, "title": item.title,
        "theme": item.theme,
        "sros": [{"name": s.name, "title": s.title, "slack_id": s.slack_id} for s in item.sros],
    }
