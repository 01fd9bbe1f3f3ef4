"""Behind the trust's reverse proxy every request comes from the proxy's address: with
RAGTIME_TRUSTED_PROXIES the form's rate limit counts each person's forwarded address instead,
and without it a forwarded address (which anyone can write) is never believed."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.fakeslack import FakeSlack
from tests.support.web_form import WebWorld, _call, serve_web


def _statuses(web: WebWorld, forwarded_for: str, count: int) -> list[int]:
    return [_call(urllib.request.Request(web.url + f"/form/guess{n}", headers={
        "X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"})).status
        for n in range(count)]


@pytest.fixture
def behind_nginx(engine: Engine, fake_slack: FakeSlack, sqlite_url: str) -> Iterator[WebWorld]:
    yield from serve_web(engine, fake_slack, sqlite_url, trusted_proxies=1)


@pytest.fixture
def trusting_nobody(engine: Engine, fake_slack: FakeSlack, sqlite_url: str
                    ) -> Iterator[WebWorld]:
    yield from serve_web(engine, fake_slack, sqlite_url)


def test_two_people_behind_the_proxy_have_their_own_buckets(behind_nginx: WebWorld):
    first = _statuses(behind_nginx, "203.0.113.5", 22)
    second = _statuses(behind_nginx, "203.0.113.6", 3)

    assert first[:20] == [403] * 20 and set(first[20:]) == {429}
    assert second == [403] * 3  # not locked out by the first person's attempts


def test_only_the_trusted_hop_is_believed(behind_nginx: WebWorld):
    # A client writing its own X-Forwarded-For: nginx appends the address it saw, and only
    # that last entry counts, so rotating the made-up part does not dodge the limit.
    statuses = [_call(urllib.request.Request(behind_nginx.url + f"/form/guess{n}", headers={
        "X-Forwarded-For": f"10.0.0.{n}, 198.51.100.7"})).status for n in range(22)]

    assert set(statuses[20:]) == {429}


def test_without_the_setting_a_forwarded_address_is_ignored(trusting_nobody: WebWorld):
    first = _statuses(trusting_nobody, "203.0.113.5", 20)
    second = _statuses(trusting_nobody, "203.0.113.6", 2)

    assert first == [403] * 20 and second == [429, 429]
