"""A local fake of the GOV.UK Notify API (``server.FakeNotify``) and its pytest fixture."""

from tests.fakenotify.server import FakeNotify, fake_notify

__all__ = ["FakeNotify", "fake_notify"]
