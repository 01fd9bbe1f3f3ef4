"""Absences in Teams: ``away 6–17 Jan, cover James Mullins`` typed to the bot records the
writer's absence (the grammar and flow of a Slack DM, the writer being the person their Teams
account was matched to) and is answered in the conversation; the cover is told in Teams; a
cover named for an absence that starts today is prompted at once, in Teams; ``away cancel``
undoes it; only a governance lead may record someone else's absence or extend a deadline; a
retried delivery is answered once."""

from __future__ import annotations

from datetime import date

from bot.collection.away import list_away
from bot.collection.flows import open_round_and_prompt
from tests.scenario.conftest import Q3
from tests.support.teams_world import TeamsUser, TeamsWorld, texts

SHARON = TeamsUser("88888888-aaaa-4aaa-8aaa-000000000001", "Sharon Murphy",
                   "sharon.murphy@example.nhs.uk")  # deliverables GO-1..GO-4
JAMES = TeamsUser("88888888-aaaa-4aaa-8aaa-000000000003", "James Mullins",
                  "james.mullins@example.nhs.uk")
LEAD = TeamsUser("88888888-aaaa-4aaa-8aaa-000000000009", "Gwen Lead",
                 "governance.lead@example.nhs.uk")
STRANGER = TeamsUser("88888888-aaaa-4aaa-8aaa-00000000000f", "Sam Stranger",
                     "sam.stranger@example.nhs.uk")


def say(world: TeamsWorld, user: TeamsUser, text: str, *, ident: str | None = None) -> str:
    """What the bot answered ``user`` in their conversation (the last card's words)."""
    before = len(world.cards_to(user))
    activity = world.activity(user, "message", text=text)
    if ident:
        activity["id"] = ident
    status, _ = world.post(activity)
    assert status == 200
    world.settle()
    after = world.cards_to(user)
    assert len(after) == before + 1, [texts(card) for card in after[before:]]
    return " ".join(texts(after[-1]))


def test_an_sro_records_and_cancels_an_absence_in_teams(teams_world: TeamsWorld):
    world = teams_world
    for user in (SHARON, JAMES, STRANGER):
        world.install(user)
    world.settle()

    answer = say(world, SHARON, "away 2025-01-06 to 2025-01-17 cover James Mullins")
    assert answer.startswith("Away Recorded: You are away Mon 6 Jan 2025 – Fri 17 Jan 2025, "
                             "covered by James Mullins."), answer
    assert "James Mullins is asked for the updates meanwhile." in answer
    assert "To undo it: away cancel." in answer  # no Slack code marks in a card
    told = " ".join(texts(world.cards_to(JAMES)[-1]))  # the cover is told, in Teams too
    assert told.startswith("You are covering for Sharon Murphy"), told
    assert "away from Mon 6 Jan 2025 to Fri 17 Jan 2025" in told, told
    [absence] = list_away(world.ctx)
    assert (absence.person_name, absence.starts, absence.ends, absence.cover_name,
            absence.source) == ("Sharon Murphy", date(2025, 1, 6), date(2025, 1, 17),
                                "James Mullins", "teams")

    answer = say(world, SHARON, "away cancel")
    assert "Cancelled: you were recorded away Mon 6 Jan 2025" in answer, answer
    assert list_away(world.ctx) == []

    nonsense = say(world, SHARON, "away next Blursday")
    assert nonsense.startswith("Absence not recorded"), nonsense
    assert "You are not a person of the framework" in say(
        world, STRANGER, "away 2025-01-06 to 2025-01-17")


def test_a_cover_for_an_absence_starting_today_is_prompted_in_teams(teams_world: TeamsWorld):
    world = teams_world
    for user in (SHARON, JAMES):
        world.install(user)
    world.settle()
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")
    before = len(world.cards_to(JAMES))

    answer = say(world, SHARON, "away 20 Dec to 3 Jan, cover James Mullins")  # today: 20 Dec
    assert "James Mullins is asked for the updates meanwhile." in answer, answer
    world.settle()
    covering = [card for card in world.cards_to(JAMES)[before:]
                if any(item.get("type") == "Input.ChoiceSet" for item in card["body"])]
    shown = {text.split(" ")[0] for card in covering for text in texts(card)[1:2]}
    assert shown == {"GO-1", "GO-2", "GO-3", "GO-4"}, [texts(c)[:3] for c in covering]


def test_only_a_lead_records_someone_elses_absence_or_extends_a_deadline(
        teams_world: TeamsWorld):
    world = teams_world
    for user in (SHARON, LEAD):
        world.install(user)
    world.settle()
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")

    refused = say(world, SHARON, "away for Paul Sheldon 2025-01-06 to 2025-01-17")
    assert "Only a governance lead may record someone else's absence" in refused, refused
    assert "Only a governance lead may extend" in say(
        world, SHARON, "extend 2024/25 Q3 Paul Sheldon to 24 Jan 2025")

    recorded = say(world, LEAD, "away for Paul Sheldon 2025-01-06 to 2025-01-17",
                   ident="f:lead-away-1")
    assert "Paul Sheldon is away Mon 6 Jan 2025 – Fri 17 Jan 2025" in recorded, recorded
    extended = say(world, LEAD, "extend 2024/25 Q3 Paul Sheldon to 24 Jan 2025")
    assert "Paul Sheldon now has until Fri 24 Jan 2025" in extended, extended

    # The Bot Framework delivers the same activity again: answered once, recorded once.
    status, _ = world.post({**world.activity(LEAD, "message",
                                             text="away for Paul Sheldon 2025-01-06 to "
                                                  "2025-01-17"), "id": "f:lead-away-1"})
    assert status == 200
    world.settle()
    assert len([a for a in list_away(world.ctx) if a.person_name == "Paul Sheldon"]) == 1
