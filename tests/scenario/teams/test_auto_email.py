"""``auto`` on a deployment with Teams and email and no Slack: an SRO who has not added Ragtime
in Teams is emailed the web form link and an "Add Ragtime in Teams" deep link; once they add
it, the next message (the reminder) reaches them in Teams instead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.collection.flows import open_round_and_prompt, remind_outstanding
from tests.faketeams import APP_ID, FakeConnector, FakeIdentity
from tests.scenario.conftest import NOW, Q3
from tests.scenario.email.conftest import smtp_settings
from tests.support.mail import Mailbox, part, smtp_server
from tests.support.teams_world import (
    TeamsUser,
    TeamsWorld,
    teams_on_example,
    texts,
)

JEAN = TeamsUser("33333333-cccc-4ccc-8ccc-000000000011", "Jean Knight",
                 "jean.knight@example.nhs.uk")  # deliverable 11 alone


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def teams_and_email(fake_identity: FakeIdentity, fake_connector: FakeConnector,
                    engine: Engine, mailbox: Mailbox) -> Iterator[TeamsWorld]:
    with teams_on_example(fake_identity, fake_connector, engine, clock=lambda: NOW,
                          **smtp_settings(mailbox)) as world:
        yield world


def test_not_yet_in_teams_is_emailed_with_the_deep_link_then_reached_in_teams(
        teams_and_email: TeamsWorld, mailbox: Mailbox):
    world = teams_and_email
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")

    [email] = mailbox.to(JEAN.email)
    text = part(email, "plain")
    assert "/form/" in text  # the personal web form link
    assert f"https://teams.microsoft.com/l/app/{APP_ID}" in text
    assert "Add Ragtime in Teams" in part(email, "html")
    assert world.connector.sent(JEAN.conversation) == []

    world.install(JEAN)
    world.settle()
    remind_outstanding(world.ctx, Q3, stage="5-days-before")
    reminders = [card for card in world.cards_to(JEAN) if texts(card)[0].startswith("Reminder")]
    assert len(reminders) == 1
    assert len(mailbox.to(JEAN.email)) == 1  # not emailed again
