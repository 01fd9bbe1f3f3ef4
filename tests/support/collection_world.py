"""A small framework for the collection tests (names and titles from the SUTG seed report)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.calendar.periods import Period
from storage.db import session_scope
from storage.models import Deliverable, DeliverableOwner, Framework, Person, Role, Theme
from tests.support.rounds import open_rounds

Q2 = Period(2024, 2)
Q1 = Period(2024, 1)

SHARON = "U0SHARON"
BHANU = "U0BHANU"
JAMES = "U0JAMES"
DELEGATE = "U0DELEGATE"
OUTSIDER = "U0OUTSIDER"


@dataclass(frozen=True)
class World:
    framework_id: int
    access_policy: int  # Sharon Murphy (SRO) + a delegate
    access_sops: int  # Sharon Murphy
    research: int  # Bhanu Chadalavada and James Mullins, joint SROs
    wellbeing: int  # Rachel Arnold: no Slack id yet
    retired: int  # inactive
    people: dict[str, int]


def build_world(engine: Engine, *, rules: dict | None = None,
                rounds: tuple[Period, ...] = ()) -> World:
    """The framework, its people and deliverables; ``rounds`` opened (no prompts) so updates
    can be filed into them."""
    with session_scope(engine, write=True) as s:
        framework = Framework(name="Step Up To Great", organisation="LPT", rules=rules or {})
        s.add(framework)
        s.flush()
        outcomes = Theme(framework_id=framework.id, name="Great Outcomes", position=1)
        workplace = Theme(framework_id=framework.id, name="Great Place to Work", position=3)
        s.add_all([outcomes, workplace])
        s.flush()
        people = {
            "smurphy": Person(key="smurphy", name="Sharon Murphy", title="Director of Finance",
                              email="sharon.murphy@example.nhs.uk", slack_id=SHARON),
            "bchadalavada": Person(key="bchadalavada", name="Bhanu Chadalavada",
                                   title="Medical Director", email="bhanu@example.nhs.uk",
                                   slack_id=BHANU),
            "jmullins": Person(key="jmullins", name="James Mullins", title="Director of Nursing",
                               email="james.mullins@example.nhs.uk", slack_id=JAMES),
            "rarnold": Person(key="rarnold", name="Rachel Arnold",
                              title="Director of People", email="rachel.arnold@example.nhs.uk"),
            "delegate": Person(key="delegate", name="Dee Legate", title="Business Manager",
                               email="dee@example.nhs.uk", slack_id=DELEGATE),
            "outsider": Person(key="outsider", name="Owen Side", title="Analyst",
                               email="owen@example.nhs.uk", slack_id=OUTSIDER),
        }
        s.add_all(people.values())
        s.flush()

        def deliverable(theme: Theme, ref: str, number: str, area: str, title: str,
                        position: int, active: bool = True) -> Deliverable:
            item = Deliverable(framework_id=framework.id, theme_id=theme.id, ref=ref,
                               number=number, area=area, title=title, position=position,
                               active=active)
            s.add(item)
            s.flush()
            return item

        policy = deliverable(outcomes, "go-1", "1", "Access",
                             "Review, update, revise and implement Trust Access Policy", 1)
        sops = deliverable(outcomes, "go-2", "2", "Access",
                           "Review and update Directorate SOPs to match the Access Policy", 2)
        research = deliverable(outcomes, "go-r1", "1", "Research or Innovation",
                               "Support the attainment of University Hospital Trust status", 3)
        wellbeing = deliverable(workplace, "gp-1", "1", "Wellbeing",
                                "Deliver the staff health and wellbeing plan", 1)
        retired = deliverable(workplace, "gp-2", "2", "Wellbeing", "A retired deliverable", 2,
                              active=False)
        owners = [
            (policy, "smurphy", Role.sro, 0), (policy, "delegate", Role.delegate, 1),
            (sops, "smurphy", Role.sro, 0),
            (research, "bchadalavada", Role.sro, 0), (research, "jmullins", Role.sro, 1),
            (wellbeing, "rarnold", Role.sro, 0),
            (retired, "smurphy", Role.sro, 0),
        ]
        s.add_all(
            DeliverableOwner(deliverable_id=d.id, person_id=people[key].id, role=role,
                             position=position)
            for d, key, role, position in owners
        )
        world = World(
            framework_id=framework.id, access_policy=policy.id, access_sops=sops.id,
            research=research.id, wellbeing=wellbeing.id, retired=retired.id,
            people={key: person.id for key, person in people.items()},
        )
    open_rounds(engine, *rounds, framework_id=world.framework_id)
    return world
