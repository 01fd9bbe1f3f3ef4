"""People in Microsoft Teams: the conversation that reaches each one.

Teams will not send to an email address: a person is reachable once Ragtime has their 1:1
conversation, captured when they add the app (``installationUpdate`` / ``conversationUpdate``)
or message it. The account is matched to a person of the framework by the email or UPN Teams
gives for them (lower-cased), so it works without Microsoft Graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.framework.people import Channels
from bot.framework.permissions import may_govern
from bot.messaging.routing import TEAMS
from bot.ports.messages import SendError
from storage.db import session_scope
from storage.models import Person, TeamsAccount, utcnow
from storage.repo import audit


@dataclass(frozen=True)
class TeamsConversation:
    """Where a Teams user is reached, and the person they are (None until matched)."""

    aad_object_id: str
    conversation_id: str
    service_url: str
    person_id: int | None
    person_name: str | None = None


def remember_conversation(engine: Engine, *, aad_object_id: str, tenant_id: str,
                          conversation_id: str, service_url: str, addresses: Iterable[str],
                          name: str = "") -> TeamsConversation:
    """Store (or refresh) the 1:1 conversation of a Teams user and match them to the person
    whose email is one of ``addresses`` (their email and UPN as Teams gives them)."""
    aad = aad_object_id.lower()
    emails = sorted({a.strip().lower() for a in addresses if a and "@" in a})
    with session_scope(engine, write=True) as session:
        account = session.exec(select(TeamsAccount).where(
            TeamsAccount.aad_object_id == aad)).first()
        if account is None:
            account = TeamsAccount(aad_object_id=aad, tenant_id=tenant_id,
                                   conversation_id=conversation_id, service_url=service_url)
        person = _person_by_email(session, emails) if emails else None
        matched_now = person is not None and account.person_id != person.id
        account.tenant_id = tenant_id
        account.conversation_id = conversation_id
        account.service_url = service_url
        account.upn = emails[0] if emails else account.upn
        account.name = name or account.name
        account.installed = True
        account.updated_at = utcnow()
        if person is not None:
            account.person_id = person.id
        session.add(account)
        session.flush()
        if matched_now and person is not None:
            audit(session=session, actor="ragtime", action="person.teams_found",
                  subject=f"person:{person.id}", aad_object_id=aad)
        found = session.get(Person, account.person_id) if account.person_id else None
        return TeamsConversation(aad_object_id=aad, conversation_id=conversation_id,
                                 service_url=service_url, person_id=account.person_id,
                                 person_name=found.name if found else None)


def forget_conversation(engine: Engine, aad_object_id: str) -> None:
    """The user removed the app: not reachable in Teams until they add it again."""
    with session_scope(engine, write=True) as session:
        account = session.exec(select(TeamsAccount).where(
            TeamsAccount.aad_object_id == aad_object_id.lower())).first()
        if account is not None:
            account.installed = False
            account.updated_at = utcnow()
            session.add(account)


def conversation_of(session: Session, aad_object_id: str) -> TeamsConversation | None:
    """The conversation that reaches ``aad_object_id`` now (None: not installed)."""
    account = session.exec(select(TeamsAccount).where(
        TeamsAccount.aad_object_id == aad_object_id.lower(),
        col(TeamsAccount.installed).is_(True))).first()
    if account is None:
        return None
    return TeamsConversation(aad_object_id=account.aad_object_id,
                             conversation_id=account.conversation_id,
                             service_url=account.service_url, person_id=account.person_id)


def teams_ids(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """person id -> AAD object id, for each of them reachable in Teams now."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = session.exec(select(TeamsAccount.person_id, TeamsAccount.aad_object_id).where(
        col(TeamsAccount.person_id).in_(ids), col(TeamsAccount.installed).is_(True)))
    return {person_id: aad for person_id, aad in rows if person_id is not None}


def person_for_teams_id(session: Session, aad_object_id: str) -> Person | None:
    """The person a verified Teams user is (by their AAD object id), or None."""
    account = session.exec(select(TeamsAccount).where(
        TeamsAccount.aad_object_id == aad_object_id.lower())).first()
    if account is None or account.person_id is None:
        return None
    return session.get(Person, account.person_id)


def _person_by_email(session: Session, emails: list[str]) -> Person | None:
    return session.exec(select(Person).where(
        func.lower(col(Person.email)).in_(emails)).order_by(Person.id)).first()


def reach_in_teams(engine: Engine, aad_object_id: str) -> TeamsConversation | None:
    """``conversation_of`` in a unit of work of its own (for a channel sending a message)."""
    with session_scope(engine) as session:
        return conversation_of(session, aad_object_id)


def teams_person(engine: Engine, aad_object_id: str) -> tuple[int, str] | None:
    """(person id, name) of a verified Teams user, or None when not matched to anyone."""
    with session_scope(engine) as session:
        person = person_for_teams_id(session, aad_object_id)
        return (person.id or 0, person.name) if person is not None else None


def latest_service_url(engine: Engine) -> str | None:
    """The service URL Teams last gave (one per region: every conversation of our tenant uses
    it), for posting where no person's conversation says (the governance channel)."""
    with session_scope(engine) as session:
        return session.exec(select(TeamsAccount.service_url).order_by(
            col(TeamsAccount.updated_at).desc(), col(TeamsAccount.id).desc())).first()


def is_teams_lead(engine: Engine, leads: Iterable[str], aad_object_id: str) -> bool:
    """A governance lead by AAD object id, or by the email/UPN Teams gave for the account
    (``RAGTIME_GOVERNANCE_LEADS`` takes both)."""
    aad = aad_object_id.lower()
    with session_scope(engine) as session:
        account = session.exec(select(TeamsAccount).where(
            TeamsAccount.aad_object_id == aad)).first()
        person = session.get(Person, account.person_id) if account and account.person_id else None
        emails = {e for e in (account.upn if account else None,
                              person.email if person else None) if e}
    return any(may_govern(leads, slack_id=aad, email=email) for email in emails or {None})


# ------------------------------------------------------------------------------ Graph installs

@dataclass(frozen=True)
class Added:
    """What adding Ragtime in Teams for one person came to (``outcome``: the channel's word:
    installed, already installed, not found in the tenant; or ``failed: …``)."""

    name: str
    email: str
    outcome: str

    @property
    def failed(self) -> bool:
        return self.outcome.startswith("failed")


def add_in_teams(engine: Engine, channels: Channels, install: Callable[[str], str], *,
                 only: Iterable[str] = (), person_ids: Iterable[int] | None = None,
                 actor: str = "ragtime") -> list[Added]:
    """Add Ragtime in Teams (``install``: the channel's call, given the email, e.g. Microsoft
    Graph's) for everyone Teams would reach once they had it and who has not added it yet (or
    for the people ``only`` names: framework ids or emails). ``person_ids`` narrows "everyone"
    to these people (a round's: ``bot.collection.teams_installs``). Each is audited; a failure
    for one is recorded and the next is tried, unless the channel refuses everyone
    (``SendError.everyone``: a permission not granted, unreachable), when the rest are
    recorded with the same failure untried. Teams then tells Ragtime of the installation,
    which makes them reachable (``remember_conversation``). Call it outside any transaction:
    ``install`` goes over the network."""
    wanted = {item.strip().lower() for item in only if item.strip()}
    query = select(Person).order_by(Person.name, Person.id)
    if person_ids is not None:
        query = query.where(col(Person.id).in_(sorted(set(person_ids))))
    with session_scope(engine) as session:
        people = session.exec(query).all()
        in_teams = teams_ids(session, [p.id for p in people if p.id is not None])
        todo = [(p.id or 0, p.name, (p.email or "").strip()) for p in people
                if p.id not in in_teams and (p.email or "").strip()
                and (not wanted or {p.key.lower(), (p.email or "").lower()} & wanted)
                and (wanted or channels.reach(channel=p.channel, slack_id=p.slack_id,
                                              email=p.email, teams_id="-").via == TEAMS)]
    done = []
    refused: SendError | None = None  # the channel refuses everyone: the rest are not tried
    for person_id, name, email in todo:
        if refused is not None:
            outcome = f"failed: {refused}"
        else:
            try:
                outcome = install(email)
            except SendError as error:
                outcome = f"failed: {error}"
                refused = error if error.everyone else None
        with session_scope(engine, write=True) as session:
            audit(session=session, actor=actor, action="person.teams_app_added",
                  subject=f"person:{person_id}", outcome=outcome)
        done.append(Added(name=name, email=email, outcome=outcome))
    return done
