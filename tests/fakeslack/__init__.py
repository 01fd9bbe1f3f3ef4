"""Fake Slack Web API for tests.

Use the fixture in any test directory's conftest::

    from tests.fakeslack import fake_slack  # noqa: F401  (re-exported fixture)

then ``fake_slack.api_url`` is the SLACK_API_URL and ``BOT_TOKEN`` the token it accepts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeslack.server import (
    APP_ID,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    TEAM_ID,
    Call,
    FakeSlack,
    Upload,
)

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "Upload",
    "fake_slack",
]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A fresh fake Slack Web API on 127.0.0.1:<free port>, stopped after the test."""
    with FakeSlack() as fake:
        yield fake
