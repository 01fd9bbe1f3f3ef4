"""A quarter's round over Microsoft Teams alone (no Slack setting at all), on SQLite and on
PostgreSQL: people add Ragtime and are matched by email; the round's prompt cards reach them;
an answer the rules refuse comes back with each message beside its field; a right one is
confirmed on the card, the joint SRO's card is redrawn in place and they are told; a reminder
goes to whoever is still outstanding. Everything through the real HTTP side, the worker and the
outbox, against the fake Bot Framework connector."""

from __future__ import annotations

from sqlmodel import select

from bot.collection.flows import open_round_and_prompt, remind_outstanding
from bot.collection.round_links import round_links
from storage.db import session_scope
from storage.models import Source, TeamsAccount, Update
from tests.scenario.conftest import Q3
from tests.support.teams_world import TeamsUser, TeamsWorld, field_errors, texts

SHARON = TeamsUser("11111111-aaaa-4aaa-8aaa-000000000001", "Sharon Murphy",
                   "Sharon.Murphy@example.nhs.uk")  # deliverables 1-4
BHANU = TeamsUser("11111111-aaaa-4aaa-8aaa-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")  # joint SRO of 5-7 with James
JAMES = TeamsUser("11111111-aaaa-4aaa-8aaa-000000000003", "James Mullins",
                  "james.mullins@example.nhs.uk")
STRANGER = TeamsUser("11111111-aaaa-4aaa-8aaa-000000000009", "Sam Stranger",
                     "sam.stranger@example.nhs.uk")  # in the tenant, in no framework


def prompt_for(world: TeamsWorld, user: TeamsUser, number: str) -> dict:
    for card in world.cards_to(user):
        shown = texts(card)
        if any(text.startswith(f"{number} ") for text in shown) and any(
                item.get("type") == "Input.ChoiceSet" for item in card["body"]):
            return card
    raise AssertionError(f"no prompt card for {number} to {user.name}: "
                         f"{[texts(card)[:2] for card in world.cards_to(user)]}")


def submit_data(card: dict, **inputs: str) -> dict:
    """What Teams sends on Submit: the action's data with the inputs' values merged in."""
    action = card["actions"][0]
    assert action["type"] == "Action.Execute" and action["verb"] == "submit_update"
    return {**action["data"], **inputs}


def test_a_round_over_teams(teams_world: TeamsWorld):
    world = teams_world
    for user in (SHARON, BHANU, JAMES, STRANGER):
        world.install(user)
    world.settle()

    with session_scope(world.ctx.engine) as session:
        matched = {row.aad_object_id: row.person_id is not None
                   for row in session.exec(select(TeamsAccount))}
    assert matched == {SHARON.aad: True, BHANU.aad: True, JAMES.aad: True, STRANGER.aad: False}
    assert "Hello Bhanu Chadalavada." in texts(world.cards_to(BHANU)[0])[1]
    assert "could not match" in texts(world.cards_to(STRANGER)[0])[1]

    summary = open_round_and_prompt(world.ctx, Q3, opened_by="governance.lead@example.nhs.uk")
    assert summary.delivery.sent >= 10
    prompt_for(world, JAMES, "GO-5")  # the joint SRO has their own card
    bhanu_card = prompt_for(world, BHANU, "GO-5")
    assert "Last quarter: " in " ".join(texts(bhanu_card))
    assert [c for c in world.cards_to(STRANGER) if c["body"][0]["text"] != "Ragtime"] == []

    # Red without a recovery action: refused, the message beside the field, nothing stored.
    refused = world.submit(BHANU, submit_data(bhanu_card, rag="red",
                                              narrative="Slipped: the supplier failed."))
    card = refused["value"]
    assert refused["type"] == "application/vnd.microsoft.card.adaptive"
    errors = field_errors(card)
    assert set(errors) >= {"recovery_action"}, errors
    entered = {item["id"]: item.get("value") for item in card["body"]
               if item.get("type", "").startswith("Input.")}
    assert entered["narrative"] == "Slipped: the supplier failed." and entered["rag"] == "red"

    accepted = world.submit(BHANU, submit_data(
        bhanu_card, rag="red", narrative="Slipped: the supplier *failed*.",
        recovery_action="New supplier contracted", recovery_date="2025-02-28",
        change_reason="Supplier collapse"))
    shown = texts(accepted["value"])
    assert shown[0] == "2024/25 Q3 update received"
    assert "Slipped: the supplier *failed*." in shown  # as typed: a TextRun, never Markdown
    with session_scope(world.ctx.engine) as session:
        stored = session.exec(select(Update).where(Update.source == Source.teams)).all()
    assert [(u.rag.value, u.recovery_action) for u in stored] == [
        ("red", "New supplier contracted")]

    # The worker's follow-up: both cards of GO-5 redrawn in place, James told.
    world.settle()
    redrawn = [call for call in world.connector.updates()
               if f"/{JAMES.conversation}/" in call.path]
    assert redrawn and "Version 1 was saved by Bhanu Chadalavada" in " ".join(
        texts(redrawn[-1].body["attachments"][0]["content"]))
    told = [" ".join(texts(c)) for c in world.cards_to(JAMES)]
    assert any("Bhanu Chadalavada submitted Red for GO-5" in text for text in told)
    mine = [call for call in world.connector.updates() if f"/{BHANU.conversation}/" in call.path]
    assert texts(mine[-1].body["attachments"][0]["content"])[0] == "2024/25 Q3 update received"

    # A reminder to everyone still outstanding: Sharon (1-4), Bhanu and James (GO-6, GO-7).
    remind_outstanding(world.ctx, Q3, stage="5-days-before")
    for user, count in ((SHARON, 4), (BHANU, 2), (JAMES, 2)):
        reminder = [c for c in world.cards_to(user) if texts(c)[0].startswith("Reminder")]
        assert len(reminder) == 1, user
        assert f"({count})" in texts(reminder[0])[1]


def test_a_reminder_opens_each_form_for_someone_who_added_ragtime_after_the_round_opened(
    teams_world: TeamsWorld,
):
    world = teams_world
    world.install(BHANU)
    world.settle()
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")
    assert prompt_for(world, BHANU, "GO-5")
    world.install(SHARON)  # after the prompts: no prompt card of hers to answer on
    world.settle()

    remind_outstanding(world.ctx, Q3, stage="5-days-before")
    [reminder] = [c for c in world.cards_to(SHARON) if texts(c)[0].startswith("Reminder")]
    buttons = [(a["title"], a["verb"]) for a in reminder["actions"]]
    assert buttons == [(f"Update GO-{n}", "open_update") for n in range(1, 5)]
    assert not any("card above" in text for text in texts(reminder))

    first = reminder["actions"][0]["data"]
    form = world.submit(SHARON, first, verb="open_update")["value"]
    assert any(text.startswith("GO-1 ") for text in texts(form))
    assert form["actions"][0]["verb"] == "submit_update"
    stored = world.submit(SHARON, submit_data(form, rag="green", narrative="On track."))
    assert texts(stored["value"])[0] == "2024/25 Q3 update received"

    # Identity comes from the verified token, not the button's data: Bhanu gets no form of hers.
    refused = world.submit(BHANU, reminder["actions"][1]["data"], verb="open_update")["value"]
    assert not any(item.get("type", "").startswith("Input.") for item in refused["body"])
    with session_scope(world.ctx.engine) as session:
        stored_rows = session.exec(select(Update).where(Update.source == Source.teams)).all()
    assert [u.deliverable_id for u in stored_rows] == [first["deliverable_id"]]


def test_a_card_cannot_update_someone_elses_deliverable(teams_world: TeamsWorld):
    world = teams_world
    for user in (SHARON, BHANU):
        world.install(user)
    world.settle()
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")
    sharons = prompt_for(world, SHARON, "GO-1")
    # Bhanu's Teams client sends Sharon's card's data: identity comes from the verified token.
    answer = world.submit(BHANU, submit_data(sharons, rag="green", narrative="Done."))
    assert "not" in " ".join(texts(answer["value"])).lower()
    with session_scope(world.ctx.engine) as session:
        assert session.exec(select(Update).where(Update.source == Source.teams)).all() == []


def test_someone_not_matched_is_told_and_nothing_is_stored(teams_world: TeamsWorld):
    world = teams_world
    world.install(STRANGER)
    world.settle()
    answer = world.submit(STRANGER, {"deliverable_id": 1, "period": Q3.label, "rag": "green",
                                     "narrative": "x"})
    assert "does not know your Teams account" in " ".join(texts(answer["value"]))


def test_round_links_say_who_teams_reaches_yet(teams_world: TeamsWorld):
    world = teams_world
    world.install(BHANU)
    world.settle()
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")
    channels = {sro.name: (sro.channel, sro.status) for sro in round_links(world.ctx, Q3).sros}
    assert channels["Bhanu Chadalavada"] == ("Teams", "no link (prompted in Teams)")
    assert channels["James Mullins"][0] == "not reached (not added in Teams yet)"
