"""Fixtures for the hardening tests: the fake Slack Web API and the served app."""

from tests.fakeslack import fake_slack  # noqa: F401
from tests.support.served_app import served_app, slack_settings  # noqa: F401
