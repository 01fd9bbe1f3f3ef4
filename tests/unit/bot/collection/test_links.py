"""Personal form links read back: only a token Ragtime signed, for this purpose, with sound ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.engine import Engine

from bot.collection.links import (
    LINK_SALT,
    form_nonce,
    form_token,
    personal_link,
    read_link,
    revoke_links,
)
from bot.context import AppContext
from bot.settings import SettingsError, load_settings
from tests.support.collection_world import World, build_world
from tests.support.web_form import PUBLIC_URL, SECRET, START, Clock, open_q2


@pytest.fixture
def linked(any_engine: Engine) -> Iterator[tuple[AppContext, World, int, Clock]]:
    world = build_world(any_engine)
    round_id = open_q2(any_engine, world)
    clock = Clock(START)
    settings = load_settings(public_url=PUBLIC_URL + "/", secret_key=SECRET)
    yield AppContext(settings=settings, engine=any_engine, clock=clock), world, round_id, clock


def _token(ctx: AppContext, person: int, round_id: int) -> str:
    return personal_link(ctx, person_id=person, round_id=round_id).rsplit("/", 1)[1]


def test_a_link_is_absolute_and_reads_back_as_its_person_and_round(linked):
    ctx, world, round_id, _clock = linked
    link = personal_link(ctx, person_id=world.people["rarnold"], round_id=round_id)

    assert link.startswith("https://ragtime.example.nhs.uk/form/")  # the slash is not doubled
    check = read_link(ctx, link.rsplit("/", 1)[1])
    assert check.access is not None and check.refused is None
    assert (check.access.person_id, check.access.round_id) == (world.people["rarnold"], round_id)


@pytest.mark.parametrize("payload", [
    {"p": "1", "r": 1}, {"p": True, "r": 1}, {"p": 1}, [1, 1], "1:1", {"p": 1, "r": 10_000},
    {"p": 10_000, "r": 1},
])
def test_a_signed_payload_that_is_not_a_sound_link_is_tampered(linked, payload):
    ctx, _world, _round_id, clock = linked
    clock.now = datetime.now(UTC)  # signed below on the real clock
    token = URLSafeTimedSerializer(SECRET, salt=LINK_SALT).dumps(payload)

    assert read_link(ctx, token).refused == "tampered"


def test_tokens_signed_otherwise_are_tampered(linked):
    ctx, world, round_id, clock = linked
    clock.now = datetime.now(UTC)  # signed below on the real clock
    payload = {"p": world.people["rarnold"], "r": round_id}
    other_key = URLSafeTimedSerializer("another-secret-key-of-enough-length-000",
                                       salt=LINK_SALT).dumps(payload)
    other_salt = URLSafeTimedSerializer(SECRET, salt="ragtime-form-post").dumps(payload)
    a_form_token = form_token(ctx, _token(ctx, world.people["rarnold"], round_id))

    for token in (other_key, other_salt, a_form_token, "", "x" * 5000):
        assert read_link(ctx, token).refused == "tampered"


def test_a_form_token_belongs_to_its_link_and_expires(linked):
    ctx, world, round_id, clock = linked
    mine = _token(ctx, world.people["rarnold"], round_id)
    theirs = _token(ctx, world.people["smurphy"], round_id)
    token = form_token(ctx, mine)

    assert form_nonce(ctx, mine, token)
    assert form_nonce(ctx, theirs, token) is None
    assert form_nonce(ctx, mine, None) is None
    clock.advance(hours=25)
    assert form_nonce(ctx, mine, token) is None


def test_revoking_one_round_leaves_the_person_s_later_links_working(linked):
    ctx, world, round_id, clock = linked
    before = _token(ctx, world.people["rarnold"], round_id)
    other = _token(ctx, world.people["smurphy"], round_id)
    clock.advance(seconds=1)

    revoke_links(ctx, person="rarnold", by="test")
    clock.advance(seconds=1)
    after = _token(ctx, world.people["rarnold"], round_id)

    assert read_link(ctx, before).refused == "revoked"
    assert read_link(ctx, other).access is not None
    assert read_link(ctx, after).access is not None


def test_no_secret_no_link(any_engine: Engine):
    ctx = AppContext(settings=load_settings(public_url=PUBLIC_URL), engine=any_engine)

    with pytest.raises(SettingsError, match="RAGTIME_SECRET_KEY"):
        personal_link(ctx, person_id=1, round_id=1)
