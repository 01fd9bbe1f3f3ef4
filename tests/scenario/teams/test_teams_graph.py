"""Optional Microsoft Graph (``RAGTIME_TEAMS_GRAPH=true``): ``ragtime teams install`` looks up
each person Teams would reach who has not added Ragtime, by email, and installs the app for
them (the fake Graph on ``RAGTIME_TEAMS_GRAPH_URL``, with the app's token from the fake
identity service); once Teams tells Ragtime of the installation, they are prompted there. Off
by default: the command says so in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.collection.flows import open_round_and_prompt
from bot.framework.example import load_example
from storage.db import session_scope
from tests.faketeams import FakeConnector, FakeGraph, FakeIdentity
from tests.faketeams.graph import CATALOG_ID
from tests.scenario.conftest import NOW, Q3
from tests.scenario.teams.test_teams_startup import teams_env
from tests.support.cli import ragtime
from tests.support.teams_world import TeamsUser, TeamsWorld, serve_teams, stop_teams, teams_settings

SHARON = TeamsUser("99999999-aaaa-4aaa-8aaa-000000000001", "Sharon Murphy",
                   "sharon.murphy@example.nhs.uk")
BHANU = TeamsUser("99999999-aaaa-4aaa-8aaa-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")


@pytest.fixture
def world(fake_identity: FakeIdentity, fake_connector: FakeConnector, engine: Engine,
          sqlite_url: str) -> Iterator[TeamsWorld]:
    with session_scope(engine, write=True) as session:
        load_example(session)
    served = serve_teams(teams_settings(fake_identity, sqlite_url), fake_identity,
                         fake_connector, engine=engine, clock=lambda: NOW)
    try:
        yield served
    finally:
        stop_teams(served)


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
    open_round_and_prompt(world.ctx, Q3, opened_by="lead")
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
