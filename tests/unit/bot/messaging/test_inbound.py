"""Slack deliveries are claimed with the work they carry: handled once, unless that work failed."""

import pytest
from sqlmodel import select

from bot.messaging.inbound import claim, release
from storage.db import session_scope
from storage.models import ProcessedDelivery


def claimed(engine) -> list[str]:
    with session_scope(engine) as s:
        return [row.key for row in s.exec(select(ProcessedDelivery))]


def test_a_delivery_is_handled_once(any_engine):
    with session_scope(any_engine, write=True) as s:
        assert claim(s, "event:Ev1") is True
        assert claim(s, "event:Ev1") is False  # the same delivery again in this unit of work
    with session_scope(any_engine, write=True) as s:
        assert claim(s, "event:Ev1") is False  # Slack's retry, after the first was stored
        assert claim(s, "event:Ev2") is True
    assert sorted(claimed(any_engine)) == ["event:Ev1", "event:Ev2"]


def test_a_retry_after_a_failed_first_attempt_is_handled(any_engine):
    with pytest.raises(RuntimeError), session_scope(any_engine, write=True) as s:
        assert claim(s, "event:Ev1") is True
        raise RuntimeError("storing the update failed")  # the claim rolls back with it
    assert claimed(any_engine) == []
    with session_scope(any_engine, write=True) as s:
        assert claim(s, "event:Ev1") is True


def test_release_lets_the_retry_reply(any_engine):
    with session_scope(any_engine, write=True) as s:
        claim(s, "event:Ev1")
        claim(s, "event:Ev2")
    release(any_engine, "event:Ev1")  # the reply could not be posted
    assert claimed(any_engine) == ["event:Ev2"]
    with session_scope(any_engine, write=True) as s:
        assert claim(s, "event:Ev1") is True
    release(any_engine, "event:unknown")  # nothing to release: no error


def test_a_long_delivery_key_is_claimed_and_released(any_engine):
    key = "event:" + "E" * 5_000
    with session_scope(any_engine, write=True) as s:
        assert claim(s, key) is True
    with session_scope(any_engine, write=True) as s:
        assert claim(s, key) is False
    release(any_engine, key)
    assert claimed(any_engine) == []
