from datetime import date

from sqlmodel import select

from bot.collection.updates import submit_update
from bot.framework.people import is_governance_lead, person_for_slack_id, resolve_slack_ids
from bot.framework.permissions import deliverables_for, may_submit
from storage.db import session_scope
from storage.models import AuditEvent, Person, Rag, Role, Source
from tests.support.collection_world import BHANU, DELEGATE, JAMES, OUTSIDER, Q2, SHARON, build_world


def test_resolve_keeps_known_ids_looks_up_the_rest_and_reports_who_is_missing(engine):
    world = build_world(engine)
    with session_scope(engine, write=True) as s:
        s.add(Person(key="noemail", name="No Email"))
        s.add(Person(key="gone", name="Left Trust", email="gone@example.nhs.uk"))
    asked: list[str] = []

    def lookup(email: str) -> str | None:
        asked.append(email)
        return {"rachel.arnold@example.nhs.uk": "U0RACHEL"}.get(email)

    with session_scope(engine, write=True) as s:
        report = resolve_slack_ids(s, lookup)
    assert asked == ["gone@example.nhs.uk", "rachel.arnold@example.nhs.uk"]
    assert report.newly_found == 1
    assert {ref.slack_id for ref in report.found} >= {"U0RACHEL", SHARON, BHANU}
    assert [(ref.name, ref.problem) for ref in report.missing] == [
        ("Left Trust", "no Slack user has the email gone@example.nhs.uk"),
        ("No Email", "no email address in the framework file"),
    ]
    with session_scope(engine) as s:
        assert s.get(Person, world.people["rarnold"]).slack_id == "U0RACHEL"
        assert person_for_slack_id(s, "U0RACHEL").name == "Rachel Arnold"
        assert s.exec(select(AuditEvent).where(
            AuditEvent.action == "person.slack_id_found")).one().detail == {
                "slack_id": "U0RACHEL"}

    asked.clear()
    with session_scope(engine, write=True) as s:
        again = resolve_slack_ids(s, lookup)
    assert asked == ["gone@example.nhs.uk"]  # found people are not looked up twice
    assert again.newly_found == 0


def test_person_for_slack_id(engine):
    build_world(engine)
    with session_scope(engine) as s:
        assert person_for_slack_id(s, SHARON).name == "Sharon Murphy"
        assert person_for_slack_id(s, "U0NOBODY") is None
        assert person_for_slack_id(s, "") is None


def test_governance_leads_by_slack_id_or_email():
    leads = frozenset({"U0LEAD", "gov.lead@example.nhs.uk"})
    assert is_governance_lead(leads, slack_id="U0LEAD")
    assert is_governance_lead(leads, slack_id="U0OTHER", email="Gov.Lead@Example.NHS.uk")
    assert not is_governance_lead(leads, slack_id="U0OTHER", email="someone@example.nhs.uk")
    assert not is_governance_lead(leads, slack_id=None, email=None)
    assert not is_governance_lead(frozenset(), slack_id="U0LEAD")


def test_only_sros_and_delegates_may_submit(engine):
    world = build_world(engine)
    with session_scope(engine) as s:
        assert may_submit(s, slack_id=SHARON, deliverable_id=world.access_policy)
        assert may_submit(s, slack_id=DELEGATE, deliverable_id=world.access_policy)
        assert may_submit(s, slack_id=JAMES, deliverable_id=world.research)
        assert not may_submit(s, slack_id=DELEGATE, deliverable_id=world.access_sops)
        assert not may_submit(s, slack_id=OUTSIDER, deliverable_id=world.access_policy)
        assert not may_submit(s, slack_id=SHARON, deliverable_id=world.research)
        assert not may_submit(s, slack_id="", deliverable_id=world.access_policy)
        assert not may_submit(s, slack_id=SHARON, deliverable_id=9999)


def test_deliverables_for_lists_owned_active_deliverables_with_their_state(engine):
    world = build_world(engine)
    with session_scope(engine, write=True) as s:
        submit_update(s, actor_slack_id=SHARON, deliverable_id=world.access_sops, period=Q2,
                      rag=Rag.green, narrative="SOPs reviewed", source=Source.modal,
                      today=date(2024, 10, 1))
    with session_scope(engine) as s:
        mine = deliverables_for(s, SHARON, Q2)
        assert [(d.id, d.role, d.rag, d.answered) for d in mine] == [
            (world.access_policy, Role.sro, None, False),
            (world.access_sops, Role.sro, Rag.green, True),
        ]  # the retired deliverable is not listed
        assert [(d.id, d.role) for d in deliverables_for(s, DELEGATE, Q2)] == [
            (world.access_policy, Role.delegate)]
        assert deliverables_for(s, OUTSIDER, Q2) == []
        assert [d.theme for d in deliverables_for(s, BHANU)] == ["Great Outcomes"]


def test_may_govern_is_the_governance_lead_setting():
    from bot.framework.permissions import may_govern

    assert may_govern(frozenset({"U0LEAD"}), slack_id="U0LEAD")
    assert not may_govern(frozenset({"U0LEAD"}), slack_id=SHARON, email="sharon@x.nhs.uk")
