"""Fakes of what Microsoft runs for a Teams bot, on loopback: the identity side (OpenID
metadata, JWKS, client-credentials tokens) and the Bot Framework connector."""

from tests.faketeams.connector import FakeConnector, fake_connector
from tests.faketeams.identity import (
    APP_ID,
    APP_PASSWORD,
    TENANT_ID,
    FakeIdentity,
    fake_identity,
)

__all__ = ["APP_ID", "APP_PASSWORD", "TENANT_ID", "FakeConnector", "FakeIdentity",
           "fake_connector", "fake_identity"]
