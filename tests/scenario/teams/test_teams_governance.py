"""Governance in Teams: a lead types ``compile 2024/25 Q2`` to the bot, the draft's summary card
(with Approve and Request changes) and its files (signed, expiring links served by Ragtime) are
posted in the governance conversation; only a lead may approve; approving redraws the card in
place; ``status`` answers like ``/report-status``. Teams alone, SQLite."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from sqlalchemy.engine import Engine

from tests.faketeams import FakeConnector, FakeIdentity
from tests.scenario.conftest import NOW
from tests.support.teams_world import (
    TeamsUser,
    TeamsWorld,
    teams_on_example,
    texts,
)

GOVERNANCE = "19:governance@thread.tacv2"
LEAD = TeamsUser("44444444-dddd-4ddd-8ddd-000000000001", "Gwen Lead",
                 "Governance.Lead@example.nhs.uk")  # a lead by email; owns nothing
BHANU = TeamsUser("44444444-dddd-4ddd-8ddd-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")
SHARON = TeamsUser("44444444-dddd-4ddd-8ddd-000000000003", "Sharon Murphy",
                   "sharon.murphy@example.nhs.uk")  # SRO of GO-1..GO-4
SECRET = "a-secret-key-for-signing-links-in-tests-0123456789"


@pytest.fixture
def governed(fake_identity: FakeIdentity, fake_connector: FakeConnector, engine: Engine
             ) -> Iterator[TeamsWorld]:
    with teams_on_example(
            fake_identity, fake_connector, engine, clock=lambda: NOW,
            RAGTIME_GOVERNANCE_LEADS="governance.lead@example.nhs.uk",
            RAGTIME_TEAMS_GOVERNANCE_CONVERSATION=GOVERNANCE,
            RAGTIME_PUBLIC_URL="https://ragtime.example.nhs.uk", RAGTIME_SECRET_KEY=SECRET
    ) as world:
        yield world


def say(world: TeamsWorld, user: TeamsUser, text: str) -> None:
    status, _ = world.post(world.activity(user, "message", text=text))
    assert status == 200


def press(world: TeamsWorld, user: TeamsUser, verb: str, data: dict) -> dict:
    status, body = world.post(world.activity(
        user, "invoke", name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data}}))
    assert status == 200 and body is not None
    return body


def governance_cards(world: TeamsWorld) -> list[dict]:
    return [a["attachments"][0]["content"] for a in world.connector.sent(GOVERNANCE)]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_compile_approve_and_status_in_teams(governed: TeamsWorld):
    world = governed
    world.install(LEAD)
    world.install(BHANU)
    world.settle()

    say(world, BHANU, "compile 2024/25 Q2")
    world.settle()
    assert "only governance leads" in " ".join(texts(world.cards_to(BHANU)[-1]))
    assert governance_cards(world) == []

    say(world, LEAD, "<at>Ragtime</at> compile 2024/25 Q2")
    world.settle(timeout=120)  # the compile writes the PDF in a child process
    assert len(governance_cards(world)) == 2, [texts(c) for c in world.cards_to(LEAD)]
    summary, files = governance_cards(world)
    shown = " ".join(texts(summary))
    assert "Board report: 2024/25 Q2" in shown and "Status: Draft" in shown
    verbs = [action["verb"] for action in summary["actions"]]
    assert verbs == ["report_approve", "report_changes"]
    assert "posted for decision" in " ".join(texts(world.cards_to(LEAD)[-1]))

    # The files: signed links to Ragtime itself, each a real file; a forged one is refused.
    links = {action["title"]: action["url"] for action in files["actions"]}
    assert any(name.endswith(".pdf") for name in links)
    pdf = next(url for name, url in links.items() if name.endswith(".pdf"))
    assert pdf.startswith("https://ragtime.example.nhs.uk/files/")
    status, content = fetch(world.server.url + urlparse(pdf).path)
    assert status == 200 and content.startswith(b"%PDF")
    assert fetch(world.server.url + urlparse(pdf).path[:-3] + "xyz")[0] == 404

    report_id = summary["actions"][0]["data"]["report_id"]
    refused = press(world, BHANU, "report_approve", {"report_id": report_id})
    assert refused["statusCode"] == 403
    accepted = press(world, LEAD, "report_approve", {"report_id": report_id})
    assert accepted["statusCode"] == 200
    world.settle(timeout=120)
    redrawn = [call for call in world.connector.updates() if f"/{GOVERNANCE}/" in call.path]
    card = redrawn[-1].body["attachments"][0]["content"]
    assert "Status: Approved by Gwen Lead" in " ".join(texts(card))
    assert "actions" not in card  # decided: no more buttons

    say(world, LEAD, "status 2024/25 Q2")
    world.settle()
    assert "2024/25 Q2" in " ".join(texts(world.cards_to(LEAD)[-1]))


def test_request_changes_re_prompts_the_sro_in_teams(governed: TeamsWorld):
    world = governed
    world.install(LEAD)
    world.install(SHARON)
    world.settle()
    say(world, LEAD, "compile 2024/25 Q2")
    world.settle(timeout=120)
    summary = governance_cards(world)[0]
    report_id = summary["actions"][0]["data"]["report_id"]
    form = press(world, LEAD, "report_changes", {"report_id": report_id})["value"]
    ids = {item["id"] for item in form["body"] if item.get("type", "").startswith("Input.")}
    assert ids == {"comment", "deliverables"}
    choices = next(item for item in form["body"] if item.get("id") == "deliverables")["choices"]
    go1 = next(c["value"] for c in choices if c["title"].startswith("GO-1 "))
    before = len(world.cards_to(SHARON))
    sent = press(world, LEAD, "report_changes_send",
                 {"report_id": report_id, "comment": "Say more about the *risks*",
                  "deliverables": go1})
    assert sent["statusCode"] == 200
    world.settle(timeout=60)
    redrawn = [call for call in world.connector.updates() if f"/{GOVERNANCE}/" in call.path]
    assert "Changes requested" in json.dumps(redrawn[-1].body)

    # Sharon is asked again in her own conversation: the lead's words, as written, above the
    # update form pre-filled with what she saved.
    asked = world.cards_to(SHARON)[before:]
    assert len(asked) == 1, [texts(card) for card in asked]
    card = asked[0]
    shown = texts(card)
    assert shown[0] == "Changes requested on your 2024/25 Q2 update"
    assert shown[1].startswith("GO-1 ")
    assert "Gwen Lead reviewed the draft board report and asked:" in shown
    assert "Say more about the *risks*" in shown  # a TextRun: never read as Markdown
    inputs = {item["id"]: item.get("value") for item in card["body"]
              if item.get("type", "").startswith("Input.")}
    assert inputs["rag"] and inputs["narrative"]  # her saved update, to revise

    # She revises on the card; the answer is the confirmation, as for any prompt.
    data = {**card["actions"][0]["data"], "rag": inputs["rag"],
            "narrative": inputs["narrative"] + " The risks: staffing and estates.",
            "recovery_action": inputs.get("recovery_action") or "Recruit to posts",
            "recovery_date": "2025-03-31", "change_reason": "Asked by the board"}
    answer = world.submit(SHARON, data)
    assert texts(answer["value"])[0] == "2024/25 Q2 update received", texts(answer["value"])
    assert any("The risks: staffing and estates." in text for text in texts(answer["value"]))
