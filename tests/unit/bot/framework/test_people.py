
from sqlmodel import select

from bot.framework.people import person_for_slack_id, resolve_slack_ids
from bot.framework.permissions import is_governance_lead as is_lead
from bot.framework.permissions import may_govern, may_submit
from bot.settings import load_settings
from ragtime.wiring import slack_context
from storage.db import session_scope
from storage.models import AuditEvent, Person
from tests.fakeslack import BOT_TOKEN, FakeSlack
from tests.support.collection_world import BHANU, DELEGATE, JAMES, OUTSIDER, SHARON, build_world


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
    assert may_govern(leads, slack_id="U0LEAD")
    assert may_govern(leads, slack_id="U0OTHER", email="Gov.Lead@Example.NHS.uk")
    assert not may_govern(leads, slack_id="U0OTHER", email="someone@example.nhs.uk")
    assert not may_govern(leads, slack_id=None, email=None)
    assert not may_govern(frozenset(), slack_id="U0LEAD")


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


def test_may_govern_is_the_governance_lead_setting():
    assert may_govern(frozenset({"U0LEAD"}), slack_id="U0LEAD")
    assert not may_govern(frozenset({"U0LEAD"}), slack_id=SHARON, email="sharon@x.nhs.uk")


# ------------------------------------------------------------------------------ is_governance_lead

def _ctx(engine, fake: FakeSlack, leads: str):
    settings = load_settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake.api_url,
                             governance_leads_raw=leads)
    return slack_context(settings, engine=engine)


def test_a_governance_lead_is_named_by_id_or_by_the_email_slack_holds(engine, fake_slack):
    fake_slack.add_user("U0LEAD", email="Governance.Lead@example.nhs.uk")
    fake_slack.add_user(SHARON)  # no email on her profile
    by_id = _ctx(engine, fake_slack, "U0LEAD")
    assert is_lead(by_id, "U0LEAD") and not is_lead(by_id, SHARON) and not is_lead(by_id, None)
    assert fake_slack.calls("users.info") == []  # leads named by id only: Slack is never asked

    by_email = _ctx(engine, fake_slack, "governance.lead@example.nhs.uk")
    assert is_lead(by_email, "U0LEAD")
    assert not is_lead(by_email, SHARON)  # Slack knows no email for her
    assert [call.params.get("user") for call in fake_slack.calls("users.info")] == ["U0LEAD",
                                                                                   SHARON]
    assert is_lead(by_email, "U0LEAD")  # asked again within minutes: the email is remembered
    assert len(fake_slack.calls("users.info")) == 2


def test_an_email_slack_will_not_give_counts_as_not_a_lead(engine, fake_slack, caplog):
    fake_slack.add_user("U0LEAD", email="governance.lead@example.nhs.uk")
    fake_slack.fail_next("users.info", error="missing_scope")
    ctx = _ctx(engine, fake_slack, "governance.lead@example.nhs.uk")
    assert not is_lead(ctx, "U0LEAD")
    assert "could not read U0LEAD's email to check governance lead" in caplog.text
    assert is_lead(ctx, "U0LEAD")  # a refusal is not remembered: the next click asks again
