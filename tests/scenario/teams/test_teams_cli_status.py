"""``ragtime round status`` and ``ragtime round links`` on a Teams deployment, run as a person
runs them (a real process on the database the served app wrote): each SRO's channel, and
whether Teams reaches them yet: ``Teams`` once they added Ragtime there; before that ``email
(not added in Teams yet)`` where email stands in under ``auto``, or ``not reached (not added in
Teams yet)`` where nothing does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.collection.flows import open_round_and_prompt
from tests.faketeams import FakeConnector, FakeIdentity
from tests.scenario.conftest import NOW, Q3
from tests.scenario.email.conftest import EMAIL_FROM, PUBLIC_URL, SECRET, smtp_settings
from tests.scenario.teams.test_teams_startup import teams_env
from tests.support.cli import ragtime
from tests.support.mail import Mailbox, smtp_server
from tests.support.teams_world import TeamsUser, TeamsWorld, teams_on_example

BHANU = TeamsUser("66666666-ffff-4fff-8fff-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")  # joint SRO of GO-5..7 with James


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def opened(fake_identity: FakeIdentity, fake_connector: FakeConnector, engine: Engine,
           mailbox: Mailbox) -> Iterator[TeamsWorld]:
    """Teams and email, no Slack: Bhanu added Ragtime in Teams, nobody else did; the Q3 round
    is open (James and the others emailed their links)."""
    with teams_on_example(fake_identity, fake_connector, engine, clock=lambda: NOW,
                          **smtp_settings(mailbox)) as world:
        world.install(BHANU)
        world.settle()
        open_round_and_prompt(world.ctx, Q3, opened_by="lead")
        yield world


def database_of(world: TeamsWorld) -> Path:
    return Path(str(world.ctx.engine.url.database))


def with_email(identity: FakeIdentity, world: TeamsWorld, mailbox: Mailbox) -> dict[str, str]:
    return teams_env(identity, database_of(world), RAGTIME_EMAIL_TRANSPORT="smtp",
                     RAGTIME_SMTP_HOST=mailbox.host, RAGTIME_SMTP_PORT=str(mailbox.port),
                     RAGTIME_SMTP_STARTTLS="false", RAGTIME_EMAIL_FROM=EMAIL_FROM,
                     RAGTIME_PUBLIC_URL=PUBLIC_URL, RAGTIME_SECRET_KEY=SECRET)


def line_of(text: str, starts: str) -> str:
    return next(line for line in text.splitlines() if starts in line)


def test_round_status_shows_each_sros_channel_and_whether_teams_reaches_them(
        opened: TeamsWorld, fake_identity: FakeIdentity, mailbox: Mailbox):
    env = with_email(fake_identity, opened, mailbox)
    status = ragtime("round", "status", "2024/25 Q3", env=env)
    assert status.returncode == 0, status.stderr
    go5 = line_of(status.stdout, "GO-5 ")
    assert "Bhanu Chadalavada: Teams;" in go5, go5
    assert "James Mullins: email (not added in Teams yet)" in go5, go5

    as_json = ragtime("round", "status", "2024/25 Q3", "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    items = [item for theme in json.loads(as_json.stdout)["themes"]
             for item in theme["deliverables"]]
    go5_item = next(item for item in items if item["ref"] == "GO-5")
    assert dict(zip(go5_item["sros"], go5_item["channels"], strict=True)) == {
        "Bhanu Chadalavada": "Teams", "James Mullins": "email (not added in Teams yet)"}

    # The same deployment without email: nothing reaches James until he adds Ragtime.
    alone = ragtime("round", "status", "2024/25 Q3", env=teams_env(fake_identity,
                                                                   database_of(opened)))
    assert alone.returncode == 0, alone.stderr
    assert "James Mullins: not reached (not added in Teams yet)" in line_of(alone.stdout,
                                                                            "GO-5 ")


def test_round_links_show_each_sros_channel_and_link(
        opened: TeamsWorld, fake_identity: FakeIdentity, mailbox: Mailbox):
    links = ragtime("round", "links", "2024/25 Q3", env=with_email(fake_identity, opened,
                                                                     mailbox))
    assert links.returncode == 0, links.stderr
    assert ("Bhanu Chadalavada, Medical Director: Teams; no link (prompted in Teams)"
            in links.stdout), links.stdout
    james = line_of(links.stdout, "James Mullins")
    assert "email (not added in Teams yet); link emailed" in james, james
