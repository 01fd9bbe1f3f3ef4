"""Optional Microsoft Graph (``RAGTIME_TEAMS_GRAPH=true``): ``ragtime teams install`` looks up
each person Teams would reach who has not added Ragtime, by email, and installs the app for
them (the fake Graph on ``RAGTIME_TEAMS_GRAPH_URL``, with the app's token from the fake
identity service); once Teams tells Ragtime of the installation, they are prompted there. Off
by default: the command says so in one line, and opening a round calls no Graph.

Opening a round does the same for the round's people (SQLite and PostgreSQL): Graph installs
it for the one not yet reachable, and the next message (a reminder) reaches her in Teams once
Teams has told Ragtime; Graph refusing (403) does not stop the round and is reported to the
governance conversation and in ``ragtime round open``'s summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.collection.flows import open_round_and_prompt, remind_outstanding
from tests.faketeams import APP_ID, FakeConnector, FakeGraph, FakeIdentity
from tests.faketeams.graph import CATALOG_ID
from tests.scenario.conftest import NOW, Q3
from tests.scenario.email.conftest import smtp_settings
from tests.scenario.teams.test_teams_startup import teams_env
from tests.support.cli import ragtime
from tests.support.mail import Mailbox, part, smtp_server
from tests.support.teams_world import (
    TeamsUser,
    TeamsWorld,
    teams_on_example,
    texts,
)

SHARON = TeamsUser("99999999-aaaa-4aaa-8aaa-000000000001", "Sharon Murphy",
                   "sharon.murphy@example.nhs.uk")
BHANU = TeamsUser("99999999-aaaa-4aaa-8aaa-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")


@pytest.fixture
def world(fake_identity: FakeIdentity, fake_connector: FakeConnector, engine: Engine
          ) -> Iterator[TeamsWorld]:
    with teams_on_example(fake_identity, fake_connector, engine, clock=lambda: NOW) as world:
        yield world


def graph_env(identity: FakeIdentity, world: TeamsWorld, graph: FakeGraph) -> dict[str, str]:
    return teams_env(identity, Path(str(world.ctx.engine.url.database)),
                     RAGTIME_TEAMS_GRAPH="true", RAGTIME_TEAMS_GRAPH_URL=graph.url)


def test_ragtime_installs_itself_for_people_not_yet_in_teams(
        world: TeamsWorld, fake_identity: FakeIdentity, fake_graph: FakeGraph):
    fake_graph.add_user(SHARON.email, SHARON.aad)
    fake_graph.add_user(BHANU.email.upper(), BHANU.aad)  # Graph matches emails in any case
    world.install(BHANU)  # added it himself: nothing to do for him
    world.settle()

    done = ragtime("teams", "install", env=graph_env(fake_identity, world, fake_graph))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "Sharon Murphy <sharon.murphy@example.nhs.uk>: installed" in lines, done.stdout
    assert "James Mullins <james.mullins@example.nhs.uk>: not found in the tenant" in lines
    assert not any(line.startswith("Bhanu") for line in lines)
    assert fake_graph.installed == [(SHARON.aad, CATALOG_ID)]
    assert any(grant["scope"] == f"{fake_graph.url}/.default" for grant in fake_identity.grants)

    # Before Teams has told Ragtime, asking again finds it installed already.
    again = ragtime("teams", "install", SHARON.email,
                    env=graph_env(fake_identity, world, fake_graph))
    assert again.returncode == 0, again.stderr
    assert "Sharon Murphy <sharon.murphy@example.nhs.uk>: already installed" in again.stdout

    # Teams sends the installation as it does when a person adds the app: she is reached.
    world.install(SHARON)
    world.settle()
    calls = len(fake_graph.calls)
    opened = open_round_and_prompt(world.ctx, Q3, opened_by="lead")
    assert len(fake_graph.calls) == calls and opened.teams_added == ()  # Graph off: untouched
    assert any(any(item.get("type") == "Input.ChoiceSet" for item in card["body"])
               for card in world.cards_to(SHARON))
    after = ragtime("teams", "install", SHARON.email,
                    env=graph_env(fake_identity, world, fake_graph))
    assert "Nobody to add" in after.stdout


def test_graph_refusals_and_graph_off_are_said_plainly(
        world: TeamsWorld, fake_identity: FakeIdentity, fake_graph: FakeGraph):
    fake_graph.add_user(SHARON.email, SHARON.aad)
    fake_graph.refuse_next(403)
    refused = ragtime("teams", "install", SHARON.email,
                      env=graph_env(fake_identity, world, fake_graph))
    assert refused.returncode == 1
    assert ("Sharon Murphy <sharon.murphy@example.nhs.uk>: failed: Microsoft Graph refused "
            "Ragtime (HTTP 403" in refused.stdout), refused.stdout
    assert fake_graph.installed == []

    off = ragtime("teams", "install", env=teams_env(fake_identity,
                                                    Path(str(world.ctx.engine.url.database))))
    assert off.returncode == 2
    assert "RAGTIME_TEAMS_GRAPH is off" in off.stderr
    assert len(off.stderr.strip().splitlines()) == 1, off.stderr


GOVERNANCE = "19:governance@thread.tacv2"


@pytest.fixture
def graph_world(fake_identity: FakeIdentity, fake_connector: FakeConnector, fake_graph: FakeGraph,
                any_engine: Engine) -> Iterator[TeamsWorld]:
    """Teams alone with Microsoft Graph on (the fake one), SQLite then PostgreSQL."""
    with teams_on_example(
            fake_identity, fake_connector, any_engine, clock=lambda: NOW,
            RAGTIME_TEAMS_GRAPH="true", RAGTIME_TEAMS_GRAPH_URL=fake_graph.url,
            RAGTIME_TEAMS_GOVERNANCE_CONVERSATION=GOVERNANCE) as world:
        yield world


def installs_looked_up(graph: FakeGraph) -> list[str]:
    return [path.split("?")[0].rsplit("/", 1)[-1] for method, path, _ in graph.calls
            if method == "GET" and path.startswith("/v1.0/users/")]


def test_opening_a_round_adds_ragtime_for_people_not_yet_in_teams(
        graph_world: TeamsWorld, fake_graph: FakeGraph):
    world = graph_world
    fake_graph.add_user(SHARON.email, SHARON.aad)
    fake_graph.add_user(BHANU.email, BHANU.aad)
    world.install(BHANU)  # added it himself: prompted in Teams, never installed by Graph
    world.settle()

    opened = open_round_and_prompt(world.ctx, Q3, opened_by="lead")
    assert fake_graph.installed == [(SHARON.aad, CATALOG_ID)]
    looked_up = installs_looked_up(fake_graph)
    assert SHARON.email in looked_up and BHANU.email not in looked_up
    assert any(card for card in world.cards_to(BHANU))  # his prompts went as before
    assert world.cards_to(SHARON) == []  # not reachable until Teams says she has it
    added = {item.name: item.outcome for item in opened.teams_added}
    assert added["Sharon Murphy"] == "installed"
    assert added["James Mullins"] == "not found in the tenant"
    assert "Bhanu Chadalavada" not in added
    text = str(opened)
    assert "Adding Ragtime in Teams (Microsoft Graph): " in text
    assert "Sharon Murphy: installed" in text
    assert "could not be added in Teams" not in text

    # Teams tells Ragtime of the installation Graph made: the next message reaches her there.
    world.install(SHARON)  # the welcome card
    world.settle()
    reminded = remind_outstanding(world.ctx, Q3)
    assert reminded.delivery.failed == 0, str(reminded)
    cards = world.cards_to(SHARON)
    assert [texts(card)[0] for card in cards] == ["Ragtime", "Reminder: 2024/25 Q3 updates"]

    # Opening again: she is reachable now, so Graph is not asked for her again.
    before = installs_looked_up(fake_graph).count(SHARON.email)
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")
    assert installs_looked_up(fake_graph).count(SHARON.email) == before
    assert fake_graph.installed == [(SHARON.aad, CATALOG_ID)]


def test_graph_refusing_does_not_stop_the_round_and_is_reported(
        graph_world: TeamsWorld, fake_identity: FakeIdentity, fake_graph: FakeGraph):
    world = graph_world
    fake_graph.add_user(SHARON.email, SHARON.aad)
    world.install(BHANU)
    world.settle()
    fake_graph.refuse_next(403)  # the tenant never granted the permissions

    opened = ragtime("round", "open", "2024/25 Q3", env=teams_env(
        fake_identity, Path("unused"), DATABASE_URL=world.ctx.engine.url.render_as_string(
            hide_password=False), RAGTIME_TEAMS_GRAPH="true",
        RAGTIME_TEAMS_GRAPH_URL=fake_graph.url, RAGTIME_TEAMS_GOVERNANCE_CONVERSATION=GOVERNANCE))
    assert opened.returncode == 0, opened.stdout + opened.stderr
    out = opened.stdout
    assert "The 2024/25 Q3 round is now open" in out, out
    assert ("Ragtime could not be added in Teams for them through Microsoft Graph: Microsoft "
            "Graph refused Ragtime (HTTP 403" in out), out
    refused = next(line for line in out.splitlines() if "could not be added in Teams" in line)
    assert "Sharon Murphy" in refused and "James Mullins" in refused  # one line per reason
    assert "The governance leads have been told." in out
    # Graph refuses Ragtime itself, not one person: the others are not tried (Sharon would
    # have been installed), so a tenant without the permissions costs one call, not one each.
    assert len(fake_graph.calls) == 1 and fake_graph.installed == []
    assert world.cards_to(BHANU)  # the round's prompts went all the same

    told = [activity["attachments"][0]["content"]
            for activity in world.connector.sent(GOVERNANCE)]
    shown = " ".join(" ".join(texts(card)) for card in told)
    assert "could not be added in Teams for them through Microsoft Graph" in shown, shown
    assert "Sharon Murphy" in shown


JEAN = TeamsUser("99999999-aaaa-4aaa-8aaa-000000000011", "Jean Knight",
                 "jean.knight@example.nhs.uk")


def test_under_auto_graph_installs_and_the_email_stands_in_until_teams_says_so(
        fake_identity: FakeIdentity, fake_connector: FakeConnector, fake_graph: FakeGraph,
        engine: Engine):
    """Teams and email, no Slack: Jean (``auto``) is emailed the link with the "Add Ragtime in
    Teams" link as before, Graph installs Ragtime for her, and the next message reaches her in
    Teams once Teams has told Ragtime."""
    fake_graph.add_user(JEAN.email, JEAN.aad)
    with smtp_server() as mailbox, teams_on_example(
            fake_identity, fake_connector, engine, clock=lambda: NOW, RAGTIME_TEAMS_GRAPH="true",
            RAGTIME_TEAMS_GRAPH_URL=fake_graph.url, **smtp_settings(mailbox)) as world:
        opened = open_round_and_prompt(world.ctx, Q3, opened_by="lead")
        assert (JEAN.aad, CATALOG_ID) in fake_graph.installed
        assert "Jean Knight: installed" in str(opened)
        [email] = emails_to(mailbox, JEAN)
        assert f"https://teams.microsoft.com/l/app/{APP_ID}" in part(email, "plain")

        world.install(JEAN)
        world.settle()
        remind_outstanding(world.ctx, Q3, stage="5-days-before")
        assert [texts(card)[0] for card in world.cards_to(JEAN)][-1] == \
            "Reminder: 2024/25 Q3 updates"
        assert len(emails_to(mailbox, JEAN)) == 1  # reached in Teams now, not by email


def emails_to(mailbox: Mailbox, user: TeamsUser) -> list:
    return mailbox.to(user.email)
