"""Every Teams card that carries a deliverable's form for the period is redrawn in place (PUT)
when one of its SROs answers, as prompt cards are: the author's shows the confirmation, each
co-owner's shows the form with the version just saved. Here for the two cards that are not
prompts: a governance lead's request for changes (each SRO of the deliverable gets one) and a
reminder whose button turned it into the form. Teams alone, SQLite then PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot.collection.flows import open_round_and_prompt, remind_outstanding
from tests.faketeams import FakeConnector, FakeIdentity
from tests.scenario.conftest import NOW, Q3
from tests.scenario.teams.test_teams_governance import GOVERNANCE, governance_cards, press, say
from tests.support.teams_world import (
    TeamsUser,
    TeamsWorld,
    teams_on_example,
    texts,
)

LEAD = TeamsUser("55555555-eeee-4eee-8eee-000000000001", "Gwen Lead",
                 "governance.lead@example.nhs.uk")
BHANU = TeamsUser("55555555-eeee-4eee-8eee-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")
JAMES = TeamsUser("55555555-eeee-4eee-8eee-000000000003", "James Mullins",
                  "james.mullins@example.nhs.uk")
JOINT = "To support the attainment of Group University Hospital Trust Status"  # both SROs
SECRET = "a-secret-key-for-signing-links-in-tests-0123456789"


@pytest.fixture
def world(fake_identity: FakeIdentity, fake_connector: FakeConnector, any_engine: Engine
          ) -> Iterator[TeamsWorld]:
    with teams_on_example(
            fake_identity, fake_connector, any_engine, clock=lambda: NOW,
            RAGTIME_GOVERNANCE_LEADS=LEAD.email, RAGTIME_TEAMS_GOVERNANCE_CONVERSATION=GOVERNANCE,
            RAGTIME_PUBLIC_URL="https://ragtime.example.nhs.uk", RAGTIME_SECRET_KEY=SECRET
    ) as world:
        yield world


def inputs(card: dict[str, Any]) -> dict[str, Any]:
    return {item["id"]: item.get("value") for item in card["body"]
            if item.get("type", "").startswith("Input.")}


def put_to(world: TeamsWorld, user: TeamsUser, activity_id: str) -> list[dict[str, Any]]:
    """The cards Ragtime PUT in place of ``activity_id`` in the user's conversation."""
    return [call.body["attachments"][0]["content"] for call in world.connector.updates()
            if call.path.endswith(f"/{user.conversation}/activities/{activity_id}")]


def version_line(card: dict[str, Any]) -> str:
    return next((text for text in texts(card) if text.startswith("Version ")), "")


def co_owner_notices(world: TeamsWorld, user: TeamsUser) -> list[dict[str, Any]]:
    return [card for card in world.cards_to(user)
            if texts(card) and texts(card)[0] == "Update from a co-owner"]


def test_a_co_owners_change_request_card_is_redrawn_when_the_other_answers(world: TeamsWorld):
    for user in (LEAD, BHANU, JAMES):
        world.install(user)
    world.settle()
    say(world, LEAD, "compile 2024/25 Q2")
    world.settle(timeout=120)
    report_id = governance_cards(world)[0]["actions"][0]["data"]["report_id"]
    form = press(world, LEAD, "report_changes", {"report_id": report_id})["value"]
    choices = next(item for item in form["body"] if item.get("id") == "deliverables")["choices"]
    joint = next(choice["value"] for choice in choices if JOINT in choice["title"])
    sent = press(world, LEAD, "report_changes_send",
                 {"report_id": report_id, "comment": "Say when the status is expected",
                  "deliverables": joint})
    assert sent["statusCode"] == 200
    world.settle(timeout=60)

    # Each SRO of the deliverable has the request above the form, in their own conversation.
    asked = {}
    for user in (BHANU, JAMES):
        cards = [(ident, activity["attachments"][0]["content"])
                 for ident, activity in world.connector.posted(user.conversation)]
        requests = [(ident, card) for ident, card in cards
                    if texts(card)[0] == "Changes requested on your 2024/25 Q2 update"]
        assert len(requests) == 1, [texts(card)[0] for _, card in cards]
        asked[user] = requests[0]
    james_card_id, james_card = asked[JAMES]
    saved = inputs(james_card)["narrative"]
    assert saved and version_line(james_card).startswith("Version 1 was saved")

    # Bhanu answers on his card: his answer is the confirmation.
    bhanu_card_id, bhanu_card = asked[BHANU]
    fields = inputs(bhanu_card)
    answer = world.submit(BHANU, {
        **bhanu_card["actions"][0]["data"], "rag": "amber",
        "narrative": "University status is now expected in the spring; the bid is in.",
        "recovery_action": "Submit the final evidence", "recovery_date": "2025-03-31",
        "change_reason": "Asked by the board", **{k: v for k, v in fields.items()
                                                   if k not in ("rag", "narrative") and v
                                                   and k not in ("recovery_action",
                                                                 "recovery_date",
                                                                 "change_reason")}})
    assert texts(answer["value"])[0] == "2024/25 Q2 update received", texts(answer["value"])
    world.settle(timeout=60)

    # James's change-request card is redrawn in place: still the lead's request, above the
    # form now holding the version Bhanu just saved (and saying it is his).
    redrawn = put_to(world, JAMES, james_card_id)
    assert len(redrawn) == 1, redrawn
    shown = texts(redrawn[0])
    assert shown[0] == "Changes requested on your 2024/25 Q2 update"
    assert "Say when the status is expected" in shown
    assert version_line(redrawn[0]).startswith("Version 2 was saved by Bhanu Chadalavada")
    assert "Your current rating: Amber" in " ".join(shown)
    now = inputs(redrawn[0])
    assert now["rag"] == "amber"
    assert now["narrative"] == ("University status is now expected in the spring; the bid is "
                                "in.")
    assert now["narrative"] != saved
    # Bhanu's own card shows the confirmation; James is told once.
    mine = put_to(world, BHANU, bhanu_card_id)
    assert mine and texts(mine[-1])[0] == "2024/25 Q2 update received"
    assert len(co_owner_notices(world, JAMES)) == 1
    assert co_owner_notices(world, BHANU) == []


def test_a_reminder_turned_into_the_form_is_redrawn_when_a_co_owner_answers(world: TeamsWorld):
    world.install(BHANU)
    world.settle()
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")  # James has no Teams yet
    world.install(JAMES)
    world.settle()
    remind_outstanding(world.ctx, Q3)
    reminder_id, reminder = next(
        (ident, activity["attachments"][0]["content"])
        for ident, activity in world.connector.posted(JAMES.conversation)
        if texts(activity["attachments"][0]["content"])[0] == "Reminder: 2024/25 Q3 updates")
    button = next(action for action in reminder["actions"]
                  if action["data"]["deliverable_id"] == joint_id(world, BHANU))

    # A replyToId no database can store (NUL) still gets the form; nothing is remembered.
    status, odd = world.post(world.activity(
        JAMES, "invoke", name="adaptiveCard/action", replyToId="act-\x00",
        value={"action": {"type": "Action.Execute", "verb": button["verb"],
                          "data": button["data"]}}))
    assert status == 200 and odd is not None and "narrative" in inputs(odd["value"])

    # James presses the reminder's button: Teams shows the form in place of the reminder.
    status, opened = world.post(world.activity(
        JAMES, "invoke", name="adaptiveCard/action", replyToId=reminder_id,
        value={"action": {"type": "Action.Execute", "verb": button["verb"],
                          "data": button["data"]}}))
    assert status == 200 and opened is not None
    assert inputs(opened["value"])["narrative"] in (None, "")

    # Bhanu answers on his prompt card.
    prompt = next(card for card in world.cards_to(BHANU)
                  if card.get("actions") and card["actions"][0]["data"].get("deliverable_id")
                  == button["data"]["deliverable_id"])
    world.submit(BHANU, {**prompt["actions"][0]["data"], "rag": "green",
                         "narrative": "The application was submitted in November."})
    world.settle(timeout=60)

    redrawn = put_to(world, JAMES, reminder_id)
    assert len(redrawn) == 1, redrawn
    shown = texts(redrawn[0])
    assert shown[0] == "2024/25 Q3 update"
    assert any("saved by Bhanu Chadalavada" in text for text in shown), shown
    assert inputs(redrawn[0])["narrative"] == "The application was submitted in November."
    assert len(co_owner_notices(world, JAMES)) == 1


def joint_id(world: TeamsWorld, user: TeamsUser) -> int:
    """The joint deliverable's id, read from the prompt card sent to ``user``."""
    for card in world.cards_to(user):
        if any(JOINT in text for text in texts(card)) and card.get("actions"):
            return int(card["actions"][0]["data"]["deliverable_id"])
    raise AssertionError(f"no prompt for the joint deliverable reached {user.name}")
