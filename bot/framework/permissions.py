"""Who may do what: the one place for it.

The acting user is always the user id from the *signed* payload (Slack's ``body["user"]["id"]``
or a command's ``user_id``), passed in by the caller, never from button values or
``private_metadata``. Those only name a deliverable; they are re-checked here, so a forged or
stale value cannot let anyone update a deliverable they do not own.

- ``may_submit``: the deliverable's SROs and delegates, and on a day an SRO is away, the cover
  named for that absence (``covering``); nobody else;
- ``may_return_risk``: a BAF risk's owners, nobody else;
- ``is_governance_lead``: ``RAGTIME_GOVERNANCE_LEADS``, by account id or by the email the channel
  holds for the account (asked only when leads are configured by email);
- ``may_govern``: the same rule on values already known (an id and perhaps an email).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from bot.framework.absences import AbsenceView, covered_by
from bot.ports.messages import SendError
from storage.models import DeliverableOwner, Person, RiskOwner, Role

if TYPE_CHECKING:
    from bot.context import AppContext

log = logging.getLogger(__name__)


def may_govern(
    settings_leads: Collection[str], *, slack_id: str | None, email: str | None = None
) -> bool:
    """Governance leads (``RAGTIME_GOVERNANCE_LEADS``, ids and/or emails in any case) may open,
    freeze, reopen and close rounds, compile reports and approve them."""
    leads = {lead.strip().lower() if "@" in lead else lead.strip() for lead in settings_leads}
    if slack_id and slack_id in leads:
        return True
    return bool(email and email.strip().lower() in leads)


def is_governance_lead(ctx: AppContext, user_id: str | None) -> bool:
    """``user_id`` is in ``RAGTIME_GOVERNANCE_LEADS``, by id or by the email the channel holds
    for them (``ctx.channels.directory.email_of``, asked only when leads are configured by
    email). An email the channel cannot read counts as "not a lead" (logged)."""
    leads = ctx.settings.governance_leads
    if not user_id:
        return False
    if may_govern(leads, slack_id=user_id):
        return True
    if not any("@" in lead for lead in leads):
        return False
    try:
        email = ctx.channels.directory.email_of(user_id)
    except SendError as error:
        log.warning("could not read %s's email to check governance lead: %s", user_id, error)
        return False
    return may_govern(leads, slack_id=user_id, email=email)


def may_submit(
    session: Session, *, deliverable_id: int, slack_id: str | None = None,
    person_id: int | None = None, on: date | None = None,
    owners: Iterable[Person] | None = None,
) -> bool:
    """The deliverable's SROs and delegates may submit its update, and on ``on`` (today in the
    round's time zone) the cover of an SRO away that day; nobody else. The actor is named by
    their Slack user id (from a signed Slack payload) or their person id (from a signed web
    form link, ``bot.collection.links``). A caller that has read the deliverable's owners
    already passes them as ``owners``: they are not read again."""
    if owners is not None:
        if any(is_actor(person, slack_id=slack_id, person_id=person_id) for person in owners):
            return True
    elif _is_owner(session, DeliverableOwner, DeliverableOwner.deliverable_id == deliverable_id,
                   slack_id=slack_id, person_id=person_id):
        return True
    return on is not None and covering(session, deliverable_id=deliverable_id,
                                       slack_id=slack_id, person_id=person_id, on=on) is not None


def covering(
    session: Session, *, deliverable_id: int, slack_id: str | None = None,
    person_id: int | None = None, on: date,
) -> AbsenceView | None:
    """The absence, on ``on``, of an SRO of the deliverable that the actor covers; None when
    they cover nobody of it that day."""
    if person_id is not None:
        actors = [person_id]
    elif slack_id:
        actors = list(session.exec(select(Person.id).where(Person.slack_id == slack_id)).all())
    else:
        return None
    sros = set(session.exec(select(DeliverableOwner.person_id).where(
        DeliverableOwner.deliverable_id == deliverable_id,
        DeliverableOwner.role == Role.sro)).all())
    for actor in actors:
        for absence in covered_by(session, actor or 0, on):
            if absence.person_id in sros:
                return absence
    return None


def may_return_risk(
    session: Session, *, risk_id: int, slack_id: str | None = None,
    person_id: int | None = None,
) -> bool:
    """A BAF risk's owners may submit its return; nobody else. The actor is named as for
    ``may_submit``: a Slack user id from a signed payload or a person id from a signed link."""
    return _is_owner(session, RiskOwner, RiskOwner.risk_id == risk_id, slack_id=slack_id,
                     person_id=person_id)


def is_actor(person: Person, *, slack_id: str | None, person_id: int | None) -> bool:
    """Whether ``person`` is the actor: a person id (from a signed link) when given, else a
    Slack id (from a signed payload)."""
    if person_id is not None:
        return person.id == person_id
    return bool(slack_id) and person.slack_id == slack_id


def _is_owner(session: Session, table: type[DeliverableOwner] | type[RiskOwner], of: Any, *,
              slack_id: str | None, person_id: int | None) -> bool:
    """Whether the actor (a person id from a signed link, else a Slack id from a signed
    payload) has a row of ``table`` (deliverable or risk owners) matching ``of``."""
    if person_id is not None:
        who = table.person_id == person_id
    elif slack_id:
        who = Person.slack_id == slack_id
    else:
        return False
    return session.exec(select(table.id).join(Person, Person.id == table.person_id)
                        .where(of, who).limit(1)).first() is not None
