"""Slack and Teams in one deployment: with ``RAGTIME_CHANNEL_ORDER=teams,slack,email`` an SRO
who added Ragtime in Teams is prompted there and everyone else in Slack; a Teams card submission
redraws the joint SRO's Slack prompt (the follow-ups of both channels run). The board paper is
posted where a lead asked for it (``compile`` in Teams: the Teams governance conversation;
``/compile-report`` in Slack: the Slack channel) and decided there; a lead's request for changes
reaches each SRO on their own channel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.framework.example import load_example
from storage.db import session_scope
from tests.fakeslack import FakeSlack, fake_slack  # noqa: F401
from tests.faketeams import APP_ID, APP_PASSWORD, TENANT_ID, FakeConnector, FakeIdentity
from tests.scenario.conftest import IN_SLACK, JAMES, LEAD, NOW, Harness
from tests.scenario.reports.support import block_text, summaries, wait_until
from tests.support.served_app import ServedApp, serve, settings_for, stop
from tests.support.slack_requests import button, input_value
from tests.support.teams_world import TeamsUser, TeamsWorld, texts

BHANU = TeamsUser("55555555-eeee-4eee-8eee-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")
GWEN = TeamsUser("55555555-eeee-4eee-8eee-000000000009", "Gwen Lead",
                 "governance.lead@example.nhs.uk")  # the same lead as U0LEAD, in Teams
SLACK_GOVERNANCE = "C0GOVERN"
TEAMS_GOVERNANCE = "19:governance@thread.tacv2"


@pytest.fixture
def both(fake_slack: FakeSlack, fake_identity: FakeIdentity,  # noqa: F811
         fake_connector: FakeConnector, engine: Engine, sqlite_url: str
         ) -> Iterator[tuple[ServedApp, TeamsWorld]]:
    with session_scope(engine, write=True) as session:
        load_example(session)
    for user, email in IN_SLACK.items():
        fake_slack.add_user(user, email=email)
    settings = settings_for(
        fake_slack, sqlite_url, governance_leads_raw=f"{LEAD},{GWEN.email}",
        teams_governance_conversation=TEAMS_GOVERNANCE,
        public_url="https://ragtime.example.nhs.uk",
        secret_key="a-secret-key-for-signing-links-in-tests-0123456789", teams_app_id=APP_ID,
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


def teams_governance(world: TeamsWorld) -> list[dict]:
    return [a["attachments"][0]["content"] for a in world.connector.sent(TEAMS_GOVERNANCE)]


def slack_summaries(served: ServedApp) -> list:
    """The report summaries posted in the Slack governance channel (those with decisions)."""
    return [call for call in summaries(served.fake, SLACK_GOVERNANCE)
            if any(block.get("block_id") == "report_actions"
                   for block in call.json_param("blocks"))]


def say(world: TeamsWorld, user: TeamsUser, text: str) -> None:
    status, _ = world.post(world.activity(user, "message", text=text))
    assert status == 200


def press(world: TeamsWorld, user: TeamsUser, verb: str, data: dict) -> dict:
    status, body = world.post(world.activity(
        user, "invoke", name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data}}))
    assert status == 200 and body is not None
    return body


def test_the_paper_is_posted_and_decided_where_it_was_asked_for(both):
    served, world = both
    world.install(GWEN)
    served.settle()

    # In Slack: the Slack channel gets it, Teams nothing.
    assert served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD).status == 200
    served.fake.wait_for("files.completeUploadExternal", timeout=60)
    served.settle(timeout=60)
    assert len(slack_summaries(served)) == 1
    assert teams_governance(world) == []

    # The same paper asked for in Teams: posted in the Teams governance conversation (summary
    # and files), the Slack draft marked superseded (decisions go to the newest).
    say(world, GWEN, "compile 2024/25 Q2")
    served.settle(timeout=120)
    summary, files = teams_governance(world)
    assert "Board report: 2024/25 Q2" in " ".join(texts(summary))
    assert [a["verb"] for a in summary["actions"]] == ["report_approve", "report_changes"]
    assert any(a["title"].endswith(".pdf") for a in files["actions"])
    assert "posted for decision" in " ".join(texts(world.cards_to(GWEN)[-1]))
    assert len(slack_summaries(served)) == 1  # nothing new in Slack
    first_ts = slack_summaries(served)[0].response["ts"]
    wait_until(lambda: any("Superseded" in block_text(c.json_param("blocks"))
                           for c in served.fake.calls("chat.update")
                           if c.params.get("ts") == first_ts), what="the Slack draft superseded")

    # Approved in Teams: the Teams card redrawn, the approved paper's files posted there.
    report_id = summary["actions"][0]["data"]["report_id"]
    before_slack = len(served.fake.calls("chat.postMessage"))
    assert press(world, GWEN, "report_approve", {"report_id": report_id})["statusCode"] == 200
    served.settle(timeout=120)
    redrawn = [c for c in world.connector.updates() if f"/{TEAMS_GOVERNANCE}/" in c.path]
    assert "Status: Approved by Gwen Lead" in " ".join(
        texts(redrawn[-1].body["attachments"][0]["content"]))
    cards = [" ".join(texts(card)) for card in teams_governance(world)]
    assert sum("Board paper files: 2024/25 Q2" in card for card in cards) == 2  # draft, approved
    assert len(served.fake.calls("chat.postMessage")) == before_slack  # Slack told nothing


def test_a_slack_leads_request_for_changes_reaches_each_sro_on_their_channel(both):
    served, world = both
    world.install(BHANU)  # joint SRO of GO-5 with James, who is on Slack
    served.settle()
    Harness(served).open_round()  # Q3: finds everyone's Slack account by email
    assert served.slack.command("/compile-report", "2024/25 Q2", user_id=LEAD).status == 200
    served.fake.wait_for("files.completeUploadExternal", timeout=60)
    [summary] = slack_summaries(served)
    ts = summary.response["ts"]
    report_id = int(next(e["value"] for b in summary.json_param("blocks")
                         if b.get("block_id") == "report_actions" for e in b["elements"]))
    served.slack.click([button("report_request_changes", str(report_id),
                               block_id="report_actions")],
                       user_id=LEAD, channel_id=SLACK_GOVERNANCE, message_ts=ts)
    [opened] = served.fake.wait_for("views.open")
    modal = opened.json_param("view")
    options = {o["text"]["text"].split(" ")[0]: o["value"]
               for g in modal["blocks"][1]["element"]["option_groups"] for o in g["options"]}
    go5 = options["GO-5"]
    chosen = [{"text": {"type": "plain_text", "text": go5}, "value": go5}]
    response = served.slack.submit(
        "report_changes_modal",
        {"deliverables": {"deliverables": {"type": "multi_static_select",
                                           "selected_options": chosen}},
         "comment": {"comment": input_value("Name the *bid* and its date")}},
        private_metadata=modal["private_metadata"], user_id=LEAD)
    assert response.status == 200, response.body
    asked = wait_until(lambda: [card for card in world.cards_to(BHANU) if texts(card)[0]
                                == "Changes requested on your 2024/25 Q2 update"],
                       what="Bhanu's card in Teams")
    assert len(asked) == 1
    shown = texts(asked[0])
    assert shown[1].startswith("GO-5 ")
    assert "A governance lead reviewed the draft board report and asked:" in shown
    assert "Name the *bid* and its date" in shown
    to_james = wait_until(lambda: [c for c in served.fake.calls("chat.postMessage")
                                   if c.params["channel"] == JAMES
                                   and "Changes requested" in str(c.params.get("text"))],
                          what="James's Slack DM")
    assert "Name the *bid* and its date" in block_text(to_james[0].json_param("blocks"))
