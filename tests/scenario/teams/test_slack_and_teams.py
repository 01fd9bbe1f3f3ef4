"""Slack and Teams in one deployment: with ``RAGTIME_CHANNEL_ORDER=teams,slack,email`` an SRO
who added Ragtime in Teams is prompted there and everyone else in Slack; a Teams card submission
redraws the joint SRO's Slack prompt (the follow-ups of both channels run)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.framework.example import load_example
from storage.db import session_scope
from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.faketeams import APP_ID, APP_PASSWORD, TENANT_ID, FakeConnector, FakeIdentity
from tests.scenario.conftest import IN_SLACK, JAMES, LEAD, NOW, Harness
from tests.support.served_app import ServedApp, serve, settings_for, stop
from tests.support.teams_world import TeamsUser, TeamsWorld, texts

BHANU = TeamsUser("55555555-eeee-4eee-8eee-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")


@pytest.fixture
def both(fake_slack: FakeSlack, fake_identity: FakeIdentity,  # noqa: F811
         fake_connector: FakeConnector, engine: Engine, sqlite_url: str
         ) -> Iterator[tuple[ServedApp, TeamsWorld]]:
    with session_scope(engine, write=True) as session:
        load_example(session)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)
    settings = settings_for(
        fake_slack, sqlite_url, governance_leads_raw=LEAD, teams_app_id=APP_ID,
        teams_app_password=APP_PASSWORD, teams_tenant_id=TENANT_ID,
        teams_login_url=fake_identity.login_url,
        teams_openid_metadata_url=fake_identity.metadata_url,
        channel_order_raw="teams,slack,email")
    served = serve(settings, fake_slack, engine=engine, clock=lambda: NOW)
    world = TeamsWorld(ctx=served.ctx, server=served.server, worker=served.worker,  # type: ignore[arg-type]
                       identity=fake_identity, connector=fake_connector)
    try:
        yield served, world
    finally:
        stop(served)


def test_prompts_go_by_the_channel_order_and_follow_ups_cross_channels(both):
    served, world = both
    world.install(BHANU)
    served.settle()
    harness = Harness(served)
    harness.open_round()

    bhanu_cards = [c for c in world.cards_to(BHANU) if any(
        i.get("type") == "Input.ChoiceSet" for i in c["body"])]
    assert len(bhanu_cards) == 3  # GO-5..7 in Teams
    assert len(harness.prompts(JAMES)) == 3  # his in Slack
    card = next(c for c in bhanu_cards if any(t.startswith("GO-5 ") for t in texts(c)))
    before = len(served.fake.calls("chat.update"))
    answer = world.submit(BHANU, {**card["actions"][0]["data"], "rag": "green",
                                  "narrative": "On track: the bid is in."})
    assert texts(answer["value"])[0] == "2024/25 Q3 update received"
    served.settle()
    updated = served.fake.calls("chat.update")[before:]
    assert any("On track: the bid is in." in str(call.params) for call in updated)
