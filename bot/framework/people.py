"""People, their Slack identities and the channel that reaches them.

Framework files name SROs by email; Slack user ids are found once with ``users.lookupByEmail``
(the Slack layer passes that call in) and remembered. Anyone who cannot be found is reported,
never silently skipped: they would otherwise never be prompted.

A person's ``channel`` (framework files: ``channel:``, ``sro_channel``) is ``slack``, ``teams``,
``email`` or ``auto`` (the default); ``reach_of`` is the one rule that turns it into how they are
reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.messaging.routing import EMAIL, SLACK, TEAMS
from bot.settings import Settings
from storage.models import Person
from storage.repo import audit

AUTO = "auto"
CHANNELS = (SLACK, TEAMS, EMAIL, AUTO)
DEFAULT_ORDER = (SLACK, TEAMS, EMAIL)


def check_channel(value: str) -> str | None:
    """The problem with a framework file's channel value, or None."""
    if value.strip().lower() in CHANNELS:
        return None
    return f"channel must be one of {', '.join(CHANNELS)}, not '{value}'"


@dataclass(frozen=True)
class Reach:
    """How a person is reached now: ``via`` ``slack`` (``to`` is their user id), ``teams``
    (``to`` is their AAD object id) or ``email`` (``to`` is their address); ``via`` None when
    they cannot be, and ``problem`` says why."""

    via: str | None
    to: str | None = None
    problem: str | None = None


NOT_IN_TEAMS = "not reachable in Teams yet: they have not added Ragtime in Teams"


def reach_of(
    *, channel: str | None, slack_id: str | None, email: str | None, email_enabled: bool,
    teams_id: str | None = None, order: tuple[str, ...] = DEFAULT_ORDER,
) -> Reach:
    """``slack``: their Slack account. ``teams``: their Teams conversation (``teams_id``: the
    AAD object id of a Teams account that installed Ragtime). ``email``: their address.
    ``auto``: the first of ``order`` (``RAGTIME_CHANNEL_ORDER``) that reaches them: Slack when
    an account is known (found by email when the round opens), Teams once they added Ragtime
    there, email when this deployment sends email (``RAGTIME_EMAIL_TRANSPORT``); otherwise not
    reached, and the problem names the first channel tried."""
    choice = (channel or AUTO).strip().lower()
    address = (email or "").strip()
    ways = {SLACK: slack_id or None, TEAMS: teams_id or None,
            EMAIL: address if address and (email_enabled or choice == EMAIL) else None}
    problems = {
        SLACK: "no Slack user id: not found by email, so not prompted",
        TEAMS: NOT_IN_TEAMS,
        EMAIL: "channel is email but there is no email address in the framework file",
    }
    for via in (order if choice == AUTO else (choice,)):
        if ways.get(via):
            return Reach(via, ways[via])
    first = choice if choice != AUTO else next(iter(order), SLACK)
    return Reach(None, problem=problems.get(first, problems[SLACK]))


@dataclass(frozen=True)
class Channels:
    """The channels this deployment reaches people on: email when it sends email, Teams when
    it is set up for Teams, and the order ``auto`` tries them in (``RAGTIME_CHANNEL_ORDER``)."""

    email: bool = False
    teams: bool = False
    order: tuple[str, ...] = DEFAULT_ORDER

    @classmethod
    def of(cls, settings: Settings) -> Channels:
        """The channels of ``settings``; ``auto`` tries only those this deployment has (and
        Slack always when there is no Teams: a Slack deployment from before Teams)."""
        has = {SLACK: settings.slack_enabled or not settings.teams_enabled,
               TEAMS: settings.teams_enabled, EMAIL: True}
        return cls(email=settings.email_enabled, teams=settings.teams_enabled,
                   order=tuple(via for via in settings.channel_order if has[via]))

    def reach(self, *, channel: str | None, slack_id: str | None, email: str | None,
              teams_id: str | None = None) -> Reach:
        """``reach_of`` on this deployment's channels (a Teams account counts only while
        Teams is set up)."""
        return reach_of(channel=channel, slack_id=slack_id, email=email,
                        email_enabled=self.email, teams_id=teams_id if self.teams else None,
                        order=self.order)


@dataclass(frozen=True)
class PersonRef:
    """A person as plain values; ``problem`` says why they could not be reached, if so."""

    id: int
    key: str
    name: str
    title: str = ""
    email: str | None = None
    slack_id: str | None = None
    problem: str | None = None

    @classmethod
    def of(cls, person: Person, problem: str | None = None) -> PersonRef:
        return cls(
            id=person.id or 0, key=person.key, name=person.name, title=person.title,
            email=person.email, slack_id=person.slack_id, problem=problem,
        )

    @property
    def display(self) -> str:
        return f"{self.name}, {self.title}" if self.title else self.name


@dataclass(frozen=True)
class ResolveReport:
    found: list[PersonRef] = field(default_factory=list)
    missing: list[PersonRef] = field(default_factory=list)
    newly_found: int = 0  # of ``found``, how many were looked up this time


def resolve_slack_ids(
    session: Session,
    lookup_by_email: Callable[[str], str | None],
    *,
    person_ids: Iterable[int] | None = None,
) -> ResolveReport:
    """Give everyone (or the people in ``person_ids``) a Slack user id.

    People who already have one are kept as they are. Others are looked up by email through
    ``lookup_by_email`` (returns the user id, or ``None`` when Slack has no such user) and the
    id is stored. People with no email, or whom Slack does not know, come back in ``missing``
    with the reason in ``problem``. Errors raised by ``lookup_by_email`` propagate: a broken
    token should stop the run, not mark everyone missing.
    """
    query = select(Person).order_by(Person.name, Person.id)
    if person_ids is not None:
        query = query.where(Person.id.in_(list(person_ids)))
    found: list[PersonRef] = []
    missing: list[PersonRef] = []
    newly_found = 0
    for person in session.exec(query).all():
        if (person.channel or AUTO) == EMAIL:
            continue  # reached by email: never looked up in Slack
        if person.slack_id:
            found.append(PersonRef.of(person))
            continue
        email = (person.email or "").strip()
        if not email:
            missing.append(PersonRef.of(person, "no email address in the framework file"))
            continue
        slack_id = lookup_by_email(email)
        if not slack_id:
            missing.append(PersonRef.of(person, f"no Slack user has the email {email}"))
            continue
        person.slack_id = slack_id
        session.add(person)
        audit(session=session, actor="ragtime", action="person.slack_id_found",
              subject=f"person:{person.id}", slack_id=slack_id)
        newly_found += 1
        found.append(PersonRef.of(person))
    session.flush()
    return ResolveReport(found=found, missing=missing, newly_found=newly_found)


def person_for_slack_id(session: Session, slack_id: str) -> Person | None:
    if not slack_id:
        return None
    return session.exec(
        select(Person).where(Person.slack_id == slack_id).order_by(Person.id)
    ).first()


def people_for_slack_id(session: Session, slack_id: str) -> list[Person]:
    """Every person row with this Slack id (one human may appear under two keys)."""
    if not slack_id:
        return []
    return list(session.exec(select(Person).where(Person.slack_id == slack_id)).all())
