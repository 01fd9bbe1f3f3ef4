"""``add_in_teams`` on a real database with the channel's call recorded: the people a round
names (``person_ids``) whom Teams would reach; a failure for one person lets the next be tried,
one that refuses everyone (``SendError.everyone``) leaves the rest untried but reported."""

from sqlmodel import select

from bot.framework.example import load_example
from bot.framework.people import Channels
from bot.framework.teams import add_in_teams
from bot.ports.messages import PermanentSendError
from storage.db import session_scope
from storage.models import AuditEvent, Person


def people(engine) -> dict[str, int]:
    with session_scope(engine, write=True) as session:
        load_example(session)
        return {p.email: p.id for p in session.exec(select(Person)).all()}


TEAMS = Channels(teams=True, order=("teams", "email"))


def test_only_the_people_named_and_a_personal_failure_does_not_stop_the_rest(engine):
    ids = people(engine)
    wanted = [ids["sharon.murphy@example.nhs.uk"], ids["james.mullins@example.nhs.uk"],
              ids["jean.knight@example.nhs.uk"]]
    asked: list[str] = []

    def install(email: str) -> str:
        asked.append(email)
        if email.startswith("james"):
            raise PermanentSendError("Microsoft Graph answered HTTP 400", error="graph_refused")
        return "installed"

    done = add_in_teams(engine, TEAMS, install, person_ids=wanted, actor="lead")
    assert sorted(asked) == sorted(["sharon.murphy@example.nhs.uk",
                                    "james.mullins@example.nhs.uk",
                                    "jean.knight@example.nhs.uk"])
    assert {item.name: item.outcome for item in done} == {
        "Sharon Murphy": "installed", "Jean Knight": "installed",
        "James Mullins": "failed: Microsoft Graph answered HTTP 400"}
    with session_scope(engine) as session:
        audited = session.exec(select(AuditEvent).where(
            AuditEvent.action == "person.teams_app_added")).all()
        assert len(audited) == 3 and {event.actor for event in audited} == {"lead"}


def test_a_refusal_of_everyone_leaves_the_rest_untried(engine):
    ids = people(engine)
    asked: list[str] = []

    def install(email: str) -> str:
        asked.append(email)
        raise PermanentSendError("Microsoft Graph refused Ragtime (HTTP 403)",
                                 error="graph_forbidden", everyone=True)

    done = add_in_teams(engine, TEAMS, install, person_ids=ids.values())
    assert len(asked) == 1
    assert len(done) == len([email for email in ids if email])
    assert {item.outcome for item in done} == {
        "failed: Microsoft Graph refused Ragtime (HTTP 403)"}
