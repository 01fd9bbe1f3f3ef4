"""Fixtures of the deployment scenarios."""

from tests.fakenotify import fake_notify  # noqa: F401
