"""Rounds: the lifecycle of one period's collection — open it (prompting every SRO), summarise
where it stands, freeze, reopen and close it.

Nothing here sends anything: prompts are *recorded* in the outbox under unique keys (so opening
twice records nothing twice) and ``bot.messaging.outbox`` sends them. Prompts go to every SRO of
every active deliverable (joint SROs each get one; delegates are not prompted); an SRO reached by
email gets one email listing all their deliverables. SROs that no channel reaches cannot be
prompted and are returned as ``missing_people`` for the governance lead.

Who has answered is ``bot.collection.progress`` and chasing them ``bot.collection.reminders``;
both build on the shared helpers here (the framework and its round, which deliverables a round
covers in report order, their owners), so "which deliverables, and whose" is written once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.calendar.periods import Period, stored_period
from bot.calendar.round_calendar import RoundCalendar
from bot.collection.availability import Availability, availability
from bot.collection.risk_round import record_risk_prompts
from bot.collection.updates import latest_updates, update_history
from bot.framework.carry import carried_from
from bot.framework.choice import FrameworkChoiceError, choose_framework
from bot.framework.people import Channels, PersonRef
from bot.framework.teams import teams_ids
from bot.messaging.outbox import record_message
from bot.messaging.routing import EMAIL, TEAMS
from storage.models import (
    Deliverable,
    DeliverableOwner,
    Framework,
    OutboxMessage,
    Person,
    Role,
    Round,
    RoundStatus,
    Theme,
    utcnow,
)
from storage.repo import audit, find_period


class RoundError(Exception):
    """A round step that cannot be done; ``str(error)`` says why and what to do."""


@dataclass(frozen=True)
class RoundOpened:
    round: Round
    prompts_recorded: int  # newly recorded this time
    already_open: bool
    missing_people: list[PersonRef]  # SROs neither Slack nor email can reach: not prompted
    emailed: int = 0  # SROs this round reaches by email


@dataclass(frozen=True)
class RoundSummary:
    """Where a period's round stands, without its deliverables (a few small queries)."""

    period: Period
    framework_id: int
    opened: bool  # False: no round yet
    status: RoundStatus | None
    deadline: date | None  # the round's, or the calendar's planned one before it opens
    frozen: bool


# ------------------------------------------------------------------------------ deadline

def round_deadline(framework: Framework | None, period: Period) -> date:
    """The default deadline: the framework's calendar (``bot.calendar.round_calendar``), by
    default 10 working days after the quarter ends."""
    calendar = (framework.rules or {}).get("calendar") if framework else None
    return RoundCalendar.from_rules(calendar).deadline(period)


# ------------------------------------------------------------------------------ open

def open_round(
    session: Session,
    *,
    period: Period,
    opened_by: str,
    deadline: date | None = None,
    framework_id: int | None = None,
    email_enabled: bool = False,
    channels: Channels | None = None,
    today: date | None = None,
) -> RoundOpened:
    """Open the period's round (once) and record a prompt per SRO per active deliverable on
    Slack or Teams, and one email per SRO reached by email (``bot.framework.people.reach_of``;
    ``channels``: what this deployment reaches people on, or ``email_enabled`` alone).

    Opening again records only prompts not yet recorded (a deliverable or a Slack id added
    since), and never changes the deadline. A frozen or closed round records no prompts.

    With ``today``, absences count (``bot.collection.availability``): an SRO away today is not
    prompted (opening again once they are back prompts them) and their cover, if any, is
    prompted on their behalf; a prompt shows the deadline that applies to its SRO.
    """
    framework = _framework(session, framework_id)
    record = stored_period(session, period)
    round_ = _round(session, framework.id, record.id)
    already_open = round_ is not None
    if round_ is None:
        round_ = Round(
            framework_id=framework.id, period_id=record.id, opened_by=opened_by,
            deadline=deadline or round_deadline(framework, period),
        )
        try:
            with session.begin_nested():
                session.add(round_)
                session.flush()
        except IntegrityError:  # opened meanwhile by another process
            round_ = _round(session, framework.id, record.id)
            if round_ is None:
                raise
            already_open = True
        else:
            audit(session=session, actor=opened_by, action="round.opened",
                  subject=f"round:{round_.id}", period=period.label,
                  deadline=round_.deadline.isoformat() if round_.deadline else None)

    recorded = emailed_owners = 0
    missing: dict[int, PersonRef] = {}
    by_email: dict[int, tuple[Person, str, list[dict[str, Any]]]] = {}
    if not round_.frozen and round_.status == RoundStatus.open:
        previous = latest_updates(session, period.previous())
        channels = channels or Channels(email=email_enabled)
        present = availability(session, round_, today) if today is not None else None
        deliverables = _deliverables(session, framework.id)
        people = {p.id: p for _, _, owners in deliverables for p, _ in owners}
        in_teams: dict[int, str] = {}
        if channels.teams:
            ids = {person_id for person_id in people if person_id is not None}
            if present is not None:
                ids |= {a.cover_id for held in present.absences.values() for a in held
                        if a.cover_id}
            in_teams = teams_ids(session, ids)
        carried = carried_last(session, framework.id or 0, previous)
        for deliverable, theme, owners in deliverables:
            sros = _sros(owners)
            for sro in sros:
                person, on_behalf = _answering(present, sro, people, session)
                if person is None:
                    continue  # away with no cover: prompted on their return
                reach = channels.reach(channel=person.channel, slack_id=person.slack_id,
                                       email=person.email, teams_id=in_teams.get(person.id))
                if reach.via is None:
                    missing.setdefault(person.id, PersonRef.of(person, reach.problem))
                    continue
                before = previous.get(deliverable.id)
                source, carried_rag = carried.get(deliverable.id or 0, (None, None))
                about = {
                    "deliverable_id": deliverable.id,
                    "number": deliverable.code or deliverable.number,
                    "area": deliverable.area,
                    "title": deliverable.title,
                    "theme": theme.name,
                    "joint_sros": [p.name for p in sros if p.id not in (sro.id, person.id)],
                    "previous_rag": before.rag.value if before else carried_rag,
                    **(on_behalf or {}),
                    **({"carried_from": source} if source else {}),
                }
                deadline_due = (present.deadline_for(deliverable.id or 0, sro.id)
                                if present is not None else round_.deadline)
                if reach.via == EMAIL:  # one email per SRO, listing all their deliverables
                    by_email.setdefault(person.id, (person, reach.to or "", []))[2].append(about)
                    continue
                key = f"prompt:{period.slug}:{deliverable.id}:{person.id}"
                if on_behalf:
                    key += f":for:{sro.id}"
                _, created = record_message(
                    session,
                    key=key,
                    kind="prompt", period_id=record.id, deliverable_id=deliverable.id,
                    person_id=person.id, via=reach.via if reach.via == TEAMS else None,
                    payload={
                        "to": reach.to,
                        "person_name": person.name,
                        "period": period.label,
                        "deadline": iso_date(deadline_due),
                        **about,
                    },
                )
                recorded += created
        recorded += _record_round_emails(session, round_, period, by_email)
        risk_prompts = record_risk_prompts(session, round_, period, email_enabled=channels.email,
                                           channels=channels)
        recorded += risk_prompts.recorded
        emailed_owners = risk_prompts.emailed
        for person in risk_prompts.missing:
            missing.setdefault(person.id or 0, PersonRef.of(person, channels.reach(
                channel=person.channel, slack_id=person.slack_id, email=person.email).problem))
    if recorded:
        audit(session=session, actor=opened_by, action="round.prompts_recorded",
              subject=f"round:{round_.id}", period=period.label, count=recorded)
    return RoundOpened(round=round_, prompts_recorded=recorded, already_open=already_open,
                       missing_people=list(missing.values()),
                       emailed=len(by_email) + emailed_owners)


def _answering(
    present: Availability | None, sro: Person, people: dict[int | None, Person],
    session: Session,
) -> tuple[Person | None, dict[str, Any] | None]:
    """Who is prompted for ``sro`` today: the SRO; their cover (with what the prompt says
    about whom they answer for) while they are away; nobody while they are away uncovered."""
    absence = present.away(sro.id or 0) if present is not None else None
    if absence is None:
        return sro, None
    if not absence.cover_id:
        return None, None
    cover = people.get(absence.cover_id) or session.get(Person, absence.cover_id)
    return cover, {"on_behalf_of": sro.name, "on_behalf_of_id": sro.id,
                   "away_until": absence.ends.isoformat()}


def _record_round_emails(
    session: Session, round_: Round, period: Period,
    by_email: dict[int, tuple[Person, str, list[dict[str, Any]]]],
) -> int:
    """One email per SRO per round, listing all their deliverables. Opening again records a new
    one only for an SRO with a deliverable no earlier email listed (it lists them all again);
    keyed by that list, so nothing is recorded twice."""
    if not by_email:
        return 0
    listed: dict[int, set[int]] = {}
    for person_id, payload in session.exec(
        select(OutboxMessage.person_id, OutboxMessage.payload).where(
            OutboxMessage.kind == "prompt", OutboxMessage.via == EMAIL,
            OutboxMessage.period_id == round_.period_id)
    ).all():
        listed.setdefault(person_id or 0, set()).update(
            int(item["deliverable_id"]) for item in payload.get("deliverables") or ())
    recorded = 0
    for person, address, items in by_email.values():
        ids = [int(item["deliverable_id"]) for item in items]
        if set(ids) <= listed.get(person.id or 0, set()):
            continue
        digest = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:12]
        _, created = record_message(
            session, key=f"prompt:{period.slug}:email:{person.id}:{digest}", kind="prompt",
            period_id=round_.period_id, person_id=person.id, via=EMAIL,
            payload={"to": address, "person_name": person.name, "period": period.label,
                     "deadline": iso_date(round_.deadline), "round_id": round_.id,
                     "deliverables": items},
        )
        recorded += created
    return recorded


# ------------------------------------------------------------------------------ summary

def round_summary(
    session: Session, period: Period, *, framework_id: int | None = None
) -> RoundSummary:
    """The round's state alone (no deliverables, owners or updates): what ``/report-status``
    and the Home tab show above an SRO's own deliverables."""
    framework, round_ = framework_and_round(session, period, framework_id)
    return summary_of(framework, round_, period)


# ------------------------------------------------------------------------------ freeze/close

def freeze_round(
    session: Session, period: Period, *, by: str, approved: bool = False,
    framework_id: int | None = None,
) -> Round:
    """Stop further updates for the period (the report approval flow calls this with
    ``approved=True``). Only a governance lead may reopen it."""
    round_ = existing_round(session, period, framework_id)
    now = utcnow()
    if not round_.frozen:
        round_.frozen, round_.frozen_at, round_.frozen_by = True, now, by
        audit(session=session, actor=by, action="round.frozen", subject=f"round:{round_.id}",
              period=period.label)
    if approved and round_.approved_at is None:
        round_.approved_at, round_.approved_by = now, by
        audit(session=session, actor=by, action="round.approved", subject=f"round:{round_.id}",
              period=period.label)
    session.add(round_)
    session.flush()
    return round_


def reopen_round(
    session: Session, period: Period, *, by: str, reason: str | None = None,
    framework_id: int | None = None,
) -> Round:
    """Unfreeze (and reopen if closed): updates are accepted again and any approval is
    withdrawn, so the report must be approved again."""
    round_ = existing_round(session, period, framework_id)
    before = {
        "frozen": round_.frozen, "status": str(round_.status),
        "approved_by": round_.approved_by, "frozen_by": round_.frozen_by,
    }
    round_.frozen, round_.frozen_at, round_.frozen_by = False, None, None
    round_.approved_at, round_.approved_by = None, None
    round_.status, round_.closed_at, round_.closed_by = RoundStatus.open, None, None
    session.add(round_)
    audit(session=session, actor=by, action="round.reopened", subject=f"round:{round_.id}",
          period=period.label, reason=reason, before=before)
    session.flush()
    return round_


def close_round(
    session: Session, period: Period, *, by: str, framework_id: int | None = None
) -> Round:
    """End the collection: no more reminders or prompts. Late updates are still accepted
    until the round is frozen."""
    round_ = existing_round(session, period, framework_id)
    if round_.status != RoundStatus.closed:
        round_.status, round_.closed_at, round_.closed_by = RoundStatus.closed, utcnow(), by
        session.add(round_)
        audit(session=session, actor=by, action="round.closed", subject=f"round:{round_.id}",
              period=period.label)
        session.flush()
    return round_


def find_round(
    session: Session, period: Period, *, framework_id: int | None = None
) -> Round | None:
    return framework_and_round(session, period, framework_id)[1]


# ------------------------------------------------------------------------------ shared helpers
# Public because ``bot.collection.progress`` and ``bot.collection.reminders`` build on them.

def framework_and_round(
    session: Session, period: Period, framework_id: int | None
) -> tuple[Framework, Round | None]:
    """The framework (``RoundError`` if there is none) and its round for ``period``, if opened."""
    framework = _framework(session, framework_id)
    record = find_period(session=session, fy=period.fy, quarter=period.quarter)
    return framework, _round(session, framework.id, record.id) if record else None


def existing_round(session: Session, period: Period, framework_id: int | None) -> Round:
    """The period's round; ``RoundError`` if it has not been opened."""
    round_ = find_round(session, period, framework_id=framework_id)
    if round_ is None:
        raise RoundError(f"No round has been opened for {period.label}; open it first.")
    return round_


def summary_of(framework: Framework, round_: Round | None, period: Period) -> RoundSummary:
    return RoundSummary(
        period=period, framework_id=framework.id or 0, opened=round_ is not None,
        status=RoundStatus(round_.status) if round_ else None,
        deadline=round_.deadline if round_ else round_deadline(framework, period),
        frozen=bool(round_ and round_.frozen),
    )


def in_report_order(framework_id: int, *columns: Any) -> Any:
    """``columns`` of the framework's active deliverables (joined to their theme), in report
    order: the one place that says which deliverables a round covers and in what order."""
    return (
        select(*columns)
        .select_from(Deliverable)
        .join(Theme, Theme.id == Deliverable.theme_id)
        .where(Deliverable.framework_id == framework_id, Deliverable.active == True)  # noqa: E712
        .order_by(Theme.position, Theme.id, Deliverable.position, Deliverable.id)
    )


def owners_query(framework_id: int, *columns: Any) -> Any:
    """``columns`` of every owner of the framework's deliverables, joint SROs as listed."""
    return (
        select(*columns)
        .select_from(DeliverableOwner)
        .join(Person, Person.id == DeliverableOwner.person_id)
        .join(Deliverable, Deliverable.id == DeliverableOwner.deliverable_id)
        .where(Deliverable.framework_id == framework_id)
        .order_by(DeliverableOwner.position, DeliverableOwner.id)
    )


def iso_date(day: date | None) -> str | None:
    """A date as outbox payloads carry it."""
    return day.isoformat() if day else None


# ------------------------------------------------------------------------------ helpers

def _framework(session: Session, framework_id: int | None) -> Framework:
    """The framework by id, else the only one (several and none named: ``RoundError``)."""
    if framework_id is None:
        try:
            return choose_framework(session)
        except FrameworkChoiceError as error:
            if session.exec(select(Framework.id)).first() is None:
                raise RoundError("No framework has been imported yet; load one with "
                                 "`ragtime import FILE`.") from None
            raise RoundError(str(error)[:1].upper() + str(error)[1:] + ".") from None
    framework = session.get(Framework, framework_id)
    if framework is None:
        raise RoundError(f"There is no framework with id {framework_id}.")
    return framework


def _round(session: Session, framework_id: int, period_id: int) -> Round | None:
    return session.exec(
        select(Round).where(Round.framework_id == framework_id, Round.period_id == period_id)
    ).first()


def _owners_by_deliverable(
    session: Session, framework_id: int
) -> dict[int, list[tuple[Person, Role]]]:
    """Deliverable id → its owners in order (joint SROs as listed)."""
    found: dict[int, list[tuple[Person, Role]]] = {}
    for owner, person in session.exec(
        owners_query(framework_id, DeliverableOwner, Person)
    ).all():
        found.setdefault(owner.deliverable_id, []).append((person, Role(owner.role)))
    return found


def _deliverables(
    session: Session, framework_id: int
) -> list[tuple[Deliverable, Theme, list[tuple[Person, Role]]]]:
    """Active deliverables in report order, each with its owners."""
    rows = session.exec(in_report_order(framework_id, Deliverable, Theme)).all()
    owners = _owners_by_deliverable(session, framework_id)
    return [(d, t, owners.get(d.id, [])) for d, t in rows]


def _sros(owners: list[tuple[Person, Role]]) -> list[Person]:
    return [person for person, role in owners if role == Role.sro]


def carried_last(session: Session, framework_id: int, previous: dict[int, Any]
                 ) -> dict[int, tuple[str, str | None]]:
    """For each deliverable carried on from an earlier framework and without an update last
    quarter: what it carries on (``Step Up To Great GO-3``) and the last rating it had there."""
    ids = [d.id for d, _t, _o in _deliverables(session, framework_id)
           if d.id is not None and d.id not in previous]
    found = {}
    for deliverable_id, source in carried_from(session, ids).items():
        history = update_history(session, source.source_id)
        found[deliverable_id] = (source.label, history[-1].rag.value if history else None)
    return found


def deliverables_with_owners(
    session: Session, framework_id: int
) -> list[tuple[Deliverable, Theme, list[Person]]]:
    """Active deliverables in report order, each with its SROs (what a round prompts)."""
    return [(d, t, _sros(owners)) for d, t, owners in _deliverables(session, framework_id)]
